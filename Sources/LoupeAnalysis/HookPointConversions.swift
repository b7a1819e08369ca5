import LoupeCLIP
import LoupeSAE

// CLIP's sites and token choices against the SAE's typed ones: a switch each
// way, so a case added to either side fails to compile until both agree.
extension ActivationSite {
    package init(_ site: HookPoint.Site) {
        switch site {
        case .residPre: self = .residPre
        case .attnOut: self = .attnOut
        case .mlpOut: self = .mlpOut
        case .residPost: self = .residPost
        case .embedding: self = .embedding
        }
    }
}

extension HookPoint.Site {
    package init(_ site: ActivationSite) {
        switch site {
        case .residPre: self = .residPre
        case .attnOut: self = .attnOut
        case .mlpOut: self = .mlpOut
        case .residPost: self = .residPost
        case .embedding: self = .embedding
        }
    }
}

extension TokenSelection {
    package init(_ tokens: HookPoint.Tokens) {
        switch tokens {
        case .cls: self = .cls
        case .spatial: self = .spatial
        case .all: self = .all
        }
    }
}

extension HookPoint.Tokens {
    package init(_ tokens: TokenSelection) {
        switch tokens {
        case .cls: self = .cls
        case .spatial: self = .spatial
        case .all: self = .all
        }
    }
}
