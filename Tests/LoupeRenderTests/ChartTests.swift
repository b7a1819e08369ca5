import LoupeImage
import LoupeRender
import XCTest

final class ChartTests: XCTestCase {
    func testHistogramBinning() {
        let h = Histogram([0, 0.1, 0.5, 0.9, 1, .nan, 2], bins: 2, range: 0...1)
        XCTAssertEqual(h.edges, [0, 0.5, 1])
        XCTAssertEqual(h.counts, [2, 3])   // 1.0 lands in the last bin
        XCTAssertEqual(h.skipped, 2)       // NaN and 2
        let logH = Histogram([0.001, 0.01, 0.1, 1, -1, 0], bins: 3, logX: true)
        XCTAssertEqual(logH.counts.reduce(0, +), 4)
        XCTAssertEqual(logH.skipped, 2)
        XCTAssertEqual(logH.edges[1], 0.01, accuracy: 1e-12)
    }

    func testChartsHaveTheRequestedSize() throws {
        let o = ChartOptions(width: 300, height: 200, title: "t")
        XCTAssertEqual(try Chart.histogram([1, 2, 3], options: o).width, 300)
        XCTAssertEqual(try Chart.bars(labels: ["a"], values: [1], options: o).height, 200)
        XCTAssertEqual(try Chart.lines([LineSeries(name: "", y: [1, 2])], options: o).width, 300)
    }

    func testEmptyAndDegenerateInputsStillRender() throws {
        let o = ChartOptions(width: 200, height: 120)
        /// Pixels of the first series' colour (a clear blue): the data marks.
        func marks(_ image: RGBImage) -> Int {
            stride(from: 0, to: image.pixels.count, by: 3).filter {
                let r = Int(image.pixels[$0]), b = Int(image.pixels[$0 + 2])
                return b > 120 && b > r + 60
            }.count
        }
        func check(_ image: RGBImage, _ what: String) {
            XCTAssertEqual(image.width, 200, what)
            XCTAssertEqual(image.height, 120, what)
        }
        let empty = try Chart.histogram([], options: o)
        check(empty, "empty histogram")
        XCTAssertEqual(marks(empty), 0, "an empty histogram draws no bar")
        // Three equal values still make one visible bar.
        let constant = try Chart.histogram([5, 5, 5], options: o)
        check(constant, "constant histogram")
        XCTAssertGreaterThan(marks(constant), 20, "the bar of a constant histogram is missing")
        check(try Chart.histogram([0, -1], options: ChartOptions(width: 200, height: 120, logX: true, logY: true)),
              "log axes without positive values")
        check(try Chart.lines([], options: o), "no series")
        // The finite points of a series with gaps are still drawn: more marks
        // than the same series with no finite point at all (legend only).
        let gappy = try Chart.lines([LineSeries(name: "s", y: [.nan, 1, .infinity, 2])], options: o)
        let hollow = try Chart.lines([LineSeries(name: "s", y: [.nan, .nan, .infinity, .nan])], options: o)
        check(gappy, "series with NaN and infinity")
        XCTAssertGreaterThan(marks(gappy), marks(hollow), "the finite points of a gappy series are missing")
        check(try Chart.bars(labels: [], values: [], options: o), "no bars")
    }

    func testBadInputsThrowClearErrors() {
        XCTAssertThrowsError(try Chart.bars(labels: ["a", "b"], values: [1])) { XCTAssertTrue("\($0)".contains("one value per label")) }
        XCTAssertThrowsError(try Chart.lines([LineSeries(name: "s", x: [1, 2], y: [1])]))
        XCTAssertThrowsError(try Chart.histogram([1], options: ChartOptions(width: 10, height: 10)))
        let img = RGBImage(width: 8, height: 8)
        XCTAssertThrowsError(try Heatmap.overlay(image: img, values: [1, 2, 3], rows: 2, columns: 2)) {
            XCTAssertTrue("\($0)".contains("rows x columns"))
        }
        XCTAssertThrowsError(try ImageGrid.render([]))
        XCTAssertThrowsError(try ImageGrid.render([img], captions: ["a", "b"]))
    }

    func testHeatmapColoursFollowTheValues() throws {
        // Left half low, right half high, full opacity, no colour bar: the
        // picture is exactly the colormap's ends.
        let img = RGBImage(width: 20, height: 20, fill: (128, 128, 128))
        let out = try Heatmap.overlay(image: img, values: [0, 1, 0, 1], rows: 2, columns: 2, colormap: .viridis,
                                      alpha: 1, displaySize: 20, colourBar: false)
        let pad = 4
        XCTAssertTrue(out[pad + 2, pad + 2] == Colormap.viridis.colour(0).tuple)
        XCTAssertTrue(out[pad + 17, pad + 2] == Colormap.viridis.colour(1).tuple)
    }

