import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

@Suite struct InterpreterTests {
    @Test func evaluatesArithmeticWithSwiftsMeaning() {
        let s = Session()
        #expect(result(s, "6 * 7") == "42")
        #expect(result(s, "7 / 2") == "3")
        #expect(result(s, "7 / 2.0") == "3.5")
        #expect(result(s, "-3 % 2") == "-1")
        #expect(result(s, "1 + 2 * 3 - 4") == "3")
        #expect(result(s, "(1 + 2) * 3 == 9 && !false") == "true")
        #expect(result(s, "\"a\" + \"b\"") == "\"ab\"")
    }

    @Test func bindingsPersistAcrossCellsAndLetIsConstant() {
        let s = Session()
        _ = s.run("let x = 2\nvar y = 3")
        #expect(result(s, "x * y") == "6")
        _ = s.run("y += 4")
        #expect(result(s, "y") == "7")
        #expect(failure(s, "x = 5")?.message == "cannot assign to 'x': it is a 'let' constant; declare it with 'var' to change it")
        #expect(result(s, "let x = 10\nx") == "10")
    }

    @Test func collectionsRangesClosuresAndInterpolation() {
        let s = Session()
        #expect(result(s, "var xs = [3, 1, 2]\nxs.append(5)\nxs") == "[3, 1, 2, 5]")
        #expect(result(s, "xs.sorted()") == "[1, 2, 3, 5]")
        #expect(result(s, "xs.map { $0 * 2 }.filter { x in x > 4 }") == "[6, 10]")
        #expect(result(s, "xs.reduce(0) { $0 + $1 }") == "11")
        #expect(result(s, "(0..<4).map { $0 * $0 }") == "[0, 1, 4, 9]")
        #expect(result(s, "xs[1...2]") == "[1, 2]")
        #expect(result(s, "let d = [17: 150, 3: 0]\nd[17]") == "150")
        #expect(result(s, "\"n = \\(xs.count), first \\(xs[0])\"") == "\"n = 4, first 3\"")
        #expect(result(s, "var t = 0\nfor i in 1...4 { if i == 3 { continue }; t += i }\nt") == "7")
        #expect(result(s, ".topK(k: 32)") == ".topK(k: 32)")
    }

    @Test func printWarnShowAndClearReachTheSink() {
        let sink = RecordingSink()
        let s = Session(output: sink)
        _ = s.run("print(\"a\", 1, separator: \"-\")\nwarn(\"w\")\nshow(logo(size: 16))\nclearOutput()")
        #expect(sink.streams.map(\.text) == ["a-1\n", "w\n"])
        #expect(sink.streams.map(\.error) == [false, true])
        #expect(sink.displays.first?.bundle.data["image/png"] != nil)
        #expect(sink.displays.first?.bundle.metadata["image/png"]?["width"] == 16)
        #expect(sink.clears == 1)
    }

    @Test func helpProducesAPage() {
        let s = Session()
        guard case .success(_, let pages) = s.run("help(print)") else { Issue.record("help failed"); return }
        #expect(pages.count == 1)
        #expect(pages[0].plainText.hasPrefix("print(_ items: Any..., separator: String = \" \", terminator: String = \"\\n\")"))
    }

    @Test func errorMessagesNameTheFaultAndSuggest() {
        let s = Session()
        #expect(failure(s, "prnt(1)")?.message == "unknown name 'prnt'; did you mean 'print'?")
        #expect(failure(s, "logo(widht: 3)")?.message == "unknown label 'widht:' in logo(size:); labels are 'size:'")
        #expect(failure(s, "logo(siz: 3)")?.message == "unknown label 'siz:' in logo(size:); did you mean 'size:'?")
        #expect(failure(s, "logo(size: \"big\")")?.message == "'size:' expects an Int, got String")
        #expect(failure(s, "[1, 2][5]")?.message == "index 5 is out of range 0..<2")
        #expect(failure(s, "1 / 0")?.message == "division by zero")
        #expect(failure(s, "1 + \"a\"")?.message == "'+' cannot combine Int and String; use interpolation: \"\\(value)\"")
        #expect(failure(s, "Dataset.scenes(count: 8).filter(background: \"sea\")")?.message
                == "'sea' is not a background (did you mean 'sky'?); backgrounds are water, sky, night, snow, grass, sand, brick, wood")
        #expect(failure(s, "[1].lenght")?.message == "an Array has no member 'lenght'")
    }

    @Test func tracebackHasTheLineAndACaret() {
        let s = Session()
        guard case .failure(_, let traceback, _) = s.run("let a = 1\nprnt(a)", color: false) else { Issue.record("no error"); return }
        #expect(traceback == ["NameError: unknown name 'prnt'; did you mean 'print'?", "  |", "2 | prnt(a)", "  | ^^^^"])
    }

    @Test func anErrorLeavesEarlierBindingsIntact() {
        let s = Session()
        _ = s.run("let kept = 1")
        _ = s.run("let lost = 2\nundefined")
        #expect(result(s, "kept") == "1")
        #expect(result(s, "lost") == "2")
    }

    @Test func interruptStopsLoops() {
        let s = Session()
        s.interpreter.interrupt.request()
        // Session.run clears a stale request before it starts...
        #expect(result(s, "1") == "1")
        // ...and a request during the run stops it at the next check.
        _ = s.run("var n = 0")
        requestStop(of: s, after: 0.2)
        #expect(failure(s, "while true { n += 1 }")?.kind == .interrupted)
        #expect(result(s, "n > 0") == "true")
    }

    @Test func aStopReachesOnlyItsOwnSession() {
        let stopped = Session(), other = Session()
        _ = stopped.run("var n = 0")
        _ = other.run("var m = 0")
        requestStop(of: stopped, after: 0.2)
        #expect(failure(stopped, "while true { n += 1 }")?.kind == .interrupted)
        #expect(result(other, "for i in 0..<20000 { m += 1 }\nm") == "20000")
    }

    @Test func aStoppedLongCommandBindsItsPartialResult() {
        // A builtin that is "stopped" half-way: what it did is bound and the
        // cell ends with an error that says so.
        let registry = Registry.standard.copy()
        registry.add(BuiltinFunction("work", returns: "Int", doc: "test") { ctx in
            ctx.interpreter.interrupt.request()
            return try ctx.finished(.int(7), progress: "stopped at step 7 of 10", kept: "the steps done")
        })
        let s = Session(registry: registry)
        guard case .failure(let error, _, _) = s.run("let w = work()\nprint(\"never\")") else { Issue.record("no error"); return }
        #expect(error.kind == .interrupted)
        #expect(error.message == "stopped at step 7 of 10; `w` holds the steps done")
        #expect(result(s, "w") == "7")
        // Inside a larger expression nothing can hold it, and the error says so.
        guard case .failure(let inner, _, _) = s.run("let v = work() + 1") else { Issue.record("no error"); return }
        #expect(inner.message.contains("was not kept"))
        #expect(failure(s, "v")?.kind == .name)
    }
}
