import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// The arguments shared by `clip.ablationBaselines` and `clip.ablationSweep`.
private let ablationParameters = [
    Parameter("with", type: "Dataset", doc: "images with the spurious attribute (e.g. on water): they select the units"),
    Parameter("without", type: "Dataset", doc: "images without it: they select the units too"),
    Parameter("probe", type: "Probe", doc: "the probe to evaluate, fitted on this model's embeddings"),
    Parameter("test", type: "Dataset", doc: "the evaluation images; none may be among `with` or `without`"),
    Parameter("groups", type: "[String]", default: .null, doc: "required: the class attribute and the spurious attribute, e.g. [\"group\", \"habitat\"]: "
              + "worst-group accuracy is over their value combinations"),
    Parameter("top", type: "Int", default: .int(20), doc: "how many latents (and neurons) to ablate"),
    Parameter("bothWays", type: "Bool", default: .bool(false),
              doc: "take half the units from each end of the ranking (those marking `without` too)"),
    Parameter("draws", type: "Int", default: .int(3), doc: "random-latent draws per seed; each draw's worst group is taken, then averaged"),
    Parameter("seed", type: "Int", default: .int(0), doc: "seed of the random draws"),
]

extension DatasetObject {
    /// What makes each image the picture it is, across datasets (see `ImageSource.identity`).
    var identities: [String] { indices.map { source.identity(at: $0) } }

    /// Each image's group: its values of `attributes`, e.g. "group=water, habitat=land".
    func groupNames(_ attributes: [String]) throws -> [String] {
        try indices.map { i in try attributes.map { "\($0)=\(try source.value(i, of: $0))" }.joined(separator: ", ") }
    }
}

extension CallContext {
    /// The `groups:` argument of a worst-group evaluation: required, at
    /// least two attributes, one of them the class being predicted, since
    /// worst-group accuracy is over class × spurious-attribute groups.
    func worstGroupAttributes(_ key: String, classAttribute: String) throws -> [String] {
        let example = "groups: [\"\(classAttribute)\", \"<the spurious attribute>\"]"
        guard has(key) else {
            throw LoupeError(.argument, "worst-group accuracy needs its groups: the class and the spurious attribute, e.g. \(example) "
                             + "(groups of the class alone would give worst-class accuracy)", at: span)
        }
        let attributes = try strings(key)
        guard attributes.count >= 2, attributes.contains(classAttribute), Set(attributes).count == attributes.count else {
            throw valueError(key, "give the class '\(classAttribute)' and at least one spurious attribute, each once, e.g. \(example)")
        }
        return attributes
    }

    /// Refuses to go on when the datasets that select units share images with
    /// the one that evaluates them.
    func checkApart(selection keys: [String], evaluation key: String) throws {
        let evaluation = try object(key, as: DatasetObject.self, named: "a Dataset").identities
        for selecting in keys {
            let d = try object(selecting, as: DatasetObject.self, named: "a Dataset")
            do {
                try SelectionOverlap.check(selection: d.identities, evaluation: evaluation,
                                           selectionName: "'\(selecting):'", evaluationName: "'\(key):'")
            } catch { throw LoupeError(error, at: spanOf(key)) }
        }
    }
}

/// A condition's worst-group accuracy as table cells: value, low, high, n.
private func worstCells(_ o: AblationOutcome) -> [Value] {
    let e = o.worstEstimate
    return [.double(e.value), .double(e.low), .double(e.high), .string("\(e.n) \(e.unit)")]
}

private struct AblationSetup {
    let evaluation: SpuriousAblation
    let with: [RGBImage]
    let without: [RGBImage]
    let top: Int
    let bothWays: Bool
    let draws: Int
    let seed: UInt64

