/// An image as its file stored it, reduced to 8-bit samples: RGB, RGB with
/// alpha, or CMYK. Keeping the file's own layout (rather than flattening to
/// RGB at once) lets CLIP preprocessing resample exactly the way PIL does
/// before its final conversion to RGB.
package struct DecodedImage: Sendable {
    package enum Layout: String, Sendable {
        /// r, g, b (gray files are expanded to this).
        case rgb
        /// r, g, b, a with straight (not premultiplied) alpha.
        case rgba
        /// c, m, y, k with 0 meaning no ink.
        case cmyk
    }

    package enum Format: String, Sendable { case png, jpeg }

    package let width: Int
    package let height: Int
    package let layout: Layout
    /// Interleaved samples, rows top to bottom.
    package let samples: [UInt8]
    package let format: Format
    /// Bits per sample in the file (16-bit PNGs keep their high byte here).
    package let bitDepth: Int
    /// Channels the file stored: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha or CMYK.
    package let sourceChannels: Int
    /// PNG palette image.
    package let isPalette: Bool

    package init(width: Int, height: Int, layout: Layout, samples: [UInt8], format: Format,
                bitDepth: Int = 8, sourceChannels: Int = 3, isPalette: Bool = false) {
        precondition(samples.count == width * height * layout.channels, "sample count does not match the layout")
        self.width = width; self.height = height; self.layout = layout; self.samples = samples
        self.format = format; self.bitDepth = bitDepth; self.sourceChannels = sourceChannels; self.isPalette = isPalette
    }

    /// Palette and 1-bit images are resized nearest-neighbour by PIL (its
    /// modes "P" and "1" cannot be interpolated); CLIP preprocessing follows.
    package var resizesNearest: Bool { isPalette || (bitDepth == 1 && sourceChannels == 1) }

    /// A short description such as "PNG 64×48 gray 16-bit".
    package var summary: String {
        let kind: String
        if isPalette { kind = "palette" }
        else if layout == .cmyk { kind = "CMYK" }
        else {
            switch sourceChannels {
            case 1: kind = "gray"
            case 2: kind = "gray+alpha"
            case 4: kind = "RGBA"
            default: kind = "RGB"
            }
        }
        return "\(format.rawValue.uppercased()) \(width)×\(height) \(kind) \(bitDepth)-bit"
    }

    /// The image as RGB: alpha is dropped (not composited) and CMYK is
    /// converted with PIL's formula, so results agree with PIL's convert("RGB").
    package func toRGB() -> RGBImage {
        RGBImage(width: width, height: height, pixels: DecodedImage.rgbSamples(samples, layout: layout))
    }

    /// Converts interleaved samples in `layout` to interleaved RGB.
    package static func rgbSamples(_ samples: [UInt8], layout: Layout) -> [UInt8] {
        switch layout {
        case .rgb:
            return samples
        case .rgba:
            let n = samples.count / 4
            var out = [UInt8](repeating: 0, count: n * 3)
            for i in 0..<n { out[3 * i] = samples[4 * i]; out[3 * i + 1] = samples[4 * i + 1]; out[3 * i + 2] = samples[4 * i + 2] }
            return out
        case .cmyk:
            let n = samples.count / 4
            var out = [UInt8](repeating: 0, count: n * 3)
            for i in 0..<n {
                // PIL's cmyk2rgb: channel = (255-k) - c·(255-k)/255 with its rounding.
                let nk = 255 - Int(samples[4 * i + 3])
                for c in 0..<3 {
                    let v = nk - mulDiv255(Int(samples[4 * i + c]), nk)
                    out[3 * i + c] = UInt8(clamping: v)
                }
            }
            return out
        }
    }

    /// a·b/255 rounded the way PIL's MULDIV255 macro rounds.
    @inline(__always)
    static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }
}

extension DecodedImage {
    /// The image composited onto opaque white, as RGB: what transformers'
    /// image processors do to transparent images (PIL's alpha_composite over
    /// a white background, with its fixed-point rounding).
    package static func onWhite(_ image: DecodedImage) -> DecodedImage {
        guard image.layout == .rgba else { return image }
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n * 3)
        image.samples.withUnsafeBufferPointer { src in
            for i in 0..<n {
                let a = Int(src[4 * i + 3])
                for c in 0..<3 {
                    guard a > 0 else { out[3 * i + c] = 255; continue }
                    let t = 128 * (Int(src[4 * i + c]) * a + 255 * (255 - a)) + (0x80 << 7)
                    out[3 * i + c] = UInt8((((t >> 8) + t) >> 8) >> 7)
                }
            }
        }
        return DecodedImage(width: image.width, height: image.height, layout: .rgb, samples: out, format: image.format)
    }
}

extension DecodedImage.Layout {
    package var channels: Int { self == .rgb ? 3 : 4 }
}

extension DecodedImage {
    /// An RGB image seen as a decoded image (for preprocessing generated pictures).
    package init(_ image: RGBImage) {
        self.init(width: image.width, height: image.height, layout: .rgb, samples: image.pixels, format: .png)
    }
}
