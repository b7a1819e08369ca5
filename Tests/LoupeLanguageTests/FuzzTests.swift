import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeTestSupport
import Testing

/// A seeded mutation fuzzer over the lexer, parser and evaluator, with every
/// builtin that touches no disk: no input may crash or hang the session.
/// `make test` gives it 25 s, LOUPE_FUZZ_SECONDS longer; `make fuzz` runs the
/// coverage-guided libFuzzer targets in Fuzz/ over the same corpus.
/// A crash fails the whole test run and leaves the input that caused it in
/// `lastInput`; the crashers found so far are the regression tests in
/// `HostileInputTests`.
@Suite(.serialized) struct FuzzTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fuzz/corpus/language").standardizedFileURL

    static let fragments = [
        "(", ")", "[", "]", "{", "}", "\"", "\\(", "..<", "...", "+", "*", "-", "/", "%", "==", "&&", ".", ",", ":", ";",
        "\n", "let x = ", "var y = ", "for i in ", " in ", "while true { ", "if ", "else", "$0", "{ a, b in ", "x", "y",
        "Dataset.scenes(count: ", "histogram(", "bars(labels: ", "round(", ".map { ", ".filter { ", ".count", ".sum()",
        "[:]", "nil", "true", "\\u{0}", "é", "😀", "0x", "_", "sample(", "help(", "print(",
    ]

    /// The input being run, kept so that a crash can be reproduced.
    static let lastInput = NSTemporaryDirectory() + "loupe-fuzz-last-input.loupe"

    @Test func hostileCellsNeverCrashOrHangTheSession() throws {
        let corpus = Mutator.corpus(at: FuzzTests.corpus)
        #expect(corpus.count >= 10, "the seed corpus is missing: \(FuzzTests.corpus.path)")
        var mutator = Mutator(seed: 2026, corpus: corpus, dictionary: FuzzTests.fragments)
        let budget = Mutator.budget(standard: 25)
        let started = Date()
        var runs = 0, errors = 0
        var session = Session(registry: .sandboxed)
        while Date().timeIntervalSince(started) < budget {
            if runs % 50 == 0 { session = Session(registry: .sandboxed) }   // let values go
            let bytes = mutator.input()
            // If this input kills the process, the file holds it.
            FileManager.default.createFile(atPath: FuzzTests.lastInput, contents: Data(bytes))
            let code = String(decoding: bytes, as: UTF8.self)
            // Anything that runs long is stopped, as a person would.
            let token = session.interpreter.interrupt
            let watchdog = DispatchWorkItem { token.request() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 1, execute: watchdog)
            if case .failure = session.run(code, color: false) { errors += 1 }
            watchdog.cancel()
            runs += 1
        }
        print("fuzz language: \(runs) cells in \(Int(Date().timeIntervalSince(started))) s, \(errors) ended in an error")
        #expect(runs >= 100)
        // The session still works after all of it.
        guard case .success(let result, _) = session.run("1 + 1") else { Issue.record("the session no longer runs"); return }
        #expect(result?.plainText == "2")
    }
}
