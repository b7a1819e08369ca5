import Foundation
import LoupeRender
import XCTest

final class FontTests: XCTestCase {
    func testMeasuringGrowsWithTextAndSize() throws {
        let f = try Font.sans()
        XCTAssertGreaterThan(f.measure("hello", size: 12), f.measure("hi", size: 12))
        XCTAssertEqual(f.measure("hello", size: 24), 2 * f.measure("hello", size: 12), accuracy: 3)
        XCTAssertEqual(f.measure("", size: 12), 0)
    }

    func testBoldIsADifferentFace() throws {
        let regular = try Font.sans(), bold = try Font.sansBold()
        XCTAssertNotEqual(regular.path, bold.path)
        XCTAssertGreaterThan(bold.measure("Loupe", size: 20), regular.measure("Loupe", size: 20))
    }

    func testRenderedTextHasInkAndSitsOnTheBaseline() throws {
        let t = try Font.sans().render("Hxg", size: 20)
        let (ascent, descent) = try Font.sans().lineMetrics(size: 20)
        XCTAssertEqual(t.mask.height, ascent + descent)
        XCTAssertEqual(t.baseline, ascent)
        XCTAssertTrue(t.mask.values.contains(255))
        // 'H' stops at the baseline; only the descender of 'g' goes below it.
        let below = (t.baseline + 1..<t.mask.height).flatMap { y in (0..<t.mask.width).map { t.mask.values[y * t.mask.width + $0] } }
        XCTAssertTrue(below.contains { $0 > 128 })
    }

    func testMissingFontNamesThePackage() {
        XCTAssertThrowsError(try Font.locate("NoSuchFace.ttf")) { error in
            XCTAssertTrue("\(error)".contains("fonts-dejavu-core"), "\(error)")
        }
        XCTAssertThrowsError(try Font.open(path: "/nonexistent/font.ttf"))
    }

    func testConcurrentRenderingIsSafeAndConsistent() throws {
        let font = try Font.sans()
        let reference = font.render("concurrent 123", size: 15).mask
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let size = Double(10 + i % 4)
            _ = font.measure("warm \(i)", size: size)
            results.append(font.render("concurrent 123", size: 15).mask == reference)
        }
        XCTAssertEqual(results.values.count, 16)
        XCTAssertTrue(results.values.allSatisfy { $0 })
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Bool] = []
    func append(_ v: Bool) { lock.lock(); values.append(v); lock.unlock() }
}
