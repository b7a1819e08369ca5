/// A recursive-descent parser for the command language. Precedence follows
/// Swift: `||` < `&&` < comparison < range < additive < multiplicative < prefix < postfix.
public struct Parser {
    var tokens: [Token]
    var index = 0
    let source: SourceText
    /// A bound on the depth of the tree being built: each open bracket,
    /// block, prefix operator, operator in a chain and postfix step adds one.
    /// Evaluating and freeing a tree recurse as deep as it is, so the parser
    /// refuses one deeper than `maxDepth` rather than let it overflow the stack.
    var depth = 0
    public static let maxDepth = 1000

    public init(_ source: SourceText) throws {
        var lexer = Lexer(source)
        self.tokens = try lexer.tokenize()
        self.source = source
    }

    init(tokens: [Token], source: SourceText) {
        self.tokens = tokens
        self.source = source
    }

    /// Parses a whole cell.
    public static func parse(_ text: String) throws -> [Stmt] {
        var parser = try Parser(SourceText(text))
        return try parser.program()
    }

    // MARK: token helpers

    var current: Token { tokens[index] }
    var previous: Token { tokens[max(0, index - 1)] }

    func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }
    func isKeyword(_ k: String) -> Bool { current.kind == .keyword(k) }

    mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func error(_ message: String, at token: Token? = nil) -> LoupeError {
        let t = token ?? current
        let atEnd = t.kind == .end
        return LoupeError(.syntax, atEnd ? "\(message), but the cell ended" : message,
                          at: atEnd ? SourceSpan(max(0, t.span.start - 1), t.span.start) : t.span,
                          needsMoreInput: atEnd)
    }

    /// Enters one more level; `leave(n)` when the level's tree is built.
    mutating func enter() throws {
        depth += 1
        guard depth <= Parser.maxDepth else {
            throw LoupeError(.syntax, "the code nests more than \(Parser.maxDepth) levels deep (brackets, blocks, or a chain of "
                             + "operators or calls); split it into several statements", at: current.span)
        }
    }

    mutating func leave(_ levels: Int = 1) { depth -= levels }

    mutating func expectSymbol(_ s: String, _ what: String? = nil) throws -> Token {
        guard isSymbol(s) else { throw error("expected '\(s)'\(what.map { " " + $0 } ?? "")\(found)") }
        return advance()
    }

    var found: String {
        switch current.kind {
        case .end: return ""
        case .identifier(let n): return ", found '\(n)'"
        case .keyword(let k): return ", found '\(k)'"
        case .symbol(let s): return ", found '\(s)'"
        default: return ", found '\(source.slice(current.span))'"
        }
    }

    mutating func identifier(_ what: String) throws -> (String, SourceSpan) {
        guard case .identifier(let name) = current.kind else {
            if case .keyword(let k) = current.kind {
                throw error("expected \(what), but '\(k)' is a keyword")
            }
            throw error("expected \(what)\(found)")
        }
        return (name, advance().span)
    }

    // MARK: statements

    public mutating func program() throws -> [Stmt] {
        var statements: [Stmt] = []
        while current.kind != .end {
            if isSymbol(";") { _ = advance(); continue }
            statements.append(try statement())
            try endOfStatement()
        }
        return statements
    }

    mutating func endOfStatement() throws {
        if current.kind == .end || isSymbol(";") || isSymbol("}") || current.newlineBefore { return }
        throw error("consecutive statements on a line must be separated by ';'")
    }

    mutating func block() throws -> [Stmt] {
        try enter()
        defer { leave() }
        _ = try expectSymbol("{")
        var statements: [Stmt] = []
        while !isSymbol("}") {
            if current.kind == .end { throw error("expected '}'") }
            if isSymbol(";") { _ = advance(); continue }
            statements.append(try statement())
            try endOfStatement()
        }
        _ = advance()
        return statements
    }

    mutating func statement() throws -> Stmt {
        let start = current.span
        switch current.kind {
        case .keyword("let"), .keyword("var"):
            let mutable = advance().kind == .keyword("var")
            let (name, _) = try identifier("a name after '\(mutable ? "var" : "let")'")
            _ = try expectSymbol("=", "after the name")
            let value = try expression()
            return .binding(mutable: mutable, name: name, value, start.to(value.span))
        case .keyword("for"):
            _ = advance()
            let (name, _) = try identifier("a loop variable after 'for'")
            guard isKeyword("in") else { throw error("expected 'in' after the loop variable\(found)") }
            _ = advance()
            let sequence = try expression(allowTrailingClosure: false)
            let body = try block()
            return .forIn(name: name, sequence: sequence, body: body, start.to(previous.span))
        case .keyword("while"):
            _ = advance()
            let condition = try expression(allowTrailingClosure: false)
            let body = try block()
            return .whileLoop(condition: condition, body: body, start.to(previous.span))
        case .keyword("if"):
            return try ifStatement()
        case .keyword("break"), .keyword("continue"):
            let t = advance()
            if case .keyword(let k) = t.kind { return .jump(k, t.span) }
            fatalError("unreachable")
        default:
            let target = try expression()
            for op in ["=", "+=", "-=", "*=", "/="] where isSymbol(op) {
                _ = advance()
                let value = try expression()
                guard Parser.isAssignable(target) else {
                    throw LoupeError(.syntax, "cannot assign to this expression; assign to a variable, element or member",
                                     at: target.span)
                }
                return .assign(target: target, op: op, value, target.span.to(value.span))
            }
            return .expression(target)
        }
    }

    static func isAssignable(_ e: Expr) -> Bool {
        switch e {
        case .name, .member, .subscripted: return true
        default: return false
        }
    }

    mutating func ifStatement() throws -> Stmt {
        let start = advance().span
        let condition = try expression(allowTrailingClosure: false)
        let then = try block()
        var otherwise: [Stmt]? = nil
        if isKeyword("else") {
            _ = advance()
            otherwise = isKeyword("if") ? [try ifStatement()] : try block()
        }
        return .ifElse(condition: condition, then: then, otherwise: otherwise, start.to(previous.span))
    }

    // MARK: expressions

    public mutating func expression(allowTrailingClosure: Bool = true) throws -> Expr {
        try enter()
        defer { leave() }
        return try binary(level: 0, trailing: allowTrailingClosure)
    }

    static let levels: [[String]] = [
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">="], ["..<", "..."], ["+", "-"], ["*", "/", "%"],
    ]

    mutating func binary(level: Int, trailing: Bool) throws -> Expr {
        if level == Parser.levels.count { return try prefix(trailing: trailing) }
        var left = try binary(level: level + 1, trailing: trailing)
        var chain = 0
        defer { leave(chain) }
        while case .symbol(let op) = current.kind, Parser.levels[level].contains(op) {
            try enter()
            chain += 1
            _ = advance()
            let right = try binary(level: level + 1, trailing: trailing)
            let span = left.span.to(right.span)
            if op == "..<" || op == "..." {
                left = .range(left, right, closed: op == "...", span)
                if case .symbol(let next) = current.kind, next == "..<" || next == "..." {
                    throw error("ranges cannot be chained")
                }
            } else {
                left = .binary(op, left, right, span)
            }
        }
        return left
    }

    mutating func prefix(trailing: Bool) throws -> Expr {
        if case .symbol(let op) = current.kind, op == "-" || op == "!" {
            try enter()
            defer { leave() }
            let start = advance().span
            let operand = try prefix(trailing: trailing)
            if op == "-", case .literal(.int(let i), _) = operand { return .literal(.int(-i), start.to(operand.span)) }
            if op == "-", case .literal(.double(let d), _) = operand { return .literal(.double(-d), start.to(operand.span)) }
            return .unary(op, operand, start.to(operand.span))
        }
        return try postfix(trailing: trailing)
    }

    mutating func postfix(trailing: Bool) throws -> Expr {
        var e = try primary()
        var steps = 0
        defer { leave(steps) }
        while true {
            if isSymbol(".") || isSymbol("(") || isSymbol("[") || isSymbol("{") { try enter(); steps += 1 }
            if isSymbol(".") {
                _ = advance()
                let (name, span) = try memberName()
                e = .member(e, name, e.span.to(span))
            } else if isSymbol("("), !current.newlineBefore {
                _ = advance()
                var args = try arguments(closing: ")")
                if trailing, isSymbol("{"), !current.newlineBefore {
                    let closure = try closureLiteral()
                    args.append(Argument(label: nil, labelSpan: nil, value: closure))
                }
                e = .call(e, args, e.span.to(previous.span))
            } else if isSymbol("["), !current.newlineBefore {
                _ = advance()
                let args = try arguments(closing: "]")
                if args.isEmpty { throw error("a subscript needs an index", at: previous) }
                e = .subscripted(e, args, e.span.to(previous.span))
            } else if trailing, isSymbol("{"), !current.newlineBefore, Parser.canTakeTrailingClosure(e) {
                let closure = try closureLiteral()
                e = .call(e, [Argument(label: nil, labelSpan: nil, value: closure)], e.span.to(closure.span))
            } else {
                return e
            }
        }
    }

    /// Only names and members can take a bare trailing closure (`xs.map { ... }`);
    /// this keeps `if x { }` style mistakes from parsing as calls.
    static func canTakeTrailingClosure(_ e: Expr) -> Bool {
        switch e {
        case .member, .name: return true
        default: return false
        }
    }

    mutating func memberName() throws -> (String, SourceSpan) {
        switch current.kind {
        case .identifier(let n): return (n, advance().span)
        case .keyword(let k): return (k, advance().span)
        case .int(let i): return (String(i), advance().span)
        default: throw error("expected a member name after '.'\(found)")
        }
    }

    mutating func arguments(closing: String) throws -> [Argument] {
        var args: [Argument] = []
        while !isSymbol(closing) {
            var label: String? = nil
            var labelSpan: SourceSpan? = nil
            if index + 1 < tokens.count, tokens[index + 1].kind == .symbol(":") {
                switch current.kind {
                case .identifier(let n), .keyword(let n):
                    label = n
                    labelSpan = SourceSpan(current.span.start, tokens[index + 1].span.end)
                    _ = advance(); _ = advance()
                default: break
                }
            }
            let value = try expression()
            args.append(Argument(label: label, labelSpan: labelSpan, value: value))
            if isSymbol(",") { _ = advance(); continue }
            if !isSymbol(closing) { throw error("expected ',' or '\(closing)' in the argument list\(found)") }
        }
        _ = advance()
        return args
    }

    mutating func primary() throws -> Expr {
        let t = current
        switch t.kind {
        case .int(let i): _ = advance(); return .literal(.int(i), t.span)
        case .double(let d): _ = advance(); return .literal(.double(d), t.span)
        case .keyword("true"): _ = advance(); return .literal(.bool(true), t.span)
        case .keyword("false"): _ = advance(); return .literal(.bool(false), t.span)
        case .keyword("nil"): _ = advance(); return .literal(.null, t.span)
        case .string(let pieces):
            _ = advance()
            return try stringLiteral(pieces, t.span)
        case .identifier(let name):
            _ = advance()
            return .name(name, t.span)
        case .symbol("."):
            _ = advance()
            let (name, span) = try memberName()
            return .implicitMember(name, t.span.to(span))
        case .symbol("("):
            _ = advance()
            let inner = try expression()
            _ = try expectSymbol(")", "to close '('")
            return inner
        case .symbol("["):
            return try collectionLiteral()
        case .symbol("{"):
            return try closureLiteral()
        case .keyword(let k):
            throw error("'\(k)' cannot start an expression")
        case .end:
            throw error("expected an expression")
        default:
            throw error("expected an expression\(found)")
        }
    }

    mutating func stringLiteral(_ pieces: [StringPiece], _ span: SourceSpan) throws -> Expr {
        if pieces.count == 1, case .text(let s) = pieces[0] { return .literal(.string(s), span) }
        var parts: [InterpolationPart] = []
        for piece in pieces {
            switch piece {
            case .text(let s): parts.append(.text(s))
            case .code(let code, let offset):
                try enter()
                defer { leave() }
                var lexer = Lexer(SourceText(code), base: offset)
                var tokens = try lexer.tokenize()
                // Spans from the sub-lexer already point into the cell.
                if tokens.count == 1 { throw LoupeError(.syntax, "empty interpolation '\\()'", at: span) }
                tokens[tokens.count - 1].span = SourceSpan(offset + code.unicodeScalars.count, offset + code.unicodeScalars.count)
                var sub = Parser(tokens: tokens, source: source)
                sub.depth = depth
                let e = try sub.expression()
                guard sub.current.kind == .end else { throw sub.error("unexpected text in interpolation") }
                parts.append(.expr(e))
            }
        }
        return .interpolation(parts, span)
    }

    mutating func collectionLiteral() throws -> Expr {
        let start = advance().span
        if isSymbol(":") {
            _ = advance()
            let end = try expectSymbol("]", "to close the empty dictionary '[:]'")
            return .dictionary([], start.to(end.span))
        }
        var elements: [Expr] = []
        var pairs: [(Expr, Expr)] = []
        var isDictionary: Bool? = nil
        while !isSymbol("]") {
            let first = try expression()
            if isSymbol(":") {
                if isDictionary == false { throw error("mixing array elements and dictionary entries") }
                isDictionary = true
                _ = advance()
                pairs.append((first, try expression()))
            } else {
                if isDictionary == true { throw error("expected ':' in a dictionary entry\(found)") }
                isDictionary = false
                elements.append(first)
            }
            if isSymbol(",") { _ = advance(); continue }
            if !isSymbol("]") { throw error("expected ',' or ']'\(found)") }
        }
        let end = advance().span
        return isDictionary == true ? .dictionary(pairs, start.to(end)) : .array(elements, start.to(end))
    }

    mutating func closureLiteral() throws -> Expr {
        let start = try expectSymbol("{").span
        var params: [String] = []
        // `{ a, b in ... }` or `{ (a, b) in ... }`: look ahead for 'in'.
        var look = index
        var names: [String] = []
        let parenthesised = tokens[look].kind == .symbol("(")
        if parenthesised { look += 1 }
        while case .identifier(let n) = tokens[look].kind {
            names.append(n)
            look += 1
            if tokens[look].kind == .symbol(",") { look += 1 } else { break }
        }
        if parenthesised, tokens[look].kind == .symbol(")") { look += 1 }
        if !names.isEmpty, tokens[look].kind == .keyword("in") {
            params = names
            index = look + 1
        }
        var body: [Stmt] = []
        while !isSymbol("}") {
            if current.kind == .end { throw error("expected '}' to close the closure") }
            if isSymbol(";") { _ = advance(); continue }
            body.append(try statement())
            try endOfStatement()
        }
        let end = advance().span
        return .closure(params, body, start.to(end))
    }
}
