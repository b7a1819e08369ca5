import Foundation
import LoupeAnalysis
import LoupeDisplay
import LoupeLanguage
import LoupeSAE

/// The settings every training call shares (`SAE.train` and `SAE.sweep`).
let trainingParameters = [
    Parameter("steps", type: "Int", default: .int(2000)),
    Parameter("batch", type: "Int", default: .int(4096), doc: "tokens per step"),
    Parameter("lr", type: "Double", default: .null,
              doc: "Adam learning rate (default 3e-4; with trainer: .dictionaryLearning, 2e-4 / √(width / 16,384))"),
    Parameter("trainer", type: "Option", default: .enumCase("saeLens", []),
              doc: "whose training rules: .saeLens, or .dictionaryLearning (the trainer Pach et al. use, for .batchTopK "
                 + "and .matryoshka: AuxK at 1/32 over the residual's spread, dead after 10 million silent tokens, the "
                 + "threshold averaged from step 1,001, inputs at unit mean squared norm); docs/protocols.md lists every difference",
              choices: Options.trainers),
    Parameter("warmup", type: "Int", default: .null,
              doc: "learning-rate warm-up in steps (default: min(1,000, 5% of steps); 1,000 with .dictionaryLearning)"),
    Parameter("thresholdStart", type: "Int", default: .null,
              doc: "with .dictionaryLearning, the step after which the threshold is averaged in (default 1,000, the package's)"),
    Parameter("seed", type: "Int", default: .int(0), doc: "the same seed repeats a run exactly"),
    Parameter("clipGradients", type: "Double", default: .double(1),
              doc: "before each Adam step, scale the gradients so their global norm is at most this, as SAELens does; nil turns it off"),
    Parameter("deadWindow", type: "Int", default: .null,
              doc: "a latent counts as dead, and AuxK trains it, after this many steps without firing (SAELens's "
                 + "dead_feature_window, default 1,000; with .dictionaryLearning, 10 million tokens in steps of batch:); "
                 + "a run shorter than the window never uses AuxK, and the SAE's summary says so"),
    Parameter("validation", type: "Activations", default: .null,
              doc: "held-out activations (other images, the same model, layer and site): the SAE is measured on them "
                 + "every `every:` steps (MSE, explained variance, L0, dead), live and in `sae.history`"),
    Parameter("every", type: "Int", default: .null, doc: "steps between validations (default: a twentieth of the run)"),
]

extension CallContext {
    /// The training options of the shared settings for one SAE of `kind` and `width`.
    func trainingOptions(_ acts: ActivationsObject, architecture: any SAEArchitecture, width: Int) throws -> SAETrainingOptions {
        let recipe: TrainingRecipe = try option("trainer").name == "dictionaryLearning" ? .dictionaryLearning : .saeLens
        if has("thresholdStart") && recipe != .dictionaryLearning {
            throw valueError("thresholdStart", "thresholdStart: times dictionary_learning's threshold; add trainer: .dictionaryLearning or leave it out")
        }
        if has("deadWindow") {
            let window = try int("deadWindow")
            guard (1...(1 << 24 - 1)).contains(window) else {
                throw valueError("deadWindow", "give a window between 1 and 16,777,215 steps, got \(window)")
            }
        }
        for key in ["warmup", "thresholdStart"] where has(key) {
            let value = try int(key)
            guard (0...(1 << 30)).contains(value) else { throw valueError(key, "give a number of steps from 0 to 2^30, got \(value)") }
        }
        if has("lr") {
            let lr = try double("lr")
            guard lr > 0 && Float(lr).isFinite else { throw valueError("lr", "give a positive learning rate, such as 3e-4; got \(lr)") }
        }
        var options = SAETrainingOptions.recipe(
            recipe, architecture: architecture, width: width, steps: try int("steps"),
            batchSize: try int("batch"), learningRate: has("lr") ? Float(try double("lr")) : nil,
            warmupSteps: has("warmup") ? try int("warmup") : nil,
            deadWindowSteps: has("deadWindow") ? try int("deadWindow") : nil,
            thresholdStartStep: has("thresholdStart") ? try int("thresholdStart") : nil)
        let seed = try self.seed()
        guard seed >= 0 && seed <= Int(Int32.max) else { throw valueError("seed", "give a seed between 0 and \(Int32.max), got \(seed)") }
        options.seed = UInt64(seed)
        options.gradientClipNorm = has("clipGradients") ? try double("clipGradients") : nil
        if let norm = options.gradientClipNorm, !(norm > 0) {
            throw valueError("clipGradients", "'clipGradients:' must be a positive norm, or nil for no clipping; got \(norm)")
        }
        if has("validation") {
            let held = try activations("validation")
            let (a, b) = (acts.metadata, held.metadata)
            guard a.layer == b.layer, a.site == b.site, a.model == b.model else {
                throw valueError("validation", "the held-out activations are from \(b.model ?? "an unnamed model") layer "
                    + "\(b.layer.map(String.init) ?? "?") \(b.site ?? ""), the training ones from \(a.model ?? "an unnamed model") layer "
                    + "\(a.layer.map(String.init) ?? "?") \(a.site ?? ""): hold out other images at the same place")
            }
            options.validation = try held.source()
            options.validationEvery = max(1, options.steps / 20)
        } else if has("every") {
            throw valueError("every", "every: times the validation; add validation: held-out activations, or leave it out")
        }
        if has("every") {
            let every = try int("every")
            guard every >= 1 && every <= 1 << 30 else { throw valueError("every", "validate every 1 step or more, got \(every)") }
            options.validationEvery = every
        }
        return options
    }

