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
        if let inString = stringValueCompletion(scalars, cursor: cursor) { return inString }
        var start = cursor
        while start > 0, isIdentifierScalar(scalars[start - 1]) { start -= 1 }
        let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
        var candidates: [String]
        if start > 0, scalars[start - 1] == ".", let choices = optionArgument(scalars, dot: start - 1)?.parameter.choices,
           !choices.isEmpty {
            // `tokens: .sp`: the option's cases, written with their dot.
            let typed = "." + prefix
            let matches = choices.map { "." + ($0.example ?? $0.name) }.filter { $0.hasPrefix(typed) }
            return Completion(matches: matches, start: start - 1, end: cursor)
        } else if start > 0, scalars[start - 1] == "." {
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
    /// the callee takes (for some, those its receiver has), as `label:`.
    func labelCandidates(_ scalars: [Unicode.Scalar], before start: Int) -> [String] {
        var i = start - 1
        while i >= 0, isBlank(scalars[i]) { i -= 1 }
        guard i >= 0, scalars[i] == "(" || scalars[i] == ",", let call = enclosingCall(scalars, before: start) else { return [] }
        if let labels = call.function.completionLabels?(call.receiver ?? .void) { return labels.map { "\($0):" } }
        return call.function.parameters.compactMap { $0.label.map { "\($0):" } }
    }

    func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" }

    /// The builtin whose argument list holds `position`, with its receiver:
    /// found at the innermost unclosed `(` before it, without running anything.
    func enclosingCall(_ scalars: [Unicode.Scalar], before position: Int) -> (function: BuiltinFunction, receiver: Value?)? {
        var depth = 0
        var j = position - 1
        while j >= 0 {
            let c = scalars[j]
            if c == ")" || c == "]" || c == "}" { depth += 1 }
            if c == "[" || c == "{" { if depth == 0 { return nil }; depth -= 1 }
            if c == "(" { if depth == 0 { break }; depth -= 1 }
            j -= 1
        }
        guard j > 0 else { return nil }
        let name = chain(before: j, in: scalars)
        guard let f = callee(name) else { return nil }
        var parts = name.split(separator: ".").map(String.init)
        parts.removeLast()
        return (f, parts.isEmpty ? nil : resolveQuietly(parts.joined(separator: ".")))
    }

    /// The argument whose value starts at `start` (a `.` or a `"`): the call,
    /// and the parameter its label names (`tokens:` in `f(x, tokens: .`).
    func labeledArgument(_ scalars: [Unicode.Scalar], valueStart start: Int)
        -> (function: BuiltinFunction, receiver: Value?, label: String, parameter: Parameter)? {
        var i = start - 1
        while i >= 0, isBlank(scalars[i]) { i -= 1 }
        guard i >= 0, scalars[i] == ":" else { return nil }
        var labelStart = i
        while labelStart > 0, isIdentifierScalar(scalars[labelStart - 1]) { labelStart -= 1 }
        let label = String(String.UnicodeScalarView(scalars[labelStart..<i]))
        guard !label.isEmpty, let call = enclosingCall(scalars, before: labelStart),
              let parameter = call.function.parameters.first(where: { $0.label == label }) else { return nil }
        return (call.function, call.receiver, label, parameter)
    }

    /// `tokens: .` — the option argument whose leading dot is at `dot`.
    func optionArgument(_ scalars: [Unicode.Scalar], dot: Int) -> (label: String, parameter: Parameter)? {
        labeledArgument(scalars, valueStart: dot).map { ($0.label, $0.parameter) }
    }

    /// Inside an unclosed string that is a labelled argument
    /// (`filter(background: "s`): the values that label takes there.
    func stringValueCompletion(_ scalars: [Unicode.Scalar], cursor: Int) -> Completion? {
        // The quote that opens the string the cursor is in, on this line.
        var quote: Int?
        var i = 0
        while i < cursor {
            let c = scalars[i]
            if c == "\n" { quote = nil } else if c == "\\", quote != nil { i += 1 } else if c == "\"" { quote = quote == nil ? i : nil }
            i += 1
        }
        guard let open = quote, let argument = labeledArgument(scalars, valueStart: open),
              let values = argument.function.completionValues?(argument.receiver ?? .void, argument.label) else { return nil }
        let typed = String(String.UnicodeScalarView(scalars[(open + 1)..<cursor])).lowercased()
        let matches = Set(values.filter { $0.lowercased().hasPrefix(typed) }).sorted()
        return Completion(matches: matches, start: open + 1, end: cursor)
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
