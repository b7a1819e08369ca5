import Foundation
import LoupeCLIP
import LoupeImage
import LoupeTensor
import XCTest

/// open_clip's preprocessing (PIL resize, centre crop, normalise) reproduced
/// exactly on real PNG and JPEG files of awkward kinds.
final class PreprocessTests: XCTestCase {
    static let names = ["rgb.png", "small_upscale.png", "tall.png", "gray.png", "palette.png", "onebit.png", "rgba.png",
                        "gray_alpha.png", "rgb16.png", "gray16.png", "rgb.jpg", "gray.jpg", "cmyk.jpg"]

    func image(_ name: String) throws -> DecodedImage {
        try ImageFile.read(Fixtures.path("images/\(name)"))
    }

    func testCroppedPixelsAreIdenticalToOpenCLIP() throws {
        let ref = try Fixtures.reference("images")
        let pre = CLIPPreprocessor(imageSize: 64)
        for name in Self.names {
            let cropped = pre.croppedImage(try image(name))
            let expected = try ref.bytes("\(name).cropped")
            let diffs = zip(cropped.pixels, expected).filter { $0 != $1 }.count
            XCTAssertEqual(diffs, 0, "\(name): \(diffs) of \(expected.count) samples differ")
        }
        let big = CLIPPreprocessor(imageSize: 224).croppedImage(try image("rgb.png"))
        XCTAssertEqual(big.pixels, try ref.bytes("rgb.png.cropped224"))
    }

    func testNormalisedTensorsMatchOpenCLIP() throws {
        let ref = try Fixtures.reference("images")
        let pre = CLIPPreprocessor(imageSize: 64)
        for name in ["rgb.png", "rgba.png", "cmyk.jpg"] {
            assertClose(pre.pixels(try image(name)), try ref.tensor("\(name).pixels"), rtol: 1e-6, name)
        }
    }

    func testResizedSizeFollowsTorchvision() {
        let pre = CLIPPreprocessor(imageSize: 224)
        XCTAssertTrue(pre.resizedSize(width: 640, height: 480) == (298, 224))
        XCTAssertTrue(pre.resizedSize(width: 480, height: 641) == (224, 299))
        XCTAssertTrue(pre.resizedSize(width: 224, height: 224) == (224, 224))
    }
}
