import Foundation
import LoupeImage

/// Counts of values in equal-width bins (equal in log10 when `logX`).
package struct Histogram: Sendable, Equatable {
    /// `counts.count + 1` bin edges, increasing.
    package let edges: [Double]
    package let counts: [Int]
    /// Values left out: not finite, outside the range, or not positive on a log axis.
    package let skipped: Int

    package init(_ values: [Double], bins: Int = 30, range: ClosedRange<Double>? = nil, logX: Bool = false) {
        let bins = max(1, bins)
        let usable = values.filter { Chart.plottable($0) && (!logX || $0 > 0) }
        var lo = range.map { Chart.plottable($0.lowerBound) ? $0.lowerBound : -1e300 } ?? usable.min() ?? 0
        var hi = range.map { Chart.plottable($0.upperBound) ? $0.upperBound : 1e300 } ?? usable.max() ?? 1
        if logX { lo = max(lo, Double.leastNormalMagnitude); hi = max(hi, lo) }
        if hi <= lo {
            // A single repeated value still gets a visible bin around it.
            let d = logX ? lo : (lo == 0 ? 0.5 : abs(lo) * 0.05)
            lo = logX ? lo / 2 : lo - d; hi = logX ? hi * 2 : hi + d
        }
        let a = logX ? log10(lo) : lo, b = logX ? log10(hi) : hi
        var edges = (0...bins).map { a + (b - a) * Double($0) / Double(bins) }
        if logX { edges = edges.map { pow(10, $0) } }
        edges[0] = lo; edges[bins] = hi
        var counts = [Int](repeating: 0, count: bins)
        var inRange = 0
        for v in usable where v >= lo && v <= hi {
            let t = ((logX ? log10(v) : v) - a) / (b - a)
            guard t.isFinite else { continue }
            counts[min(bins - 1, max(0, Int(min(Double(bins), max(0, t * Double(bins))))))] += 1
            inRange += 1
        }
        self.edges = edges
        self.counts = counts
        self.skipped = values.count - inRange
    }
}

extension Chart {
    /// A histogram of `values`. With `options.logX` the bins are equal in
    /// log10 and non-positive values are skipped; with `options.logY` counts
    /// are drawn on a log axis (empty bins are left blank).
    package static func histogram(_ values: [Double], bins: Int = 30, range: ClosedRange<Double>? = nil,
                                 options: ChartOptions = ChartOptions(), colour: Colour = Colour.series[0]) throws -> RGBImage {
        let h = Histogram(values, bins: bins, range: range, logX: options.logX)
        let maxCount = Double(h.counts.max() ?? 0)
        let xAxis = options.logX ? Axis.logarithmic(h.edges.first!, h.edges.last!)
                                 : Axis.linear(h.edges.first!, h.edges.last!, target: 6, pad: false)
        let yAxis = options.logY ? Axis.logarithmic(1, max(10, maxCount)) : Axis.linear(0, max(1, maxCount), target: 5)
        var frame = try ChartFrame(options: options, x: xAxis, y: yAxis)
        let base = frame.py(options.logY ? yAxis.lo : 0)
        for (i, c) in h.counts.enumerated() where c > 0 {
            let x0 = frame.px(h.edges[i]), x1 = frame.px(h.edges[i + 1])
            let top = frame.py(Double(c))
            let r = Rect(x: x0, y: top, width: max(0.5, x1 - x0), height: base - top)
            frame.canvas.fill(r, colour, alpha: 0.85)
            // A thin light seam separates neighbouring bars when they are wide enough.
            if x1 - x0 >= 4 { frame.canvas.fill(Rect(x: x1 - 0.5, y: top, width: 0.5, height: base - top), .white, alpha: 0.8) }
        }
        if h.counts.allSatisfy({ $0 == 0 }) { frame.noData() }
        return frame.finish()
    }
}

/// Namespace for the chart renderers; each returns a finished RGB image.
package enum Chart {}

extension ChartFrame {
    mutating func noData() {
        canvas.text("no data", at: plot.centre, font: font, size: size, .axis, horizontal: .centre, vertical: .middle)
    }
}
