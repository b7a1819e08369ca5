import Foundation
import LoupeImage

/// One axis: its range, scale and the ticks drawn along it.
package struct Axis {
    package var lo: Double
    package var hi: Double
    package var log: Bool
    package var ticks: [Double]
    package var labels: [String]

    /// 0 at `lo`, 1 at `hi`.
    package func fraction(_ v: Double) -> Double {
        if log {
            let a = log10(lo), b = log10(hi)
            return b > a ? (log10(max(v, lo * 1e-6)) - a) / (b - a) : 0.5
        }
        return hi > lo ? (v - lo) / (hi - lo) : 0.5
    }

    /// A linear axis spanning lo...hi, widened to round numbers when `pad` is set.
    static func linear(_ lo: Double, _ hi: Double, target: Int = 5, pad: Bool = true) -> Axis {
        var (a, b) = (lo, hi)
        if pad { (a, b) = Ticks.niceRange(lo, hi, target: target) }
        else if b <= a { (a, b) = Ticks.niceRange(lo, hi, target: target) }
        let ticks = Ticks.nice(a, b, target: target)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : max(abs(b - a), 1)
        return Axis(lo: a, hi: b, log: false, ticks: ticks, labels: ticks.map { Ticks.label($0, step: step) })
    }

    /// An axis whose ticks are exactly `values` (the x of a few measured
    /// points, such as layers 1, 3 and 5), spanning their range, so no tick
    /// stands at a value that was not measured. Nil when the values are too
    /// close together for their labels at `pixels` across, or are not 2 to
    /// 12 distinct finite values (positive ones on a log axis).
    package static func measured(_ values: [Double], log: Bool, pixels: Double, textSize: Double) -> Axis? {
        let v = Array(Set(values.filter { Chart.plottable($0) && (!log || $0 > 0) })).sorted()
        guard (2...12).contains(v.count) else { return nil }
        let gaps = zip(v, v.dropFirst()).map { $1 - $0 }
        let labels = v.map { Ticks.label($0, step: gaps.min()!) }
        var axis = Axis(lo: v[0], hi: v[v.count - 1], log: log, ticks: v, labels: labels)
        let widest = Double(labels.map(\.count).max() ?? 1) * 0.62 * textSize
        for (a, b) in zip(v, v.dropFirst()) where (axis.fraction(b) - axis.fraction(a)) * pixels < widest + textSize {
            return nil
        }
        axis.labels = labels
        return axis
    }

    /// A log10 axis from the decade at or below `lo` to the one at or above `hi`.
    static func logarithmic(_ lo: Double, _ hi: Double) -> Axis {
        let l = lo > 0 ? lo : 1, h = max(hi, l * 10)
        let a = pow(10, log10(l).rounded(.down)), b = pow(10, log10(h).rounded(.up))
        let ticks = Ticks.log(a, b)
        return Axis(lo: a, hi: b, log: true, ticks: ticks, labels: ticks.map(Ticks.logLabel))
    }
}

/// The plot area of a chart with its axes, grid, ticks, labels and title.
/// Charts build one, draw their data inside `plot`, and take `canvas.image`.
/// Nothing is cut short: a long title wraps, category labels wrap (or turn
/// a quarter when a word is wider than its slot), and the canvas grows below
/// the plot to hold them.
struct ChartFrame {
    var canvas: Canvas
    let plot: Rect
    let x: Axis
    let y: Axis
    let options: ChartOptions
    let font: Font
    let bold: Font
    /// Text size and one display pixel, in canvas pixels.
    let size: Double
    let unit: Double
    private let titleLines: [String]
    private let categoryLines: [[String]]
    private let turnedCategories: Bool

