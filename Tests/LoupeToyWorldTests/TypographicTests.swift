import LoupeImage
import LoupeToyWorld
import XCTest

final class TypographicTests: XCTestCase {
    func testWordChangesOnlyABandOfTheImage() throws {
        let g = SceneGenerator(seed: 13, config: .plain)
        for i in 0..<6 {
            let scene = try g.scene(at: i)
            let copy = try SceneGenerator.typographic(scene, word: "star")
            XCTAssertEqual(copy.attributes.word, "star")
            var plain = copy.attributes; plain.word = nil
            XCTAssertEqual(plain, scene.attributes)
            XCTAssertTrue(copy.caption.hasSuffix("with the word \"star\""))

            var rows = Set<Int>(), changed = 0
            for y in 0..<224 {
                for x in 0..<224 where copy.image[x, y] != scene.image[x, y] { rows.insert(y); changed += 1 }
            }
            XCTAssertGreaterThan(changed, 300, "the word should be visible")
            // Only the word's band (about 40 rows) may change.
            XCTAssertLessThan(rows.max()! - rows.min()!, 48)
        }
    }

    func testReplacingTheWordKeepsTheRest() throws {
        let g = SceneGenerator(seed: 2, config: WorldConfig(wordProbability: 1))
        let s = try g.scene(at: 0)
        XCTAssertNotNil(s.attributes.word)
        let t = try SceneGenerator.typographic(s, word: "zebra")
        XCTAssertEqual(t.attributes.word, "zebra")
        XCTAssertEqual(t.attributes.object, s.attributes.object)
        XCTAssertEqual(t.attributes.background, s.attributes.background)
        XCTAssertNotEqual(t.image.pixels, s.image.pixels)
    }
}

private func != (a: (UInt8, UInt8, UInt8), b: (UInt8, UInt8, UInt8)) -> Bool { a.0 != b.0 || a.1 != b.1 || a.2 != b.2 }
