import LoupeJSON

/// A value in the command language. Host objects (images, models, tables,
/// SAEs) are `.object`; everything else is a plain value with Swift's meaning.
public enum Value: @unchecked Sendable {
    /// The result of a statement or a call with nothing to return; never displayed.
    case void
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case dictionary([(key: Value, value: Value)])
    case range(lower: Int, upper: Int, closed: Bool)
    /// `.spatial` or `.topK(k: 32)`.
    case enumCase(String, [(label: String?, value: Value)])
    case function(Callable)
    /// A builtin type used as a value: `CLIP`, `Dataset`.
    case type(BuiltinType)
    case object(HostObject)

    /// The name shown in errors and by `type(of:)`-style messages.
    public var typeName: String {
        switch self {
        case .void: return "Void"
        case .null: return "nil"
        case .bool: return "Bool"
        case .int: return "Int"
        case .double: return "Double"
        case .string: return "String"
        case .array: return "Array"
        case .dictionary: return "Dictionary"
        case .range: return "Range"
        case .enumCase: return "Option"
        case .function: return "Function"
        case .type(let t): return t.name + ".Type"
        case .object(let o): return o.typeName
        }
    }

    /// The registry key for members of this value.
    var memberTypeName: String {
        switch self {
        case .object(let o): return o.typeName
        case .type(let t): return t.name
        default: return typeName
        }
    }

    public var isVoid: Bool { if case .void = self { return true }; return false }
}

/// An object owned by the host: it knows its type name and how to show itself.
public protocol HostObject: AnyObject {
    var typeName: String { get }
    /// text/plain, plus richer representations where they exist.
    func display() -> DisplayBundle
}

/// Something that can be called: a closure written in a cell, or a builtin
/// bound to its receiver.
public final class Callable {
    public let name: String
    let invoke: (Interpreter, [Value], SourceSpan) throws -> Value
    let describe: String
    /// Set when this is a builtin bound to a receiver, so calls keep labels.
    var builtin: BuiltinFunction?
    var receiver: Value = .void

    init(name: String, describe: String, invoke: @escaping (Interpreter, [Value], SourceSpan) throws -> Value) {
        self.name = name
        self.describe = describe
        self.invoke = invoke
    }

    /// Calls it later, outside the call that received it (a widget's update).
    public func call(_ interpreter: Interpreter, _ arguments: [Value], at span: SourceSpan) throws -> Value {
        try invoke(interpreter, arguments, span)
    }
}

// MARK: equality, hashing for dictionary keys, truthiness

extension Value {
    /// Structural equality for plain values; identity for objects.
    public static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null), (.void, .void): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.dictionary(x), .dictionary(y)):
            return x.count == y.count && x.allSatisfy { entry in y.contains { equal($0.key, entry.key) && equal($0.value, entry.value) } }
        case let (.range(l1, u1, c1), .range(l2, u2, c2)): return l1 == l2 && u1 == u2 && c1 == c2
        case let (.enumCase(n1, a1), .enumCase(n2, a2)):
            return n1 == n2 && a1.count == a2.count && zip(a1, a2).allSatisfy { $0.label == $1.label && equal($0.value, $1.value) }
        case let (.object(x), .object(y)): return x === y
        case let (.type(x), .type(y)): return x.name == y.name
        default: return false
        }
    }

    /// The integers a range covers, as a Swift range.
    /// A range's integers. Every range value was checked when it was made
    /// (`Interpreter.makeRange`), so its end and count fit in an Int.
    package static func indices(lower: Int, upper: Int, closed: Bool) -> Range<Int> {
        let end = closed ? upper + 1 : upper
        return lower..<max(lower, end)
    }

    /// A range's integers as values, refused before allocation when they
    /// would not fit in memory (`(0..<1_000_000_000_000).map { ... }`).
    package static func elements(lower: Int, upper: Int, closed: Bool) throws -> [Value] {
        let r = indices(lower: lower, upper: upper, closed: closed)
        try MemoryBudget.check(count: r.count, of: MemoryLayout<Value>.stride,
                               for: "the \(r.count) elements of \(lower)\(closed ? "..." : "..<")\(upper)")
        return r.map { .int($0) }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
