/// An error a person can act on: what went wrong, where, and what to do.
public struct LoupeError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case syntax = "SyntaxError"
        case name = "NameError"
        case type = "TypeError"
        case argument = "ArgumentError"
        case value = "ValueError"
        case index = "IndexError"
        case io = "IOError"
        case interrupted = "Interrupted"
    }

    public var kind: Kind
    public var message: String
    /// Where in the cell the fault is, when known.
    public var span: SourceSpan?
    /// For syntax errors: true when more input could complete the code, so
    /// `is_complete` answers "incomplete" rather than "invalid".
    public var needsMoreInput: Bool

    public init(_ kind: Kind, _ message: String, at span: SourceSpan? = nil, needsMoreInput: Bool = false) {
        self.kind = kind
        self.message = message
        self.span = span
        self.needsMoreInput = needsMoreInput
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// Attaches a span if the error has none yet (errors raised inside
    /// builtins learn their position from the call that raised them).
    func located(_ at: SourceSpan) -> LoupeError {
        var copy = self
        if copy.span == nil { copy.span = at }
        return copy
    }
}

/// Suggests the candidate closest to a misspelt name, if one is close enough
/// to be a plausible typo.
public func nearestName(to name: String, in candidates: some Sequence<String>) -> String? {
    // Names this long are not typos of a builtin; skip the quadratic search.
    guard name.count <= 64 else { return nil }
    let target = Array(name.lowercased())
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(target, Array(candidate.lowercased()))
        if best == nil || d < best!.1 { best = (candidate, d) }
    }
    guard let (candidate, distance) = best else { return nil }
    let allowed = max(1, min(3, target.count / 3 + 1))
    return distance <= allowed ? candidate : nil
}

/// "; did you mean 'x'?" or nothing.
func suggestion(for name: String, in candidates: some Sequence<String>, format: (String) -> String = { "'\($0)'" }) -> String {
    guard let near = nearestName(to: name, in: candidates) else { return "" }
    return "; did you mean \(format(near))?"
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prevPrev = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(prev[j] + 1, current[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], prevPrev[j - 2] + 1)
            }
        }
        (prevPrev, prev, current) = (prev, current, prevPrev)
    }
    return prev[b.count]
}

/// A name short enough to quote in a message.
func abbreviated(_ name: String, limit: Int = 40) -> String {
    name.count <= limit ? name : String(name.prefix(limit)) + "…"
}

/// "a" or "an" before a type name.
func article(_ word: String) -> String {
    guard let first = word.lowercased().first else { return "a" }
    return "aeiou".contains(first) ? "an" : "a"
}

/// An error from a module below the language that knows which kind of
/// language error it is. A builtin may let such an error escape: the
/// evaluator turns it into a LoupeError at the call, with its kind and
/// message, so engine modules need not know the language.
public protocol LanguageErrorConvertible: Error {
    var languageKind: LoupeError.Kind { get }
    var languageMessage: String { get }
}

extension LoupeError {
    /// Any error as the user sees it, the one route every error takes: a
    /// LoupeError keeps its kind (and gets `span` if it had none), one that
    /// knows its language kind (`LanguageErrorConvertible`) keeps that kind,
    /// and anything else is a value error with its description.
    public init(_ error: Error, at span: SourceSpan?) {
        switch error {
        case let e as LoupeError: self = span.map { e.located($0) } ?? e
        case let e as LanguageErrorConvertible: self = LoupeError(e.languageKind, e.languageMessage, at: span)
        default: self = LoupeError(.value, "\(error)", at: span)
        }
    }
}
