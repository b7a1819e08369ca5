import LoupeSites

/// Where in a vision transformer an SAE reads and writes: which model, which
/// block, which site in it and which tokens. Typed once, when the SAE is
/// loaded or trained, from the metadata its file or activations carry; a
/// value Loupe does not know is an error then, never a silent default later.
package struct HookPoint: Sendable, Equatable {
    /// The point in the model (LoupeSites), spelt as SAELens's `hook_name` ends.
    package typealias Site = ActivationSite
    /// The tokens of each image the SAE was trained on.
    package typealias Tokens = TokenSelection

    /// The model's name as recorded (`model_name`), when known.
    package var model: String?
    /// The block whose activations the SAE reads, when known.
    package var layer: Int?
    package var site: Site
    package var tokens: Tokens

    package init(model: String? = nil, layer: Int? = nil, site: Site = .residPost, tokens: Tokens = .all) {
        self.model = model; self.layer = layer; self.site = site; self.tokens = tokens
    }

    /// Types the hook fields of `metadata`. Absent fields take the defaults
    /// SAEs from other tools imply (the residual stream after the block, every
    /// token); present ones must be values Loupe knows.
    package init(metadata: SAEMetadata) throws {
        let site = try Self.parse(metadata.site, key: "site", default: Site.residPost, error: HookPointError.unknownSite)
        var layer = metadata.layer
        if site == .embedding {
            // sae-for-vlm writes the embedding as layer -1; the site alone places it.
            if let l = layer, l < 0 { layer = nil }
        } else if let l = layer, l < 0 { throw HookPointError.invalidLayer(String(l)) }
        self.init(model: metadata.model, layer: layer, site: site,
                  tokens: try Self.parse(metadata.tokens, key: "tokens", default: .all, error: HookPointError.unknownTokens))
    }

    private static func parse<T: RawRepresentable>(_ text: String?, key: String, default value: T,
                                                   error: (String) -> HookPointError) throws -> T where T.RawValue == String {
        guard let text else { return value }
        guard let parsed = T(rawValue: text) else { throw error(text) }
        return parsed
    }
}

/// Metadata whose hook fields name nothing Loupe can hook.
package enum HookPointError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownSite(String)
    case unknownTokens(String)
    /// A layer that is not a non-negative whole number, as written.
    case invalidLayer(String)

    package var description: String {
        switch self {
        case .unknownSite(let value):
            return "metadata \"site\" is \"\(value)\", which Loupe cannot hook; sites are "
                + HookPoint.Site.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownTokens(let value):
            return "metadata \"tokens\" is \"\(value)\", which Loupe does not know; tokens are "
                + HookPoint.Tokens.allCases.map(\.rawValue).joined(separator: ", ")
        case .invalidLayer(let value):
            return "metadata \"layer\" is \(value), but a layer is a block number 0, 1, 2, ..."
        }
    }
}
