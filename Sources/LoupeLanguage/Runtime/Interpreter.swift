/// A variable: its value and whether `var` declared it.
struct Binding {
    var value: Value
    var mutable: Bool
}

enum Flow { case normal, breakLoop, continueLoop }

/// The tree-walking evaluator and the session state it keeps between cells.
public final class Interpreter {
    public let registry: Registry
    public var output: OutputSink
    /// This session's stop request.
    public let interrupt = InterruptToken()
    /// Top-level variables; they persist across cells.
    var globals: [String: Binding] = [:]
    /// Block and closure scopes, innermost last.
    var scopes: [[String: Binding]] = []
    /// Pager payloads (`help`) produced by the current cell.
    public var pages: [DisplayBundle] = []
    /// What the host gives the session's builtins (the widgets' host), found by type.
    private let services: [ObjectIdentifier: AnyObject]
    /// The cell being run, for error messages.
    public private(set) var source = SourceText("")
    /// How deep evaluation is nested now, and the most it may be.
    var evaluationDepth = 0
    static let maxEvaluationDepth = 3000
    /// The span of the cell's last expression, whose value is the cell's result.
    package private(set) var lastExpressionSpan: SourceSpan?

    /// `services`: objects the builtins reach by their type (`service(_:)`), at most one of each.
    public init(registry: Registry, output: OutputSink = DiscardingSink(), services: [AnyObject] = []) {
        self.registry = registry
        self.output = output
        self.services = Dictionary(services.map { (ObjectIdentifier(type(of: $0)), $0) }) { first, _ in first }
    }

    /// The service of type `T` the session was made with, if any.
    public func service<T: AnyObject>(_ type: T.Type) -> T? { services[ObjectIdentifier(type)] as? T }

    /// Names of the session's variables, for completion.
    public var variableNames: [String] { Array(globals.keys) }

    public func variable(_ name: String) -> Value? { globals[name]?.value }

    /// Runs a cell and returns the value of its last expression (`.void` when
    /// it ends with a statement).
    public func run(_ code: String) throws -> Value {
        source = SourceText(code)
        pages = []
        scopes = []
        var parser = try Parser(source)
        let program = try parser.program()
        var last: Value = .void
        lastExpressionSpan = nil
        if case .expression(let e)? = program.last { lastExpressionSpan = e.span }
        for (i, stmt) in program.enumerated() {
            try interrupt.check()
            if i == program.count - 1, case .expression(let e) = stmt {
                last = try evaluate(e)
            } else {
                if try execute(stmt) != .normal {
                    throw LoupeError(.syntax, "'break' and 'continue' belong inside a loop", at: stmt.span)
                }
            }
        }
        return last
    }

    // MARK: statements

    func execute(_ stmt: Stmt) throws -> Flow {
        switch stmt {
        case .binding(let mutable, let name, let expr, let span):
            let value: Value
            do { value = try evaluate(expr) } catch let partial as PartialResult where partial.span == expr.span {
                _ = try execute(.binding(mutable: mutable, name: name, .literal(partial.value, expr.span), span))
                throw partial.bound(to: name)
            }
            if value.isVoid { throw LoupeError(.type, "'\(name)' would hold nothing: the expression returns no value", at: expr.span) }
            if scopes.isEmpty {
                // A notebook re-runs cells, so top-level names may be declared again.
                globals[name] = Binding(value: value, mutable: mutable)
            } else {
                if scopes[scopes.count - 1][name] != nil {
                    throw LoupeError(.name, "'\(name)' is already declared in this block", at: span)
                }
                scopes[scopes.count - 1][name] = Binding(value: value, mutable: mutable)
            }
        case .assign(let target, let op, let expr, _):
            var value: Value
            do { value = try evaluate(expr) } catch let partial as PartialResult where partial.span == expr.span && op == "=" {
                try assign(partial.value, to: target)
                throw partial.bound(to: source.slice(target.span))
            }
            if op != "=" {
                let current = try evaluate(target)
                value = try binaryOperation(String(op.dropLast()), current, value, span: target.span.to(expr.span))
            }
            try assign(value, to: target)
        case .expression(let e):
            let v = try evaluate(e)
            _ = v
        case .forIn(let name, let sequenceExpr, let body, _):
            let value = try evaluate(sequenceExpr)
            // Ranges are walked lazily: `0..<1_000_000_000` must not become an array.
            if case .range(let lo, let hi, let closed) = value {
                for i in Value.indices(lower: lo, upper: hi, closed: closed) {
                    try interrupt.check()
                    let flow = try inScope([name: Binding(value: .int(i), mutable: false)]) { try executeBlock(body) }
                    if flow == .breakLoop { break }
                }
                return .normal
            }
            let sequence = try iterate(value, span: sequenceExpr.span)
            for element in sequence {
                try interrupt.check()
                let flow = try inScope([name: Binding(value: element, mutable: false)]) { try executeBlock(body) }
                if flow == .breakLoop { break }
            }
        case .whileLoop(let condition, let body, _):
            while try truth(condition) {
                try interrupt.check()
                let flow = try inScope([:]) { try executeBlock(body) }
                if flow == .breakLoop { break }
            }
        case .ifElse(let condition, let then, let otherwise, _):
            if try truth(condition) {
                return try inScope([:]) { try executeBlock(then) }
            } else if let otherwise {
                return try inScope([:]) { try executeBlock(otherwise) }
            }
        case .jump(let kind, _):
            return kind == "break" ? .breakLoop : .continueLoop
        }
        return .normal
    }

