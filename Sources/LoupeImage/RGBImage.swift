/// An 8-bit RGB image, rows top to bottom, pixels interleaved (r, g, b).
/// The common currency between decoders, the scene generator, CLIP's
/// preprocessing and the renderers.
package struct RGBImage: Equatable, Sendable {
    package let width: Int
    package let height: Int
    package var pixels: [UInt8]
    /// Pixels per display pixel: 2 for figures drawn for high-DPI screens,
    /// which a notebook shows at half their pixel size, 1 for photos.
    package var density = 1

    /// The size to display at, in CSS pixels.
    package var displayWidth: Int { max(1, width / max(1, density)) }
    package var displayHeight: Int { max(1, height / max(1, density)) }

    package init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "RGBImage needs width*height*3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A image filled with one colour.
    package init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "image dimensions must be positive")
        self.width = width
        self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: p.count, by: 3) { p[i] = fill.0; p[i + 1] = fill.1; p[i + 2] = fill.2 }
        self.pixels = p
    }

    package subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2
        }
    }
}
