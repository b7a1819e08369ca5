import LoupeRender
import XCTest

final class ColormapTests: XCTestCase {
    func testTablesHave256EntriesAndHitTheirEnds() {
        XCTAssertEqual(Colormap.viridis.table.count, 256)
        XCTAssertEqual(Colormap.viridis.colour(0), Colour(hex: 0x440154))
        XCTAssertEqual(Colormap.viridis.colour(1), Colour(hex: 0xfde725))
        XCTAssertEqual(Colormap.magma.colour(0), Colour(hex: 0x000004))
        XCTAssertEqual(Colormap.magma.colour(1), Colour(hex: 0xfcfdbf))
    }

    func testSequentialMapsGetBrighter() {
        for map in [Colormap.viridis, .magma, .gray] {
            let lum = stride(from: 0, through: 255, by: 15).map { map.table[$0].luminance }
            for (a, b) in zip(lum, lum.dropFirst()) { XCTAssertLessThan(a, b, map.name) }
        }
    }

    func testDivergingMapIsBlueLowRedHighLightMiddle() {
        let d = Colormap.diverging
        XCTAssertGreaterThan(d.colour(0).b, d.colour(0).r)
        XCTAssertGreaterThan(d.colour(1).r, d.colour(1).b)
        XCTAssertGreaterThan(d.colour(0.5).luminance, 0.9)
        XCTAssertEqual(d.colour(-3, lo: -4, hi: 4), d.colour(0.125))
    }

    func testLookupByName() {
        XCTAssertEqual(Colormap.named("Viridis"), .viridis)
        XCTAssertEqual(Colormap.named("coolwarm"), .diverging)
        XCTAssertNil(Colormap.named("jet"))
        XCTAssertEqual(Colormap.viridis.colour(.nan), Colormap.viridis.table[0])
    }
}

final class TickTests: XCTestCase {
    func testNiceSteps() {
        XCTAssertEqual(Ticks.niceStep(0.13), 0.2)
        XCTAssertEqual(Ticks.niceStep(3), 5)
        XCTAssertEqual(Ticks.niceStep(7), 10)
        XCTAssertEqual(Ticks.niceStep(1), 1)
    }

    func testNiceTicks() {
        XCTAssertEqual(Ticks.nice(0, 1, target: 5), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(Ticks.nice(0, 7.3, target: 4), [0, 2, 4, 6])
        XCTAssertEqual(Ticks.nice(-3, 3, target: 3), [-2, 0, 2])
        let r = Ticks.niceRange(0.3, 9.2, target: 5)
        XCTAssertEqual(r.0, 0); XCTAssertEqual(r.1, 10)
    }

    func testLogTicks() {
        XCTAssertEqual(Ticks.log(1, 1000), [1, 10, 100, 1000])
        XCTAssertEqual(Ticks.log(1, 10), [1, 2, 5, 10])
        XCTAssertLessThanOrEqual(Ticks.log(1e-12, 1e3).count, 8)
    }

    func testLabels() {
        XCTAssertEqual(Ticks.label(0.4, step: 0.2), "0.4")
        XCTAssertEqual(Ticks.label(1500, step: 500), "1500")
        XCTAssertEqual(Ticks.label(0, step: 1), "0")
        XCTAssertEqual(Ticks.label(2e-6, step: 1e-6), "2·10⁻⁶")
        XCTAssertEqual(Ticks.logLabel(0.001), "10⁻³")
        XCTAssertEqual(Ticks.logLabel(100), "100")
        XCTAssertEqual(Ticks.logLabel(2e5), "2·10⁵")
    }
}