    func executeBlock(_ body: [Stmt]) throws -> Flow {
        for stmt in body {
            let flow = try execute(stmt)
            if flow != .normal { return flow }
        }
        return .normal
    }

    func inScope<T>(_ bindings: [String: Binding], _ body: () throws -> T) rethrows -> T {
        scopes.append(bindings)
        defer { scopes.removeLast() }
        return try body()
    }

    func truth(_ e: Expr) throws -> Bool {
        guard case .bool(let b) = try evaluate(e) else {
            throw LoupeError(.type, "a condition must be a Bool, got \(try evaluate(e).typeName)", at: e.span)
        }
        return b
    }

    func iterate(_ value: Value, span: SourceSpan) throws -> [Value] {
        switch value {
        case .array(let items): return items
        case .range(let lo, let hi, let closed): return try Value.elements(lower: lo, upper: hi, closed: closed)
        case .dictionary(let entries): return entries.map { .array([$0.key, $0.value]) }
        case .string(let s): return s.map { .string(String($0)) }
        case .object(let o):
            if let seq = o as? SequenceObject { return try seq.elements() }
            fallthrough
        default:
            throw LoupeError(.type, "cannot loop over \(article(value.typeName)) \(value.typeName); loop over an array, a range or a dataset", at: span)
        }
    }

    // MARK: variables

    func lookup(_ name: String) -> Binding? {
        for scope in scopes.reversed() { if let b = scope[name] { return b } }
        return globals[name]
    }

    func setVariable(_ name: String, _ value: Value, span: SourceSpan) throws {
        for i in scopes.indices.reversed() where scopes[i][name] != nil {
            guard scopes[i][name]!.mutable else { throw immutable(name, span) }
            scopes[i][name]!.value = value
            return
        }
        guard let b = globals[name] else {
            throw LoupeError(.name, "unknown name '\(name)'; declare it first with 'var \(name) = ...'", at: span)
        }
        guard b.mutable else { throw immutable(name, span) }
        globals[name]!.value = value
    }

    func immutable(_ name: String, _ span: SourceSpan) -> LoupeError {
        LoupeError(.name, "cannot assign to '\(name)': it is a 'let' constant; declare it with 'var' to change it", at: span)
    }

    func assign(_ value: Value, to target: Expr) throws {
        switch target {
        case .name(let name, let span):
            try setVariable(name, value, span: span)
        case .subscripted(let base, let args, let span):
            guard args.count == 1, args[0].label == nil else {
                throw LoupeError(.syntax, "assignment takes a single index", at: span)
            }
            let container = try evaluate(base)
            let index = try evaluate(args[0].value)
            let updated = try Subscripts.set(container, index, value, span: args[0].value.span)
            try assign(updated, to: base)
        default:
            throw LoupeError(.syntax, "cannot assign to this expression", at: target.span)
        }
    }

    // MARK: expressions

