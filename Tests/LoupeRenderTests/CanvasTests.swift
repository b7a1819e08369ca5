import LoupeImage
import LoupeRender
import XCTest

final class CanvasTests: XCTestCase {
    /// Total coverage of black drawn on white, in pixels.
    func inkArea(_ c: Canvas) -> Double {
        var s = 0.0
        for i in stride(from: 0, to: c.image.pixels.count, by: 3) { s += Double(255 - Int(c.image.pixels[i])) / 255 }
        return s
    }

    func testRectangleEdgesGetFractionalCoverage() {
        var c = Canvas(width: 4, height: 1)
        c.fill(Rect(x: 0.5, y: 0, width: 2, height: 1), .black)
        XCTAssertEqual(c.image[0, 0].0, 128)  // half covered
        XCTAssertEqual(c.image[1, 0].0, 0)    // fully covered
        XCTAssertEqual(c.image[2, 0].0, 128)
        XCTAssertEqual(c.image[3, 0].0, 255)  // untouched
    }

    func testCircleCoverageMatchesArea() {
        var c = Canvas(width: 64, height: 64)
        c.fillCircle(centre: Point(32.3, 31.7), radius: 20, .black)
        XCTAssertEqual(inkArea(c), Double.pi * 400, accuracy: Double.pi * 400 * 0.01)
    }

    func testOverlappingContoursArePaintedOnce() {
        // Two overlapping squares in one call: the union, not double-blended.
        var c = Canvas(width: 20, height: 20)
        let a = Polygon.rect(Rect(x: 2, y: 2, width: 10, height: 10))
        let b = Polygon.rect(Rect(x: 6, y: 6, width: 10, height: 10))
        c.fill(polygons: [a, b], .black, alpha: 0.5)
        XCTAssertEqual(c.image[8, 8].0, c.image[3, 3].0)
        XCTAssertEqual(inkArea(c), 0.5 * (100 + 100 - 36), accuracy: 1)
    }

    func testRingHasAHole() {
        var c = Canvas(width: 40, height: 40)
        c.strokeCircle(centre: Point(20, 20), radius: 12, .black, width: 2)
        XCTAssertEqual(c.image[20, 20].0, 255)
        XCTAssertEqual(c.image[20, 8].0, 0)
        XCTAssertEqual(inkArea(c), 2 * Double.pi * 12 * 2, accuracy: 4)
    }

    func testLineIsAntialiasedAndHasTheRightArea() {
        var c = Canvas(width: 40, height: 40)
        c.line(from: Point(5, 5), to: Point(35, 25), .black, width: 2)
        let len = (30.0 * 30 + 20 * 20).squareRoot()
        XCTAssertEqual(inkArea(c), 2 * len, accuracy: 1)
        let partial = stride(from: 0, to: c.image.pixels.count, by: 3).filter { c.image.pixels[$0] > 0 && c.image.pixels[$0] < 255 }
        XCTAssertFalse(partial.isEmpty, "a diagonal line should have partly covered pixels")
    }

    func testDrawingOutsideTheCanvasIsClipped() {
        var c = Canvas(width: 10, height: 10)
        c.fill(Rect(x: -50, y: -50, width: 55, height: 55), .black)
        c.fillCircle(centre: Point(100, 100), radius: 5, .black)
        c.line(from: Point(-10, -10), to: Point(-5, 30), .black)
        XCTAssertEqual(inkArea(c), 25, accuracy: 0.01)
    }

    func testAlphaBlending() {
        var c = Canvas(width: 1, height: 1, background: Colour(0, 0, 0))
        c.blend(x: 0, y: 0, colour: Colour(200, 100, 50), alpha: 0.5)
        XCTAssertTrue(c.image[0, 0] == (100, 50, 25))
    }

    func testTrigMatchesLibm() {
        for i in -40...40 {
            let x = Double(i) * 0.37
            XCTAssertEqual(Trig.sin(x), sin(x), accuracy: 1e-11)
            XCTAssertEqual(Trig.cos(x), cos(x), accuracy: 1e-11)
        }
    }

    func testMaskRotationAndDilation() {
        let m = AlphaMask(width: 3, height: 2, values: [1, 2, 3, 4, 5, 6])
        let r = m.rotatedLeft()
        XCTAssertEqual(r.width, 2); XCTAssertEqual(r.height, 3)
        XCTAssertEqual(r.values, [3, 6, 2, 5, 1, 4])
        let d = AlphaMask(width: 1, height: 1, values: [255]).dilated(by: 2)
        XCTAssertEqual(d.width, 5)
        XCTAssertEqual(d.values[2 * 5 + 0], 255)  // left neighbour 2 away
        XCTAssertEqual(d.values[0], 0)            // corner outside the disc
    }
}
