import LoupeKernel
import Testing

@Suite struct SignerTests {
    // RFC 4231, test case 2.
    @Test func matchesTheHMACSHA256TestVector() {
        let signer = Signer(key: "Jefe")
        let parts = [Array("what do ya want ".utf8), Array("for nothing?".utf8)]
        #expect(signer.signature(parts) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(signer.verify(Array("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843".utf8), parts))
        #expect(!signer.verify(Array("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3844".utf8), parts))
        #expect(!signer.verify([], parts))
    }

    @Test func anEmptyKeyMeansNoSigning() {
        let signer = Signer(key: "")
        #expect(signer.signature([[1, 2, 3]]) == "")
        #expect(signer.verify([], [[1]]))
    }
}

@Suite struct GlobTests {
    @Test func matchesWholeStringsWithStarsAndQuestionMarks() {
        #expect(Glob("6 *").matches("6 * 7"))
        #expect(Glob("*o*").matches("two"))
        #expect(Glob("1?2*").matches("1+2 and more"))
        #expect(!Glob("o*").matches("two"))
        #expect(!Glob("a?").matches("a"))
        #expect(Glob("*").matches(""))
    }
}
