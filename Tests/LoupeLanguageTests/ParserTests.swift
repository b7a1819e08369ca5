import LoupeLanguage
import Testing

@Suite struct ParserTests {
    @Test func parsesTheLanguagesShapes() throws {
        let code = """
        let clip = CLIP.load()  // comment
        var xs = [1, 2, 3]; xs.append(4)
        let d = [17: 150, 3: 0]
        for i in 0..<3 { print("i = \\(i * 2)") }
        if xs.count > 2 { print("big") } else if true { print(1) } else { }
        let ys = xs.map { $0 * 2 }.filter { x in x > 2 }
        clip.with(sae, clamp: [17: 150]) { clip.classify(scenes[0], labels: ["a", "b"]) }
        let k = .topK(k: 32)
        """
        let program = try Parser.parse(code)
        #expect(program.count == 9)
    }

    @Test func reportsUnclosedBracketsAsNeedingMoreInput() {
        #expect(Interpreter.completeness(of: "let x = [1, 2") == .incomplete(indent: "    "))
        #expect(Interpreter.completeness(of: "for i in 0..<3 {") == .incomplete(indent: "    "))
        #expect(Interpreter.completeness(of: "print(\"abc") == .incomplete(indent: "    "))
        #expect(Interpreter.completeness(of: "let x =") == .incomplete(indent: ""))
        #expect(Interpreter.completeness(of: "let = )") == .invalid)
        #expect(Interpreter.completeness(of: "1 +* 2") == .invalid)
        #expect(Interpreter.completeness(of: "print(1)") == .complete)
        #expect(Interpreter.completeness(of: "") == .complete)
    }

    @Test func errorsPointAtTheFault() {
        do {
            _ = try Parser.parse("let x = (1 + )")
            Issue.record("expected a syntax error")
        } catch let e as LoupeError {
            #expect(e.kind == .syntax)
            #expect(e.message == "expected an expression, found ')'")
            #expect(e.span == SourceSpan(13, 14))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func requiresSeparatorsBetweenStatementsOnALine() {
        #expect(throws: LoupeError.self) { try Parser.parse("let x = 1 let y = 2") }
    }
}
