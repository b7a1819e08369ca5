import Foundation
import LoupeImage
import XCTest

final class ImageDecodeTests: XCTestCase {
    static let fixtures: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip/images").path
    }()

    func path(_ name: String) -> String { (Self.fixtures as NSString).appendingPathComponent(name) }

    func testKindsAreRecognised() throws {
        let cases: [(String, DecodedImage.Layout, Int, Int, Bool)] = [
            ("rgb.png", .rgb, 3, 8, false), ("gray.png", .rgb, 1, 8, false), ("palette.png", .rgb, 1, 8, true),
            ("onebit.png", .rgb, 1, 1, false), ("rgba.png", .rgba, 4, 8, false), ("gray_alpha.png", .rgba, 2, 8, false),
            ("rgb16.png", .rgb, 3, 16, false), ("gray16.png", .rgb, 1, 16, false), ("rgb.jpg", .rgb, 3, 8, false),
            ("gray.jpg", .rgb, 1, 8, false), ("cmyk.jpg", .cmyk, 4, 8, false),
        ]
        for (name, layout, channels, depth, palette) in cases {
            let img = try ImageFile.read(path(name))
            XCTAssertEqual(img.layout, layout, name)
            XCTAssertEqual(img.sourceChannels, channels, name)
            XCTAssertEqual(img.bitDepth, depth, name)
            XCTAssertEqual(img.isPalette, palette, name)
            XCTAssertEqual(img.width, 97, name)
            XCTAssertEqual(img.height, 71, name)
        }
        XCTAssertEqual(try ImageFile.read(path("onebit.png")).resizesNearest, true)
    }

    func testGrayAndPaletteExpandToRGB() throws {
        let gray = try ImageFile.readRGB(path("gray.png"))
        for i in stride(from: 0, to: gray.pixels.count, by: 3) {
            XCTAssertTrue(gray.pixels[i] == gray.pixels[i + 1] && gray.pixels[i] == gray.pixels[i + 2])
        }
        let bits = Set(try ImageFile.readRGB(path("onebit.png")).pixels)
        XCTAssertEqual(bits, [0, 255])
        // 16-bit samples keep their high byte: the fixture is the 8-bit picture
        // times 257 plus less than 257, so it differs from it by at most one.
        let sixteen = try ImageFile.readRGB(path("rgb16.png")).pixels
        let eight = try ImageFile.readRGB(path("rgb.png")).pixels
        let offsets = zip(sixteen, eight).map { Int($0) - Int($1) }
        XCTAssertTrue(offsets.allSatisfy { $0 == 0 || $0 == 1 }, "16-bit samples do not keep their high byte")
        XCTAssertTrue(offsets.contains(0))
    }

    func testCMYKConvertsLikePIL() throws {
        let rgb = try ImageFile.readRGB(path("cmyk.jpg"))
        let reference = try ImageFile.readRGB(path("rgb.png"))
        // JPEG is lossy; the colours must still be close to the source picture.
        let meanError = zip(rgb.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / rgb.pixels.count
        XCTAssertLessThan(meanError, 12)
    }

    func testCorruptAndTruncatedFilesAreRefused() throws {
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("rgb.png"))))
        XCTAssertThrowsError(try ImageFile.decode(Array(png.prefix(png.count / 2)), name: "half.png")) { error in
            XCTAssertTrue("\(error)".contains("half.png"), "\(error)")
        }
        var flipped = png
        for i in 60..<200 { flipped[i] ^= 0x5A }
        XCTAssertThrowsError(try ImageFile.decode(flipped, name: "flipped.png"))
        let jpg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("rgb.jpg"))))
        XCTAssertThrowsError(try ImageFile.decode(Array(jpg.prefix(jpg.count / 2)), name: "half.jpg")) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        XCTAssertThrowsError(try ImageFile.decode(Array("GIF89a....".utf8), name: "anim.gif")) { error in
            XCTAssertTrue("\(error)".contains("neither PNG nor JPEG"), "\(error)")
        }
        XCTAssertThrowsError(try ImageFile.read(path("missing.png"))) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
    }

    func testHugeDimensionsAreRefusedBeforeDecoding() throws {
        // A valid PNG header announcing 100000×100000 pixels with no data behind it.
        var png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("rgb.png"))))
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
        png.replaceSubrange(16..<24, with: be32(100_000) + be32(100_000))
        // Fix the IHDR CRC so libpng reaches the size check.
        png.replaceSubrange(29..<33, with: be32(crc32(Array(png[12..<29]))))
        XCTAssertThrowsError(try ImageFile.decode(png, name: "bomb.png")) { error in
            XCTAssertTrue("\(error)".contains("more than the limit"), "\(error)")
        }
        XCTAssertThrowsError(try ImageFile.read(path("rgb.jpg"), maxPixels: 1000)) { error in
            XCTAssertTrue("\(error)".contains("more than the limit"), "\(error)")
        }
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}

final class ImageDecodeReferenceTests: XCTestCase {
    /// Decoded RGB equals what PIL's Image.open(...).convert("RGB") gives,
    /// read from the reference file (U8 tensors in a safetensors container).
    func testDecodedPixelsMatchPIL() throws {
        let refPath = URL(fileURLWithPath: ImageDecodeTests.fixtures).deletingLastPathComponent()
            .appendingPathComponent("images.reference.safetensors").path
        let ref = try Data(contentsOf: URL(fileURLWithPath: refPath))
        let bytes = [UInt8](ref)
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        for name in ["rgb.png", "gray.png", "palette.png", "onebit.png", "rgba.png", "gray_alpha.png", "rgb16.png",
                     "gray16.png", "rgb.jpg", "gray.jpg", "cmyk.jpg"] {
            let entry = header["\(name).decoded"] as! [String: Any]
            let offsets = entry["data_offsets"] as! [Int]
            let expected = Array(bytes[(8 + n + offsets[0])..<(8 + n + offsets[1])])
            let decoded = try ImageFile.readRGB((ImageDecodeTests.fixtures as NSString).appendingPathComponent(name))
            let diffs = zip(decoded.pixels, expected).filter { $0 != $1 }.count
            XCTAssertEqual(decoded.pixels.count, expected.count, name)
            XCTAssertEqual(diffs, 0, "\(name): \(diffs) samples differ from PIL")
        }
    }
}
