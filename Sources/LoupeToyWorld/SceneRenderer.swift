import LoupeImage
import LoupeRender

/// Draws scenes from their attributes: background, object(s), then the word.
package enum SceneRenderer {
    /// Scenes are square, this many pixels a side.
    package static let size = Layout.size

    package static func render(_ a: SceneAttributes) throws -> RGBImage {
        var canvas = Canvas(image: Backgrounds.draw(a.background, seed: a.detailSeed))
        draw(a.object, slot: 0, seed: a.detailSeed, on: &canvas)
        if let second = a.second { draw(second, slot: 1, seed: a.detailSeed, on: &canvas) }
        if let word = a.word { try drawWord(word, attributes: a, on: &canvas) }
        return canvas.image
    }

    static func draw(_ o: SceneObject, slot: Int, seed: UInt64, on canvas: inout Canvas) {
        var rng = SplitMix64(seed: seed, index: 200 + slot)
        let c = Layout.centre(o, slot: slot, seed: seed)
        let outline = ShapeOutline.polygon(o.shape, centre: c, radius: o.size.radius)
        // A slight per-scene shade so a colour name covers a small range.
        let (r, g, b) = o.colour.rgb
        let k = rng.uniform(0.9, 1.06)
        let fill = Colour(unit: r * k / 255, g * k / 255, b * k / 255)
        // Drawn as a sticker: soft shadow, a white rim, the body, then a dark
        // edge. Rim and edge always meet in the same order (white outside,
        // dark on the contour) whatever the fill and the backdrop, so the
        // outline is one pattern a patch embedding can pick up linearly.
        let shadow = outline.map { Point($0.x + 2.5, $0.y + 3) }
        canvas.fill(polygon: shadow, .black, alpha: 0.25)
        canvas.polyline(outline, .white, width: o.size == .large ? 8 : 6, closed: true)
        canvas.fill(polygon: outline, fill)
        canvas.polyline(outline, Colour(25, 25, 25), width: o.size == .large ? 2.4 : 1.8, closed: true)
    }

    /// The word goes in the band (top, bottom or middle) that the objects
    /// leave freest, in bold with a contrasting outline so it reads on any backdrop.
    static func drawWord(_ word: String, attributes a: SceneAttributes, on canvas: inout Canvas) throws {
        let font = try Font.sansBold()
        var size = 32.0
        let maxWidth = Double(Layout.size) - 24
        while size > 12 && font.measure(word, size: size) > maxWidth { size -= 2 }
        var rng = SplitMix64(seed: a.detailSeed, index: 300)
        let darkText = rng.chance(0.5)
        let tieBreak = rng.chance(0.5)
        // Band centres (y): the edges first, the middle when both edges are taken.
        let bands: [Double] = tieBreak ? [34, 196, 112] : [196, 34, 112]
        func crowding(_ y: Double) -> Double {
            var total = 0.0
            for (slot, o) in [a.object, a.second].compactMap({ $0 }).enumerated() {
                let c = Layout.centre(o, slot: slot, seed: a.detailSeed)
                let top = max(c.y - o.size.radius, y - size / 2), bottom = min(c.y + o.size.radius, y + size / 2)
                total += max(0, bottom - top) * o.size.radius
            }
            return total
        }
        var y = bands[0], least = crowding(bands[0])
        for b in bands.dropFirst() {
            let c = crowding(b)
            if c < least { least = c; y = b }
        }
        let x = Double(Layout.size) / 2 + rng.uniform(-12, 12)
        canvas.text(word, at: Point(x, y), font: font, size: size, darkText ? Colour(20, 20, 20) : .white,
                    horizontal: .centre, vertical: .middle, outline: darkText ? .white : Colour(20, 20, 20), outlineWidth: 2)
    }
}
