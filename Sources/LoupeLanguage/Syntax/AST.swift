/// The syntax tree. Every node carries the span it came from, so errors can
/// point at the exact argument, label or name at fault.
public indirect enum Expr: Sendable {
    case literal(Value, SourceSpan)
    case interpolation([InterpolationPart], SourceSpan)
    case name(String, SourceSpan)
    case array([Expr], SourceSpan)
    case dictionary([(Expr, Expr)], SourceSpan)
    case unary(String, Expr, SourceSpan)
    case binary(String, Expr, Expr, SourceSpan)
    case range(Expr, Expr, closed: Bool, SourceSpan)
    case member(Expr, String, SourceSpan)
    /// `.spatial` or `.topK(k: 32)`: an enum case named without its type.
    case implicitMember(String, SourceSpan)
    case call(Expr, [Argument], SourceSpan)
    case subscripted(Expr, [Argument], SourceSpan)
    case closure([String], [Stmt], SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .literal(_, let s), .interpolation(_, let s), .name(_, let s), .array(_, let s),
             .dictionary(_, let s), .unary(_, _, let s), .binary(_, _, _, let s), .range(_, _, _, let s),
             .member(_, _, let s), .implicitMember(_, let s), .call(_, _, let s), .subscripted(_, _, let s),
             .closure(_, _, let s):
            return s
        }
    }
}

public enum InterpolationPart: Sendable {
    case text(String)
    case expr(Expr)
}

public struct Argument: Sendable {
    public var label: String?
    public var labelSpan: SourceSpan?
    public var value: Expr
}

public indirect enum Stmt: Sendable {
    case binding(mutable: Bool, name: String, Expr, SourceSpan)
    case assign(target: Expr, op: String, Expr, SourceSpan)
    case expression(Expr)
    case forIn(name: String, sequence: Expr, body: [Stmt], SourceSpan)
    case whileLoop(condition: Expr, body: [Stmt], SourceSpan)
    case ifElse(condition: Expr, then: [Stmt], otherwise: [Stmt]?, SourceSpan)
    case jump(String, SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .binding(_, _, _, let s), .assign(_, _, _, let s), .forIn(_, _, _, let s),
             .whileLoop(_, _, let s), .ifElse(_, _, _, let s), .jump(_, let s):
            return s
        case .expression(let e): return e.span
        }
    }
}