    /// Refuses, before anything is allocated, SAEs that would not fit in
    /// memory together: encoder and decoder, their gradients and Adam's two
    /// moments (12 floats per weight), and a batch's pre-activations, codes
    /// and their gradients (4 floats per latent per token), for each.
    func checkTrainingMemory(_ runs: [SAETrainingOptions], dIn: Int) throws {
        let floats = runs.reduce(0.0) { total, o in
            let width = Double(max(0, o.width)), batch = Double(max(0, o.batchSize))
            return total + 12 * width * Double(dIn) + 4 * batch * width
        }
        let what = runs.count == 1 ? "an SAE \(runs[0].width) wide" : "\(runs.count) SAEs (widths \(runs.map(\.width)))"
        try checkMemory(count: Int(min(floats, Double(Int.max / 8))), of: 4,
                        for: "\(what) on \(dIn)-wide activations, trained \(runs[0].batchSize) tokens at a time,")
    }
}

/// What one run shows while it trains: its progress line and its curves.
final class TrainingDisplay {
    let progress: ProgressDisplay
    let curves: LiveTrainingCurves

    init(_ output: OutputSink, title: String, curvesTitle: String, options: SAETrainingOptions, clock: DrawingClock = DrawingClock()) {
        progress = ProgressDisplay(output: output, title: title, total: options.steps)
        curves = LiveTrainingCurves(output: output, title: curvesTitle,
                                    every: options.historyEvery ?? TrainingHistory.defaultEvery(steps: options.steps), clock: clock)
    }

    func update(_ p: SAETrainingProgress) {
        curves.update(p)
        progress.update(done: p.step, details: [
            ("loss", String(format: "%.4g", p.loss)), ("L0", String(format: "%.1f", p.l0)),
            ("dead", String(format: "%.1f%%", 100 * p.deadFraction)), ("tokens/s", String(format: "%.0f", p.tokensPerSecond)),
        ])
    }

    func finish(_ result: SAETrainingResult) {
        progress.finish(done: result.stepsDone, details: [("tokens/s", String(format: "%.0f", result.tokensPerSecond)),
                                                          ("AuxK active", "\(result.auxKActiveSteps) steps"),
                                                          ("dead", NumberText.percent(result.deadFraction))],
                        interrupted: result.interrupted)
        curves.finish(result.history, summary: result.history.ending)
    }
}

