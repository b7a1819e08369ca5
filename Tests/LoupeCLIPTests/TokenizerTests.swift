import Foundation
import LoupeCLIP
import XCTest

final class TokenizerTests: XCTestCase {
    func testTokenIDsMatchOpenCLIP() throws {
        let tok = try CLIPTokenizer.standard()
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokens.json")))
        let rows = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        XCTAssertGreaterThan(rows.count, 10)
        for row in rows {
            let text = row["text"] as! String
            let expected = (row["ids"] as! [NSNumber]).map { $0.int32Value }
            XCTAssertEqual(tok.tokenize(text), expected, "tokens for \(text.debugDescription)")
        }
    }

    func testHTMLReferencesWithoutSemicolons() throws {
        // Expected ids from open_clip: html.unescape resolves legacy names
        // without ';' ("&amp chips"), and longest-prefix ("&ampb" is "&b").
        let tok = try CLIPTokenizer.standard()
        XCTAssertEqual(Array(tok.tokenize("fish &amp chips").prefix(5)), [49406, 2759, 261, 8855, 49407])
        XCTAssertEqual(Array(tok.tokenize("&ltb&gt x").prefix(6)), [49406, 283, 321, 285, 343, 49407])
        XCTAssertEqual(Array(tok.tokenize("a&ampb").prefix(5)), [49406, 320, 261, 321, 49407])
        XCTAssertEqual(Array(tok.tokenize("&copy2024").prefix(7)), [49406, 5811, 273, 271, 273, 275, 49407])
    }

    func testSpecialTokensAndTruncation() throws {
        let tok = try CLIPTokenizer.standard()
        XCTAssertEqual(tok.startToken, 49406)
        XCTAssertEqual(tok.endToken, 49407)
        XCTAssertEqual(tok.vocabularySize, 49408)
        let ids = tok.tokenize(String(repeating: "word ", count: 200))
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        let short = tok.tokenize("", contextLength: 10)
        XCTAssertEqual(short, [49406, 49407, 0, 0, 0, 0, 0, 0, 0, 0])
    }
}
