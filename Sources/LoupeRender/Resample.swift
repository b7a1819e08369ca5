import LoupeImage

/// How a small grid or image is stretched to a larger size.
package enum Interpolation: Sendable {
    /// Hard-edged cells: each patch stays visibly a patch.
    case nearest
    /// Values taken as cell centres and blended linearly between them.
    case bilinear
}

/// Resizing for display. (Model preprocessing has its own, exact, resizer;
/// these only need to look right.)
package enum Resample {
    /// A `rows` x `columns` grid of values (row-major) sampled at every pixel
    /// of a `width` x `height` raster.
    package static func grid(_ values: [Double], rows: Int, columns: Int, width: Int, height: Int,
                            interpolation: Interpolation) -> [Double] {
        precondition(values.count == rows * columns && rows > 0 && columns > 0)
        var out = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let gx = (Double(x) + 0.5) / Double(width) * Double(columns)
                let gy = (Double(y) + 0.5) / Double(height) * Double(rows)
                let v: Double
                switch interpolation {
                case .nearest:
                    v = values[min(rows - 1, Int(gy)) * columns + min(columns - 1, Int(gx))]
                case .bilinear:
                    let fx = min(Double(columns - 1), max(0, gx - 0.5)), fy = min(Double(rows - 1), max(0, gy - 0.5))
                    let x0 = Int(fx), y0 = Int(fy)
                    let x1 = min(columns - 1, x0 + 1), y1 = min(rows - 1, y0 + 1)
                    let tx = fx - Double(x0), ty = fy - Double(y0)
                    let a = values[y0 * columns + x0], b = values[y0 * columns + x1]
                    let c = values[y1 * columns + x0], d = values[y1 * columns + x1]
                    // A NaN corner (a masked patch) falls back to the nearest cell.
                    if a.isNaN || b.isNaN || c.isNaN || d.isNaN {
                        v = values[min(rows - 1, Int(gy)) * columns + min(columns - 1, Int(gx))]
                    } else {
                        v = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
                    }
                }
                out[y * width + x] = v
            }
        }
        return out
    }

    /// An image resized to `width` x `height`: nearest or bilinear when
    /// enlarging, box-averaged when shrinking so thumbnails do not alias.
    package static func image(_ src: RGBImage, width: Int, height: Int, interpolation: Interpolation = .bilinear) -> RGBImage {
        if src.width == width && src.height == height { return src }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let sx = Double(src.width) / Double(width), sy = Double(src.height) / Double(height)
        for y in 0..<height {
            for x in 0..<width {
                var rgb = (0.0, 0.0, 0.0)
                if sx > 1 || sy > 1 {
                    // Average the source pixels whose centres fall in this pixel's footprint.
                    let x0 = Int(Double(x) * sx), x1 = max(x0 + 1, min(src.width, Int(Double(x + 1) * sx)))
                    let y0 = Int(Double(y) * sy), y1 = max(y0 + 1, min(src.height, Int(Double(y + 1) * sy)))
                    var n = 0.0
                    for yy in y0..<min(y1, src.height) {
                        for xx in x0..<min(x1, src.width) {
                            let i = (yy * src.width + xx) * 3
                            rgb.0 += Double(src.pixels[i]); rgb.1 += Double(src.pixels[i + 1]); rgb.2 += Double(src.pixels[i + 2])
                            n += 1
                        }
                    }
                    rgb = (rgb.0 / n, rgb.1 / n, rgb.2 / n)
                } else if interpolation == .nearest {
                    let i = (min(src.height - 1, Int(Double(y) * sy)) * src.width + min(src.width - 1, Int(Double(x) * sx))) * 3
                    rgb = (Double(src.pixels[i]), Double(src.pixels[i + 1]), Double(src.pixels[i + 2]))
                } else {
                    let fx = min(Double(src.width - 1), max(0, (Double(x) + 0.5) * sx - 0.5))
                    let fy = min(Double(src.height - 1), max(0, (Double(y) + 0.5) * sy - 0.5))
                    let x0 = Int(fx), y0 = Int(fy)
                    let x1 = min(src.width - 1, x0 + 1), y1 = min(src.height - 1, y0 + 1)
                    let tx = fx - Double(x0), ty = fy - Double(y0)
                    func at(_ xx: Int, _ yy: Int, _ c: Int) -> Double { Double(src.pixels[(yy * src.width + xx) * 3 + c]) }
                    func lerp(_ c: Int) -> Double {
                        (at(x0, y0, c) * (1 - tx) + at(x1, y0, c) * tx) * (1 - ty) + (at(x0, y1, c) * (1 - tx) + at(x1, y1, c) * tx) * ty
                    }
                    rgb = (lerp(0), lerp(1), lerp(2))
                }
                let o = (y * width + x) * 3
                out[o] = UInt8(min(255, max(0, rgb.0.rounded())))
                out[o + 1] = UInt8(min(255, max(0, rgb.1.rounded())))
                out[o + 2] = UInt8(min(255, max(0, rgb.2.rounded())))
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
