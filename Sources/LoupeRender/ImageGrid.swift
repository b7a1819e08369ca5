import Foundation
import LoupeImage

/// Several images in rows, each scaled into a square cell, with captions.
public enum ImageGrid {
    /// `columns` defaults to about the square root of the count (at most 8).
    /// Each image keeps its aspect ratio inside a `cellSize` square.
    /// Captions wrap onto at most `captionLines` lines and are truncated
    /// after that. `frames` draws a coloured border around chosen cells.
    public static func render(_ images: [RGBImage], captions: [String]? = nil, columns: Int? = nil, cellSize: Int = 112,
                              padding: Int = 6, captionLines: Int = 2, title: String? = nil,
                              frames: [Colour?]? = nil) throws -> RGBImage {
        guard !images.isEmpty else { throw ChartError("an image grid needs at least one image") }
        guard cellSize >= 8 else { throw ChartError("grid cells must be at least 8 pixels") }
        if let c = captions, c.count != images.count {
            throw ChartError("image grid needs one caption per image (\(images.count) images, \(c.count) captions)")
        }
        let font = try Font.sans(), bold = try Font.sansBold()
        let cols = max(1, min(images.count, columns ?? min(8, Int(Double(images.count).squareRoot().rounded(.up)))))
        let rows = (images.count + cols - 1) / cols
        let size = min(12, max(8, Double(cellSize) / 11))
        let lineHeight = Int((size * 1.3).rounded(.up))
        let captionHeight = captions == nil ? 0 : lineHeight * max(1, captionLines) + 2
        let titleHeight = title == nil ? 0 : Int((size * 2).rounded())
        let cellW = cellSize + padding, cellH = cellSize + captionHeight + padding
        var canvas = Canvas(width: cols * cellW + padding, height: titleHeight + rows * cellH + padding)
        if let title {
            canvas.text(bold.truncate(title, size: size * 1.15, toWidth: Double(canvas.width - 8)),
                        at: Point(Double(canvas.width) / 2, Double(padding) * 0.5 + size * 0.3), font: bold,
                        size: size * 1.15, horizontal: .centre, vertical: .top)
        }
        for (i, img) in images.enumerated() {
            let ox = padding + (i % cols) * cellW, oy = titleHeight + padding + (i / cols) * cellH
            let scale = Double(cellSize) / Double(max(img.width, img.height))
            let w = max(1, Int((Double(img.width) * scale).rounded())), h = max(1, Int((Double(img.height) * scale).rounded()))
            let thumb = Resample.image(img, width: w, height: h)
            let x = ox + (cellSize - w) / 2, y = oy + (cellSize - h) / 2
            canvas.draw(thumb, x: x, y: y)
            if let frames, i < frames.count, let c = frames[i] {
                canvas.stroke(Rect(x: Double(x - 2), y: Double(y - 2), width: Double(w + 4), height: Double(h + 4)), c, width: 2)
            }
            if let caption = captions?[i] {
                let lines = wrap(caption, font: font, size: size, width: Double(cellSize), maxLines: max(1, captionLines))
                for (k, line) in lines.enumerated() {
                    canvas.text(line, at: Point(Double(ox) + Double(cellSize) / 2, Double(oy + cellSize + 2 + k * lineHeight)),
                                font: font, size: size, horizontal: .centre, vertical: .top)
                }
            }
        }
        return canvas.image
    }

    /// Greedy word wrap; the last permitted line carries an ellipsis if text remains.
    static func wrap(_ text: String, font: Font, size: Double, width: Double, maxLines: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        let words = text.split(separator: " ").map(String.init)
        var i = 0
        while i < words.count {
            let candidate = current.isEmpty ? words[i] : current + " " + words[i]
            if font.measure(candidate, size: size) <= width || current.isEmpty {
                current = candidate
                i += 1
            } else {
                lines.append(current)
                current = ""
                if lines.count == maxLines - 1 {
                    current = words[i...].joined(separator: " ")
                    break
                }
            }
        }
        if !current.isEmpty { lines.append(current) }
        return Array(lines.prefix(maxLines)).map { font.truncate($0, size: size, toWidth: width) }
    }
}
