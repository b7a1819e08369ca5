import Foundation
import LoupeLanguage

/// Output, help, interruption-aware waiting and arithmetic helpers.
func registerCore(_ r: Registry) {
    r.add(BuiltinFunction("print", [
        Parameter(nil, name: "items", type: "Any", variadic: true, doc: "values to print, shown as text"),
        Parameter("separator", type: "String", default: .string(" ")),
        Parameter("terminator", type: "String", default: .string("\n")),
    ], doc: "Writes values to standard output, separated by `separator` and followed by `terminator`.") { ctx in
        let text = ctx.variadic.map(\.printed).joined(separator: try ctx.string("separator")) + (try ctx.string("terminator"))
        ctx.interpreter.output.stream(text, toStandardError: false)
        return .void
    })
    r.add(BuiltinFunction("warn", [
        Parameter(nil, name: "items", type: "Any", variadic: true, doc: "values to write"),
    ], doc: "Writes values to standard error, which notebooks show highlighted.") { ctx in
        ctx.interpreter.output.stream(ctx.variadic.map(\.printed).joined(separator: " ") + "\n", toStandardError: true)
        return .void
    })
    r.add(BuiltinFunction("show", [
        Parameter(nil, name: "value", type: "Any", doc: "the value to display"),
    ], doc: "Displays a value now, with its richest representation (an image, a table, ...), without waiting for the end of the cell.") { ctx in
        ctx.interpreter.output.display(ctx.value("value").display(), id: nil, update: false)
        return .void
    })
    r.add(BuiltinFunction("clearOutput", [
        Parameter("wait", type: "Bool", default: .bool(false), doc: "wait for the next output before clearing, to avoid flicker"),
    ], doc: "Clears the output shown so far by this cell.") { ctx in
        ctx.interpreter.output.clearOutput(wait: try ctx.bool("wait"))
        return .void
    })
    r.add(BuiltinFunction("help", [
        Parameter(nil, name: "topic", type: "Any", default: Value.null, doc: "a builtin, a type, a value or a name as a string"),
    ], doc: "Shows documentation in the pager: signatures, labels, defaults and descriptions.") { ctx in
        let text = Help.text(for: ctx.value("topic"), registry: ctx.interpreter.registry)
        ctx.interpreter.pages.append(DisplayBundle(text: text))
        return .void
    })
    r.add(BuiltinFunction("sleep", [
        Parameter(nil, name: "seconds", type: "Double", doc: "how long to wait"),
    ], doc: "Waits for the given number of seconds; an interrupt ends the wait at once.") { ctx in
        let seconds = try ctx.double("seconds")
        guard seconds >= 0, seconds.isFinite else { throw ctx.valueError("seconds", "sleep needs a non-negative number of seconds, got \(seconds)") }
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            try ctx.checkInterrupt()
            Thread.sleep(forTimeInterval: min(0.01, max(0, end.timeIntervalSinceNow)))
        }
        return .void
    })
    r.add(BuiltinFunction("env", [
        Parameter(nil, name: "name", type: "String", doc: "the environment variable, e.g. \"LOUPE_CLIP\""),
    ], returns: "String?", doc: "The value of an environment variable of the kernel's process, or nil when it is unset or empty, "
       + "so a notebook can find local files without hard-coding paths: `let path = env(\"LOUPE_CLIP\")`, then `if path == nil { ... }`.") { ctx in
        let name = try ctx.string("name")
        guard !name.isEmpty, !name.contains("=") else { throw ctx.valueError("name", "'\(name)' is not an environment variable name") }
        // An empty value is treated as unset: `export LOUPE_CLIP=` is how people clear a variable.
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return .null }
        return .string(value)
    })

    func math(_ name: String, _ doc: String, _ f: @escaping (Double) -> Double) {
        r.add(BuiltinFunction(name, [Parameter(nil, name: "x", type: "Double")], returns: "Double", doc: doc) { ctx in
            .double(f(try ctx.double("x")))
        })
    }
    math("sqrt", "Square root.", { $0.squareRoot() })
    math("exp", "e raised to x.", { Foundation.exp($0) })
    math("log", "Natural logarithm.", { Foundation.log($0) })
    math("log10", "Base-10 logarithm.", { Foundation.log10($0) })
    math("floor", "Largest whole number not above x.", { $0.rounded(.down) })
    math("ceil", "Smallest whole number not below x.", { $0.rounded(.up) })
    r.add(BuiltinFunction("round", [
        Parameter(nil, name: "x", type: "Double"),
        Parameter("digits", type: "Int", default: .int(0), doc: "decimal places to keep, 0 to 15"),
    ], returns: "Double", doc: "Nearest whole number, halves away from zero; with `digits:` that many decimal places "
       + "(`round(0.078788, digits: 3)` is 0.079), for numbers a person reads.") { ctx in
        let x = try ctx.double("x"), digits = try ctx.int("digits")
        guard (0...15).contains(digits) else { throw ctx.valueError("digits", "digits must be between 0 and 15, got \(digits)") }
        let scale = Foundation.pow(10, Double(digits))
        return .double((x * scale).rounded() / scale)
    })

    r.add(BuiltinFunction("abs", [Parameter(nil, name: "x", type: "Double")], returns: "Double", doc: "Absolute value; Int stays Int.") { ctx in
        if case .int(let i) = ctx.value("x") {
            guard i != Int.min else { throw ctx.valueError("x", "abs of the smallest Int overflows") }
            return .int(Swift.abs(i))
        }
        return .double(Swift.abs(try ctx.double("x")))
    })
    for (name, pick) in [("min", { (a: Double, b: Double) in a <= b }), ("max", { (a: Double, b: Double) in a >= b })] {
        r.add(BuiltinFunction(name, [Parameter(nil, name: "values", type: "Double", variadic: true)], returns: "Double",
                              doc: "The \(name == "min" ? "smallest" : "largest") of its arguments.") { ctx in
            guard var best = ctx.variadic.first else { throw LoupeError(.argument, "\(name) needs at least one value", at: ctx.span) }
            for v in ctx.variadic.dropFirst() {
                guard let a = v.asDouble, let b = best.asDouble else { throw LoupeError(.type, "\(name) takes numbers, got \(v.typeName)", at: ctx.span) }
                if !pick(b, a) { best = v }
            }
            guard best.asDouble != nil else { throw LoupeError(.type, "\(name) takes numbers, got \(best.typeName)", at: ctx.span) }
            return best
        })
    }

    // Conversions: `Int("3")`, `Double(2)`, `String(4.5)`.
    let int = BuiltinType("Int", doc: "A whole number (64-bit).")
    int.addStatic(BuiltinFunction("init", [Parameter(nil, name: "value", type: "Any")], returns: "Int",
                                  doc: "Converts a number (rounding toward zero) or a string to an Int.") { ctx in
        switch ctx.value("value") {
        case .int(let i): return .int(i)
        case .double(let d):
            guard d.isFinite, Swift.abs(d) < 9.2e18 else { throw ctx.valueError("value", "\(d) does not fit in an Int") }
            return .int(Int(d))
        case .string(let s):
            guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ctx.valueError("value", "\(Value.quote(s)) is not a whole number") }
            return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case let v: throw ctx.typeError("value", expected: "a number or a String", got: v)
        }
    })
    r.add(int)
    let double = BuiltinType("Double", doc: "A 64-bit floating-point number.")
    double.addStatic(BuiltinFunction("init", [Parameter(nil, name: "value", type: "Any")], returns: "Double",
                                     doc: "Converts a number or a string to a Double.") { ctx in
        if case .string(let s) = ctx.value("value") {
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw ctx.valueError("value", "\(Value.quote(s)) is not a number") }
            return .double(d)
        }
        return .double(try ctx.double("value"))
    })
    r.add(double)
    let string = BuiltinType("String", doc: "Text. Write it in double quotes; `\\(expr)` interpolates a value.")
    string.addStatic(BuiltinFunction("init", [Parameter(nil, name: "value", type: "Any")], returns: "String",
                                     doc: "The text `print` would show for a value.") { ctx in
        .string(ctx.value("value").printed)
    })
    r.add(string)
    r.add(BuiltinType("Bool", doc: "true or false.", isGlobal: false))
}
