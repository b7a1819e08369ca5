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
