import Foundation
import LoupeImage

/// Values on a grid drawn as colour, over an image or on their own, with a
/// colour bar that says what the colours mean.
package enum Heatmap {
    /// Blends a `rows` x `columns` grid (row-major; e.g. 7x7 patch values)
    /// over `image`. `range` defaults to the values' min...max; NaN cells
    /// are left uncoloured. The image is shown `displaySize` pixels on its
    /// longer side (default: its own size, at least 224).
    package static func overlay(image: RGBImage, values: [Double], rows: Int, columns: Int,
                               colormap: Colormap = .viridis, range: ClosedRange<Double>? = nil, alpha: Double = 0.6,
                               interpolation: Interpolation = .nearest, displaySize: Int? = nil,
                               colourBar: Bool = true, title: String? = nil, label: String? = nil,
                               density: Int = 1) throws -> RGBImage {
        try check(values, rows, columns)
        let longest = (displaySize ?? max(224, max(image.width, image.height))) * max(1, density)
        let scale = Double(longest) / Double(max(image.width, image.height))
        let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
        let base = Resample.image(image, width: w, height: h)
        let (lo, hi) = resolve(range, values)
        let field = Resample.grid(values, rows: rows, columns: columns, width: w, height: h, interpolation: interpolation)
        var tile = Canvas(image: base)
        for y in 0..<h {
            for x in 0..<w {
                let v = field[y * w + x]
                if v.isNaN { continue }
                tile.blend(x: x, y: y, colour: colormap.colour(v, lo: lo, hi: hi), alpha: alpha)
            }
        }
        return try compose(tile.image, colormap: colormap, lo: lo, hi: hi, colourBar: colourBar, title: title, label: label,
                           density: density)
    }

    /// A grid of values as coloured cells, `cellSize` pixels each, with
    /// optional row and column labels.
    package static func matrix(values: [Double], rows: Int, columns: Int, colormap: Colormap = .viridis,
                              range: ClosedRange<Double>? = nil, cellSize: Int = 24, rowLabels: [String]? = nil,
                              columnLabels: [String]? = nil, colourBar: Bool = true, title: String? = nil,
                              label: String? = nil, density: Int = 1) throws -> RGBImage {
        try check(values, rows, columns)
        let (lo, hi) = resolve(range, values)
        let font = try Font.sans()
        let d = max(1, density), cellSize = cellSize * d
        let size = min(12, max(8, Double(cellSize / d) * 0.5)) * Double(d)
        let left = Int(((rowLabels ?? []).map { font.measure($0, size: size) }.max() ?? -6) + 6)
        // Column labels wider than a cell turn a quarter, reading upwards.
        let columnWidths = (columnLabels ?? []).map { font.measure($0, size: size) }
        let turned = columnWidths.contains { $0 > Double(cellSize) - 1 }
        let top = columnLabels == nil ? 0 : turned ? Int((columnWidths.max() ?? 0) + size * 0.5) : Int((size * 1.5).rounded())
        var canvas = Canvas(width: left + columns * cellSize, height: top + rows * cellSize)
        for r in 0..<rows {
            for c in 0..<columns {
                let v = values[r * columns + c]
                let cell = Rect(x: Double(left + c * cellSize), y: Double(top + r * cellSize), width: Double(cellSize), height: Double(cellSize))
                if v.isNaN { canvas.fill(cell, Colour(hex: 0xdddddd)) } else { canvas.fill(cell, colormap.colour(v, lo: lo, hi: hi)) }
            }
        }
        for (r, l) in (rowLabels ?? []).prefix(rows).enumerated() {
            canvas.text(l, at: Point(Double(left - 4), Double(top + r * cellSize) + Double(cellSize) / 2), font: font, size: size,
                        horizontal: .right, vertical: .middle)
        }
        for (c, l) in (columnLabels ?? []).prefix(columns).enumerated() {
            canvas.text(l, at: Point(Double(left + c * cellSize) + Double(cellSize) / 2, Double(top) - 2), font: font, size: size,
                        horizontal: .centre, vertical: .bottom, turned: turned)
        }
        return try compose(canvas.image, colormap: colormap, lo: lo, hi: hi, colourBar: colourBar, title: title, label: label,
                           density: density)
    }

    static func check(_ values: [Double], _ rows: Int, _ columns: Int) throws {
        guard rows > 0, columns > 0, values.count == rows * columns else {
            throw ChartError.countMismatch("heatmap needs rows x columns values (\(rows) x \(columns) = \(rows * columns), got \(values.count))")
        }
    }

    static func resolve(_ range: ClosedRange<Double>?, _ values: [Double]) -> (Double, Double) {
        if let r = range, r.upperBound > r.lowerBound { return (r.lowerBound, r.upperBound) }
        let finite = values.filter(Chart.plottable)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        return hi > lo ? (lo, hi) : (lo - 0.5, hi + 0.5)
    }

    /// Puts the title above and the colour bar to the right of `body`.
    static func compose(_ body: RGBImage, colormap: Colormap, lo: Double, hi: Double, colourBar: Bool,
                        title: String?, label: String?, density: Int) throws -> RGBImage {
        let font = try Font.sans(), bold = try Font.sansBold()
        let d = max(1, density), unit = Double(d)
        let size = min(12, max(8, Double(body.height / d) / 20)) * unit
        let ticks = Ticks.nice(lo, hi, target: max(2, min(6, body.height / d / 40)))
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : hi - lo
        let labels = ticks.map { Ticks.label($0, step: step) }
        let barWidth = max(8 * d, Int(size * 1.1)), gap = Int(size)
        let labelWidth = Int((labels.map { font.measure($0, size: size) }.max() ?? 0).rounded(.up)) + 6 * d
        let side = colourBar ? gap + barWidth + labelWidth + (label == nil ? 0 : Int(size * 1.6)) : 0
        let pad = 4 * d
        let width = body.width + side + 2 * pad
        let titleLines = title.map { bold.wrap($0, size: size * 1.1, width: Double(width - 8 * d)) } ?? []
        let titleLine = size * 1.1 * 1.3
        let titleHeight = titleLines.isEmpty ? 0 : Int((Double(titleLines.count) * titleLine + size * 0.6).rounded())
        var canvas = Canvas(width: width, height: body.height + titleHeight + 2 * pad)
        canvas.draw(body, x: pad, y: pad + titleHeight)
        bold.drawLines(titleLines, on: &canvas, x: Double(width) / 2, top: Double(pad) + size * 0.3, size: size * 1.1,
                       lineHeight: titleLine)
        var finished: RGBImage { var image = canvas.image; image.density = d; return image }
        guard colourBar else { return finished }
        let bx = pad + body.width + gap, top = pad + titleHeight, bh = body.height
        for y in 0..<bh {
            let t = 1 - (Double(y) + 0.5) / Double(bh)
            canvas.fill(Rect(x: Double(bx), y: Double(top + y), width: Double(barWidth), height: 1), colormap.colour(t))
        }
        canvas.stroke(Rect(x: Double(bx), y: Double(top), width: Double(barWidth), height: Double(bh)), .axis, width: unit)
        for (v, l) in zip(ticks, labels) {
            let y = Double(top) + (1 - (v - lo) / (hi - lo)) * Double(bh)
            let yy = (y - 0.5).rounded() + 0.5
            canvas.line(from: Point(Double(bx + barWidth), yy), to: Point(Double(bx + barWidth + 3 * d), yy), .axis, width: unit)
            canvas.text(l, at: Point(Double(bx + barWidth + 5 * d), yy), font: font, size: size, horizontal: .left, vertical: .middle)
        }
        if let label {
            canvas.text(label, at: Point(Double(canvas.width) - size * 1.4, Double(top + bh / 2)), font: font, size: size,
                        horizontal: .left, vertical: .middle, turned: true)
        }
        return finished
    }
}
