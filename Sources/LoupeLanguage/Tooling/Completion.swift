/// Completions for the text before a cursor: members after `.`, argument
/// labels inside a call, and otherwise variables, builtins and keywords.
public struct Completion: Sendable {
    public var matches: [String]
    public var start: Int
    public var end: Int
}

extension Interpreter {
    public func complete(_ code: String, cursor: Int) -> Completion {
        let scalars = Array(code.unicodeScalars)
        let cursor = max(0, min(cursor, scalars.count))
        var start = cursor
        while start > 0, isIdentifierScalar(scalars[start - 1]) { start -= 1 }
        let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
        var candidates: [String]
        if start > 0, scalars[start - 1] == "." {
            candidates = memberCandidates(receiver: chain(before: start - 1, in: scalars))
        } else {
            candidates = labelCandidates(scalars, before: start) + variableNames + registry.globalNames + Array(keywords)
        }
        let matches = Set(candidates.filter { $0.hasPrefix(prefix) && $0 != prefix || ($0.hasSuffix(":") && $0.hasPrefix(prefix)) })
        return Completion(matches: matches.sorted { a, b in
            // Labels first, then alphabetical.
            (a.hasSuffix(":") ? 0 : 1, a) < (b.hasSuffix(":") ? 0 : 1, b)
        }, start: start, end: cursor)
    }

    func isIdentifierScalar(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || c == "_" || c == "$" || ("0"..."9").contains(c)
    }

    /// The dotted name ending just before `end`: `clip` in `clip.cl`.
    func chain(before end: Int, in scalars: [Unicode.Scalar]) -> String {
        var i = end
        while i > 0, isIdentifierScalar(scalars[i - 1]) || scalars[i - 1] == "." { i -= 1 }
        return String(String.UnicodeScalarView(scalars[i..<end]))
    }

    /// Resolves a dotted name without running anything: variables, types and
    /// properties only, never calls.
    func resolveQuietly(_ chain: String) -> Value? {
        let parts = chain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        var value: Value
        if let v = variable(first) { value = v }
        else if let t = registry.types[first] { value = .type(t) }
        else if let f = registry.functions[first] { value = .function(bound(f, receiver: .void)) }
        else { return nil }
        for part in parts.dropFirst() {
            guard let p = registry.types[value.memberTypeName]?.properties[part], let next = try? p.get(value) else { return nil }
            value = next
        }
        return value
    }

    func memberCandidates(receiver: String) -> [String] {
        guard let value = resolveQuietly(receiver) else { return [] }
        if case .type(let t) = value { return t.staticMembers.keys.filter { $0 != "init" } }
        return (registry.types[value.memberTypeName]?.memberNames ?? []).filter { $0 != "subscript" }
    }

    /// Inside `f(...` or `x.m(...`, at the start of an argument: the labels
    /// the callee takes, as `label:`.
    func labelCandidates(_ scalars: [Unicode.Scalar], before start: Int) -> [String] {
        var i = start - 1
        while i >= 0, scalars[i] == " " || scalars[i] == "\t" || scalars[i] == "\n" { i -= 1 }
        guard i >= 0, scalars[i] == "(" || scalars[i] == "," else { return [] }
        // Find the innermost unclosed '('.
        var depth = 0
        var j = start - 1
        while j >= 0 {
            let c = scalars[j]
            if c == ")" || c == "]" || c == "}" { depth += 1 }
            if c == "[" || c == "{" { if depth == 0 { return [] }; depth -= 1 }
            if c == "(" { if depth == 0 { break }; depth -= 1 }
            j -= 1
        }
        guard j > 0 else { return [] }
        guard let f = callee(chain(before: j, in: scalars)) else { return [] }
        return f.parameters.compactMap { $0.label.map { "\($0):" } }
    }

    func callee(_ chain: String) -> BuiltinFunction? {
        if let f = registry.functions[chain] { return f }
        var parts = chain.split(separator: ".").map(String.init)
        guard let name = parts.popLast(), !parts.isEmpty,
              let receiver = resolveQuietly(parts.joined(separator: ".")) else {
            if let t = registry.types[chain] { return t.staticMembers["init"] }
            return nil
        }
        if case .type(let t) = receiver { return t.staticMembers[name] }
        return registry.types[receiver.memberTypeName]?.methods[name]
    }
}
