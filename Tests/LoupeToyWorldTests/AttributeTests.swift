import LoupeToyWorld
import XCTest

final class AttributeTests: XCTestCase {
    func testThereAreEnoughKindsOfEverything() {
        XCTAssertGreaterThanOrEqual(Shape.allCases.count, 8)
        XCTAssertGreaterThanOrEqual(ObjectColour.allCases.count, 8)
        XCTAssertEqual(ObjectSize.allCases.count, 2)
        XCTAssertGreaterThanOrEqual(Background.allCases.count, 6)
        XCTAssertEqual(Set(ShapeGroup.allCases.flatMap(\.shapes)).count, Shape.allCases.count)
        XCTAssertEqual(Set(Habitat.allCases.flatMap(\.backgrounds)).count, Background.allCases.count)
        XCTAssertEqual(SceneVocabulary.values(of: "color"), ObjectColour.allCases.map(\.rawValue))
    }

    func testCaptionsAgreeWithAttributes() throws {
        let g = SceneGenerator(seed: 11)
        var sawWord = false, sawSecond = false
        for i in 0..<300 {
            let a = g.attributes(at: i)
            let c = a.caption
            XCTAssertTrue(c.hasPrefix("a \(a.size.rawValue) \(a.colour.rawValue) \(a.shape.rawValue)"), c)
            XCTAssertTrue(c.contains(" on \(a.background.rawValue)"), c)
            if let w = a.word {
                sawWord = true
                XCTAssertTrue(c.hasSuffix("with the word \"\(w)\""), c)
            } else {
                XCTAssertFalse(c.contains("the word"), c)
            }
            if let s = a.second {
                sawSecond = true
                XCTAssertTrue(c.contains(" and a \(s.size.rawValue) \(s.colour.rawValue) \(s.shape.rawValue) on "), c)
                XCTAssertNotEqual(s.position, a.position)
            }
            XCTAssertEqual(try a.value(of: "shape"), a.shape.rawValue)
            XCTAssertEqual(try a.value(of: "habitat"), a.background.habitat.rawValue)
        }
        XCTAssertTrue(sawWord && sawSecond)
    }

    func testPlainWorldHasOneObjectAndNoWords() {
        let g = SceneGenerator(seed: 5, config: .plain)
        for i in 0..<200 {
            XCTAssertNil(g.attributes(at: i).word)
            XCTAssertNil(g.attributes(at: i).second)
        }
    }

    func testCorrelatedSplitHoldsItsAgreement() {
        let g = SceneGenerator(seed: 21, config: WorldConfig(split: .correlated(agreement: 0.95)))
        let n = 2000
        var agree = 0, waterGroup = 0
        for i in 0..<n {
            let a = g.attributes(at: i)
            if a.shapeGroup.rawValue == a.habitat.rawValue { agree += 1 }
            if a.shapeGroup == .water { waterGroup += 1 }
        }
        // Binomial sd at p = 0.95, n = 2000 is about 0.005; allow 3 sd.
        XCTAssertEqual(Double(agree) / Double(n), 0.95, accuracy: 0.015)
        XCTAssertEqual(Double(waterGroup) / Double(n), 0.5, accuracy: 0.04)
    }

    func testUniformSplitHasNoCorrelation() {
        let g = SceneGenerator(seed: 21)
        let n = 2000
        let agree = (0..<n).filter { let a = g.attributes(at: $0); return a.shapeGroup.rawValue == a.habitat.rawValue }.count
        XCTAssertEqual(Double(agree) / Double(n), 0.5, accuracy: 0.04)
        var perBackground: [Background: Int] = [:]
        for i in 0..<n { perBackground[g.attributes(at: i).background, default: 0] += 1 }
        for b in Background.allCases { XCTAssertEqual(Double(perBackground[b] ?? 0), Double(n) / 8, accuracy: 60, b.rawValue) }
    }

    func testReversedCorrelationForTestSplits() {
        let g = SceneGenerator(seed: 4, config: WorldConfig(split: .correlated(agreement: 0.05)))
        let agree = (0..<1000).filter { let a = g.attributes(at: $0); return a.shapeGroup.rawValue == a.habitat.rawValue }.count
        XCTAssertEqual(Double(agree) / 1000, 0.05, accuracy: 0.025)
    }

    func testFilteringAndItsErrors() throws {
        let g = SceneGenerator(seed: 8)
        let water = try g.indices(count: 400, where: [("background", "water")])
        XCTAssertFalse(water.isEmpty)
        XCTAssertTrue(water.allSatisfy { g.attributes(at: $0).background == .water })
        let land = try g.indices(count: 400, where: [("background", "land"), ("size", "large")])
        XCTAssertTrue(land.allSatisfy { g.attributes(at: $0).habitat == .land && g.attributes(at: $0).size == .large })
        XCTAssertEqual(try g.indices(count: 400, where: [("word", "any")]).count + (try g.indices(count: 400, where: [("word", "none")]).count), 400)

        XCTAssertThrowsError(try g.indices(count: 10, where: [("background", "sea")])) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains("'sea' is not a background; backgrounds are water, sky, night"), m)
        }
        XCTAssertThrowsError(try g.indices(count: 10, where: [("colour", "teal")])) { XCTAssertTrue("\($0)".contains("colours are red")) }
        XCTAssertThrowsError(try g.indices(count: 10, where: [("flavour", "sweet")])) {
            XCTAssertTrue("\($0)".contains("'flavour' is not a scene attribute"))
        }
    }
}
