/// What a builtin sees when it runs: the receiver, its bound arguments with
/// their source spans (so a type error points at the argument at fault), and
/// the interpreter for output, interrupts and calling closures.
public struct CallContext {
    public let interpreter: Interpreter
    public let receiver: Value
    public let function: BuiltinFunction
    public let span: SourceSpan
    var values: [String: Value]
    var spans: [String: SourceSpan]
    /// Arguments gathered by a variadic parameter.
    public var variadic: [Value]

    /// The argument bound to the parameter with this label (or name, for unlabeled ones).
    public func value(_ key: String) -> Value { values[key] ?? .null }

    public func has(_ key: String) -> Bool {
        if let v = values[key], case .null = v { return false }
        return values[key] != nil
    }

    package func spanOf(_ key: String) -> SourceSpan { spans[key] ?? span }

    func describe(_ key: String) -> String {
        if let p = function.parameters.first(where: { ($0.label ?? $0.name) == key }), p.label != nil { return "'\(key):'" }
        return "the argument of \(function.name)(...)"
    }

    /// A type error that names the argument, what it needs and what it got.
    public func typeError(_ key: String, expected: String, got: Value) -> LoupeError {
        LoupeError(.type, "\(describe(key)) expects \(expected), got \(got.typeName)", at: spanOf(key))
    }

    public func valueError(_ key: String, _ message: String) -> LoupeError {
        LoupeError(.value, message, at: spanOf(key))
    }

    public func int(_ key: String) throws -> Int {
        switch value(key) {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: return Int(d)
        case let v: throw typeError(key, expected: "an Int", got: v)
        }
    }

    public func double(_ key: String) throws -> Double {
        switch value(key) {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case let v: throw typeError(key, expected: "a number", got: v)
        }
    }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let b) = value(key) else { throw typeError(key, expected: "a Bool", got: value(key)) }
        return b
    }

    public func string(_ key: String) throws -> String {
        guard case .string(let s) = value(key) else { throw typeError(key, expected: "a String", got: value(key)) }
        return s
    }

    public func strings(_ key: String) throws -> [String] {
        guard case .array(let items) = value(key) else { throw typeError(key, expected: "[String]", got: value(key)) }
        return try items.map {
            guard case .string(let s) = $0 else { throw typeError(key, expected: "[String]", got: $0) }
            return s
        }
    }

    public func object<T: HostObject>(_ key: String, as type: T.Type, named: String) throws -> T {
        guard case .object(let o) = value(key), let t = o as? T else { throw typeError(key, expected: named, got: value(key)) }
        return t
    }

    /// An enum-case argument, checked against its parameter's choices.
    public func option(_ key: String) throws -> (name: String, arguments: [(label: String?, value: Value)]) {
        let choices = function.parameters.first { ($0.label ?? $0.name) == key }?.choices.map(\.name) ?? []
        return try option(key, choices: choices)
    }

    /// An enum-case argument, checked against the allowed choices.
    public func option(_ key: String, choices: [String]) throws -> (name: String, arguments: [(label: String?, value: Value)]) {
        guard case .enumCase(let name, let args) = value(key) else {
            throw typeError(key, expected: "one of " + choices.map { "." + $0 }.joined(separator: ", "), got: value(key))
        }
        guard choices.contains(name) else {
            let hint = nearestName(to: name, in: choices).map { " (did you mean '.\($0)'?)" } ?? ""
            throw LoupeError(.value, "'.\(name)' is not a choice for \(describe(key))\(hint); choices are "
                             + choices.map { "." + $0 }.joined(separator: ", "), at: spanOf(key))
        }
        return (name, args)
    }

    /// Calls a closure argument with the given values.
    public func call(_ key: String, _ arguments: [Value]) throws -> Value {
        guard case .function(let f) = value(key) else { throw typeError(key, expected: "a closure", got: value(key)) }
        return try f.invoke(interpreter, arguments, spanOf(key))
    }

    /// Throws if the person asked to stop; long builtins call this between steps.
    public func checkInterrupt() throws { try interpreter.interrupt.check() }

    /// Whether the person asked to stop the running command.
    public var interrupted: Bool { interpreter.interrupt.isRequested }
}

extension BuiltinFunction {
    /// Binds call-site arguments to parameters. Labeled arguments match by
    /// label in any order; unlabeled ones fill unlabeled parameters in order,
    /// a variadic one takes the rest, and a trailing closure fills a closure
    /// parameter (skipping unlabeled ones with defaults that take no closure). Mistakes name the label and suggest the nearest one.
    func bind(_ args: [(label: String?, labelSpan: SourceSpan?, value: Value, span: SourceSpan)],
              receiver: Value, interpreter: Interpreter, span: SourceSpan) throws -> CallContext {
        var values: [String: Value] = [:]
        var spans: [String: SourceSpan] = [:]
        var variadic: [Value] = []
        let labels = parameters.compactMap(\.label)
        var unlabeled = parameters.filter { $0.label == nil }[...]
        for arg in args {
            if let label = arg.label {
                guard parameters.contains(where: { $0.label == label }) else {
                    let hint = suggestion(for: label, in: labels) { "'\($0):'" }
                    let known = labels.isEmpty ? "; \(selector) takes no labeled arguments"
                        : hint.isEmpty ? "; labels are " + labels.map { "'\($0):'" }.joined(separator: ", ") : ""
                    throw LoupeError(.argument, "unknown label '\(label):' in \(selector)\(hint)\(known)", at: arg.labelSpan ?? arg.span)
                }
                guard values[label] == nil else {
                    throw LoupeError(.argument, "'\(label):' is given twice", at: arg.labelSpan ?? arg.span)
                }
                values[label] = arg.value
                spans[label] = arg.span
                continue
            }
            // A closure skips unlabeled parameters that have defaults and take
            // no closure, as `clip.with(neurons: 4, ablate: [1]) { ... }` needs.
            if case .function = arg.value, let p = unlabeled.first, !p.isClosure, !p.variadic, p.defaultValue != nil,
               let c = unlabeled.firstIndex(where: \.isClosure) {
                values[unlabeled[c].name] = arg.value
                spans[unlabeled[c].name] = arg.span
                unlabeled = unlabeled[(c + 1)...]
                continue
            }
            if let p = unlabeled.first {
                if p.variadic { variadic.append(arg.value); spans[p.name] = spans[p.name] ?? arg.span; continue }
                unlabeled = unlabeled.dropFirst()
                values[p.name] = arg.value
                spans[p.name] = arg.span
                continue
            }
            if case .function = arg.value, let p = parameters.first(where: { $0.isClosure && values[$0.label ?? $0.name] == nil }) {
                values[p.label ?? p.name] = arg.value
                spans[p.label ?? p.name] = arg.span
                continue
            }
            let expected = labels.isEmpty ? "" : "; did you forget a label? \(selector) takes " + labels.map { "'\($0):'" }.joined(separator: ", ")
            throw LoupeError(.argument, "extra argument in \(selector)\(expected)", at: arg.span)
        }
        for p in parameters where !p.variadic {
            let key = p.label ?? p.name
            if values[key] != nil { continue }
            if let d = p.defaultValue { values[key] = d; continue }
            let what = p.label.map { "'\($0):'" } ?? "the \(p.name) argument"
            throw LoupeError(.argument, "missing \(what) (\(p.type)) in \(selector)", at: span)
        }
        return CallContext(interpreter: interpreter, receiver: receiver, function: self, span: span,
                           values: values, spans: spans, variadic: variadic)
    }
}
