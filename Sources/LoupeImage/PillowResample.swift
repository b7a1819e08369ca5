import Foundation

/// Resizing that reproduces PIL's `Image.resize` bit for bit on 8-bit
/// images, because CLIP's reference preprocessing (torchvision on PIL
/// images) is defined by it: a separable convolution, horizontal pass then
/// vertical, coefficients in 22-bit fixed point, and rounding to 8 bits
/// after each pass.
package enum PillowResample {
    package enum Filter: Sendable {
        /// Keys' cubic with a = -0.5, antialiased when shrinking (PIL's BICUBIC).
        case bicubic
        /// The triangle filter, antialiased when shrinking (PIL's BILINEAR).
        case bilinear
        /// Nearest neighbour, as PIL applies to palette and 1-bit images.
        case nearest
    }

    /// How the filter taps are rounded to fixed point.
    package enum Arithmetic: Sendable {
        /// PIL: 22 fractional bits in 32-bit integers.
        case pillow
        /// torch's uint8 antialiased kernels (what torchvision, and so
        /// transformers' image processors, run on CPU): 16-bit taps with as
        /// many fractional bits as the largest tap of the pass allows. The
        /// algorithm is otherwise PIL's, but the coarser taps move about one
        /// sample in 400 by one level.
        case torchInt16
    }

    static let precisionBits = 22

    /// Resizes interleaved 8-bit samples with `channels` per pixel. With a
    /// `window`, only those output columns and rows are computed and
    /// returned: each output pixel depends on its own taps alone, so the
    /// window is exactly that part of the full result, without the memory of
    /// the full result (a crop of an extreme aspect ratio stays small).
    package static func resize(_ samples: [UInt8], width: Int, height: Int, channels: Int,
                              to outWidth: Int, _ outHeight: Int, filter: Filter, arithmetic: Arithmetic = .pillow,
                              window: (x: Range<Int>, y: Range<Int>)? = nil) -> [UInt8] {
        precondition(samples.count == width * height * channels, "sample count does not match the size")
        precondition(outWidth > 0 && outHeight > 0, "output size must be positive")
        let xs = window?.x ?? 0..<outWidth, ys = window?.y ?? 0..<outHeight
        precondition(xs.lowerBound >= 0 && xs.upperBound <= outWidth && ys.lowerBound >= 0 && ys.upperBound <= outHeight
                     && !xs.isEmpty && !ys.isEmpty, "window outside the output")
        if outWidth == width && outHeight == height {
            return crop(samples, width: width, channels: channels, columns: xs, rows: ys)
        }
        switch filter {
        case .nearest:
            return nearest(samples, width: width, height: height, channels: channels, outWidth, outHeight, xs, ys)
        case .bicubic, .bilinear:
            // PIL: horizontal pass over the input rows the vertical pass reads,
            // then the vertical pass; a dimension that keeps its size is not
            // resampled at all.
            let vertical = outHeight != height ? coefficients(inSize: height, outSize: outHeight, filter: filter, arithmetic: arithmetic) : nil
            var rows = ys
            if let v = vertical {
                let first = ys.map { v.bounds[2 * $0] }.min()!
                let last = ys.map { v.bounds[2 * $0] + v.bounds[2 * $0 + 1] }.max()!
                rows = first..<last
            }
            let stretched = outWidth != width
                ? horizontalPass(samples, width: width, rows: rows, channels: channels,
                                 coeffs: coefficients(inSize: width, outSize: outWidth, filter: filter, arithmetic: arithmetic), columns: xs)
                : crop(samples, width: width, channels: channels, columns: xs, rows: rows)
            guard let v = vertical else { return stretched }
            return verticalPass(stretched, width: xs.count, channels: channels, firstRow: rows.lowerBound,
                                coeffs: v, outRows: ys)
        }
    }

    static func crop(_ src: [UInt8], width: Int, channels: Int, columns: Range<Int>, rows: Range<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: columns.count * rows.count * channels)
        let rowLen = columns.count * channels
        for (i, y) in rows.enumerated() {
            let s = (y * width + columns.lowerBound) * channels
            for j in 0..<rowLen { out[i * rowLen + j] = src[s + j] }
        }
        return out
    }

    struct Coefficients {
        var bounds: [Int]      // (start, count) per output sample
        var weights: [Int32]   // ksize per output sample, fixed point
        var ksize: Int
        var precision: Int     // fractional bits of the weights
    }

    @inline(__always)
    static func bicubic(_ xIn: Double) -> Double {
        let a = -0.5
        let x = xIn < 0 ? -xIn : xIn
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    @inline(__always)
    static func triangle(_ xIn: Double) -> Double {
        let x = xIn < 0 ? -xIn : xIn
        return x < 1 ? 1 - x : 0
    }

    /// Filter taps for resampling `inSize` samples onto `outSize`, with the
    /// same double-precision arithmetic (and order of operations) as PIL,
    /// rounded to fixed point as `arithmetic` says.
    static func coefficients(inSize: Int, outSize: Int, filter: Filter = .bicubic, arithmetic: Arithmetic = .pillow) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let kernel: (Double) -> Double = filter == .bilinear ? triangle : bicubic
        let support = (filter == .bilinear ? 1.0 : 2.0) * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var bounds = [Int](repeating: 0, count: outSize * 2)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        var normalised = [Double](repeating: 0, count: outSize * ksize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            var xmin = Int(center - support + 0.5)   // truncation toward zero, as C's (int)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = kernel((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<ksize {
                var v = x < xmax ? k[x] : 0
                if x < xmax && ww != 0 { v /= ww }
                normalised[xx * ksize + x] = v
            }
            bounds[2 * xx] = xmin
            bounds[2 * xx + 1] = xmax
        }
        var precision = precisionBits
        if arithmetic == .torchInt16 {
            // The most fractional bits (up to 22) for which twice the largest
            // tap, rounded, still fits in an int16.
            let largest = normalised.max() ?? 0
            precision = 0
            while precision < precisionBits, Int(0.5 + largest * Double(1 << (precision + 1))) < (1 << 15) { precision += 1 }
        }
        for (i, v) in normalised.enumerated() {
            let fixed = v * Double(1 << precision)
            weights[i] = Int32(v < 0 ? (-0.5 + fixed).rounded(.towardZero) : (0.5 + fixed).rounded(.towardZero))
        }
        return Coefficients(bounds: bounds, weights: weights, ksize: ksize, precision: precision)
    }

    /// Fixed-point sum back to 8 bits: floor shift, then clamp (PIL's clip8).
    @inline(__always)
    static func clip8(_ v: Int, _ precision: Int) -> UInt8 {
        let s = v >> precision
        return s < 0 ? 0 : (s > 255 ? 255 : UInt8(s))
    }

    /// Output columns `columns` of input rows `rows`, resampled horizontally.
    /// All channels of a pixel are summed in one walk over its taps (the
    /// hot loop of photo preprocessing); the arithmetic per channel is PIL's.
    static func horizontalPass(_ src: [UInt8], width: Int, rows: Range<Int>, channels: Int,
                               coeffs: Coefficients, columns: Range<Int>) -> [UInt8] {
        let outWidth = columns.count, precision = coeffs.precision, ksize = coeffs.ksize
        var out = [UInt8](repeating: 0, count: rows.count * outWidth * channels)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                coeffs.weights.withUnsafeBufferPointer { w in
                    var acc = [Int](repeating: 0, count: channels)
                    for (yy, y) in rows.enumerated() {
                        let row = s.baseAddress! + y * width * channels
                        for (ox, xx) in columns.enumerated() {
                            let xmin = coeffs.bounds[2 * xx], count = coeffs.bounds[2 * xx + 1]
                            let taps = w.baseAddress! + xx * ksize
                            for c in 0..<channels { acc[c] = 1 << (precision - 1) }
                            var pixel = row + xmin * channels
                            for x in 0..<count {
                                let k = Int(taps[x])
                                for c in 0..<channels { acc[c] += Int(pixel[c]) * k }
                                pixel += channels
                            }
                            let dst = (yy * outWidth + ox) * channels
                            for c in 0..<channels { o[dst + c] = clip8(acc[c], precision) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Output rows `outRows`, resampled vertically from `src`, whose first
    /// row is input row `firstRow`. Rows are combined a whole row at a time,
    /// so the inner loop runs along contiguous memory.
    static func verticalPass(_ src: [UInt8], width: Int, channels: Int, firstRow: Int,
                             coeffs: Coefficients, outRows: Range<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outRows.count * width * channels)
        let rowLen = width * channels, precision = coeffs.precision
        var acc = [Int](repeating: 0, count: rowLen)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                acc.withUnsafeMutableBufferPointer { a in
                    for (oy, yy) in outRows.enumerated() {
                        let ymin = coeffs.bounds[2 * yy] - firstRow, count = coeffs.bounds[2 * yy + 1]
                        let kbase = yy * coeffs.ksize
                        a.update(repeating: 1 << (precision - 1))
                        for y in 0..<count {
                            let k = Int(coeffs.weights[kbase + y]), line = s.baseAddress! + (y + ymin) * rowLen
                            for i in 0..<rowLen { a[i] += Int(line[i]) * k }
                        }
                        for i in 0..<rowLen { o[oy * rowLen + i] = clip8(a[i], precision) }
                    }
                }
            }
        }
        return out
    }

    /// PIL's nearest-neighbour scaling: source coordinate accumulated in
    /// double precision from the pixel centre, then truncated.
    static func nearest(_ src: [UInt8], width: Int, height: Int, channels: Int, _ outWidth: Int, _ outHeight: Int,
                        _ xsWanted: Range<Int>, _ ysWanted: Range<Int>) -> [UInt8] {
        func table(_ inSize: Int, _ outSize: Int) -> [Int] {
            let step = Double(inSize) / Double(outSize)
            var pos = step * 0.5
            var t = [Int](repeating: 0, count: outSize)
            for i in 0..<outSize {
                t[i] = min(inSize - 1, max(0, pos < 0 ? -1 : Int(pos)))
                pos += step
            }
            return t
        }
        let xs = table(width, outWidth), ys = table(height, outHeight)
        var out = [UInt8](repeating: 0, count: xsWanted.count * ysWanted.count * channels)
        for (oy, y) in ysWanted.enumerated() {
            for (ox, x) in xsWanted.enumerated() {
                let s = (ys[y] * width + xs[x]) * channels, d = (oy * xsWanted.count + ox) * channels
                for c in 0..<channels { out[d + c] = src[s + c] }
            }
        }
        return out
    }
}

extension PillowResample {
    /// PIL resizes images with alpha in premultiplied form (RGBa), then
    /// divides back; this reproduces both conversions with PIL's rounding.
    package static func premultiply(_ rgba: inout [UInt8]) {
        for i in stride(from: 0, to: rgba.count, by: 4) {
            let a = Int(rgba[i + 3])
            for c in 0..<3 {
                let t = Int(rgba[i + c]) * a + 128
                rgba[i + c] = UInt8(((t >> 8) + t) >> 8)
            }
        }
    }

    package static func unpremultiply(_ rgba: inout [UInt8]) {
        for i in stride(from: 0, to: rgba.count, by: 4) {
            let a = Int(rgba[i + 3])
            if a == 0 || a == 255 { continue }
            for c in 0..<3 { rgba[i + c] = UInt8(min(255, 255 * Int(rgba[i + c]) / a)) }
        }
    }
}
