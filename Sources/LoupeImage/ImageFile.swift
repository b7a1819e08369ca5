import CImageCodecs
import Foundation

/// Why an image file could not be read.
package struct ImageDecodeError: Error, CustomStringConvertible, Sendable {
    package let path: String
    package let reason: String
    package let fix: String
    package var description: String { "cannot read image \(path): \(reason). \(fix)" }
}

/// Reading PNG and JPEG files (libpng, libjpeg-turbo) into `DecodedImage`.
package enum ImageFile {
    /// Largest image accepted, in pixels (the same bound as PIL's
    /// decompression-bomb limit); larger headers are refused before decoding.
    package static let defaultMaxPixels = 89_478_485

    /// Decodes a PNG or JPEG file, chosen by its leading bytes (not its name).
    package static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ImageDecodeError(path: path, reason: exists ? "the file cannot be opened" : "no such file",
                                   fix: exists ? "Check its permissions." : "Check the path.")
        }
        return try decode([UInt8](data), name: path, maxPixels: maxPixels)
    }

    /// Decodes the file and converts it to RGB (alpha dropped, CMYK converted).
    package static func readRGB(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        try read(path, maxPixels: maxPixels).toRGB()
    }

    /// Decodes PNG or JPEG bytes; `name` is used in error messages.
    package static func decode(_ bytes: [UInt8], name: String = "<memory>",
                              maxPixels: Int = defaultMaxPixels) throws -> DecodedImage {
        let isPNG = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let isJPEG = bytes.starts(with: [0xFF, 0xD8])
        guard isPNG || isJPEG else {
            throw ImageDecodeError(path: name, reason: "it is neither PNG nor JPEG (unrecognised leading bytes)",
                                   fix: "Convert it to PNG or JPEG.")
        }
        var out = loupe_decoded()
        let rc = bytes.withUnsafeBufferPointer { buf in
            isPNG ? loupe_png_decode(buf.baseAddress, buf.count, Int64(maxPixels), &out)
                  : loupe_jpeg_decode(buf.baseAddress, buf.count, Int64(maxPixels), &out)
        }
        defer { loupe_decoded_free(&out) }
        guard rc == 0, let pixels = out.pixels else {
            let message = withUnsafeBytes(of: out.message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let tooBig = message.contains("more than the limit")
            throw ImageDecodeError(path: name, reason: "\(isPNG ? "PNG" : "JPEG") decoding failed: \(message)",
                                   fix: tooBig ? "Downscale the image first, or raise maxPixels if you trust the file."
                                               : "The file is damaged or truncated; re-export or re-download it.")
        }
        let layout: DecodedImage.Layout = out.is_cmyk != 0 ? .cmyk : (out.channels == 4 ? .rgba : .rgb)
        let count = Int(out.width) * Int(out.height) * Int(out.channels)
        let samples = Array(UnsafeBufferPointer(start: pixels, count: count))
        return DecodedImage(width: Int(out.width), height: Int(out.height), layout: layout, samples: samples,
                            format: isPNG ? .png : .jpeg, bitDepth: Int(out.bit_depth),
                            sourceChannels: Int(out.source_channels), isPalette: out.is_palette != 0)
    }
}