    public func evaluate(_ expr: Expr) throws -> Value {
        // Recursion in the language (a closure that calls itself) must end
        // in an error, never in a stack overflow that kills the session.
        evaluationDepth += 1
        defer { evaluationDepth -= 1 }
        guard evaluationDepth <= Interpreter.maxEvaluationDepth else {
            throw LoupeError(.value, "evaluation nested more than \(Interpreter.maxEvaluationDepth) levels deep "
                             + "(a closure calling itself without end?)", at: expr.span)
        }
        switch expr {
        case .literal(let v, _): return v
        case .interpolation(let parts, _):
            var s = ""
            for part in parts {
                switch part {
                case .text(let t): s += t
                case .expr(let e): s += try evaluate(e).printed
                }
            }
            return .string(s)
        case .name(let name, let span):
            return try resolve(name, span: span)
        case .array(let items, _):
            return .array(try items.map { try evaluate($0) })
        case .dictionary(let pairs, _):
            var entries: [(key: Value, value: Value)] = []
            for (k, v) in pairs {
                let key = try evaluate(k), value = try evaluate(v)
                if let i = entries.firstIndex(where: { Value.equal($0.key, key) }) { entries[i].value = value }
                else { entries.append((key, value)) }
            }
            return .dictionary(entries)
        case .unary(let op, let operand, let span):
            let v = try evaluate(operand)
            switch (op, v) {
            case ("-", .int(let i)): return .int(-i)
            case ("-", .double(let d)): return .double(-d)
            case ("!", .bool(let b)): return .bool(!b)
            default: throw LoupeError(.type, "'\(op)' cannot be applied to a \(v.typeName)", at: span)
            }
        case .binary(let op, let l, let r, let span):
            if op == "&&" || op == "||" {
                let left = try truth(l)
                if op == "&&" && !left { return .bool(false) }
                if op == "||" && left { return .bool(true) }
                return .bool(try truth(r))
            }
            return try binaryOperation(op, try evaluate(l), try evaluate(r), span: span)
        case .range(let l, let r, let closed, let span):
            let lo = try evaluate(l), hi = try evaluate(r)
            guard case .int(let a) = lo, case .int(let b) = hi else {
                throw LoupeError(.type, "range bounds must be Int, got \(lo.typeName) and \(hi.typeName)", at: span)
            }
            // Every range's end and count fit in an Int, so nothing that
            // walks or counts one can overflow.
            let (end, past) = closed ? b.addingReportingOverflow(1) : (b, false)
            guard !past else {
                throw LoupeError(.value, "a closed range cannot end at Int.max (\(b)); use ..< instead", at: span)
            }
            guard a <= end else {
                throw LoupeError(.value, "range lower bound \(a) is above its upper bound \(b)", at: span)
            }
            guard !end.subtractingReportingOverflow(a).overflow else {
                throw LoupeError(.value, "the range \(a)\(closed ? "..." : "..<")\(b) has more elements than an Int can count",
                                 at: span)
            }
            return .range(lower: a, upper: b, closed: closed)
        case .member(let base, let name, let span):
            return try member(of: try evaluate(base), name, span: span, baseSpan: base.span)
        case .implicitMember(let name, _):
            return .enumCase(name, [])
        case .call(let callee, let args, let span):
            return try call(callee, args, span: span)
        case .subscripted(let base, let args, let span):
            let container = try evaluate(base)
            let indices = try args.map { try evaluate($0.value) }
            guard indices.count == 1, args[0].label == nil else {
                throw LoupeError(.syntax, "a subscript takes a single index", at: span)
            }
            return try Subscripts.get(container, indices[0], interpreter: self, span: args[0].value.span)
        case .closure(let params, let body, let span):
            return .function(makeClosure(params, body, span: span))
        }
    }

    func resolve(_ name: String, span: SourceSpan) throws -> Value {
        if let b = lookup(name) { return b.value }
        if let f = registry.functions[name] { return .function(bound(f, receiver: .void)) }
        if let t = registry.types[name], t.isGlobal || !t.staticMembers.isEmpty { return .type(t) }
        let candidates = Array(globals.keys) + scopes.flatMap(\.keys) + registry.globalNames
        throw LoupeError(.name, "unknown name '\(abbreviated(name))'\(suggestion(for: name, in: candidates))", at: span)
    }

    func member(of value: Value, _ name: String, span: SourceSpan, baseSpan: SourceSpan) throws -> Value {
        if case .type(let t) = value {
            if let f = t.staticMembers[name] { return .function(bound(f, receiver: value)) }
            let names = Array(t.staticMembers.keys)
            throw LoupeError(.name, "'\(t.name)' has no member '\(name)'\(suggestion(for: name, in: names))"
                             + (names.isEmpty ? "" : "; members are " + names.sorted().joined(separator: ", ")), at: span)
        }
        let type = registry.types[value.memberTypeName]
        if let p = type?.properties[name] { return try p.get(value) }
        if let f = type?.methods[name] { return .function(bound(f, receiver: value)) }
        throw LoupeError(.name, "\(article(value.typeName)) \(value.typeName) has no member '\(name)'\(suggestion(for: name, in: type?.memberNames ?? []))",
                         at: span)
    }

