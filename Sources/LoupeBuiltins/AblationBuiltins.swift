import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// The arguments shared by `clip.ablationBaselines` and `clip.ablationSweep`.
private let ablationParameters = [
    Parameter("with", type: "Dataset", doc: "images with the spurious attribute (e.g. on water)"),
    Parameter("without", type: "Dataset", doc: "images without it"),
    Parameter("probe", type: "Probe", doc: "the probe to evaluate, fitted on this model's embeddings"),
    Parameter("test", type: "Dataset", doc: "the evaluation images"),
    Parameter("groups", type: "[String]", default: .null, doc: "attributes whose value combinations form the groups (default: the probe's label)"),
    Parameter("top", type: "Int", default: .int(20), doc: "how many latents (and neurons) to ablate"),
    Parameter("bothWays", type: "Bool", default: .bool(false),
              doc: "take half the units from each end of the ranking (those marking `without` too)"),
    Parameter("draws", type: "Int", default: .int(3), doc: "random-latent draws to average"),
    Parameter("seed", type: "Int", default: .int(0), doc: "seed of the random draws"),
]

private struct AblationSetup {
    let evaluation: SpuriousAblation
    let with: [RGBImage]
    let without: [RGBImage]
    let top: Int
    let bothWays: Bool
    let draws: Int
    let seed: UInt64

    init(_ ctx: CallContext) throws {
        let model = ctx.clip()
        let probe = try ctx.object("probe", as: ProbeObject.self, named: "a Probe (from clip.probe(...))")
        guard probe.model === model else { throw ctx.valueError("probe", "this probe was fitted on another CLIP's embeddings") }
        let with = try ctx.object("with", as: DatasetObject.self, named: "a Dataset")
        let without = try ctx.object("without", as: DatasetObject.self, named: "a Dataset")
        guard with.count > 0 else { throw ctx.valueError("with", "the dataset is empty") }
        guard without.count > 0 else { throw ctx.valueError("without", "the dataset is empty") }
        let test = try ctx.object("test", as: DatasetObject.self, named: "a Dataset")
        guard test.count > 0 else { throw ctx.valueError("test", "the dataset is empty") }
        top = try ctx.int("top")
        guard top >= 1 else { throw ctx.valueError("top", "ablate at least one unit") }
        bothWays = try ctx.bool("bothWays")
        draws = try ctx.int("draws")
        guard (1...100).contains(draws) else { throw ctx.valueError("draws", "draws must be between 1 and 100") }
        seed = UInt64(max(0, try ctx.int("seed")))
        let attributes = ctx.has("groups") ? try ctx.strings("groups") : [probe.attribute]
        let group = try (0..<test.count).map { i in
            try attributes.map { "\($0)=\(try test.source.value(test.indices[i], of: $0))" }.joined(separator: ", ")
        }
        evaluation = SpuriousAblation(model: model, probe: probe.probe, images: try test.allImages(ctx.interpreter),
                                      truth: try test.values(of: probe.attribute), group: group)
        self.with = try with.allImages(ctx.interpreter)
        self.without = try without.allImages(ctx.interpreter)
    }

    /// `onStep` sees each forward pass done (and may throw to stop).
    func run(_ object: SAEObject, includeClean: Bool, at span: SourceSpan,
             onStep: (_ done: Int, _ total: Int) throws -> Void) throws -> (layer: Int, outcomes: [AblationOutcome]) {
        let place = try object.placement(in: evaluation.model, at: span)
        try object.sae.checkInputWidth(evaluation.model.config.vision.width, for: "this CLIP's activations")
        return (place.layer, try evaluation.baselines(sae: object.sae, layer: place.layer, site: place.site, tokens: place.tokens,
                                                      with: with, without: without, top: top, bothWays: bothWays, draws: draws,
                                                      seed: seed, includeClean: includeClean, onStep: onStep))
    }
}

