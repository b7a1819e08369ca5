import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// Inputs that once killed or hung the process, and their neighbours: each
/// now ends in one error that names the limit, and the session lives on.
@Suite struct HostileInputTests {
    func expectRefused(_ code: String, _ kind: LoupeError.Kind, mentioning words: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let s = Session()
        _ = s.run("let kept = 41")
        let error = failure(s, code)
        #expect(error?.kind == kind, sourceLocation: sourceLocation)
        #expect(error?.message.contains(words) == true, "\(error?.message ?? "no error")", sourceLocation: sourceLocation)
        #expect(result(s, "kept + 1") == "42", sourceLocation: sourceLocation)
    }

    @Test func deepNestingIsASyntaxErrorNotAStackOverflow() {
        expectRefused(String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000), .syntax, mentioning: "1000 levels")
        expectRefused(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000), .syntax, mentioning: "1000 levels")
        expectRefused(String(repeating: "if true {", count: 3000) + String(repeating: "}", count: 3000), .syntax, mentioning: "1000 levels")
        expectRefused(String(repeating: "-", count: 50000) + "1", .syntax, mentioning: "1000 levels")
        expectRefused("print" + String(repeating: "()", count: 50000), .syntax, mentioning: "1000 levels")
        expectRefused("\"" + String(repeating: "\\(\"", count: 2000) + String(repeating: ")\"", count: 2000), .syntax,
                      mentioning: "interpolations")
    }

    @Test func longOperatorChainsAreRefusedBeforeTheyAreEvaluated() {
        expectRefused(Array(repeating: "1", count: 50000).joined(separator: " + "), .syntax, mentioning: "1000 levels")
        // A long but reasonable chain still runs.
        let s = Session()
        #expect(result(s, Array(repeating: "1", count: 500).joined(separator: " + ")) == "500")
    }

    @Test func endlessRecursionIsAnError() {
        expectRefused("let f = { (x) in f(x) }\nf(1)", .value, mentioning: "3000 levels")
    }

    @Test func rangesAtTheLimitsOfIntAreCheckedAndCountedInConstantTime() {
        expectRefused("(0...9223372036854775807).count", .value, mentioning: "Int.max")
        expectRefused("(-9223372036854775807..<9223372036854775807).count", .value, mentioning: "more elements than an Int")
        let s = Session()
        // Counting, bounds, membership and sums come from the bounds alone.
        #expect(result(s, "(0..<9223372036854775807).count") == "9223372036854775807")
        #expect(result(s, "(5...9223372036854775806).last") == "9223372036854775806")
        #expect(result(s, "(0..<9223372036854775807).contains(9223372036854775806)") == "true")
        #expect(result(s, "(1...100).sum()") == "5050")
        #expect(failure(s, "(0..<9223372036854775807).sum()")?.message.contains("overflow") == true)
    }

    @Test func allocationsSizedByTheUserAreCheckedAgainstMemory() {
        expectRefused("(0..<9000000000000).map { $0 }", .value, mentioning: "of memory")
        expectRefused("(0..<9000000000000).sample(3)", .value, mentioning: "of memory")
    }

    @Test func overflowingArithmeticIsAnError() {
        expectRefused("9223372036854775807 + 1", .value, mentioning: "overflow")
        expectRefused("-9223372036854775807 - 2", .value, mentioning: "overflow")
        expectRefused("[1, 2][9223372036854775807]", .index, mentioning: "out of range")
    }
}
