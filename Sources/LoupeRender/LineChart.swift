import Foundation
import LoupeImage

/// One line on a line chart.
package struct LineSeries: Sendable {
    package var name: String
    package var x: [Double]
    package var y: [Double]
    package var colour: Colour?
    /// A 95% interval per point, drawn as error bars; nil for none.
    package var intervals: [ErrorBar]?

    package init(name: String, x: [Double], y: [Double], colour: Colour? = nil, intervals: [ErrorBar]? = nil) {
        self.name = name; self.x = x; self.y = y; self.colour = colour; self.intervals = intervals
    }

    /// Values against their index (0, 1, 2...), e.g. a loss per step.
    package init(name: String, y: [Double], colour: Colour? = nil) {
        self.init(name: name, x: y.indices.map(Double.init), y: y, colour: colour)
    }
}

extension Chart {
    /// Lines through each series' points, with a legend when there is more
    /// than one series or a series has a name. Non-finite points (and
    /// non-positive ones on a log axis) break the line.
    ///
    /// A series of a few points is a set of measurements rather than a
    /// curve: each point gets a dot (`markers`, by default for series of at
    /// most 20 points), and when there are few distinct x values the x ticks
    /// stand at exactly those, so nothing suggests a value between them was
    /// measured.
    package static func lines(_ series: [LineSeries], options: ChartOptions = ChartOptions(),
                             lineWidth: Double = 1.75, markers: Bool? = nil) throws -> RGBImage {
        for s in series where s.x.count != s.y.count || (s.intervals.map { $0.count != s.y.count } ?? false) {
            throw ChartError.countMismatch("series '\(s.name)' has \(s.x.count) x values, \(s.y.count) y values and "
                                           + "\(s.intervals?.count ?? s.y.count) intervals")
        }
        func usable(_ v: Double, _ log: Bool) -> Bool { Chart.plottable(v) && (!log || v > 0) }
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (a, b) in zip(s.x, s.y) where usable(a, options.logX) && usable(b, options.logY) { xs.append(a); ys.append(b) }
            for (a, e) in zip(s.x, s.intervals ?? []) where usable(a, options.logX) {
                ys += [e.low, e.high].filter { usable($0, options.logY) }
            }
        }
        let showMarkers = markers ?? series.allSatisfy { $0.x.count <= 20 }
        let measuredX = showMarkers
            ? Axis.measured(xs, log: options.logX, pixels: Double(options.width) * 0.8, textSize: options.textSize) : nil
        let xAxis = measuredX ?? (options.logX ? Axis.logarithmic(xs.min() ?? 1, xs.max() ?? 10)
                                               : Axis.linear(xs.min() ?? 0, xs.max() ?? 1, target: 6, pad: false))
        let yAxis = options.logY ? Axis.logarithmic(ys.min() ?? 1, ys.max() ?? 10)
                                 : Axis.linear(ys.min() ?? 0, ys.max() ?? 1, target: 5)
        var frame = try ChartFrame(options: options, x: xAxis, y: yAxis)
        let lineWidth = lineWidth * frame.unit
        var drawn: [Point] = []   // for placing the legend clear of the lines
        for (k, s) in series.enumerated() {
            let colour = s.colour ?? Colour.series[k % Colour.series.count]
            var run: [Point] = []
            func flush() {
                drawn += run
                for (p, q) in zip(run, run.dropFirst()) {
                    drawn += (1..<8).map { Point(p.x + (q.x - p.x) * Double($0) / 8, p.y + (q.y - p.y) * Double($0) / 8) }
                }
                if run.count > 1 { frame.canvas.polyline(run, colour, width: lineWidth) }
                if showMarkers { for p in run { frame.canvas.fillCircle(centre: p, radius: lineWidth * 1.8, colour) } }
                else if run.count == 1 { frame.canvas.fillCircle(centre: run[0], radius: lineWidth, colour) }
                run.removeAll()
            }
            for (a, b) in zip(s.x, s.y) {
                if usable(a, options.logX) && usable(b, options.logY) { run.append(Point(frame.px(a), frame.py(b))) }
                else { flush() }
            }
            flush()
            // Each series' whiskers in its own colour, nudged sideways, so those at one x stay apart.
            // At the plot's edges the whiskers all lean inward, so none is cut by the frame.
            let spread = Double(series.count - 1) / 2 * 5 * frame.unit
            let nudge = (Double(k) - Double(series.count - 1) / 2) * 5 * frame.unit
            for (a, e) in zip(s.x, s.intervals ?? []) where usable(a, options.logX) && usable(e.low, options.logY) && usable(e.high, options.logY) {
                let at = frame.px(a)
                let x = at + nudge + (at + spread > frame.plot.maxX ? -spread : at - spread < frame.plot.x ? spread : 0)
                frame.errorBar(e, x: x, halfWidth: 3 * frame.unit, ink: colour)
                drawn += [Point(x, frame.py(e.low)), Point(x, frame.py(e.high))]
            }
        }
        if xs.isEmpty { frame.noData() }
        if series.count > 1 || series.contains(where: { !$0.name.isEmpty }) { frame.legend(series, avoiding: drawn) }
        return frame.finish()
    }
}

extension ChartFrame {
    /// A boxed key in the plot's top-right corner: a short line per series
    /// for line charts, a filled square for bars.
    mutating func legend(_ series: [LineSeries], avoiding data: [Point]) {
        legend(series.enumerated().filter { !$0.element.name.isEmpty }.map {
            ($0.element.name, $0.element.colour ?? Colour.series[$0.offset % Colour.series.count])
        }, boxes: false, avoiding: data)
    }

    /// The key goes in the plot corner that covers the fewest of `data`
    /// (points drawn, in canvas pixels), top right when they tie.
    mutating func legend(_ entries: [(name: String, colour: Colour)], boxes: Bool, avoiding data: [Point]) {
        guard !entries.isEmpty else { return }
        let line = size * 1.3, swatch = boxes ? size * 0.9 : size * 1.4
        let textWidth = entries.map { font.measure($0.name, size: size) }.max() ?? 0
        let w = swatch + textWidth + size * 1.2
        let h = line * Double(entries.count) + size * 0.5
        let margin = 4 * unit
        let corners = [Rect(x: plot.maxX - w - margin, y: plot.y + margin, width: w, height: h),
                       Rect(x: plot.x + margin, y: plot.y + margin, width: w, height: h),
                       Rect(x: plot.maxX - w - margin, y: plot.maxY - h - margin, width: w, height: h),
                       Rect(x: plot.x + margin, y: plot.maxY - h - margin, width: w, height: h)]
        func covered(_ r: Rect) -> Int {
            data.filter { $0.x >= r.x - margin && $0.x <= r.x + r.width + margin && $0.y >= r.y - margin && $0.y <= r.y + r.height + margin }.count
        }
        let box = corners.min { covered($0) < covered($1) } ?? corners[0]
        canvas.fill(box, .white, alpha: 0.85)
        canvas.stroke(box, .grid, width: unit)
        for (row, entry) in entries.enumerated() {
            let cy = box.y + size * 0.25 + line * (Double(row) + 0.5)
            if boxes {
                canvas.fill(Rect(x: box.x + size * 0.4, y: cy - swatch / 2, width: swatch, height: swatch), entry.colour)
            } else {
                canvas.line(from: Point(box.x + size * 0.4, cy), to: Point(box.x + size * 0.4 + swatch, cy), entry.colour, width: 2 * unit)
            }
            canvas.text(entry.name, at: Point(box.x + size * 0.8 + swatch, cy), font: font, size: size, horizontal: .left, vertical: .middle)
        }
    }
}