func registerAblationBaselines(_ r: Registry) {
    r.types["CLIP"]!.addMethod(BuiltinFunction("ablationBaselines", [
        Parameter(nil, name: "sae", type: "SAE", doc: "the SAE whose latents to rank and ablate, at its layer"),
    ] + ablationParameters, returns: "Figure", doc: "Spurious-feature suppression beside its baselines: the probe's per-group, "
       + "overall and worst-group accuracy with no ablation, with the top SAE latents by contrast (mean activation on `with` "
       + "minus `without`) zero-ablated, with as many random live latents ablated (averaged over draws), and with the top "
       + "residual coordinates by the same contrast zeroed.") { ctx in
        let stop = ctx.interpreter.interrupt
        let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
        do {
            let setup = try AblationSetup(ctx)
            var progress: ProgressDisplay?
            let (layer, outcomes) = try setup.run(object, includeClean: true, at: ctx.spanOf("sae")) { done, total in
                progress = progress ?? ProgressDisplay(output: ctx.interpreter.output, title: "Ablation baselines", total: total)
                progress?.update(done: done)
                if stop.isRequested { progress?.finish(done: done, interrupted: true) }
                try ctx.checkInterrupt()
            }
            progress?.finish(done: progress?.total ?? 0)
            let groups = outcomes[0].groups
            let table = TableObject(title: "Probe accuracy on \(setup.evaluation.images.count) images, ablating \(setup.top) units at layer \(layer)",
                                    columns: ["condition", "units"] + groups + ["overall", "worst group"],
                                    rows: outcomes.map { o in
                [.string(o.condition), .int(o.units.count)] + o.accuracies.map(Value.double) + [.double(o.overall), .double(o.worst)]
            })
            let chart = try Chart.bars(labels: outcomes.map(\.condition), values: outcomes.map(\.worst), options: ChartOptions(
                width: 520, height: 320, title: "Worst-group accuracy, layer \(layer)", yLabel: "accuracy", density: figureDensity))
            return .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw languageError(error, at: ctx.span) }
    })

    r.types["CLIP"]!.addMethod(BuiltinFunction("ablationSweep", [
        Parameter(nil, name: "saes", type: "[SAE]", doc: "SAEs at several layers of this model"),
    ] + ablationParameters, returns: "Figure", doc: "The layer sweep of `clip.ablationBaselines`: worst-group accuracy after "
       + "ablating the top latents, random latents and top neurons at each SAE's layer, beside no ablation; a table and a "
       + "chart of which layer disentangles the spurious attribute best.") { ctx in
        let stop = ctx.interpreter.interrupt
        let objects = try ctx.saes("saes")
        let figure: Value
        var layersDone = 0
        do {
            let setup = try AblationSetup(ctx)
            let clean = setup.evaluation.evaluate()
            let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Ablating at each layer", total: objects.count * (4 + setup.draws))
            var results: [(layer: Int, outcomes: [AblationOutcome])] = []
            let passes = 4 + setup.draws
            for object in objects {
                if ctx.interrupted { break }
                let done = results.count
                do {
                    results.append(try setup.run(object, includeClean: false, at: ctx.spanOf("saes")) { pass, _ in
                        progress.update(done: done * passes + pass)
                        if stop.isRequested { throw CancellationError() }
                    })
                } catch is CancellationError { break }
            }
            progress.finish(done: results.count * passes, details: [("layers", "\(results.count) of \(objects.count)")],
                            interrupted: ctx.interrupted)
            try ctx.checkInterruptUnless(!results.isEmpty)
            layersDone = results.count
            results.sort { $0.layer < $1.layer }
            func worst(_ o: [AblationOutcome], _ condition: String) -> Double { o.first { $0.condition == condition }?.worst ?? .nan }
            let conditions = ["top SAE latents", "random latents", "top neurons"]
            let table = TableObject(title: "Worst-group accuracy after ablating \(setup.top) units, by layer",
                                    columns: ["layer", "no ablation"] + conditions,
                                    rows: results.map { r in [.int(r.layer), .double(clean.worst)] + conditions.map { .double(worst(r.outcomes, $0)) } })
            let x = results.map { Double($0.layer) }
            let chart = try Chart.lines([LineSeries(name: "no ablation", x: x, y: x.map { _ in clean.worst })]
                                        + conditions.map { c in LineSeries(name: c, x: x, y: results.map { worst($0.outcomes, c) }) },
                                        options: ChartOptions(title: "Worst-group accuracy after ablation", xLabel: "layer",
                                                              yLabel: "worst-group accuracy", density: figureDensity))
            figure = .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw languageError(error, at: ctx.span) }
        return try ctx.finished(figure, progress: "stopped after \(layersDone) of \(objects.count) layers",
                                kept: "the figure of the layers done")
    })
}
