import CPNG
import Foundation
import LoupeImage
import XCTest

/// Compares rendered images with PNGs committed next to the tests. Set
/// LOUPE_UPDATE_GOLDEN=1 to rewrite the references from the current output
/// (then look at them before committing).
enum GoldenImage {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Font rasterisation differs a little between FreeType versions, so a
    /// match allows a small mean difference and a few strongly different pixels.
    static func assertMatches(_ image: RGBImage, _ name: String, meanTolerance: Double = 2.0,
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
        let expected = try decodePNG([UInt8](data))
        guard expected.width == image.width, expected.height == image.height else {
            XCTFail("\(name): size \(image.width)x\(image.height), golden is \(expected.width)x\(expected.height)", file: file, line: line)
            return
        }
        let (mean, differing) = difference(image, expected)
        if mean > meanTolerance || differing > maxDifferingFraction {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).actual.png")
            try? Data(image.pngData()).write(to: out)
            XCTFail(String(format: "%@ differs from its golden: mean |diff| %.2f per channel, %.2f%% of pixels differ by > 48 (actual written to %@)",
                           name, mean, differing * 100, out.path), file: file, line: line)
        }
    }

    /// Mean absolute difference per channel, and the fraction of pixels
    /// where some channel differs by more than 48.
    static func difference(_ a: RGBImage, _ b: RGBImage) -> (mean: Double, differing: Double) {
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

    /// Decodes a PNG to 8-bit RGB with libpng's simplified API.
    static func decodePNG(_ bytes: [UInt8]) throws -> RGBImage {
        var img = png_image()
        img.version = png_uint_32(PNG_IMAGE_VERSION)
        guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&img, $0.baseAddress, $0.count) }) != 0 else {
            throw GoldenError("not a readable PNG")
        }
        img.format = png_uint_32(PNG_FORMAT_RGB)
        let w = Int(img.width), h = Int(img.height)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&img, nil, $0.baseAddress, png_int_32(w * 3), nil) }
        png_image_free(&img)
        guard ok != 0 else { throw GoldenError("PNG decoding failed") }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}

struct GoldenError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
