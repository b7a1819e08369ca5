import LoupeNotebook
import Testing

@Suite struct NumericTextTests {
    let tolerances = Tolerances(relative: 1e-3, absolute: 1e-6, pixelLevel: 8, pixelShare: 0.001)

    func agree(_ a: String, _ b: String) -> Bool {
        var measure = DriftMeasure()
        return NumericText(a).difference(from: NumericText(b), tolerances: tolerances, measure: &measure) == nil
    }

    @Test func numbersAreReadWithTheirPrintedDecimals() {
        #expect(NumericText("accuracy 0.9271 (n = 192)").pieces == [
            .words("accuracy "), .number(0.9271, decimals: 4, text: "0.9271"), .words(" (n = "),
            .number(192, decimals: 0, text: "192"), .words(")"),
        ])
        #expect(NumericText("loss -1.5e-3").pieces == [.words("loss "), .number(-0.0015, decimals: 1, text: "-1.5e-3")])
    }

    @Test func digitsInNamesAndRangesStayWords() {
        #expect(NumericText("ViT-B-32").pieces == [.words("ViT-B-32")])
        #expect(NumericText("layer4 x2").pieces == [.words("layer4 x2")])
        #expect(NumericText("2-3").pieces == [.number(2, decimals: 0, text: "2"), .words("-3")])
        #expect(NumericText("from -0.5").pieces == [.words("from "), .number(-0.5, decimals: 1, text: "-0.5")])
    }

    @Test func numbersWithinToleranceAgreeAndWordsMustMatch() {
        #expect(agree("mean 77.6912 over 5 seeds", "mean 77.6913 over 5 seeds"))
        #expect(!agree("mean 77.69 over 5 seeds", "mean 79.12 over 5 seeds"))
        #expect(!agree("a win at n = 192", "not resolved at n = 192"))
        // Counts printed without decimals must be equal.
        #expect(!agree("n = 192", "n = 193"))
    }

    @Test func aPrintedLastDigitMayMoveByOne() {
        // 0.12349 and 0.12351 print as 0.123 and 0.124: the values agree,
        // only the rounding boundary lies between them.
        #expect(agree("0.123", "0.124"))
        #expect(!agree("0.123", "0.125"))
    }
}
