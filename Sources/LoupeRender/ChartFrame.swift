import Foundation
import LoupeImage

/// One axis: its range, scale and the ticks drawn along it.
struct Axis {
    var lo: Double
    var hi: Double
    var log: Bool
    var ticks: [Double]
    var labels: [String]

    /// 0 at `lo`, 1 at `hi`.
    func fraction(_ v: Double) -> Double {
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
struct ChartFrame {
    var canvas: Canvas
    let plot: Rect
    let x: Axis
    let y: Axis
    let options: ChartOptions
    let font: Font
    let bold: Font
    let size: Double

    /// `xCategories` replaces x tick labels with one label per slot (bar charts).
    init(options: ChartOptions, x: Axis, y: Axis, xCategories: [String]? = nil) throws {
        guard options.width >= 48, options.height >= 40 else {
            throw ChartError("chart size \(options.width)x\(options.height) is too small (at least 48x40)")
        }
        let font = try Font.sans(), size = options.textSize
        self.font = font
        self.size = size
        bold = try Font.sansBold()
        self.options = options
        self.x = x
        self.y = y
        canvas = Canvas(width: options.width, height: options.height)

        let yLabelWidth = y.labels.map { font.measure($0, size: size) }.max() ?? 0
        let line = size * 1.25
        let top = options.title == nil ? size * 0.9 : size * 1.25 + line * 0.9
        let left = (yLabelWidth + size * 0.8) + (options.yLabel == nil ? 0 : line) + 3
        // Tick marks, a gap, one line of tick labels, then the axis title.
        let bottom = max(3, size * 0.35) + 2 + line * 1.05 + (options.xLabel == nil ? 0 : line * 1.05)
        let lastX = x.labels.last.map { font.measure($0, size: size) / 2 } ?? 0
        let right = max(size * 0.8, xCategories == nil ? lastX + 2 : size * 0.8)
        plot = Rect(x: left.rounded(), y: top.rounded(),
                    width: max(8, Double(options.width) - left - right).rounded(),
                    height: max(8, Double(options.height) - top - bottom).rounded())
        drawDecorations(xCategories: xCategories)
    }

    func px(_ v: Double) -> Double { plot.x + x.fraction(v) * plot.width }
    func py(_ v: Double) -> Double { plot.maxY - y.fraction(v) * plot.height }

    private mutating func drawDecorations(xCategories: [String]?) {
        let tickLen = max(3, size * 0.35)
        // Horizontal grid lines and y tick labels.
        for (v, label) in zip(y.ticks, y.labels) {
            let yy = (py(v) - 0.5).rounded() + 0.5
            canvas.line(from: Point(plot.x, yy), to: Point(plot.maxX, yy), .grid, width: 1)
            canvas.line(from: Point(plot.x - tickLen, yy), to: Point(plot.x, yy), .axis, width: 1)
            canvas.text(label, at: Point(plot.x - tickLen - 2, yy), font: font, size: size, .ink,
                        horizontal: .right, vertical: .middle)
        }
        if let cats = xCategories {
            let slot = plot.width / Double(max(1, cats.count))
            for (i, label) in cats.enumerated() {
                let cx = plot.x + slot * (Double(i) + 0.5)
                let text = font.truncate(label, size: size, toWidth: slot - 2)
                canvas.text(text, at: Point(cx, plot.maxY + tickLen + 1), font: font, size: size, .ink,
                            horizontal: .centre, vertical: .top)
            }
        } else {
            for (v, label) in zip(x.ticks, x.labels) {
                let xx = (px(v) - 0.5).rounded() + 0.5
                canvas.line(from: Point(xx, plot.y), to: Point(xx, plot.maxY), .grid, width: 1)
                canvas.line(from: Point(xx, plot.maxY), to: Point(xx, plot.maxY + tickLen), .axis, width: 1)
                canvas.text(label, at: Point(xx, plot.maxY + tickLen + 1), font: font, size: size, .ink,
                            horizontal: .centre, vertical: .top)
            }
        }
        if let t = options.title {
            let text = bold.truncate(t, size: size * 1.15, toWidth: Double(options.width) - 8)
            canvas.text(text, at: Point(Double(options.width) / 2, size * 0.35), font: bold, size: size * 1.15, .ink,
                        horizontal: .centre, vertical: .top)
        }
        if let l = options.xLabel {
            canvas.text(l, at: Point(plot.x + plot.width / 2, Double(options.height) - 2), font: font, size: size, .ink,
                        horizontal: .centre, vertical: .bottom)
        }
        if let l = options.yLabel {
            canvas.text(l, at: Point(2, plot.y + plot.height / 2), font: font, size: size, .ink,
                        horizontal: .left, vertical: .middle, turned: true)
        }
    }

    /// Axis lines go on last so data never covers them.
    mutating func finish() -> RGBImage {
        let left = plot.x - 0.5, bottom = plot.maxY + 0.5
        canvas.line(from: Point(left, plot.y), to: Point(left, bottom + 0.5), .axis, width: 1)
        canvas.line(from: Point(left - 0.5, bottom), to: Point(plot.maxX, bottom), .axis, width: 1)
        return canvas.image
    }
}
