extension Interpreter {
    /// Documentation for the name under (or just before) the cursor: a
    /// builtin's signature and doc, or a variable's type and value.
    public func inspect(_ code: String, cursor: Int) -> DisplayBundle? {
        let scalars = Array(code.unicodeScalars)
        var end = max(0, min(cursor, scalars.count))
        while end < scalars.count, isIdentifierScalar(scalars[end]) { end += 1 }
        // On an option's case (`tokens: .spatial`), document that case.
        var start = min(end, max(0, min(cursor, scalars.count)))
        while start > 0, isIdentifierScalar(scalars[start - 1]) { start -= 1 }
        if start > 0, scalars[start - 1] == ".", let option = optionArgument(scalars, dot: start - 1) {
            let name = String(String.UnicodeScalarView(scalars[start..<end]))
            let cases = option.parameter.choices
            if let choice = cases.first(where: { $0.name == name }) {
                return DisplayBundle(text: "\(option.label): .\(choice.example ?? choice.name)\n\n\(choice.doc)\n\n"
                                     + "Choices: " + cases.map { "." + $0.name }.joined(separator: ", "))
            }
        }
        // On an opening parenthesis, inspect the callee before it.
        if end > 0, scalars[end - 1] == "(" { end -= 1 }
        let name = chain(before: end, in: scalars)
        guard !name.isEmpty else { return nil }
        if let f = callee(name) { return DisplayBundle(text: Help.describe(f)) }
        if let value = resolveQuietly(name) {
            if case .function(let c) = value, let b = c.builtin { return DisplayBundle(text: Help.describe(b)) }
            if case .type(let t) = value { return DisplayBundle(text: Help.describe(t)) }
            return DisplayBundle(text: "\(name): \(value.typeName)\n\n\(value.repr)")
        }
        var parts = name.split(separator: ".").map(String.init)
        if let member = parts.popLast(), let receiver = resolveQuietly(parts.joined(separator: ".")),
           let p = registry.types[receiver.memberTypeName]?.properties[member] {
            return DisplayBundle(text: "\(name): \(p.type)\n\n\(p.doc)")
        }
        return nil
    }
}

/// Whether a cell is ready to run, for `is_complete_request`.
public enum Completeness: Equatable, Sendable {
    case complete
    case incomplete(indent: String)
    case invalid
}

extension Interpreter {
    public static func completeness(of code: String) -> Completeness {
        if code.allSatisfy(\.isWhitespace) { return .complete }
        do {
            _ = try Parser.parse(code)
            return .complete
        } catch let e as LoupeError where e.needsMoreInput {
            // Indent by the number of open braces and brackets.
            var depth = 0
            for c in code { if "{[(".contains(c) { depth += 1 } else if "}])".contains(c) { depth -= 1 } }
            return .incomplete(indent: String(repeating: " ", count: 4 * max(0, depth)))
        } catch {
            return .invalid
        }
    }
}
