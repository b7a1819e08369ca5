import Foundation
import LoupeImage

extension Chart {
    /// Values a chart can place: finite and at most 1e300 in size, so that
    /// spans, ticks and pixel positions computed from them stay finite
    /// (1e308 − (−1e308) is infinite). Others are left out, like NaN.
    package static func plottable(_ v: Double) -> Bool { v.isFinite && abs(v) <= 1e300 }
}

/// A 95% interval drawn over a bar or a point: a vertical whisker with caps.
package struct ErrorBar: Sendable {
    package let low: Double
    package let high: Double
    package init(low: Double, high: Double) { self.low = low; self.high = high }
}

extension ChartFrame {
    /// A whisker from `low` to `high` at pixel column `x`, dark by default so it reads on any bar colour.
    mutating func errorBar(_ bar: ErrorBar, x: Double, halfWidth: Double, ink: Colour = Colour(hex: 0x222222)) {
        guard Chart.plottable(bar.low), Chart.plottable(bar.high) else { return }
        let top = py(max(bar.low, bar.high)), bottom = py(min(bar.low, bar.high))
        let width = max(1, unit * 1.25)
        canvas.line(from: Point(x, top), to: Point(x, bottom), ink, width: width)
        canvas.line(from: Point(x - halfWidth, top), to: Point(x + halfWidth, top), ink, width: width)
        canvas.line(from: Point(x - halfWidth, bottom), to: Point(x + halfWidth, bottom), ink, width: width)
    }
}

extension Chart {
    /// Vertical bars, one per label, from zero (negative values hang down),
    /// each with its interval as an error bar when `intervals` are given.
    package static func bars(labels: [String], values: [Double], intervals: [ErrorBar]? = nil, options: ChartOptions = ChartOptions(),
                            colour: Colour = Colour.series[0]) throws -> RGBImage {
        guard labels.count == values.count else {
            throw ChartError.countMismatch("bar chart needs one value per label (\(labels.count) labels, \(values.count) values)")
        }
        if let intervals, intervals.count != values.count {
            throw ChartError.countMismatch("bar chart needs one interval per value (\(values.count) values, \(intervals.count) intervals)")
        }
        let finite = (values + (intervals ?? []).flatMap { [$0.low, $0.high] }).filter(Chart.plottable)
        let lo = min(0, finite.min() ?? 0), hi = max(0, finite.max() ?? 1)
        let yAxis = options.logY ? Axis.logarithmic(max(1e-12, finite.filter { $0 > 0 }.min() ?? 1), max(hi, 1e-12))
                                 : Axis.linear(lo, hi == lo ? lo + 1 : hi, target: 5)
        let xAxis = Axis(lo: 0, hi: Double(max(1, labels.count)), log: false, ticks: [], labels: [])
        var frame = try ChartFrame(options: options, x: xAxis, y: yAxis, xCategories: labels)
        let slot = frame.plot.width / Double(max(1, labels.count))
        let zero = frame.py(options.logY ? yAxis.lo : 0)
        for (i, v) in values.enumerated() where Chart.plottable(v) && (!options.logY || v > 0) {
            let x0 = frame.plot.x + slot * Double(i) + slot * 0.15
            let top = frame.py(v)
            frame.canvas.fill(Rect(x: x0, y: min(top, zero), width: slot * 0.7, height: abs(zero - top)), colour)
            if let bar = intervals?[i] { frame.errorBar(bar, x: x0 + slot * 0.35, halfWidth: slot * 0.12) }
        }
        if labels.isEmpty { frame.noData() }
        return frame.finish()
    }

