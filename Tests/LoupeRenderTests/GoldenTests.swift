import LoupeTestSupport
import LoupeImage
import LoupeRender
import XCTest

/// Each renderer drawn small and compared with a committed PNG.
final class GoldenTests: XCTestCase {
    /// A fixed, well-spread sample (no randomness, so goldens are stable).
    static let sample: [Double] = (0..<400).map { i in
        let u = (Double(i) + 0.5) / 400
        // A rough inverse-normal shape: dense in the middle, thin tails.
        let z = u - 0.5
        return 4 * z * z * z + z
    }

    func testHistogram() throws {
        let img = try Chart.histogram(Self.sample, bins: 16, options: ChartOptions(width: 160, height: 120, title: "Values", xLabel: "x", yLabel: "n"))
        try golden.assertMatches(img, "histogram")
    }

    func testLogHistogram() throws {
        let values = Self.sample.map { pow(10, $0 * 8 - 2) }
        let img = try Chart.histogram(values, bins: 12, options: ChartOptions(width: 160, height: 120, logX: true, logY: true))
        try golden.assertMatches(img, "histogram-log")
    }

    func testBars() throws {
        let img = try Chart.bars(labels: ["a", "b", "c", "d"], values: [3, -1, 2.5, 0.5],
                                 options: ChartOptions(width: 160, height: 120, title: "Bars"))
        try golden.assertMatches(img, "bars")
    }

    func testLines() throws {
        let a = LineSeries(name: "train", y: (0..<50).map { 1 / (1 + Double($0) / 5) })
        let b = LineSeries(name: "eval", x: [0, 10, 20, 30, 40, 49], y: [1.1, 0.4, 0.3, 0.22, 0.2, 0.19])
        let img = try Chart.lines([a, b], options: ChartOptions(width: 160, height: 120, xLabel: "step"))
        try golden.assertMatches(img, "lines")
    }

    func testProbabilityBars() throws {
        let img = try Chart.horizontalBars(labels: ["star", "circle", "heart"], values: [0.7, 0.2, 0.1], maxValue: 1,
                                           width: 160, rowHeight: 18)
        try golden.assertMatches(img, "probability-bars")
    }

    static func testImage() -> RGBImage {
        var c = Canvas(width: 56, height: 56, background: Colour(hex: 0x3366aa))
        c.fill(polygon: Polygon.star(points: 5, centre: Point(28, 29), outer: 22, inner: 9), Colour(hex: 0xee3333))
        return c.image
    }

    func testHeatmapOverlay() throws {
        let values = (0..<49).map { Double(($0 % 7) * ($0 / 7)) }
        let img = try Heatmap.overlay(image: Self.testImage(), values: values, rows: 7, columns: 7, colormap: .magma,
                                      displaySize: 112, title: "L0")
        try golden.assertMatches(img, "heatmap-overlay")
    }

    func testHeatmapBilinearDiverging() throws {
        let values = (0..<9).map { Double($0) - 4 }
        let img = try Heatmap.overlay(image: Self.testImage(), values: values, rows: 3, columns: 3, colormap: .diverging,
                                      range: -4...4, alpha: 0.7, interpolation: .bilinear, displaySize: 112)
        try golden.assertMatches(img, "heatmap-bilinear")
    }

    func testImageGrid() throws {
        let img = try ImageGrid.render([Self.testImage(), Self.testImage(), Self.testImage()],
                                       captions: ["one star", "a second star with a long caption", "three"],
                                       columns: 2, cellSize: 48, frames: [nil, Colour(hex: 0xff0000), nil])
        try golden.assertMatches(img, "image-grid")
    }

    func testCanvasShapes() throws {
        var c = Canvas(width: 96, height: 64)
        c.fill(Rect(x: 4.5, y: 4.5, width: 20, height: 12), Colour(hex: 0x2ca02c))
        c.stroke(Rect(x: 30, y: 4, width: 20, height: 14), .ink, width: 2)
        c.fillCircle(centre: Point(70, 14), radius: 10, Colour(hex: 0x1f77b4), alpha: 0.7)
        c.fillCircle(centre: Point(80, 18), radius: 10, Colour(hex: 0xd62728), alpha: 0.7)
        c.line(from: Point(4, 60), to: Point(40, 26), .ink, width: 1.5)
        c.polyline([Point(48, 58), Point(60, 30), Point(72, 50), Point(90, 28)], Colour(hex: 0xff7f0e), width: 3)
        c.text("Ag", at: Point(4, 44), font: try Font.sans(), size: 14)
        try golden.assertMatches(c.image, "canvas-shapes")
    }
}
