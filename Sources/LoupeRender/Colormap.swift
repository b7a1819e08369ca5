/// A 256-entry colour table mapping 0...1 to colours. The tables are built
/// by interpolating between a handful of published anchor colours:
/// viridis and magma from their evenly spaced reference swatches (van der
/// Walt & Smith's matplotlib maps, as listed in many palettes), the
/// diverging map from ColorBrewer's 11-class RdBu, reversed so that low
/// values are blue and high values red.
package struct Colormap: Sendable, Equatable {
    package let name: String
    package let table: [Colour]

    /// Builds a table by linear interpolation between evenly spaced anchors.
    package init(name: String, anchors: [Colour]) {
        precondition(anchors.count >= 2)
        self.name = name
        let n = anchors.count - 1
        table = (0..<256).map { i in
            let t = Double(i) / 255 * Double(n)
            let k = min(n - 1, Int(t))
            return anchors[k].mixed(with: anchors[k + 1], t - Double(k))
        }
    }

    /// The colour for `t` in 0...1 (clamped; NaN maps to the lowest colour).
    package func colour(_ t: Double) -> Colour {
        guard t.isFinite else { return table[0] }
        let i = Int((min(1, max(0, t)) * 255).rounded())
        return table[i]
    }

    /// The colour for `value` on a scale from `lo` to `hi`.
    package func colour(_ value: Double, lo: Double, hi: Double) -> Colour {
        colour(hi > lo ? (value - lo) / (hi - lo) : 0.5)
    }

    package static let viridis = Colormap(name: "viridis", anchors: [
        0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725,
    ].map { Colour(hex: $0) })

    package static let magma = Colormap(name: "magma", anchors: [
        0x000004, 0x140e36, 0x3b0f70, 0x641a80, 0x8c2981, 0xb73779, 0xde4968, 0xf7705c, 0xfe9f6d, 0xfecf92, 0xfcfdbf,
    ].map { Colour(hex: $0) })

    /// Blue through near-white to red; centre it on zero for signed data.
    package static let diverging = Colormap(name: "diverging", anchors: [
        0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f,
    ].map { Colour(hex: $0) })

    package static let gray = Colormap(name: "gray", anchors: [.black, .white])

    /// Every map by name, for the command language.
    package static let all: [Colormap] = [.viridis, .magma, .diverging, .gray]

    /// Looks a map up by name; "coolwarm" and "rdbu" are accepted for the diverging one.
    package static func named(_ name: String) -> Colormap? {
        switch name.lowercased() {
        case "coolwarm", "rdbu", "diverging": return .diverging
        default: return all.first { $0.name == name.lowercased() }
        }
    }
}
