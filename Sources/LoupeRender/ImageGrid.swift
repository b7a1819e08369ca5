import Foundation
import LoupeImage

/// Several images in rows, each scaled into a square cell, with captions.
package enum ImageGrid {
    /// `columns` defaults to about the square root of the count (at most 8).
    /// Each image keeps its aspect ratio inside a `cellSize` square (display
    /// pixels; `density` 2 draws every cell twice as finely). Captions wrap,
    /// and every caption row is as tall as its longest caption, so none is
    /// cut short; `captionLines` is the least room kept for them. `frames`
    /// draws a coloured border around chosen cells.
    package static func render(_ images: [RGBImage], captions: [String]? = nil, columns: Int? = nil, cellSize: Int = 112,
                              padding: Int = 6, captionLines: Int = 2, title: String? = nil,
                              frames: [Colour?]? = nil, density: Int = 1) throws -> RGBImage {
        guard !images.isEmpty else { throw ChartError.empty("an image grid needs at least one image") }
        guard cellSize >= 8 else { throw ChartError.tooSmall("grid cells must be at least 8 pixels") }
        if let c = captions, c.count != images.count {
            throw ChartError.countMismatch("image grid needs one caption per image (\(images.count) images, \(c.count) captions)")
        }
        let d = max(1, density)
        let font = try Font.sans(), bold = try Font.sansBold()
        let cols = max(1, min(images.count, columns ?? min(8, Int(Double(images.count).squareRoot().rounded(.up)))))
        let rows = (images.count + cols - 1) / cols
        let cell = cellSize * d, pad = padding * d
        let size = min(12, max(8, Double(cellSize) / 11)) * Double(d)
        let lineHeight = Int((size * 1.3).rounded(.up))
        let wrapped = captions?.map { font.wrap($0, size: size, width: Double(cell)) }
        let linesPerRow = (0..<rows).map { r in
            max(captionLines, (wrapped?[(r * cols)..<min(images.count, (r + 1) * cols)].map(\.count).max() ?? 0))
        }
        let captionHeight = { (r: Int) in captions == nil ? 0 : lineHeight * max(1, linesPerRow[r]) + 2 * d }
        let width = cols * (cell + pad) + pad
        let titleLines = title.map { bold.wrap($0, size: size * 1.15, width: Double(width - 8 * d)) } ?? []
        let titleLine = size * 1.15 * 1.3
        let titleHeight = titleLines.isEmpty ? 0 : Int((Double(titleLines.count) * titleLine + size * 0.7).rounded())
        var rowTop = [titleHeight + pad]
        for r in 0..<rows { rowTop.append(rowTop[r] + cell + captionHeight(r) + pad) }
        var canvas = Canvas(width: width, height: rowTop[rows])
        bold.drawLines(titleLines, on: &canvas, x: Double(width) / 2, top: Double(pad) * 0.5 + size * 0.3, size: size * 1.15,
                       lineHeight: titleLine)
        for (i, img) in images.enumerated() {
            let ox = pad + (i % cols) * (cell + pad), oy = rowTop[i / cols]
            let scale = Double(cell) / Double(max(img.width, img.height))
            let w = max(1, Int((Double(img.width) * scale).rounded())), h = max(1, Int((Double(img.height) * scale).rounded()))
            let thumb = Resample.image(img, width: w, height: h)
            let x = ox + (cell - w) / 2, y = oy + (cell - h) / 2
            canvas.draw(thumb, x: x, y: y)
            if let frames, i < frames.count, let c = frames[i] {
                let b = Double(2 * d)
                canvas.stroke(Rect(x: Double(x) - b, y: Double(y) - b, width: Double(w) + 2 * b, height: Double(h) + 2 * b), c,
                              width: b)
            }
            if let lines = wrapped?[i] {
                font.drawLines(lines, on: &canvas, x: Double(ox) + Double(cell) / 2, top: Double(oy + cell + 2 * d), size: size,
                               lineHeight: Double(lineHeight))
            }
        }
        var image = canvas.image
        image.density = d
        return image
    }
}