func registerTraining(_ r: Registry) {
    let sae = r.type("SAE")
    sae.addStatic(BuiltinFunction("train", [
        Parameter(nil, name: "activations", type: "Activations"),
        Parameter("kind", type: "Option", default: .enumCase("topK", [("k", .int(32))]),
                  doc: Options.saeKindSignatures, choices: Options.saeKinds),
        Parameter("width", type: "Int", default: .int(4096), doc: "number of latents"),
    ] + trainingParameters + [
        Parameter("checkpoint", type: "String", default: .null,
                  doc: "a folder for periodic checkpoints; a run started again with it resumes where it stopped"),
        Parameter("seeds", type: "Int", default: .null,
                  doc: "train this many SAEs, with seeds seed, seed + 1, ..., and return them as an array: experiments "
                     + "that take [SAE] report the mean and its interval across them"),
    ], returns: "SAE", doc: "Trains an SAE with Adam, learning-rate warm-up and decay, gradient-norm clipping, unit-norm decoder rows "
       + "and AuxK on dead latents, with a live progress display and live curves (kept in `sae.history`). An interrupt stops "
       + "training and keeps the SAE trained so far (with `seeds:`, the SAEs finished so far).") { ctx in
        let acts = try ctx.activations("activations")
        var options = try ctx.trainingOptions(acts, architecture: try ctx.architecture("kind"), width: try ctx.int("width"))
        let firstSeed = Int(options.seed)
        let seedCount = ctx.has("seeds") ? try ctx.seed("seeds") : nil
        if let seedCount, !(1...100).contains(seedCount) {
            throw ctx.valueError("seeds", "give between 1 and 100 seeds, got \(seedCount)")
        }
        if ctx.has("checkpoint") {
            guard seedCount == nil else { throw ctx.valueError("checkpoint", "checkpoints resume one run; train one seed at a time with checkpoint:") }
            options.checkpointDirectory = try ctx.string("checkpoint")
            options.checkpointEvery = max(50, options.steps / 20)
        }
        try ctx.checkTrainingMemory([options], dIn: acts.width)
        var trained: [Value] = []
        var lastDone = 0
        let runs = seedCount ?? 1
        for run in 0..<runs {
            options.seed = UInt64(firstSeed + run)
            let seedNote = seedCount == nil ? "" : ", seed \(options.seed) (\(run + 1) of \(runs))"
            let display = TrainingDisplay(ctx.interpreter.output, title: "Training \(options.architecture.description) SAE" + seedNote,
                                          curvesTitle: "Training curves" + seedNote, options: options)
            let result: SAETrainingResult
            do {
                result = try SAETrainer.train(source: try acts.source(trainingSeed: options.seed), options: options,
                                              shouldStop: { [stop = ctx.interpreter.interrupt] in stop.isRequested }) { display.update($0) }
            } catch { throw LoupeError(error, at: ctx.span) }
            display.finish(result)
            lastDone = result.stepsDone
            if result.interrupted && seedCount != nil { break }   // a partly trained seed is not one of the seeds
            trained.append(.object(SAEObject(result.sae, clip: acts.clip, training: TrainingRecord(result, steps: options.steps))))
            if result.interrupted { break }
        }
        guard let seedCount else {
            return try ctx.finished(trained[0], progress: "stopped at step \(lastDone) of \(options.steps)", kept: "the SAE trained so far")
        }
        try ctx.checkInterruptUnless(!trained.isEmpty)
        return try ctx.finished(.array(trained), progress: "stopped after \(trained.count) of \(seedCount) seeds",
                                kept: "the \(trained.count) SAEs finished")
    })

    sae.addStatic(BuiltinFunction("sweep", [
        Parameter(nil, name: "activations", type: "Activations"),
        Parameter("kinds", type: "[Option]", doc: "the architectures, e.g. [.topK(k: 16), .batchTopK(k: 16)]", choices: Options.saeKinds),
        Parameter("widths", type: "[Int]", doc: "the numbers of latents; every kind is trained at every width"),
    ] + trainingParameters, returns: "Sweep", doc: "Trains an SAE for every kind at every width on the same batches, each "
       + "batch read once (from memory or a cache on disk): each SAE is the one `SAE.train` gives with the same settings and "
       + "seed. Returns the SAEs with one comparison table; an interrupt keeps every SAE as trained so far.") { ctx in
        let acts = try ctx.activations("activations")
        guard case .array(let kinds) = ctx.value("kinds"), !kinds.isEmpty else {
            throw ctx.valueError("kinds", "give at least one architecture, e.g. kinds: [.topK(k: 16), .batchTopK(k: 16)]")
        }
        let widths = try ctx.numbers("widths")
        guard !widths.isEmpty else { throw ctx.valueError("widths", "give at least one width, e.g. widths: [1024, 4096]") }
        let architectures = try kinds.map { try ctx.architecture(from: $0, key: "kinds") }
        var runs: [SAETrainingOptions] = []
        for architecture in architectures {
            for w in widths {
                guard w.isFinite, w == w.rounded(), w >= 1, w <= Double(1 << 26) else {
                    throw ctx.valueError("widths", "widths are whole numbers of latents from 1 to 2^26, got \(NumberText.fixed(w, digits: 2))")
                }
                runs.append(try ctx.trainingOptions(acts, architecture: architecture, width: Int(w)))
            }
        }
        guard runs.count <= 64 else { throw ctx.valueError("kinds", "a sweep trains at most 64 SAEs at once; this one asks for \(runs.count)") }
        try ctx.checkTrainingMemory(runs, dIn: acts.width)
        let clock = DrawingClock()   // one budget for every run's curves
        let displays = runs.enumerated().map { i, o in
            TrainingDisplay(ctx.interpreter.output, title: "Sweep \(i + 1) of \(runs.count): \(o.architecture.description), width \(o.width)",
                            curvesTitle: "Training curves, \(o.architecture.description), width \(o.width)", options: o, clock: clock)
        }
        let results: [SAETrainingResult]
        do {
            results = try SAETrainer.sweep(source: try acts.source(trainingSeed: runs[0].seed), runs: runs,
                                           shouldStop: { [stop = ctx.interpreter.interrupt] in stop.isRequested }) { displays[$0].update($1) }
        } catch { throw LoupeError(error, at: ctx.span) }
        for (display, result) in zip(displays, results) { display.finish(result) }
        let saes = zip(results, runs).map { SAEObject($0.sae, clip: acts.clip, training: TrainingRecord($0, steps: $1.steps)) }
        let sweep: SweepObject
        do { sweep = try SweepObject(saes: saes, results: results, runs: runs, activations: acts) } catch { throw LoupeError(error, at: ctx.span) }
        return try ctx.finished(.object(sweep), progress: "stopped at step \(results[0].stepsDone) of \(runs[0].steps)",
                                kept: "every SAE as trained so far")
    })

    let sweep = BuiltinType("Sweep", doc: "SAEs trained together on the same batches, with their comparison table.", isGlobal: false)
    sweep.addProperty(BuiltinProperty("saes", type: "[SAE]", doc: "The SAEs, kinds in order and every width of each.") { v in
        .array((v.objectValue as! SweepObject).saes.map { .object($0) })
    })
    sweep.addProperty(BuiltinProperty("table", type: "Table", doc: "The comparison: explained variance, L0 and dead latents of each.") { v in
        .object((v.objectValue as! SweepObject).table)
    })
    r.add(sweep)
}