    func testNaNCellsLeaveTheImageVisible() throws {
        let img = RGBImage(width: 10, height: 10, fill: (10, 20, 30))
        let out = try Heatmap.overlay(image: img, values: [.nan], rows: 1, columns: 1, displaySize: 10, colourBar: false)
        XCTAssertTrue(out[8, 8] == (10, 20, 30))
    }

    func testGridLayout() throws {
        let img = RGBImage(width: 10, height: 10, fill: (255, 0, 0))
        let out = try ImageGrid.render(Array(repeating: img, count: 5), columns: 3, cellSize: 20, padding: 4)
        XCTAssertEqual(out.width, 3 * 24 + 4)
        XCTAssertEqual(out.height, 2 * 24 + 4)
        XCTAssertTrue(out[4 + 10, 4 + 10] == (255, 0, 0))   // first cell filled
        XCTAssertTrue(out[4 + 2 * 24 + 10, 4 + 24 + 10] == (255, 255, 255))  // sixth cell empty
    }

    func testResampleGrid() {
        let up = Resample.grid([0, 1], rows: 1, columns: 2, width: 4, height: 1, interpolation: .nearest)
        XCTAssertEqual(up, [0, 0, 1, 1])
        let smooth = Resample.grid([0, 1], rows: 1, columns: 2, width: 4, height: 1, interpolation: .bilinear)
        XCTAssertEqual(smooth, [0, 0.25, 0.75, 1])
    }
}

final class HighlightTests: XCTestCase {
    func testActivePatchesStayBrightAndOthersDim() throws {
        let img = RGBImage(width: 20, height: 20, fill: (200, 200, 200))
        let out = try Heatmap.highlight(image: img, values: [1, 0, 0, 0], rows: 2, columns: 2, colour: Colour(255, 0, 0))
        XCTAssertEqual(out.width, 20)
        XCTAssertTrue(out[5, 5] == (200, 200, 200))     // inside the active patch
        XCTAssertTrue(out[0, 0] == (255, 0, 0))         // its outline
        XCTAssertLessThan(Int(out[15, 15].0), 100)       // dimmed
        XCTAssertThrowsError(try Heatmap.highlight(image: img, values: [1], rows: 2, columns: 2))
    }

    func testWrappingKeepsEveryCharacterAndFitsTheWidth() throws {
        let font = try Font.sans()
        let text = "Latent 324: top 2 of 256 images (fires on 12) beside a supercalifragilisticexpialidocious word"
        let lines = font.wrap(text, size: 10, width: 80)
        XCTAssertGreaterThan(lines.count, 2)
        XCTAssertEqual(lines.joined().filter { $0 != " " }, text.filter { $0 != " " })
        for line in lines { XCTAssertLessThanOrEqual(font.measure(line, size: 10), 80, line) }
    }

    func testLongLabelsAndTitlesGrowTheChartInsteadOfBeingCut() throws {
        let options = ChartOptions(width: 160, height: 120, title: "Bars")
        let short = try Chart.bars(labels: ["a", "b"], values: [1, 2], options: options)
        let wrapped = try Chart.bars(labels: ["clean with text latents ablated", "b"], values: [1, 2], options: options)
        XCTAssertEqual(wrapped.width, short.width)
        XCTAssertGreaterThan(wrapped.height, short.height)
        var titled = options
        titled.title = "A title far too long for one line of a chart only one hundred and sixty pixels wide"
        XCTAssertGreaterThan(try Chart.bars(labels: ["a", "b"], values: [1, 2], options: titled).height, short.height)
        let grid = try ImageGrid.render([RGBImage(width: 8, height: 8)], captions: [String(repeating: "word ", count: 30)], cellSize: 40)
        XCTAssertGreaterThan(grid.height, 40 + 2 * 14)
    }

    func testDensityTwoDrawsTwiceThePixelsAtTheSameDisplaySize() throws {
        let one = try Chart.bars(labels: ["a", "b"], values: [1, 2], options: ChartOptions(width: 160, height: 120))
        let two = try Chart.bars(labels: ["a", "b"], values: [1, 2], options: ChartOptions(width: 160, height: 120, density: 2))
        XCTAssertEqual(two.width, 2 * one.width)
        XCTAssertEqual(two.height, 2 * one.height)
        XCTAssertEqual(two.density, 2)
        XCTAssertEqual(two.displayWidth, one.width)
        let grouped = try Chart.groupedBars(labels: ["as is", "ablated"], series: [("clean", [0.9, 0.8]), ("attacked", [0.6, 0.8])],
                                            options: ChartOptions(width: 160, height: 120, density: 2))
        XCTAssertEqual(grouped.displayWidth, 160)
    }
}
