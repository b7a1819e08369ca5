import LoupeLanguage
import Testing

/// Every error reaches the user by one route, `LoupeError(error, at:)`,
/// which keeps the kind an error knows it has.
@Suite struct ErrorRouteTests {
    struct Unreadable: LanguageErrorConvertible {
        var languageKind: LoupeError.Kind { .io }
        var languageMessage: String { "cannot read /nope.png" }
    }
    struct Plain: Error, CustomStringConvertible { var description: String { "something broke" } }

    let span = SourceSpan(3, 7)

    @Test func anErrorThatKnowsItsKindKeepsIt() {
        let e = LoupeError(Unreadable(), at: span)
        #expect(e.kind == .io && e.message == "cannot read /nope.png" && e.span == span)
    }

    @Test func aLanguageErrorKeepsItsKindAndItsOwnPlace() {
        let located = LoupeError(LoupeError(.index, "out of range", at: SourceSpan(0, 1)), at: span)
        #expect(located.kind == .index && located.span == SourceSpan(0, 1))
        #expect(LoupeError(LoupeError(.index, "out of range"), at: span).span == span)
    }

    @Test func anyOtherErrorIsAValueErrorWithItsDescription() {
        let e = LoupeError(Plain(), at: nil)
        #expect(e.kind == .value && e.message == "something broke" && e.span == nil)
    }
}
