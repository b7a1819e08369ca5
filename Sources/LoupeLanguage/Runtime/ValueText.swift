import LoupeJSON

extension Value {
    /// How `print` and interpolation show a value: strings bare.
    public var printed: String {
        if case .string(let s) = self { return s }
        return repr
    }

    /// How a result is shown: Swift-literal style, strings quoted.
    public var repr: String {
        switch self {
        case .void: return ""
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.format(d)
        case .string(let s): return Value.quote(s)
        case .array(let items):
            let shown = items.prefix(100).map(\.repr)
            let more = items.count > 100 ? ", … (\(items.count - 100) more)" : ""
            return "[" + shown.joined(separator: ", ") + more + "]"
        case .dictionary(let entries):
            if entries.isEmpty { return "[:]" }
            return "[" + entries.map { "\($0.key.repr): \($0.value.repr)" }.joined(separator: ", ") + "]"
        case .range(let lo, let hi, let closed): return "\(lo)\(closed ? "..." : "..<")\(hi)"
        case .enumCase(let name, let args):
            if args.isEmpty { return "." + name }
            return ".\(name)(" + args.map { ($0.label.map { "\($0): " } ?? "") + $0.value.repr }.joined(separator: ", ") + ")"
        case .function(let f): return f.describe
        case .type(let t): return t.name
        case .object(let o): return o.display().plainText
        }
    }

    /// A default value as it would be written in source.
    var sourceText: String { repr }

    static func format(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return "\(d)"
    }

    package static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// The MIME bundle of a result. Host objects give their own; plain values
    /// give text/plain.
    public func display() -> DisplayBundle {
        switch self {
        case .object(let o): return o.display()
        case .type(let t): return DisplayBundle(text: t.doc.isEmpty ? t.name : "\(t.name): \(t.doc)")
        default: return DisplayBundle(text: repr)
        }
    }

    /// A JSON rendering of plain values, nil for values JSON cannot hold.
    public var json: JSON? {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items):
            var out: [JSON] = []
            for item in items { guard let j = item.json else { return nil }; out.append(j) }
            return .array(out)
        case .dictionary(let entries):
            var out: [String: JSON] = [:]
            for e in entries { guard let j = e.value.json else { return nil }; out[e.key.printed] = j }
            return .object(out)
        case .range(let lo, let hi, let closed): return (try? Value.elements(lower: lo, upper: hi, closed: closed)).map { .array($0.compactMap(\.json)) }
        default: return nil
        }
    }
}
