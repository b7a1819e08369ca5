import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender

extension CallContext {
    /// A `[Double]` argument (Ints are accepted).
    func numbers(_ key: String) throws -> [Double] {
        let items: [Value]
        switch value(key) {
        case .array(let a): items = a
        case .range(let lo, let hi, let closed): items = try Value.elements(lower: lo, upper: hi, closed: closed)
        case let v: throw typeError(key, expected: "[Double]", got: v)
        }
        return try items.map {
            guard let d = $0.asDouble else { throw typeError(key, expected: "[Double]", got: $0) }
            return d
        }
    }

    /// Title and axis labels shared by every chart builtin.
    func chartOptions(logY: Bool = false) throws -> ChartOptions {
        ChartOptions(width: 640, height: 400, title: has("title") ? try displayText("title") : nil,
                     xLabel: has("xLabel") ? try displayText("xLabel") : nil, yLabel: has("yLabel") ? try displayText("yLabel") : nil,
                     logY: logY, density: figureDensity)
    }

    func chart(_ draw: () throws -> RGBImageResult) throws -> Value {
        do { return .object(ImageObject(try draw(), caption: has("title") ? try displayText("title") : "chart")) }
        catch let e as ChartError { throw LoupeError(.value, e.description, at: span) }
    }
}

typealias RGBImageResult = RGBImage

let chartLabels = [
    Parameter("title", type: "String", default: .null), Parameter("xLabel", type: "String", default: .null),
    Parameter("yLabel", type: "String", default: .null),
]

func registerCharts(_ r: Registry) {
    r.add(BuiltinFunction("histogram", [
        Parameter(nil, name: "values", type: "[Double]"),
        Parameter("bins", type: "Int", default: .int(30)),
        Parameter("logY", type: "Bool", default: .bool(false), doc: "count axis on a log scale"),
    ] + chartLabels, returns: "Image", doc: "A histogram of numbers.") { ctx in
        let values = try ctx.numbers("values"), bins = try ctx.int("bins")
        guard (1...1000).contains(bins) else { throw ctx.valueError("bins", "bins must be between 1 and 1,000") }
        let options = try ctx.chartOptions(logY: try ctx.bool("logY"))
        return try ctx.chart { try Chart.histogram(values, bins: bins, options: options) }
    })
    r.add(BuiltinFunction("plot", [
        Parameter(nil, name: "values", type: "[Double] or [[Double]]", doc: "one series, or several"),
        Parameter("names", type: "[String]", default: .null, doc: "one legend name per series"),
        Parameter("x", type: "[Double]", default: .null, doc: "the x of each point, shared by every series (default 0, 1, 2, ...)"),
        Parameter("logY", type: "Bool", default: .bool(false)),
    ] + chartLabels, returns: "Image", doc: "A line chart, e.g. of a training curve, or of a measure against a setting: "
       + "`plot([meanS], x: clamps, xLabel: \"clamp\")`.") { ctx in
        var series: [[Double]]
        if case .array(let items) = ctx.value("values"), items.contains(where: { if case .array = $0 { return true }; return false }) {
            series = try items.map { item in
                guard case .array(let xs) = item else { throw ctx.typeError("values", expected: "[[Double]]", got: item) }
                return try xs.map { guard let d = $0.asDouble else { throw ctx.typeError("values", expected: "[[Double]]", got: $0) }; return d }
            }
        } else {
            series = [try ctx.numbers("values")]
        }
        let names = ctx.has("names") ? try ctx.displayTexts("names") : series.indices.map { series.count == 1 ? "" : "series \($0 + 1)" }
        guard names.count == series.count else { throw ctx.valueError("names", "give one name per series (\(series.count))") }
        let options = try ctx.chartOptions(logY: try ctx.bool("logY"))
        let x = ctx.has("x") ? try ctx.numbers("x") : nil
        if let x, let s = series.first(where: { $0.count != x.count }) {
            throw ctx.valueError("x", "give one x per value: \(x.count) x for a series of \(s.count)")
        }
        return try ctx.chart {
            try Chart.lines(zip(names, series).map { LineSeries(name: $0, x: x ?? $1.indices.map(Double.init), y: $1) }, options: options)
        }
    })
    r.add(BuiltinFunction("bars", [
        Parameter("labels", type: "[String]"),
        Parameter("values", type: "[Double] or [[Double]]",
                  doc: "one value per label, or one list per series for grouped bars (each list one value per label)"),
        Parameter("names", type: "[String]", default: .null, doc: "grouped bars: one legend name per series"),
    ] + chartLabels, returns: "Image", doc: "A bar chart with one labelled bar per value, or grouped bars for paired "
       + "conditions: `bars(labels: [\"as is\", \"ablated\"], values: [[0.9, 0.8], [0.6, 0.8]], names: [\"clean\", \"attacked\"])`.") { ctx in
        let labels = try ctx.displayTexts("labels")
        let options = try ctx.chartOptions()
        if case .array(let items) = ctx.value("values"), let first = items.first, case .array = first {
            let series = try items.map { item -> [Double] in
                guard case .array(let xs) = item else { throw ctx.typeError("values", expected: "[[Double]]", got: item) }
                return try xs.map { guard let d = $0.asDouble else { throw ctx.typeError("values", expected: "[[Double]]", got: $0) }; return d }
            }
            for s in series where s.count != labels.count {
                throw ctx.valueError("values", "each series needs one value per label (\(labels.count)), one has \(s.count)")
            }
            let names = ctx.has("names") ? try ctx.displayTexts("names") : series.indices.map { "series \($0 + 1)" }
            guard names.count == series.count else { throw ctx.valueError("names", "give one name per series (\(series.count))") }
            return try ctx.chart { try Chart.groupedBars(labels: labels, series: Array(zip(names, series)), options: options) }
        }
        let values = try ctx.numbers("values")
        guard labels.count == values.count else { throw ctx.valueError("values", "give one value per label (\(labels.count))") }
        return try ctx.chart { try Chart.bars(labels: labels, values: values, options: options) }
    })
}