    /// `xCategories` replaces x tick labels with one label per slot (bar charts).
    init(options: ChartOptions, x: Axis, y: Axis, xCategories: [String]? = nil) throws {
        guard options.width >= 48, options.height >= 40 else {
            throw ChartError.tooSmall("chart size \(options.width)x\(options.height) is too small (at least 48x40)")
        }
        let unit = Double(options.density)
        let font = try Font.sans(), bold = try Font.sansBold(), size = options.textSize * unit
        self.font = font
        self.bold = bold
        self.size = size
        self.unit = unit
        self.options = options
        self.x = x
        self.y = y
        let width = Double(options.width) * unit, height = Double(options.height) * unit

        let yLabelWidth = y.labels.map { font.measure($0, size: size) }.max() ?? 0
        let line = size * 1.25, titleLine = size * 1.15 * 1.3
        titleLines = options.title.map { bold.wrap($0, size: size * 1.15, width: width - 8 * unit) } ?? []
        let top = titleLines.isEmpty ? size * 0.9 : size * 0.35 + Double(titleLines.count) * titleLine + size * 0.6
        let oneLineTop = titleLines.isEmpty ? top : size * 0.35 + titleLine + size * 0.6
        let left = (yLabelWidth + size * 0.8) + (options.yLabel == nil ? 0 : line) + 3 * unit
        // Tick marks, a gap, one line of tick labels, then the axis title.
        let tickLen = max(3 * unit, size * 0.35)
        let bottom = tickLen + 2 * unit + line * 1.05 + (options.xLabel == nil ? 0 : line * 1.05)
        let lastX = x.labels.last.map { font.measure($0, size: size) / 2 } ?? 0
        let right = max(size * 0.8, xCategories == nil ? lastX + 2 * unit : size * 0.8)
        let plotWidth = max(8, width - left - right).rounded()
        let plotHeight = max(8, height - oneLineTop - bottom).rounded()

        // Category labels: wrapped at spaces into their slot, else turned.
        var extra = 0.0
        let cats = xCategories ?? []
        let slot = plotWidth / Double(max(1, cats.count)) - 2 * unit
        turnedCategories = !cats.allSatisfy { font.wrapsAtSpaces($0, size: size, width: slot) }
            || cats.contains { font.wrap($0, size: size, width: slot).count > 3 }
        if turnedCategories {
            categoryLines = cats.map { [$0] }
            extra = max(0, (cats.map { font.measure($0, size: size) }.max() ?? 0) - line)
        } else {
            categoryLines = cats.map { font.wrap($0, size: size, width: slot) }
            extra = Double(max(0, (categoryLines.map(\.count).max() ?? 1) - 1)) * line
        }
        canvas = Canvas(width: Int(width.rounded()), height: Int((top + plotHeight + bottom + extra).rounded()))
        plot = Rect(x: left.rounded(), y: top.rounded(), width: plotWidth, height: plotHeight)
        drawDecorations()
    }

    func px(_ v: Double) -> Double { plot.x + x.fraction(v) * plot.width }
    func py(_ v: Double) -> Double { plot.maxY - y.fraction(v) * plot.height }

    private mutating func drawDecorations() {
        let tickLen = max(3 * unit, size * 0.35)
        // Horizontal grid lines and y tick labels.
        for (v, label) in zip(y.ticks, y.labels) {
            let yy = (py(v) - 0.5).rounded() + 0.5
            canvas.line(from: Point(plot.x, yy), to: Point(plot.maxX, yy), .grid, width: unit)
            canvas.line(from: Point(plot.x - tickLen, yy), to: Point(plot.x, yy), .axis, width: unit)
            canvas.text(label, at: Point(plot.x - tickLen - 2 * unit, yy), font: font, size: size, .ink,
                        horizontal: .right, vertical: .middle)
        }
        if !categoryLines.isEmpty {
            let slot = plot.width / Double(categoryLines.count)
            for (i, lines) in categoryLines.enumerated() {
                let cx = plot.x + slot * (Double(i) + 0.5)
                if turnedCategories {
                    canvas.text(lines[0], at: Point(cx, plot.maxY + tickLen + unit), font: font, size: size, .ink,
                                horizontal: .centre, vertical: .top, turned: true)
                } else {
                    font.drawLines(lines, on: &canvas, x: cx, top: plot.maxY + tickLen + unit, size: size, lineHeight: size * 1.25)
                }
            }
        } else {
            for (v, label) in zip(x.ticks, x.labels) {
                let xx = (px(v) - 0.5).rounded() + 0.5
                canvas.line(from: Point(xx, plot.y), to: Point(xx, plot.maxY), .grid, width: unit)
                canvas.line(from: Point(xx, plot.maxY), to: Point(xx, plot.maxY + tickLen), .axis, width: unit)
                canvas.text(label, at: Point(xx, plot.maxY + tickLen + unit), font: font, size: size, .ink,
                            horizontal: .centre, vertical: .top)
            }
        }
        bold.drawLines(titleLines, on: &canvas, x: Double(canvas.width) / 2, top: size * 0.35, size: size * 1.15,
                       lineHeight: size * 1.15 * 1.3)
        if let l = options.xLabel {
            canvas.text(l, at: Point(plot.x + plot.width / 2, Double(canvas.height) - 2 * unit), font: font, size: size, .ink,
                        horizontal: .centre, vertical: .bottom)
        }
        if let l = options.yLabel {
            canvas.text(l, at: Point(2 * unit, plot.y + plot.height / 2), font: font, size: size, .ink,
                        horizontal: .left, vertical: .middle, turned: true)
        }
    }

    /// Axis lines go on last so data never covers them.
    mutating func finish() -> RGBImage {
        let left = plot.x - unit / 2, bottom = plot.maxY + unit / 2
        canvas.line(from: Point(left, plot.y), to: Point(left, bottom + unit / 2), .axis, width: unit)
        canvas.line(from: Point(left - unit / 2, bottom), to: Point(plot.maxX, bottom), .axis, width: unit)
        var image = canvas.image
        image.density = options.density
        return image
    }
}
