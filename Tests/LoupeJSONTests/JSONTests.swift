import LoupeJSON
import Testing

@Suite struct JSONTests {
    @Test func roundTripsNestedValues() throws {
        let value: JSON = ["a": [1, 2.5, "x", nil, true], "b": ["c": "é \"q\" \n 🙂"]]
        let text = value.serialized()
        #expect(try JSON.parse(text) == value)
        #expect(text == #"{"a":[1,2.5,"x",null,true],"b":{"c":"é \"q\" \n 🙂"}}"#)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSON.parse(#""\u00e9\ud83d\ude42\/""#) == .string("é🙂/"))
    }

    @Test func refusesMalformedInput() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "01x", "nul", "[1] 2", "\"\u{01}\""] {
            #expect(throws: JSONError.self, "\(bad)") { try JSON.parse(bad) }
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONError.self) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func limitsNestingDepth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSON.parse(deep) }
    }

    @Test func writesNonFiniteNumbersAsNull() {
        #expect(JSON.double(.nan).serialized() == "null")
        #expect(JSON.double(2).serialized() == "2.0")
    }

    @Test func prettyPrintsWithSortedKeys() {
        let value: JSON = ["b": 1, "a": [true]]
        #expect(value.pretty() == "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}")
    }
}
