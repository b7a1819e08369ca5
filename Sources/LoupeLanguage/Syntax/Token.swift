/// The kinds of token the lexer produces.
public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case keyword(String)
    case int(Int)
    case double(Double)
    /// A string literal, split into literal text and interpolated source pieces.
    case string([StringPiece])
    case symbol(String)
    case end
}

/// Part of a string literal: text, or the source of an `\( ... )` interpolation
/// with the scalar offset where that source starts.
public enum StringPiece: Equatable, Sendable {
    case text(String)
    case code(String, offset: Int)
}

public struct Token: Equatable, Sendable {
    public var kind: TokenKind
    public var span: SourceSpan
    /// True when a newline separates this token from the previous one; the
    /// parser uses it to end statements, as Swift does.
    public var newlineBefore: Bool
}

let keywords: Set<String> = ["let", "var", "for", "in", "if", "else", "while", "true", "false", "nil", "break", "continue"]