    init(_ ctx: CallContext, test key: String = "test") throws {
        let model = ctx.clip()
        let probe = try ctx.object("probe", as: ProbeObject.self, named: "a Probe (from clip.probe(...))")
        guard probe.model === model else { throw ctx.valueError("probe", "this probe was fitted on another CLIP's embeddings") }
        let with = try ctx.object("with", as: DatasetObject.self, named: "a Dataset")
        let without = try ctx.object("without", as: DatasetObject.self, named: "a Dataset")
        guard with.count > 0 else { throw ctx.valueError("with", "the dataset is empty") }
        guard without.count > 0 else { throw ctx.valueError("without", "the dataset is empty") }
        let test = try ctx.object(key, as: DatasetObject.self, named: "a Dataset")
        guard test.count > 0 else { throw ctx.valueError(key, "the dataset is empty") }
        let attributes = try ctx.worstGroupAttributes("groups", classAttribute: probe.attribute)
        try ctx.checkApart(selection: ["with", "without"], evaluation: key)
        top = try ctx.int("top")
        guard (1...100_000).contains(top) else { throw ctx.valueError("top", "ablate between 1 and 100,000 units, got \(top)") }
        bothWays = try ctx.bool("bothWays")
        draws = try ctx.int("draws")
        guard (1...100).contains(draws) else { throw ctx.valueError("draws", "draws must be between 1 and 100") }
        let seed = try ctx.seed()
        guard seed >= 0 else { throw ctx.valueError("seed", "give a seed of 0 or more, got \(seed)") }
        self.seed = UInt64(seed)
        evaluation = SpuriousAblation(model: model, probe: probe.probe, images: try test.allImages(ctx.interpreter),
                                      truth: try test.values(of: probe.attribute), group: try test.groupNames(attributes))
        self.with = try with.allImages(ctx.interpreter)
        self.without = try without.allImages(ctx.interpreter)
    }

    /// `onStep` sees each forward pass done (and may throw to stop). The
    /// SAEs are seeds of one SAE: all at one layer, site and tokens.
    func run(_ objects: [SAEObject], includeClean: Bool, at span: SourceSpan,
             onStep: (_ done: Int, _ total: Int) throws -> Void) throws -> (layer: Int, outcomes: [AblationOutcome]) {
        let place = try objects[0].placement(in: evaluation.model, at: span)
        for object in objects {
            let other = try object.placement(in: evaluation.model, at: span)
            guard other.layer == place.layer, other.site == place.site, other.tokens == place.tokens else {
                throw LoupeError(.value, "the SAEs of one comparison are seeds of one SAE: all at layer \(place.layer), "
                                 + "its site and tokens; this one is at layer \(other.layer)", at: span)
            }
        }
        return (place.layer, try evaluation.baselines(saes: objects.map(\.sae), layer: place.layer, site: place.site,
                                                      tokens: place.tokens, with: with, without: without, top: top,
                                                      bothWays: bothWays, draws: draws, seed: seed, includeClean: includeClean,
                                                      onStep: onStep))
    }
}

extension CallContext {
    /// An argument that is one SAE or an array of them (seeds of one SAE).
    func saeOrSeeds(_ key: String) throws -> [SAEObject] {
        if case .object(let o as SAEObject) = value(key) { return [o] }
        return try saes(key)
    }
}

/// The sentences under an ablation table: each comparison resolved or not.
private func verdicts(_ comparisons: [Comparison]) -> String {
    comparisons.map { "- " + $0.sentence() }.joined(separator: "\n")
}