extension CallContext {
    /// One architecture from an element of an array argument (`kinds: [...]`).
    func architecture(from value: Value, key: String) throws -> any SAEArchitecture {
        guard case .enumCase(let name, let args) = value else {
            throw typeError(key, expected: "architectures such as .topK(k: 16)", got: value)
        }
        return try architecture(named: name, arguments: args, key: key)
    }
}

/// The SAEs of one sweep and the table that compares them: explained
/// variance and L0 on the held-out activations when there are any (else on
/// the training ones, at most 65,536 rows), the dead fraction, the last
/// training loss and the steps in which AuxK acted.
final class SweepObject: HostObject {
    let saes: [SAEObject]
    let table: TableObject
    var typeName: String { "Sweep" }

    init(saes: [SAEObject], results: [SAETrainingResult], runs: [SAETrainingOptions], activations: ActivationsObject) throws {
        self.saes = saes
        let heldOut = runs[0].validation != nil
        var rows: [[Value]] = []
        for (result, o) in zip(results, runs) {
            let measured: (ev: Double, l0: Double, dead: Double)
            if let v = result.history.validation.last {
                measured = (v.explainedVariance, v.l0, v.deadFraction)
            } else {
                let m = try result.sae.metrics(try activations.source(), maxTokens: 65_536)
                measured = (m.explainedVariance, m.l0, m.deadFraction)
            }
            rows.append([.string(o.architecture.description), .int(o.width), .double(measured.ev), .double(measured.l0),
                         .double(measured.dead), result.history.points.last.map { .double($0.loss) } ?? .null,
                         .int(result.auxKActiveSteps), .int(result.stepsDone)])
        }
        table = TableObject(title: "Sweep: \(runs.count) SAEs trained on the same batches",
                            columns: ["kind", "width", "explained variance", "L0", "dead", "last loss", "AuxK steps", "steps"], rows: rows,
                            notes: (heldOut ? "explained variance, L0 and dead (firing on no token) measured on the held-out activations"
                                    : "explained variance, L0 and dead (firing on no token) measured on up to 65,536 training rows; "
                                    + "give validation: to measure on held-out ones")
                                + "; the last loss is in training units; each SAE's curves are in its history")
    }

    func display() -> DisplayBundle { table.display() }
}
