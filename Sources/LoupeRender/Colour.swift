/// An opaque 8-bit sRGB colour. Drawing calls take a separate alpha, so the
/// same colour can be used for solid fills and translucent overlays.
package struct Colour: Equatable, Hashable, Sendable {
    package var r: UInt8
    package var g: UInt8
    package var b: UInt8

    package init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// `Colour(hex: 0x1f77b4)`.
    package init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xff), UInt8((hex >> 8) & 0xff), UInt8(hex & 0xff))
    }

    /// Channels given in 0...1, clamped and rounded.
    package init(unit r: Double, _ g: Double, _ b: Double) {
        self.init(Colour.byte(r), Colour.byte(g), Colour.byte(b))
    }

    static func byte(_ v: Double) -> UInt8 {
        let c = v.isNaN ? 0 : min(1, max(0, v))
        return UInt8((c * 255).rounded())
    }

    /// The tuple form `RGBImage` uses.
    package var tuple: (UInt8, UInt8, UInt8) { (r, g, b) }

    /// Linear mix in sRGB space: `t = 0` gives `self`, `t = 1` gives `other`.
    package func mixed(with other: Colour, _ t: Double) -> Colour {
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 {
            let v = Double(a) + (Double(b) - Double(a)) * min(1, max(0, t))
            return UInt8(v.rounded())
        }
        return Colour(m(r, other.r), m(g, other.g), m(b, other.b))
    }

    /// Relative luminance (Rec. 709 weights on sRGB values), 0...1. Good
    /// enough to pick black or white text over a swatch.
    package var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    package static let black = Colour(0, 0, 0)
    package static let white = Colour(255, 255, 255)
    /// Text and axis lines: a near-black that is softer than pure black.
    package static let ink = Colour(hex: 0x222222)
    package static let grid = Colour(hex: 0xe4e4e4)
    package static let axis = Colour(hex: 0x555555)

    /// Distinguishable colours for chart series, in the order they are used.
    package static let series: [Colour] = [
        Colour(hex: 0x1f77b4), Colour(hex: 0xff7f0e), Colour(hex: 0x2ca02c), Colour(hex: 0xd62728),
        Colour(hex: 0x9467bd), Colour(hex: 0x8c564b), Colour(hex: 0xe377c2), Colour(hex: 0x7f7f7f),
        Colour(hex: 0xbcbd22), Colour(hex: 0x17becf),
    ]
}
