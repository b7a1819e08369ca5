import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender

/// The two steerability figures of Joseph et al. beyond one layer at one
/// clamp: steerability by layer with the neuron baseline, and the curve of
/// steerability against the clamp value. Both clamp units exactly as
/// `clip.steerability` does and show one progress display for the sweep.
private struct SweepInputs {
    let model: CLIPModel
    let vocabulary: [String]
    let images: [RGBImage]
    let unitCap: Int?

    init(_ ctx: CallContext) throws {
        model = ctx.clip()
        vocabulary = try ctx.vocabulary()
        images = try ctx.nonEmptyDataset("images").allImages(ctx.interpreter)
        if ctx.has("units") {
            let cap = try ctx.int("units")
            guard cap >= 1 else { throw ctx.valueError("units", "measure at least one unit per point, got \(cap)") }
            unitCap = cap
        } else {
            unitCap = nil
        }
    }

    /// The units measured out of `total`: all, or the first `units:`.
    func units(of total: Int) -> [Int] { Array(0..<min(total, unitCap ?? total)) }

    /// Units measured at one point: the latents of an SAE `count` wide, then the neurons.
    func unitsPerPoint(latents count: Int) -> Int { units(of: count).count + units(of: model.config.vision.width).count }

    /// One point: the SAE's latents, then the layer's neurons, at one clamp,
    /// reporting units done across both to `progress` (false stops).
    func point(x: Double, latents kind: Steerability.Unit, count: Int, layer: Int, clamp: Float,
               progress: @escaping (Int) -> Bool) throws -> SweepPoint {
        let latentUnits = units(of: count)
        let latents = try Steerability.measure(model, kind: kind, units: latentUnits, layer: layer, images: images,
                                               vocabulary: vocabulary, clamp: clamp, progress: progress)
        let neurons = try Steerability.measure(model, kind: .neuron, units: units(of: model.config.vision.width), layer: layer,
                                               images: images, vocabulary: vocabulary, clamp: clamp) { progress(latentUnits.count + $0) }
        return SweepPoint(x: x, latents: latents, neurons: neurons)
    }
}

extension CallContext {
    /// `vocabulary:`, the words v of p(v|x), checked to hold one.
    func vocabulary(_ key: String = "vocabulary") throws -> [String] {
        try textsToEmbed(key, at: 20_000, what: "words")
    }

    /// Texts the text tower embeds (words, labels, prompts): at least one,
    /// at most `limit`, each at most 1,000 characters. Embedding is not
    /// interruptible midway, so its size is bounded before it starts; the
    /// largest concept lists in use (CLIP-Dissect's) hold 20,000 words.
    func textsToEmbed(_ key: String, at limit: Int, what: String) throws -> [String] {
        let texts = try strings(key)
        guard !texts.isEmpty else { throw valueError(key, "give at least one word") }
        guard texts.count <= limit else { throw valueError(key, "give at most \(limit) \(what), got \(texts.count)") }
        if let long = texts.first(where: { $0.count > 1000 }) {
            throw valueError(key, "each of the \(what) must be at most 1,000 characters; one has \(long.count)")
        }
        return texts
    }
}

/// An SAE's latents ready to steer in `model`, and its layer: steerability
/// clamps the residual stream, so the SAE must read resid_post.
func steerableLatents(_ object: SAEObject, in model: CLIPModel, at span: SourceSpan) throws -> (kind: Steerability.Unit, layer: Int) {
    let place = try object.placement(in: model, at: span)
    guard place.site == .residPost else {
        throw LoupeError(.value, "steerability is measured for SAEs on resid_post; this one reads \(place.site.rawValue)", at: span)
    }
    return (.latent(object.sae, tokens: place.tokens), place.layer)
}

/// One point of a sweep: the same measure for the SAE's latents and the neurons.
private struct SweepPoint {
    let x: Double
    let latents: SteerabilityResult
    let neurons: SteerabilityResult
}

/// `logX` spreads clamp values such as 5, 10, 25, ..., 200 evenly.
private func sweepFigure(_ points: [SweepPoint], title: String, xName: String, xIsInteger: Bool,
                         chartTitle: String, logX: Bool = false) throws -> FigureObject {
    // Whole clamp values (the usual ones) read as integers in the table.
    func x(_ p: SweepPoint) -> Value { xIsInteger || p.x == p.x.rounded() && abs(p.x) < 1e9 ? .int(Int(p.x)) : .double(p.x) }
    func cells(_ r: SteerabilityResult) -> [Value] {
        let f = r.fractionEstimate
        return [.double(r.meanScore), .double(f.value), .double(f.low), .double(f.high), .int(r.coverage(.firstImage))]
    }
    let table = TableObject(title: title, columns: [xName] + ["latents", "neurons"].flatMap { u in
        ["\(u): mean S", "\(u): steerable", "low", "high", "\(u): coverage (image 0)"]
    }, rows: points.map { p in [x(p)] + cells(p.latents) + cells(p.neurons) },
       notes: points.map { p in
        let a = p.latents.fractionEstimate, b = p.neurons.fractionEstimate
        return "- \(xName) " + NumberText.fixed(p.x, digits: p.x == p.x.rounded() ? 0 : 2) + ": " + Comparison(
            Measured(name: "latents", estimate: a, perSeed: [a.value]), Measured(name: "neurons", estimate: b, perSeed: [b.value])).sentence()
    }.joined(separator: "\n"))
    let xs = points.map(\.x)
    func bars(_ r: [SteerabilityResult]) -> [ErrorBar] { r.map { ErrorBar(low: $0.fractionEstimate.low, high: $0.fractionEstimate.high) } }
    let chart = try Chart.lines([LineSeries(name: "SAE latents", x: xs, y: points.map(\.latents.fractionSteerable), intervals: bars(points.map(\.latents))),
                                 LineSeries(name: "neurons", x: xs, y: points.map(\.neurons.fractionSteerable), intervals: bars(points.map(\.neurons)))],
                                options: ChartOptions(title: chartTitle, xLabel: xName, yLabel: "fraction steerable (S > 0.10)",
                                                      logX: logX, density: figureDensity))
    return FigureObject(kind: "Figure", table: table, image: chart)
}