    func call(_ callee: Expr, _ args: [Argument], span: SourceSpan) throws -> Value {
        if case .implicitMember(let name, _) = callee {
            return .enumCase(name, try args.map { ($0.label, try evaluate($0.value)) })
        }
        let evaluated = try args.map { arg in
            (label: arg.label, labelSpan: arg.labelSpan, value: try evaluate(arg.value), span: arg.value.span)
        }
        // Methods are resolved here rather than through `member` so that a
        // mutating method (`xs.append(4)`) can write its result back.
        if case .member(let baseExpr, let name, let memberSpan) = callee {
            let base = try evaluate(baseExpr)
            if case .type = base {} else if let f = registry.types[base.memberTypeName]?.methods[name] {
                let ctx = try f.bind(evaluated, receiver: base, interpreter: self, span: span)
                let result = try invoke(f, ctx, span: span)
                if f.isMutating {
                    try assign(result, to: baseExpr)
                    return .void
                }
                return result
            }
            let value = try member(of: base, name, span: memberSpan, baseSpan: baseExpr.span)
            return try apply(value, evaluated, span: span)
        }
        return try apply(try evaluate(callee), evaluated, span: span)
    }

    func apply(_ value: Value, _ args: [(label: String?, labelSpan: SourceSpan?, value: Value, span: SourceSpan)],
               span: SourceSpan) throws -> Value {
        switch value {
        case .function(let f):
            if let builtin = f.builtin {
                let ctx = try builtin.bind(args, receiver: f.receiver, interpreter: self, span: span)
                return try invoke(builtin, ctx, span: span)
            }
            if let labeled = args.first(where: { $0.label != nil }) {
                throw LoupeError(.argument, "closures take unlabeled arguments; remove '\(labeled.label!):'", at: labeled.labelSpan ?? span)
            }
            return try f.invoke(self, args.map(\.value), span)
        case .type(let t):
            if let initializer = t.staticMembers["init"] {
                let ctx = try initializer.bind(args, receiver: value, interpreter: self, span: span)
                return try invoke(initializer, ctx, span: span)
            }
            let names = t.staticMembers.keys.sorted().map { "\(t.name).\($0)(...)" }
            throw LoupeError(.type, "'\(t.name)' is a type and cannot be called" + (names.isEmpty ? "" : "; use " + names.joined(separator: " or ")), at: span)
        default:
            throw LoupeError(.type, "\(article(value.typeName).capitalized) \(value.typeName) cannot be called", at: span)
        }
    }

    func invoke(_ f: BuiltinFunction, _ ctx: CallContext, span: SourceSpan) throws -> Value {
        var ctx = ctx
        do {
            return try f.body(&ctx)
        } catch var partial as PartialResult {
            if partial.span == nil { partial.span = span }
            throw partial
        } catch {
            throw LoupeError(error, at: span)
        }
    }

    func bound(_ f: BuiltinFunction, receiver: Value) -> Callable {
        let c = Callable(name: f.name, describe: f.signature) { interp, args, span in
            let ctx = try f.bind(args.map { (nil, nil, $0, span) }, receiver: receiver, interpreter: interp, span: span)
            return try interp.invoke(f, ctx, span: span)
        }
        c.builtin = f
        c.receiver = receiver
        return c
    }

    func makeClosure(_ params: [String], _ body: [Stmt], span: SourceSpan) -> Callable {
        let captured = scopes
        let label = params.isEmpty ? "{ ... }" : "{ \(params.joined(separator: ", ")) in ... }"
        return Callable(name: "closure", describe: label) { interp, args, callSpan in
            var frame: [String: Binding] = [:]
            if params.isEmpty {
                for (i, a) in args.enumerated() { frame["$\(i)"] = Binding(value: a, mutable: false) }
            } else {
                guard args.count == params.count else {
                    throw LoupeError(.argument, "this closure takes \(params.count) argument\(params.count == 1 ? "" : "s"), but was given \(args.count)", at: span)
                }
                for (p, a) in zip(params, args) { frame[p] = Binding(value: a, mutable: false) }
            }
            let saved = interp.scopes
            interp.scopes = captured + [frame]
            defer { interp.scopes = saved }
            // A closure's value is its last expression, as in a cell.
            var result: Value = .void
            for (i, stmt) in body.enumerated() {
                if i == body.count - 1, case .expression(let e) = stmt { result = try interp.evaluate(e) }
                else if try interp.execute(stmt) != .normal {
                    throw LoupeError(.syntax, "'break' and 'continue' belong inside a loop", at: stmt.span)
                }
            }
            _ = callSpan
            return result
        }
    }
}

/// A host object that can be looped over (`for scene in scenes`).
public protocol SequenceObject: HostObject {
    func elements() throws -> [Value]
}
