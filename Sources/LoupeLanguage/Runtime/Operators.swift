extension Interpreter {
    /// Arithmetic and comparison with Swift's meaning, except that Int and
    /// Double mix freely (the result is a Double). Integer overflow and
    /// division by zero are errors, never crashes.
    func binaryOperation(_ op: String, _ l: Value, _ r: Value, span: SourceSpan) throws -> Value {
        switch (l, r) {
        case let (.int(a), .int(b)):
            return try intOperation(op, a, b, span: span)
        case (.int, .double), (.double, .int), (.double, .double):
            return try doubleOperation(op, l.asDouble!, r.asDouble!, span: span)
        case let (.string(a), .string(b)):
            switch op {
            case "+": return .string(a + b)
            case "<": return .bool(a < b)
            case "<=": return .bool(a <= b)
            case ">": return .bool(a > b)
            case ">=": return .bool(a >= b)
            default: break
            }
        case let (.array(a), .array(b)) where op == "+":
            return .array(a + b)
        default: break
        }
        if op == "==" { return .bool(Value.equal(l, r)) }
        if op == "!=" { return .bool(!Value.equal(l, r)) }
        let hint = (l.typeName == "String") != (r.typeName == "String") && op == "+"
            ? "; use interpolation: \"\\(value)\"" : ""
        throw LoupeError(.type, "'\(op)' cannot combine \(l.typeName) and \(r.typeName)\(hint)", at: span)
    }

    func intOperation(_ op: String, _ a: Int, _ b: Int, span: SourceSpan) throws -> Value {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            if r.overflow { throw LoupeError(.value, "integer overflow in '\(op)'; use Doubles for very large numbers", at: span) }
            return .int(r.partialValue)
        }
        switch op {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/", "%":
            if b == 0 { throw LoupeError(.value, "division by zero", at: span) }
            return try checked(op == "/" ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b))
        case "==": return .bool(a == b)
        case "!=": return .bool(a != b)
        case "<": return .bool(a < b)
        case "<=": return .bool(a <= b)
        case ">": return .bool(a > b)
        case ">=": return .bool(a >= b)
        default: throw LoupeError(.type, "'\(op)' cannot be applied to Int", at: span)
        }
    }

    func doubleOperation(_ op: String, _ a: Double, _ b: Double, span: SourceSpan) throws -> Value {
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/": return .double(a / b)
        case "%": return .double(a.truncatingRemainder(dividingBy: b))
        case "==": return .bool(a == b)
        case "!=": return .bool(a != b)
        case "<": return .bool(a < b)
        case "<=": return .bool(a <= b)
        case ">": return .bool(a > b)
        case ">=": return .bool(a >= b)
        default: throw LoupeError(.type, "'\(op)' cannot be applied to Double", at: span)
        }
    }
}

extension Value {
    package var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}

/// Reading and writing through `[...]`.
enum Subscripts {
    static func get(_ container: Value, _ index: Value, interpreter: Interpreter, span: SourceSpan) throws -> Value {
        switch (container, index) {
        case let (.array(items), .int(i)):
            guard items.indices.contains(i) else { throw outOfRange(i, items.count, span) }
            return items[i]
        case let (.array(items), .range(lo, hi, closed)):
            let r = Value.indices(lower: lo, upper: hi, closed: closed)
            guard r.lowerBound >= 0, r.upperBound <= items.count else {
                throw LoupeError(.index, "slice \(index.repr) is outside 0..<\(items.count)", at: span)
            }
            return .array(Array(items[r]))
        case let (.range(lo, hi, closed), .int(i)):
            let r = Value.indices(lower: lo, upper: hi, closed: closed)
            guard i >= 0, i < r.count else { throw outOfRange(i, r.count, span) }
            return .int(lo + i)
        case let (.string(s), .int(i)):
            let chars = Array(s)
            guard chars.indices.contains(i) else { throw outOfRange(i, chars.count, span) }
            return .string(String(chars[i]))
        case let (.dictionary(entries), key):
            return entries.first(where: { Value.equal($0.key, key) })?.value ?? .null
        case let (.object(o), _):
            if let f = interpreter.registry.types[o.typeName]?.methods["subscript"] {
                let ctx = try f.bind([(nil, nil, index, span)], receiver: container, interpreter: interpreter, span: span)
                return try interpreter.invoke(f, ctx, span: span)
            }
        default: break
        }
        throw LoupeError(.type, "\(article(container.typeName).capitalized) \(container.typeName) cannot be indexed by \(article(index.typeName)) \(index.typeName)", at: span)
    }

    static func set(_ container: Value, _ index: Value, _ value: Value, span: SourceSpan) throws -> Value {
        switch (container, index) {
        case (.array(var items), .int(let i)):
            guard items.indices.contains(i) else { throw outOfRange(i, items.count, span) }
            items[i] = value
            return .array(items)
        case (.dictionary(var entries), let key):
            if let i = entries.firstIndex(where: { Value.equal($0.key, key) }) {
                if case .null = value { entries.remove(at: i) } else { entries[i].value = value }
            } else if !isNone(value) {
                entries.append((key, value))
            }
            return .dictionary(entries)
        default:
            throw LoupeError(.type, "cannot assign through a subscript of a \(container.typeName)", at: span)
        }
    }

    static func isNone(_ v: Value) -> Bool { if case .null = v { return true }; return false }

    static func outOfRange(_ i: Int, _ count: Int, _ span: SourceSpan) -> LoupeError {
        LoupeError(.index, count == 0 ? "index \(i) is out of range: the collection is empty"
                   : "index \(i) is out of range 0..<\(count)", at: span)
    }
}
