import LoupeImage

extension Heatmap {
    /// Marks the patches of a `rows` x `columns` grid whose value is above
    /// `threshold`: other patches are dimmed and the marked ones outlined,
    /// the view for "where does this feature fire" in top-image grids.
    /// The image keeps its size.
    package static func highlight(image: RGBImage, values: [Double], rows: Int, columns: Int, threshold: Double = 0,
                                 colour: Colour = Colour(hex: 0xffd21f), dim: Double = 0.55) throws -> RGBImage {
        try check(values, rows, columns)
        var canvas = Canvas(image: image)
        let cw = Double(image.width) / Double(columns), ch = Double(image.height) / Double(rows)
        func active(_ r: Int, _ c: Int) -> Bool {
            guard r >= 0, c >= 0, r < rows, c < columns else { return false }
            let v = values[r * columns + c]
            return v.isFinite && v > threshold
        }
        for r in 0..<rows {
            for c in 0..<columns where !active(r, c) {
                canvas.fill(Rect(x: Double(c) * cw, y: Double(r) * ch, width: cw, height: ch), .black, alpha: dim)
            }
        }
        // Outline only the boundary of each active region, so touching
        // patches read as one area.
        let w = max(1.5, min(cw, ch) / 14)
        for r in 0..<rows {
            for c in 0..<columns where active(r, c) {
                let x0 = Double(c) * cw, y0 = Double(r) * ch
                if !active(r - 1, c) { canvas.fill(Rect(x: x0, y: y0, width: cw, height: w), colour) }
                if !active(r + 1, c) { canvas.fill(Rect(x: x0, y: y0 + ch - w, width: cw, height: w), colour) }
                if !active(r, c - 1) { canvas.fill(Rect(x: x0, y: y0, width: w, height: ch), colour) }
                if !active(r, c + 1) { canvas.fill(Rect(x: x0 + cw - w, y: y0, width: w, height: ch), colour) }
            }
        }
        return canvas.image
    }
}
