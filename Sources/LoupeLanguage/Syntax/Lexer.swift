/// Turns a cell's source into tokens. Unterminated strings, comments and
/// brackets are reported as needing more input, so `is_complete` can tell
/// "keep typing" from "this is wrong".
public struct Lexer {
    let source: SourceText
    var pos = 0
    /// Offset added to every span: interpolated code is lexed on its own but
    /// reports positions in the enclosing cell.
    let base: Int

    public init(_ source: SourceText, base: Int = 0) {
        self.source = source
        self.base = base
    }

    var scalars: [Unicode.Scalar] { source.scalars }

    /// How many strings deep inside interpolations the lexer is.
    var stringNesting = 0

    func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        pos + ahead < scalars.count ? scalars[pos + ahead] : nil
    }

    func span(_ start: Int) -> SourceSpan { SourceSpan(base + start, base + pos) }

    public mutating func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        var newline = false
        var depth: [(Unicode.Scalar, Int)] = []
        while true {
            newline = skipTrivia() || newline
            if let at = commentStart {
                throw LoupeError(.syntax, "'/*' comment is never closed", at: SourceSpan(base + at, base + at + 2),
                                 needsMoreInput: true)
            }
            let start = pos
            guard let c = peek() else {
                if let (open, at) = depth.last {
                    throw LoupeError(.syntax, "'\(open)' is never closed", at: SourceSpan(base + at, base + at + 1),
                                     needsMoreInput: true)
                }
                tokens.append(Token(kind: .end, span: span(start), newlineBefore: true))
                return tokens
            }
            let kind: TokenKind
            if c.properties.isAlphabetic || c == "_" || c == "$" {
                kind = identifierOrKeyword()
            } else if c.properties.numericType != nil, ("0"..."9").contains(c) {
                kind = try number()
            } else if c == "\"" {
                kind = .string(try string())
            } else {
                kind = try symbol()
                if case .symbol(let s) = kind {
                    switch s {
                    case "(", "[", "{": depth.append((c, start))
                    case ")", "]", "}":
                        let expected: Unicode.Scalar = s == ")" ? "(" : s == "]" ? "[" : "{"
                        guard let (open, _) = depth.last, open == expected else {
                            throw LoupeError(.syntax, "unexpected '\(s)'", at: span(start))
                        }
                        depth.removeLast()
                    default: break
                    }
                }
            }
            tokens.append(Token(kind: kind, span: span(start), newlineBefore: newline))
            newline = false
        }
    }

    /// Skips spaces and comments; returns true if a newline was crossed.
    mutating func skipTrivia() -> Bool {
        var sawNewline = false
        while let c = peek() {
            if c == "\n" { sawNewline = true; pos += 1 }
            else if c == " " || c == "\t" || c == "\r" { pos += 1 }
            else if c == "/" && peek(1) == "/" {
                while let d = peek(), d != "\n" { pos += 1 }
            } else if c == "/" && peek(1) == "*" {
                let start = pos
                pos += 2
                var nesting = 1
                while nesting > 0 {
                    guard let d = peek() else {
                        // Reported by the caller's end-of-input check below.
                        pos = scalars.count
                        commentStart = start
                        return sawNewline
                    }
                    if d == "*" && peek(1) == "/" { nesting -= 1; pos += 2 }
                    else if d == "/" && peek(1) == "*" { nesting += 1; pos += 2 }
                    else { if d == "\n" { sawNewline = true }; pos += 1 }
                }
            } else { break }
        }
        return sawNewline
    }

    var commentStart: Int? = nil

    mutating func identifierOrKeyword() -> TokenKind {
        let start = pos
        while let c = peek(), c.properties.isAlphabetic || c == "_" || c == "$" || ("0"..."9").contains(c) { pos += 1 }
        let word = source.slice(SourceSpan(start, pos))
        return keywords.contains(word) ? .keyword(word) : .identifier(word)
    }

    mutating func number() throws -> TokenKind {
        let start = pos
        var isDouble = false
        func digits() { while let c = peek(), ("0"..."9").contains(c) || c == "_" { pos += 1 } }
        digits()
        // A '.' followed by a digit is a fraction; '..<' and '...' are ranges.
        if peek() == ".", let d = peek(1), ("0"..."9").contains(d) {
            isDouble = true
            pos += 1
            digits()
        }
        if let e = peek(), e == "e" || e == "E" {
            let save = pos
            pos += 1
            if let s = peek(), s == "+" || s == "-" { pos += 1 }
            if let d = peek(), ("0"..."9").contains(d) { isDouble = true; digits() } else { pos = save }
        }
        let text = source.slice(SourceSpan(start, pos)).replacingOccurrences("_", "")
        if !isDouble, let i = Int(text) { return .int(i) }
        guard let d = Double(text) else { throw LoupeError(.syntax, "malformed number '\(text)'", at: span(start)) }
        return .double(d)
    }

    mutating func string() throws -> [StringPiece] {
        let start = pos
        pos += 1
        var pieces: [StringPiece] = []
        var text = String.UnicodeScalarView()
        func unterminated() -> LoupeError {
            LoupeError(.syntax, "unterminated string literal", at: SourceSpan(base + start, base + start + 1), needsMoreInput: true)
        }
        while true {
            guard let c = peek() else { throw unterminated() }
            if c == "\n" {
                throw LoupeError(.syntax, "unterminated string literal; strings end on the line they start",
                                 at: SourceSpan(base + start, base + start + 1))
            }
            pos += 1
            if c == "\"" { break }
            if c != "\\" { text.append(c); continue }
            guard let e = peek() else { throw unterminated() }
            pos += 1
            switch e {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "0": text.append("\0")
            case "\\": text.append("\\")
            case "\"": text.append("\"")
            case "'": text.append("'")
            case "(":
                if !text.isEmpty { pieces.append(.text(String(text))); text = String.UnicodeScalarView() }
                let codeStart = pos
                try skipInterpolation(stringStart: start)
                pieces.append(.code(source.slice(SourceSpan(codeStart, pos - 1)), offset: base + codeStart))
            default:
                throw LoupeError(.syntax, "unknown escape '\\\(e)' in string", at: SourceSpan(base + pos - 2, base + pos))
            }
        }
        if !text.isEmpty || pieces.isEmpty { pieces.append(.text(String(text))) }
        return pieces
    }

    /// Moves past the code of `\( ... )`, honouring nested parentheses and strings.
    mutating func skipInterpolation(stringStart: Int) throws {
        // Strings inside interpolations recurse; a limit keeps hostile input
        // from exhausting the stack.
        stringNesting += 1
        defer { stringNesting -= 1 }
        guard stringNesting <= Parser.maxDepth / 10 else {
            throw LoupeError(.syntax, "strings are nested inside interpolations more than \(Parser.maxDepth / 10) deep",
                             at: SourceSpan(base + stringStart, base + stringStart + 1))
        }
        var depth = 1
        while depth > 0 {
            guard let c = peek() else {
                throw LoupeError(.syntax, "unterminated string interpolation", at: SourceSpan(base + stringStart, base + stringStart + 1),
                                 needsMoreInput: true)
            }
            if c == "\"" { _ = try string(); continue }
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            pos += 1
        }
    }

    static let symbols: [String] = [
        "..<", "...", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "->",
        "+", "-", "*", "/", "%", "<", ">", "=", "!", ".", ",", ":", ";", "(", ")", "[", "]", "{", "}", "?",
    ]

    mutating func symbol() throws -> TokenKind {
        for s in Lexer.symbols {
            let parts = Array(s.unicodeScalars)
            if pos + parts.count <= scalars.count, Array(scalars[pos..<pos + parts.count]) == parts {
                pos += parts.count
                return .symbol(s)
            }
        }
        let c = scalars[pos]
        let hint = c == "'" ? "; strings use double quotes" : ""
        throw LoupeError(.syntax, "unexpected character '\(c)'\(hint)", at: SourceSpan(base + pos, base + pos + 1))
    }
}

extension String {
    package func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
