/// Documentation text built from the registry, for `help(...)`, inspection
/// and the generated reference page.
public enum Help {
    public static func text(for topic: Value, registry: Registry) -> String {
        switch topic {
        case .null: return overview(registry)
        case .function(let f):
            if let b = f.builtin { return describe(b) }
            return "\(f.describe)\n\nA closure written in this session."
        case .type(let t): return describe(t)
        case .string(let name): return text(named: name, registry: registry)
        default:
            if let t = registry.types[topic.memberTypeName] { return "\(topic.repr)\n\n" + describe(t) }
            return "\(topic.repr)\n\nA value of type \(topic.typeName)."
        }
    }

    /// Looks up `print`, `CLIP`, `CLIP.load` or `Array.map`.
    public static func text(named name: String, registry: Registry) -> String {
        if let f = registry.functions[name] { return describe(f) }
        if let t = registry.types[name] { return describe(t) }
        let parts = name.split(separator: ".").map(String.init)
        if parts.count == 2, let t = registry.types[parts[0]] {
            if let f = t.staticMembers[parts[1]] ?? t.methods[parts[1]] { return describe(f) }
            if let p = t.properties[parts[1]] { return "\(t.name).\(p.name): \(p.type)\n\n\(p.doc)" }
        }
        let names = registry.globalNames + registry.types.keys
        return "No help for '\(name)'\(suggestion(for: name, in: names)). Try help() for everything there is."
    }

    public static func describe(_ f: BuiltinFunction) -> String {
        var lines = [f.signature, "", f.doc]
        let documented = f.parameters.filter { !$0.doc.isEmpty }
        if !documented.isEmpty {
            lines += ["", "Parameters:"]
            lines += documented.map { "  \($0.label.map { "\($0):" } ?? $0.name)  \($0.doc)" }
        }
        return lines.joined(separator: "\n")
    }

    public static func describe(_ t: BuiltinType) -> String {
        var lines = [t.name, "", t.doc]
        let statics = t.staticMembers.values.filter { $0.name != "init" }.sorted { $0.name < $1.name }
        if let initializer = t.staticMembers["init"] {
            lines += ["", "Create: \(t.name)(" + initializer.parameters.map(\.signature).joined(separator: ", ") + ")  \(initializer.doc)"]
        }
        if !statics.isEmpty { lines += ["", "Functions:"] + statics.map { "  \($0.signature)\n      \(firstSentence($0.doc))" } }
        if !t.properties.isEmpty {
            lines += ["", "Properties:"] + t.properties.values.sorted { $0.name < $1.name }.map { "  .\($0.name): \($0.type)  \($0.doc)" }
        }
        if !t.methods.isEmpty {
            lines += ["", "Methods:"] + t.methods.values.filter { $0.name != "subscript" }.sorted { $0.name < $1.name }
                .map { "  \($0.signature)\n      \(firstSentence($0.doc))" }
        }
        return lines.joined(separator: "\n")
    }

    static func overview(_ registry: Registry) -> String {
        var lines = ["Loupe: look inside CLIP's vision transformer with sparse autoencoders.", "",
                     "Types (help(Name) for details):"]
        lines += registry.types.values.filter(\.isGlobal).sorted { $0.name < $1.name }.map { "  \($0.name)  \(firstSentence($0.doc))" }
        lines += ["", "Functions:"]
        lines += registry.functions.values.sorted { $0.name < $1.name }.map { "  \($0.signature)\n      \(firstSentence($0.doc))" }
        return lines.joined(separator: "\n")
    }

    /// Up to the first full stop that ends a sentence: one followed by a
    /// space or the end, outside brackets and code, and not an abbreviation
    /// ("et al.", "e.g.") nor inside a file name ("sae_weights.safetensors").
    static func firstSentence(_ s: String) -> String {
        let chars = Array(s)
        var depth = 0, inCode = false
        for (i, c) in chars.enumerated() {
            switch c {
            case "`": inCode.toggle()
            case "(", "[": depth += 1
            case ")", "]": depth = max(0, depth - 1)
            case "." where depth == 0 && !inCode:
                guard i + 1 == chars.count || chars[i + 1] == " " else { continue }
                let before = String(chars[max(0, i - 5)..<i]).lowercased()
                if before.hasSuffix(" al") || before.hasSuffix("e.g") || before.hasSuffix("i.e") || before.hasSuffix("etc") { continue }
                return String(chars[...i])
            default: break
            }
        }
        return s
    }
}
