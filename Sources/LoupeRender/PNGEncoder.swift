import CPNG
import LoupeImage

/// PNG encoding sits here, above the pixels and codecs of LoupeImage (which
/// only decode): writing a picture is what rendering produces.

package struct PNGError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

extension RGBImage {
    /// Encodes the image as an 8-bit RGB PNG. Uses libpng's simplified API,
    /// which reports failures through `png_image.message` instead of longjmp.
    package func pngData() throws -> [UInt8] {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        var size: png_alloc_size_t = 0
        let stride = png_int_32(width * 3)
        // First call measures, second writes.
        guard pixels.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }) != 0 else {
            throw PNGError(message: "PNG encoding failed: \(Self.message(of: &image))")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        guard ok != 0 else { throw PNGError(message: "PNG encoding failed: \(Self.message(of: &image))") }
        png_image_free(&image)
        return Array(out.prefix(Int(size)))
    }

    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
