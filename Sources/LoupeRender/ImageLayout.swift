import LoupeImage

/// Pictures laid side by side (or one above another), top- or left-aligned
/// on white, with a gap between them.
/// Parts of different densities are brought to the finest first.
package func arrange(_ parts: [RGBImage], vertical: Bool, gap: Int = 12) -> RGBImage {
    let density = parts.map(\.density).max() ?? 1
    let parts = parts.map { part in
        guard part.density < density else { return part }
        var scaled = Resample.image(part, width: part.width * density / part.density, height: part.height * density / part.density)
        scaled.density = density
        return scaled
    }
    let gap = gap * density
    let width = vertical ? parts.map(\.width).max() ?? 1 : parts.map(\.width).reduce(0, +) + gap * max(0, parts.count - 1)
    let height = vertical ? parts.map(\.height).reduce(0, +) + gap * max(0, parts.count - 1) : parts.map(\.height).max() ?? 1
    var canvas = Canvas(width: max(1, width), height: max(1, height))
    var offset = 0
    for part in parts {
        canvas.draw(part, x: vertical ? 0 : offset, y: vertical ? offset : 0)
        offset += (vertical ? part.height : part.width) + gap
    }
    var image = canvas.image
    image.density = density
    return image
}