func registerAblationBaselines(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("ablationBaselines", [
        Parameter(nil, name: "sae", type: "SAE or [SAE]", doc: "the SAE whose latents to rank and ablate, at its layer; several "
                  + "SAEs trained with different seeds (SAE.train(..., seeds: 3)) give the mean and its interval across seeds"),
    ] + ablationParameters, returns: "Figure", doc: "Spurious-feature suppression beside its baselines: the probe's per-group, "
       + "overall and worst-group accuracy with no ablation, with the top SAE latents by contrast (mean activation on `with` "
       + "minus `without`) zero-ablated, with as many random live latents ablated, and with the top residual coordinates by "
       + "the same contrast zeroed. Worst-group accuracy carries its 95% interval and n (Wilson's over the worst group's "
       + "images for one run; Student's t across seeds or draws otherwise), and each comparison says whether it is resolved. "
       + "The units are selected on `with` and `without`, which may share no image with `test`.") { ctx in
        let stop = ctx.interpreter.interrupt
        let objects = try ctx.saeOrSeeds("sae")
        do {
            let setup = try AblationSetup(ctx)
            var progress: ProgressDisplay?
            let (layer, outcomes) = try setup.run(objects, includeClean: true, at: ctx.spanOf("sae")) { done, total in
                progress = progress ?? ProgressDisplay(output: ctx.interpreter.output, title: "Ablation baselines", total: total)
                progress?.update(done: done)
                if stop.isRequested { progress?.finish(done: done, interrupted: true) }
                try ctx.checkInterrupt()
            }
            progress?.finish(done: progress?.total ?? 0)
            let groups = outcomes[0].groups
            let seeds = objects.count == 1 ? "one SAE" : "\(objects.count) SAE seeds"
            let table = TableObject(title: "Probe accuracy on \(setup.evaluation.images.count) test images, ablating \(setup.top) units "
                                    + "at layer \(layer) (\(seeds), \(setup.draws) random draws each)",
                                    columns: ["condition", "units"] + groups.map { "\($0) (n = \(outcomes[0].counts[groups.firstIndex(of: $0)!]))" }
                                        + ["overall", "worst group", "low", "high", "n"],
                                    rows: outcomes.map { o in
                [.string(o.condition), .int(o.units.count)] + o.accuracies.map(Value.double) + [.double(o.overall)] + worstCells(o)
            }, notes: verdicts(SpuriousAblation.comparisons(outcomes)))
            let chart = try Chart.bars(labels: outcomes.map(\.condition), values: outcomes.map(\.worst),
                                       intervals: outcomes.map { ErrorBar(low: $0.worstEstimate.low, high: $0.worstEstimate.high) },
                                       options: ChartOptions(width: 520, height: 320, title: "Worst-group accuracy with 95% intervals, layer \(layer)",
                                                             yLabel: "accuracy", density: figureDensity))
            return .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("CLIP").addMethod(BuiltinFunction("ablationSweep", [
        Parameter(nil, name: "saes", type: "[SAE]", doc: "SAEs at several layers of this model; several at one layer are seeds"),
    ] + ablationParameters + [
        Parameter("validation", type: "Dataset", default: .null,
                  doc: "images that choose the layer (the best worst-group accuracy with the top latents ablated); the test "
                     + "figure of the chosen layer is then reported. Shares no image with `test`"),
    ], returns: "Figure", doc: "The layer sweep of `clip.ablationBaselines`: worst-group accuracy after "
       + "ablating the top latents, random latents and top neurons at each layer, beside no ablation, with 95% intervals. "
       + "With `validation:`, the layer is chosen on those images and only then read on `test`: choosing it on the test "
       + "images would report the best of several noisy figures.") { ctx in
        let stop = ctx.interpreter.interrupt
        let objects = try ctx.saes("saes")
        let figure: Value
        var layersDone = 0
        do {
            let setup = try AblationSetup(ctx)
            let validation = ctx.has("validation") ? try AblationSetup(ctx, test: "validation") : nil
            if validation != nil { try ctx.checkApart(selection: ["validation"], evaluation: "test") }
            let clean = AblationOutcome(condition: "no ablation", units: [], runs: [setup.evaluation.evaluate()], drawsPerSeed: 1)
            // SAEs at one layer are that layer's seeds.
            var byLayer: [Int: [SAEObject]] = [:]
            for o in objects { byLayer[try o.placement(in: setup.evaluation.model, at: ctx.spanOf("saes")).layer, default: []].append(o) }
            let layers = byLayer.keys.sorted()
            let passesPerLayer = (validation == nil ? 1 : 2) * SpuriousAblation.passes(seeds: 1, draws: setup.draws, includeClean: false)
            let total = objects.count * passesPerLayer
            let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Ablating at each layer", total: total)
            var results: [(layer: Int, outcomes: [AblationOutcome], chosenBy: [AblationOutcome]?)] = []
            var passesDone = 0
            for layer in layers {
                if ctx.interrupted { break }
                let seeds = byLayer[layer]!
                let base = passesDone
                do {
                    func stepper(_ offset: Int) -> (Int, Int) throws -> Void {
                        { pass, _ in
                            progress.update(done: base + offset + pass)
                            if stop.isRequested { throw CancellationError() }
                        }
                    }
                    let perSet = seeds.count * passesPerLayer / (validation == nil ? 1 : 2)
                    let test = try setup.run(seeds, includeClean: false, at: ctx.spanOf("saes"), onStep: stepper(0))
                    let chosen = try validation?.run(seeds, includeClean: false, at: ctx.spanOf("saes"), onStep: stepper(perSet))
                    results.append((layer, test.outcomes, chosen?.outcomes))
                    passesDone += seeds.count * passesPerLayer
                } catch is CancellationError { break }
            }
            progress.finish(done: passesDone, details: [("layers", "\(results.count) of \(layers.count)")], interrupted: ctx.interrupted)
            try ctx.checkInterruptUnless(!results.isEmpty)
            layersDone = results.count
            let conditions = ["top SAE latents", "random latents", "top neurons"]
            func outcome(_ o: [AblationOutcome], _ condition: String) -> AblationOutcome { o.first { $0.condition == condition }! }
            var notes: [String] = []
            var chosenLayer: Int?
            if validation != nil {
                let best = results.max { outcome($0.chosenBy!, "top SAE latents").worst < outcome($1.chosenBy!, "top SAE latents").worst }!
                chosenLayer = best.layer
                notes.append("Chosen on the validation images: layer \(best.layer) (worst-group accuracy there "
                             + NumberText.withInterval(outcome(best.chosenBy!, "top SAE latents").worstEstimate) + "). Its test figures, "
                             + "the ones to report:")
                notes += SpuriousAblation.comparisons(best.outcomes, clean: clean).map { "- " + $0.sentence() }
            } else {
                notes.append("No layer is chosen here: the figures are all on the test images, so picking the best of them would "
                             + "overstate it. Give validation: to choose a layer on other images.")
            }
            let table = TableObject(title: "Worst-group accuracy after ablating \(setup.top) units, by layer, with 95% intervals "
                                    + "(no ablation: " + NumberText.withInterval(clean.worstEstimate) + ")",
                                    columns: ["layer", "seeds"] + conditions.flatMap { [$0, "low", "high"] } + (validation == nil ? [] : ["chosen"]),
                                    rows: results.map { r in
                [.int(r.layer), .int(byLayer[r.layer]!.count)]
                    + conditions.flatMap { c -> [Value] in
                        let e = outcome(r.outcomes, c).worstEstimate
                        return [.double(e.value), .double(e.low), .double(e.high)]
                    }
                    + (validation == nil ? [] : [.string(r.layer == chosenLayer ? "yes" : "")])
            }, notes: notes.joined(separator: "\n"))
            let x = results.map { Double($0.layer) }
            func bars(_ outcomes: [AblationOutcome]) -> [ErrorBar] {
                outcomes.map { ErrorBar(low: $0.worstEstimate.low, high: $0.worstEstimate.high) }
            }
            let chart = try Chart.lines([LineSeries(name: "no ablation", x: x, y: x.map { _ in clean.worst },
                                                    intervals: bars(x.map { _ in clean }))]
                                        + conditions.map { c in
                                            let o = results.map { outcome($0.outcomes, c) }
                                            return LineSeries(name: c, x: x, y: o.map(\.worst), intervals: bars(o))
                                        },
                                        options: ChartOptions(title: "Worst-group accuracy after ablation (95% intervals)", xLabel: "layer",
                                                              yLabel: "worst-group accuracy", density: figureDensity))
            figure = .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw LoupeError(error, at: ctx.span) }
        return try ctx.finished(figure, progress: "stopped after \(layersDone) layers",
                                kept: "the figure of the layers done")
    })
}
