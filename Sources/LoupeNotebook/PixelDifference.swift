import Foundation
import LoupeImage

/// How two pictures differ, pixel by pixel, after decoding: PNG bytes
/// differ between runs for reasons no one sees (compression), and a
/// heatmap whose values moved in the fifth digit can shift a colour by one
/// level, so neither bytes nor exact pixels are the test.
package struct PixelDifference: Equatable {
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case undecodable(side: String, reason: String)
        case sizes(stored: String, fresh: String)

        package var description: String {
            switch self {
            case .undecodable(let side, let reason): return "the \(side) picture cannot be decoded (\(reason))"
            case .sizes(let stored, let fresh): return "the picture is \(fresh) now, \(stored) stored"
            }
        }
    }

    /// The largest difference of one channel, 0-255.
    package let maxLevel: Int
    /// The mean absolute difference over all channels, 0-255.
    package let meanLevel: Double
    /// The share of pixels with a channel differing by more than the threshold.
    package let share: Double

    /// Compares two base64-encoded PNGs (nbformat's `image/png`).
    package static func between(storedBase64: String, freshBase64: String, threshold: Int) throws -> PixelDifference {
        let stored = try decode(storedBase64, side: "stored")
        let fresh = try decode(freshBase64, side: "fresh")
        return try between(stored, fresh, threshold: threshold)
    }

    package static func between(_ stored: RGBImage, _ fresh: RGBImage, threshold: Int) throws -> PixelDifference {
        guard stored.width == fresh.width, stored.height == fresh.height else {
            throw Failure.sizes(stored: "\(stored.width)×\(stored.height)", fresh: "\(fresh.width)×\(fresh.height)")
        }
        let a = stored.pixels, b = fresh.pixels
        var maxLevel = 0, total = 0, differing = 0
        var p = 0
        while p + 2 < a.count {
            var worst = 0
            for c in 0..<3 {
                let d = abs(Int(a[p + c]) - Int(b[p + c]))
                total += d
                worst = max(worst, d)
            }
            maxLevel = max(maxLevel, worst)
            if worst > threshold { differing += 1 }
            p += 3
        }
        let pixels = max(1, a.count / 3)
        return PixelDifference(maxLevel: maxLevel, meanLevel: Double(total) / Double(pixels * 3),
                               share: Double(differing) / Double(pixels))
    }

    static func decode(_ base64: String, side: String) throws -> RGBImage {
        guard let data = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            throw Failure.undecodable(side: side, reason: "not base64")
        }
        do { return try ImageFile.decode([UInt8](data), name: "the \(side) picture").toRGB() } catch {
            throw Failure.undecodable(side: side, reason: "\(error)")
        }
    }
}
