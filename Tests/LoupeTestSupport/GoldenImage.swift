import Foundation
import LoupeImage
import LoupeRender
import XCTest

/// Compares rendered images with PNGs committed next to the tests. Set
/// LOUPE_UPDATE_GOLDEN=1 to rewrite the references from the current output
/// (then look at them before committing).
package struct GoldenImage {
    package let directory: URL

    /// `directory` holds the reference PNGs, usually `Golden/` beside the test file.
    package init(directory: URL) { self.directory = directory }

    /// Font rasterisation differs a little between FreeType versions, so a
    /// match allows a small mean difference and a few strongly different pixels.
    package func assertMatches(_ image: RGBImage, _ name: String, meanTolerance: Double = 2.0,
                              maxDifferingFraction: Double = 0.02, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = directory.appendingPathComponent(name + ".png")
        if ProcessInfo.processInfo.environment["LOUPE_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(image.pngData()).write(to: url, options: .atomic)
            return
        }
        guard let data = try? Data(contentsOf: url) else {
            XCTFail("missing golden image \(url.path); run the tests with LOUPE_UPDATE_GOLDEN=1 to create it", file: file, line: line)
            return
        }
        let expected = try GoldenImage.decodePNG([UInt8](data))
        guard expected.width == image.width, expected.height == image.height else {
            XCTFail("\(name): size \(image.width)x\(image.height), golden is \(expected.width)x\(expected.height)", file: file, line: line)
            return
        }
        let (mean, differing) = GoldenImage.difference(image, expected)
        if mean > meanTolerance || differing > maxDifferingFraction {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).actual.png")
            try? Data(image.pngData()).write(to: out)
            XCTFail(String(format: "%@ differs from its golden: mean |diff| %.2f per channel, %.2f%% of pixels differ by > 48 (actual written to %@)",
                           name, mean, differing * 100, out.path), file: file, line: line)
        }
    }

    /// Mean absolute difference per channel, and the fraction of pixels
    /// where some channel differs by more than 48.
    package static func difference(_ a: RGBImage, _ b: RGBImage) -> (mean: Double, differing: Double) {
        var total = 0, bad = 0
        for p in 0..<(a.width * a.height) {
            var worst = 0
            for c in 0..<3 {
                let d = abs(Int(a.pixels[p * 3 + c]) - Int(b.pixels[p * 3 + c]))
                total += d
                worst = max(worst, d)
            }
            if worst > 48 { bad += 1 }
        }
        let n = Double(a.width * a.height)
        return (Double(total) / (n * 3), Double(bad) / n)
    }

    /// Decodes a PNG to 8-bit RGB with the project's libpng decoder.
    package static func decodePNG(_ bytes: [UInt8]) throws -> RGBImage {
        try ImageFile.decode(bytes, name: "golden image").toRGB()
    }
}
