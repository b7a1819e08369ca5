import Foundation
import LoupeImage

extension Chart {
    /// Vertical bars, one per label, from zero (negative values hang down).
    public static func bars(labels: [String], values: [Double], options: ChartOptions = ChartOptions(),
                            colour: Colour = Colour.series[0]) throws -> RGBImage {
        guard labels.count == values.count else {
            throw ChartError("bar chart needs one value per label (\(labels.count) labels, \(values.count) values)")
        }
        let finite = values.filter(\.isFinite)
        let lo = min(0, finite.min() ?? 0), hi = max(0, finite.max() ?? 1)
        let yAxis = options.logY ? Axis.logarithmic(max(1e-12, finite.filter { $0 > 0 }.min() ?? 1), max(hi, 1e-12))
                                 : Axis.linear(lo, hi == lo ? lo + 1 : hi, target: 5)
        let xAxis = Axis(lo: 0, hi: Double(max(1, labels.count)), log: false, ticks: [], labels: [])
        var frame = try ChartFrame(options: options, x: xAxis, y: yAxis, xCategories: labels)
        let slot = frame.plot.width / Double(max(1, labels.count))
        let zero = frame.py(options.logY ? yAxis.lo : 0)
        for (i, v) in values.enumerated() where v.isFinite && (!options.logY || v > 0) {
            let x0 = frame.plot.x + slot * Double(i) + slot * 0.15
            let top = frame.py(v)
            frame.canvas.fill(Rect(x: x0, y: min(top, zero), width: slot * 0.7, height: abs(zero - top)), colour)
        }
        if labels.isEmpty { frame.noData() }
        return frame.finish()
    }

    /// Horizontal bars with the label on the left and the value on the
    /// right: the picture of a probability table ("top-k classes").
    /// Values are drawn against `maxValue` (1 for probabilities).
    public static func horizontalBars(labels: [String], values: [Double], maxValue: Double? = nil,
                                      width: Int = 360, rowHeight: Int = 22, title: String? = nil,
                                      valueFormat: (Double) -> String = { String(format: "%.3f", $0) },
                                      colour: Colour = Colour.series[0]) throws -> RGBImage {
        guard labels.count == values.count else {
            throw ChartError("bar chart needs one value per label (\(labels.count) labels, \(values.count) values)")
        }
        let font = try Font.sans(), bold = try Font.sansBold()
        let size = min(14, max(8, Double(rowHeight) * 0.55))
        let titleHeight = title == nil ? 0 : Int((size * 1.9).rounded())
        let height = max(1, titleHeight + rowHeight * max(1, labels.count) + 4)
        guard width >= 80 else { throw ChartError("horizontal bar chart needs at least 80 pixels of width") }
        var canvas = Canvas(width: width, height: height)
        let top = (values.filter(\.isFinite).max() ?? 1)
        let scale = maxValue ?? (top > 0 ? top : 1)
        let labelWidth = min(Double(width) * 0.4, (labels.map { font.measure($0, size: size) }.max() ?? 0) + 12)
        let valueWidth = (values.map { font.measure(valueFormat($0), size: size) }.max() ?? 0) + 8
        let barX = labelWidth, barMax = max(4, Double(width) - labelWidth - valueWidth - 4)
        if let title {
            canvas.text(bold.truncate(title, size: size * 1.1, toWidth: Double(width) - 8), at: Point(4, size * 0.4),
                        font: bold, size: size * 1.1, horizontal: .left, vertical: .top)
        }
        for (i, (label, v)) in zip(labels, values).enumerated() {
            let y0 = Double(titleHeight + i * rowHeight + 2)
            let mid = y0 + Double(rowHeight) / 2
            if i % 2 == 1 { canvas.fill(Rect(x: 0, y: y0, width: Double(width), height: Double(rowHeight)), Colour(hex: 0xf4f4f4)) }
            canvas.text(font.truncate(label, size: size, toWidth: labelWidth - 8), at: Point(labelWidth - 6, mid), font: font,
                        size: size, horizontal: .right, vertical: .middle)
            let frac = v.isFinite ? min(1, max(0, v / scale)) : 0
            canvas.fill(Rect(x: barX, y: y0 + Double(rowHeight) * 0.2, width: barMax * frac, height: Double(rowHeight) * 0.6), colour)
            canvas.text(valueFormat(v), at: Point(barX + barMax * frac + 4, mid), font: font, size: size, .axis,
                        horizontal: .left, vertical: .middle)
        }
        return canvas.image
    }
}