    /// Bars in groups: one group per label, one bar per series in each (the
    /// same condition in the same colour across groups), with a legend.
    /// For paired conditions: clean against attacked, per method.
    package static func groupedBars(labels: [String], series: [(name: String, values: [Double])], intervals: [[ErrorBar]]? = nil,
                                   options: ChartOptions = ChartOptions()) throws -> RGBImage {
        guard !series.isEmpty else { throw ChartError.empty("grouped bars need at least one series") }
        for s in series where s.values.count != labels.count {
            throw ChartError.countMismatch("series '\(s.name)' has \(s.values.count) values for \(labels.count) labels")
        }
        if let intervals, intervals.count != series.count || zip(intervals, series).contains(where: { $0.count != $1.values.count }) {
            throw ChartError.countMismatch("grouped bars need one interval per value of every series")
        }
        let finite = (series.flatMap(\.values) + (intervals ?? []).joined().flatMap { [$0.low, $0.high] }).filter(Chart.plottable)
        let lo = min(0, finite.min() ?? 0), hi = max(0, finite.max() ?? 1)
        let yAxis = Axis.linear(lo, hi == lo ? lo + 1 : hi, target: 5)
        let xAxis = Axis(lo: 0, hi: Double(max(1, labels.count)), log: false, ticks: [], labels: [])
        var frame = try ChartFrame(options: options, x: xAxis, y: yAxis, xCategories: labels)
        let slot = frame.plot.width / Double(max(1, labels.count))
        let barWidth = slot * 0.8 / Double(series.count)
        let zero = frame.py(0)
        var drawn: [Point] = []   // for placing the legend clear of the bars
        for (k, s) in series.enumerated() {
            for (i, v) in s.values.enumerated() where Chart.plottable(v) {
                let x0 = frame.plot.x + slot * Double(i) + slot * 0.1 + barWidth * Double(k)
                let top = frame.py(v)
                let bar = Rect(x: x0, y: min(top, zero), width: barWidth * 0.92, height: abs(zero - top))
                frame.canvas.fill(bar, Colour.series[k % Colour.series.count])
                if let e = intervals?[k][i] {
                    frame.errorBar(e, x: bar.x + bar.width / 2, halfWidth: bar.width * 0.2)
                    if Chart.plottable(e.high) { drawn.append(Point(bar.x + bar.width / 2, frame.py(e.high))) }
                }
                for a in 0...4 { for b in 0...10 {
                    drawn.append(Point(bar.x + bar.width * Double(a) / 4, bar.y + bar.height * Double(b) / 10))
                } }
            }
        }
        if labels.isEmpty { frame.noData() }
        frame.legend(series.enumerated().map { ($0.element.name, Colour.series[$0.offset % Colour.series.count]) },
                     boxes: true, avoiding: drawn)
        return frame.finish()
    }

    /// Horizontal bars with the label on the left and the value on the
    /// right: the picture of a probability table ("top-k classes").
    /// Values are drawn against `maxValue` (1 for probabilities).
    package static func horizontalBars(labels: [String], values: [Double], maxValue: Double? = nil,
                                      width: Int = 360, rowHeight: Int = 22, title: String? = nil,
                                      valueFormat: (Double) -> String = { String(format: "%.3f", $0) },
                                      colour: Colour = Colour.series[0], density: Int = 1) throws -> RGBImage {
        guard labels.count == values.count else {
            throw ChartError.countMismatch("bar chart needs one value per label (\(labels.count) labels, \(values.count) values)")
        }
        guard width >= 80 else { throw ChartError.tooSmall("horizontal bar chart needs at least 80 pixels of width") }
        let unit = Double(max(1, density))
        let font = try Font.sans(), bold = try Font.sansBold()
        let size = min(14, max(8, Double(rowHeight) * 0.55)) * unit
        let row = Double(rowHeight) * unit
        // Whole labels: the canvas widens rather than cut one short.
        let labelWidth = (labels.map { font.measure($0, size: size) }.max() ?? 0) + 12 * unit
        let valueWidth = (values.map { font.measure(valueFormat($0), size: size) }.max() ?? 0) + 8 * unit
        let canvasWidth = max(Double(width) * unit, labelWidth + valueWidth + 120 * unit)
        let titleLines = title.map { bold.wrap($0, size: size * 1.1, width: canvasWidth - 8 * unit) } ?? []
        let titleLine = size * 1.1 * 1.3
        let titleHeight = titleLines.isEmpty ? 0 : Double(titleLines.count) * titleLine + size * 0.6
        let height = max(1, Int((titleHeight + row * Double(max(1, labels.count)) + 4 * unit).rounded()))
        var canvas = Canvas(width: Int(canvasWidth.rounded()), height: height)
        let top = (values.filter(Chart.plottable).max() ?? 1)
        let scale = maxValue ?? (top > 0 ? top : 1)
        let barX = labelWidth, barMax = max(4 * unit, canvasWidth - labelWidth - valueWidth - 4 * unit)
        bold.drawLines(titleLines, on: &canvas, x: 4 * unit, top: size * 0.4, size: size * 1.1, lineHeight: titleLine,
                       horizontal: .left)
        for (i, (label, v)) in zip(labels, values).enumerated() {
            let y0 = titleHeight + Double(i) * row + 2 * unit
            let mid = y0 + row / 2
            if i % 2 == 1 { canvas.fill(Rect(x: 0, y: y0, width: canvasWidth, height: row), Colour(hex: 0xf4f4f4)) }
            canvas.text(label, at: Point(labelWidth - 6 * unit, mid), font: font, size: size, horizontal: .right, vertical: .middle)
            let frac = Chart.plottable(v) && scale.isFinite ? min(1, max(0, v / scale)) : 0
            canvas.fill(Rect(x: barX, y: y0 + row * 0.2, width: barMax * frac, height: row * 0.6), colour)
            canvas.text(valueFormat(v), at: Point(barX + barMax * frac + 4 * unit, mid), font: font, size: size, .axis,
                        horizontal: .left, vertical: .middle)
        }
        var image = canvas.image
        image.density = max(1, density)
        return image
    }
}
