import Foundation
import LoupeCLIP
import XCTest

/// Where the parts of the architecture that shapes cannot tell come from:
/// embedded metadata, a sibling open_clip_config.json, or load options.
final class ConfigSourceTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "loupe-clip-cfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// The fixture without its __metadata__ entry, and the config it held.
    func strippedFixture() throws -> (path: String, config: String) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("openclip_p16_gelu.safetensors"))))
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        let meta = header.removeValue(forKey: "__metadata__") as! [String: String]
        let newHeader = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { Array($0) }
        out += newHeader + bytes[(8 + n)...]
        let path = (dir as NSString).appendingPathComponent("model.safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(out)))
        return (path, meta["open_clip_config"]!)
    }

    func embeddingError(_ model: CLIPModel) throws -> Float {
        let ref = try Fixtures.reference("openclip_p16_gelu")
        return maxAbsDiff(model.encodeImages(pixels: try ref.tensor("pixels")), try ref.tensor("image_embeds")).diff
    }

    func testWithoutAnyConfigTheGuessIsLabelledAndOptionsFixIt() throws {
        let (path, _) = try strippedFixture()
        let guessed = try CLIPModel(path: path)
        XCTAssertEqual(guessed.config.vision.heads, 1, "width 64 / 64 per head")
        XCTAssertEqual(guessed.config.activationSource, "assumed")
        XCTAssertTrue(guessed.summary.contains("(assumed)"), guessed.summary)
        XCTAssertGreaterThan(try embeddingError(guessed), 1e-3)
        let fixed = try CLIPModel(path: path, options: CLIPLoadOptions(activation: .gelu, visionHeads: 4, textHeads: 4))
        XCTAssertEqual(fixed.config.activationSource, "option")
        XCTAssertLessThan(try embeddingError(fixed), 1e-4)
    }

    func testSiblingOpenCLIPConfigIsRead() throws {
        let (path, config) = try strippedFixture()
        let sibling = (dir as NSString).appendingPathComponent("open_clip_config.json")
        XCTAssertTrue(FileManager.default.createFile(atPath: sibling, contents: Data(config.utf8)))
        let model = try CLIPModel(path: path)
        XCTAssertEqual(model.config.vision.heads, 4)
        XCTAssertEqual(model.config.activationSource, "config")
        XCTAssertLessThan(try embeddingError(model), 1e-4)
    }
}
