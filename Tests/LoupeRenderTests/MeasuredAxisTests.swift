import LoupeRender
import LoupeImage
import XCTest

/// A line chart of a few measurements puts its x ticks at the measured
/// values and marks each point, so nothing suggests a value in between.
final class MeasuredAxisTests: XCTestCase {
    func testTicksStandAtTheMeasuredValues() throws {
        let layers = try XCTUnwrap(Axis.measured([1, 3, 5, 3], log: false, pixels: 1000, textSize: 12))
        XCTAssertEqual(layers.ticks, [1, 3, 5])
        XCTAssertEqual(layers.labels, ["1", "3", "5"])
        XCTAssertEqual(layers.lo, 1); XCTAssertEqual(layers.hi, 5)

        let clamps = try XCTUnwrap(Axis.measured([5, 10, 25, 50, 100, 200], log: true, pixels: 1000, textSize: 12))
        XCTAssertEqual(clamps.labels, ["5", "10", "25", "50", "100", "200"])
        XCTAssertEqual(clamps.fraction(200), 1, accuracy: 1e-12)
    }

    func testFallsBackWhenLabelsWouldCollideOrThereAreMany() {
        XCTAssertNil(Axis.measured([5, 10, 25, 50, 100, 200], log: false, pixels: 300, textSize: 12))   // 5 and 10 collide
        XCTAssertNil(Axis.measured((0..<13).map(Double.init), log: false, pixels: 5000, textSize: 12))
        XCTAssertNil(Axis.measured([7], log: false, pixels: 1000, textSize: 12))
        XCTAssertNil(Axis.measured([0, 1], log: true, pixels: 1000, textSize: 12))   // one positive value on a log axis
    }

    func testFewPointsAreMarked() throws {
        let options = ChartOptions(width: 200, height: 120)
        let series = [LineSeries(name: "", x: [1, 3, 5], y: [0, 1, 0])]
        let marked = try Chart.lines(series, options: options)
        let plain = try Chart.lines(series, options: options, markers: false)
        XCTAssertEqual(marked.width, plain.width)
        // The dots add coloured pixels around each point.
        func coloured(_ img: RGBImage) -> Int {
            var n = 0
            for y in 0..<img.height { for x in 0..<img.width { let (r, _, b) = img[x, y]; if r < 100 && b > 150 { n += 1 } } }
            return n
        }
        XCTAssertGreaterThan(coloured(marked), coloured(plain))
    }
}