/// Runs `measure` for each point, latents then neurons, under one progress
/// display; stops between units on an interrupt and keeps the points done.
private func sweep(_ ctx: CallContext, title: String, points count: Int, unitsPerPoint: Int,
                   measure: (_ index: Int, _ progress: @escaping (Int) -> Bool) throws -> SweepPoint?) throws -> [SweepPoint] {
    let stop = ctx.interpreter.interrupt
    let progress = ProgressDisplay(output: ctx.interpreter.output, title: title, total: count * unitsPerPoint)
    var points: [SweepPoint] = []
    for i in 0..<count {
        if stop.isRequested { break }
        let before = i * unitsPerPoint
        guard let point = try measure(i, { done in
            progress.update(done: before + done)
            return !stop.isRequested
        }) else { break }
        // A point cut short by an interrupt is dropped: its numbers cover only some units.
        if stop.isRequested { break }
        points.append(point)
    }
    progress.finish(done: points.count * unitsPerPoint, details: [("points", "\(points.count) of \(count)")],
                    interrupted: ctx.interrupted)
    try ctx.checkInterruptUnless(!points.isEmpty)
    return points
}

private let sweepParameters = [
    Parameter("vocabulary", type: "[String]", doc: "the words v of p(v|x), e.g. vocabulary(.english)"),
    Parameter("images", type: "Dataset"),
    Parameter("units", type: "Int", default: .null,
              doc: "measure only the first this many latents and neurons at each point (default: all), to keep a sweep quick"),
]

func registerSteerabilitySweeps(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("steerabilityByLayer", [
        Parameter(nil, name: "saes", type: "[SAE]", doc: "SAEs on this model's resid_post, one per layer"),
        Parameter("clamp", type: "Double", default: .double(150), doc: "the value a unit is clamped to on every token"),
    ] + sweepParameters, returns: "Figure", doc: "Joseph et al.'s layer figure: at each SAE's layer, the steerability of its "
       + "latents and, as the baseline, of that layer's neurons (residual-stream coordinates), clamped the same way; a table "
       + "of mean S, fraction steerable and concept coverage, and a chart of the fraction steerable by layer.") { ctx in
        let objects = try ctx.saes("saes")
        let inputs = try SweepInputs(ctx)
        let clamp = Float(try ctx.clampValue("clamp"))
        let placed = try objects.map { try steerableLatents($0, in: inputs.model, at: ctx.spanOf("saes")) }
        let perPoint = objects.map { inputs.unitsPerPoint(latents: $0.sae.dSAE) }.max()!
        let figure: FigureObject
        do {
            let points = try sweep(ctx, title: "Steerability by layer", points: objects.count, unitsPerPoint: perPoint) { i, progress in
                try inputs.point(x: Double(placed[i].layer), latents: placed[i].kind, count: objects[i].sae.dSAE, layer: placed[i].layer,
                                 clamp: clamp, progress: progress)
            }.sorted { $0.x < $1.x }
            figure = try sweepFigure(points, title: "Steerability by layer at clamp \(String(format: "%g", Double(clamp)))", xName: "layer",
                                     xIsInteger: true, chartTitle: "Fraction of units steerable, by layer")
        } catch { throw LoupeError(error, at: ctx.span) }
        return try ctx.finished(.object(figure), progress: "stopped between layers", kept: "the figure of the layers done")
    })

    r.type("CLIP").addMethod(BuiltinFunction("steerabilityCurve", [
        Parameter(nil, name: "sae", type: "SAE", doc: "an SAE on this model's resid_post; its layer's neurons are the baseline"),
        Parameter("clamps", type: "[Double]", doc: "the clamp values, e.g. [10, 25, 50, 100, 150, 300]"),
    ] + sweepParameters, returns: "Figure", doc: "Steerability against the clamp value: mean S, fraction steerable and concept "
       + "coverage of the SAE's latents and of its layer's neurons at each clamp; a table and a chart of the fraction steerable. "
       + "The paper clamps to 150 on ViT-B/32; the curve shows how much that choice decides.") { ctx in
        let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
        let clamps = try ctx.clampValues("clamps")
        guard !clamps.isEmpty else { throw ctx.valueError("clamps", "give at least one clamp value") }
        let inputs = try SweepInputs(ctx)
        let (kind, layer) = try steerableLatents(object, in: inputs.model, at: ctx.spanOf("sae"))
        let figure: FigureObject
        do {
            let points = try sweep(ctx, title: "Steerability against the clamp", points: clamps.count,
                                   unitsPerPoint: inputs.unitsPerPoint(latents: object.sae.dSAE)) { i, progress in
                try inputs.point(x: clamps[i], latents: kind, count: object.sae.dSAE, layer: layer, clamp: Float(clamps[i]),
                                 progress: progress)
            }
            figure = try sweepFigure(points, title: "Steerability against the clamp value at layer \(layer)", xName: "clamp",
                                     xIsInteger: false, chartTitle: "Fraction of units steerable, by clamp value",
                                     logX: points.allSatisfy { $0.x > 0 })
        } catch { throw LoupeError(error, at: ctx.span) }
        return try ctx.finished(.object(figure), progress: "stopped between clamp values", kept: "the figure of the values done")
    })
}
