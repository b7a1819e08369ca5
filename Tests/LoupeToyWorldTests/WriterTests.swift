import Foundation
import LoupeJSON
import LoupeTestSupport
import LoupeToyWorld
import XCTest

final class WriterTests: XCTestCase {
    var folder: String!

    override func setUp() {
        folder = NSTemporaryDirectory() + "loupe-scenes-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testWritesImagesAndMetadata() throws {
        let written = try SceneWriter.writeScenes(count: 70, seed: 5, to: folder)
        XCTAssertEqual(written.count, 70)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.count, 70)
        XCTAssertFalse(files.contains { $0.contains(".tmp-") }, "temporary files left behind")

        let lines = try String(contentsOfFile: folder + "/scenes.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 70)
        let first = try JSON.parse(String(lines[0]))
        let g = SceneGenerator(seed: 5)
        XCTAssertEqual(first["caption"]?.stringValue, g.attributes(at: 0).caption)
        XCTAssertEqual(first["file"]?.stringValue, "scene-000000.png")
        XCTAssertEqual(first["background"]?.stringValue, g.attributes(at: 0).background.rawValue)

        let csv = try String(contentsOfFile: folder + "/scenes.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 71)
        XCTAssertEqual(String(csv[0]), SceneMetadata.csvHeader)
        XCTAssertTrue(csv[0].hasPrefix("index,file,caption,shape,colour"))

        // The PNG on disk is the scene.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/scene-000003.png")))
        let decoded = try GoldenImage.decodePNG(bytes)
        XCTAssertEqual(decoded.pixels, try g.scene(at: 3).image.pixels)
    }

    func testCSVQuotesCaptionsWithQuotes() throws {
        let g = SceneGenerator(seed: 2, config: WorldConfig(wordProbability: 1))
        let line = SceneMetadata.csvLine(g.attributes(at: 0), file: "x.png")
        XCTAssertTrue(line.contains("with the word \"\""), line)
        XCTAssertTrue(line.hasPrefix("0,x.png,\"a "), line)
    }

    func testStoppingEarlyKeepsWhatIsDone() throws {
        var calls = 0
        let written = try SceneWriter.writeScenes(count: 500, seed: 1, to: folder) { done, total in
            calls += 1
            XCTAssertEqual(total, 500)
            return done < 128
        }
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(written.count, 128)
        let lines = try String(contentsOfFile: folder + "/scenes.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 128)
    }

    func testWritesTypographicCopies() throws {
        let g = SceneGenerator(seed: 3, config: .plain)
        let copies = try (0..<4).map { try SceneGenerator.typographic(try g.scene(at: $0), word: "cat") }
        try SceneWriter.write(copies, to: folder)
        let lines = try String(contentsOfFile: folder + "/scenes.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(try JSON.parse(String(lines[2]))["word"]?.stringValue, "cat")
    }
}
