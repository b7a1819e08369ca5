import LoupeAnalysis
import LoupeLanguage

/// Numbers a cell or a front end sends, checked before they reach an
/// `Int(...)`, a Float or a picture: a trap there would end the kernel and
/// every variable of the session with it.
enum CheckedNumber {
    /// The largest clamp accepted: far beyond any residual stream's scale
    /// (the paper's is 150), and small enough that Float arithmetic on it
    /// stays finite.
    static let clampLimit = 1e6

    /// `v` as an Int when it is a whole number an Int and a Double both hold exactly.
    static func exactInt(_ v: Double) -> Int? {
        guard v.isFinite, v == v.rounded(), abs(v) <= 9_007_199_254_740_992 else { return nil }
        return Int(v)
    }
}

extension CallContext {
    /// A clamp value: finite and at most `CheckedNumber.clampLimit` in size.
    func clampValue(_ key: String) throws -> Double {
        try checkedClamp(try double(key), key)
    }

    /// Clamp values, each checked as `clampValue` checks one.
    func clampValues(_ key: String) throws -> [Double] {
        try numbers(key).map { try checkedClamp($0, key) }
    }

    private func checkedClamp(_ v: Double, _ key: String) throws -> Double {
        guard v.isFinite, abs(v) <= CheckedNumber.clampLimit else {
            throw valueError(key, "a clamp must be a finite number of at most \(Int(CheckedNumber.clampLimit)) in size, got "
                             + NumberText.fixed(v, digits: 2))
        }
        return v
    }
}

extension CallContext {
    /// The longest title, label or caption drawn or shown: laying out a
    /// 100,000-character title takes seconds and nobody can read it.
    static let displayTextLimit = 1000

    /// A String argument that will be drawn or shown as text.
    func displayText(_ key: String) throws -> String {
        let text = try string(key)
        guard text.count <= Self.displayTextLimit else {
            throw valueError(key, "give at most \(Self.displayTextLimit) characters, got \(text.count)")
        }
        return text
    }

    /// A [String] argument whose items will be drawn or shown as text.
    func displayTexts(_ key: String, atMost limit: Int = 10_000) throws -> [String] {
        let texts = try strings(key)
        guard texts.count <= limit else { throw valueError(key, "give at most \(limit) items, got \(texts.count)") }
        if let long = texts.first(where: { $0.count > Self.displayTextLimit }) {
            throw valueError(key, "each item must be at most \(Self.displayTextLimit) characters; one has \(long.count)")
        }
        return texts
    }
}
