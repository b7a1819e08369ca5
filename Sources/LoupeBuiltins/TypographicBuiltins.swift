import Foundation
import LoupeAnalysis
import LoupeDatasets
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender

extension CallContext {
    /// The [String] argument `key` as words to draw: 1 to 24 characters each, no repeats, at most 32.
    func drawnWords(_ key: String) throws -> [String] {
        let words = try strings(key)
        guard (1...32).contains(words.count) else { throw valueError(key, "give 1 to 32 words, got \(words.count)") }
        for w in words where w.trimmingCharacters(in: .whitespaces).isEmpty || w.count > 24 {
            throw valueError(key, "each word must be 1 to 24 characters; '\(w.prefix(30))' is not")
        }
        guard Set(words.map { $0.lowercased() }).count == words.count else { throw valueError(key, "a word appears twice") }
        return words
    }

    /// The Dataset argument `key`, required to be toy-world scenes (words can be drawn only on those).
    func scenes(_ key: String) throws -> (dataset: DatasetObject, source: SceneSource) {
        let d = try nonEmptyDataset(key)
        guard let source = d.source as? SceneSource else {
            throw valueError(key, "words can be drawn on toy-world scenes only (Dataset.scenes(...))")
        }
        return (d, source)
    }
}

extension DatasetObject {
    /// The same images with `word` drawn on each.
    func typographic(_ word: String, _ source: SceneSource) -> DatasetObject {
        DatasetObject(source: SceneSource(generator: source.generator, typographicWord: word), indices: indices)
    }
}

func registerTypographicDefence(_ r: Registry) {
    r.type("CLIP").addMethod(BuiltinFunction("typographicDefence", [
        Parameter(nil, name: "sae", type: "SAE or [SAE]", doc: "the SAE whose text latents to ablate, at its layer; several seeds "
                  + "of it (SAE.train(..., seeds: 3)) give the mean and its interval across seeds"),
        Parameter("select", type: "Dataset", doc: "scenes on which the text latents are found: with each of `selectWords` drawn, against clean"),
        Parameter("selectWords", type: "[String]", doc: "the words drawn to find text latents; none may be an attack word"),
        Parameter("test", type: "Dataset", doc: "scenes to classify, clean and attacked; none may be among `select`"),
        Parameter("attackWords", type: "[String]", doc: "the misleading words drawn on the test scenes, e.g. class names"),
        Parameter("attribute", type: "String", default: .string("shape"), doc: "what zero-shot classification predicts"),
        Parameter("top", type: "Int", default: .int(20), doc: "how many latents (and neurons) to ablate"),
        Parameter("by", type: "Option", default: .enumCase("frequency", []),
                  doc: "how a latent's activation on an image is summarised for the ranking", choices: Options.imageMeasure),
        Parameter("maxWithout", type: "Double", default: .double(0.05),
                  doc: "keep only latents whose measure on the clean selection scenes is at most this; nil keeps all"),
        Parameter("draws", type: "Int", default: .int(3), doc: "random-latent draws per seed"),
        Parameter("seed", type: "Int", default: .int(0), doc: "seed of the random draws"),
    ], returns: "Figure", doc: "The typographic defence, selected apart from how it is judged: text latents are the ones that "
       + "fire more when `selectWords` are drawn on `select`, and zero-shot accuracy is measured on `test` clean and with "
       + "each of `attackWords` drawn, with no ablation, with the text latents ablated, with as many random live latents "
       + "ablated and with the neurons the same selection finds zeroed. Accuracies carry 95% intervals (Wilson over the "
       + "images for one run, Student's t across seeds or draws otherwise) and each comparison says whether it is resolved. "
       + "Shared words or shared scenes between selection and test are refused.") { ctx in
        let stop = ctx.interpreter.interrupt
        let model = ctx.clip()
        let objects = try ctx.saeOrSeeds("sae")
        let (select, selectSource) = try ctx.scenes("select")
        let (test, testSource) = try ctx.scenes("test")
        let selectWords = try ctx.drawnWords("selectWords"), attackWords = try ctx.drawnWords("attackWords")
        let shared = Set(selectWords.map { $0.lowercased() }).intersection(attackWords.map { $0.lowercased() })
        guard shared.isEmpty else {
            throw ctx.valueError("attackWords", "'\(shared.sorted()[0])' is also a selection word: latents selected on the attack "
                                 + "they are judged on would overstate the defence; hold the attack words out of selectWords")
        }
        try ctx.checkApart(selection: ["select"], evaluation: "test")
        let attribute = try ctx.string("attribute")
        guard let classes = test.source.validValues(of: attribute), classes.count >= 2 else {
            throw ctx.valueError("attribute", "'\(attribute)' has no fixed classes; attributes are " + test.source.attributeNames.joined(separator: ", "))
        }
        let top = try ctx.int("top")
        guard (1...100_000).contains(top) else { throw ctx.valueError("top", "ablate between 1 and 100,000 units, got \(top)") }
        let draws = try ctx.int("draws")
        guard (1...100).contains(draws) else { throw ctx.valueError("draws", "draws must be between 1 and 100") }
        let seed = try ctx.seed()
        guard seed >= 0 else { throw ctx.valueError("seed", "give a seed of 0 or more, got \(seed)") }
        let maxWithout = ctx.has("maxWithout") ? try ctx.double("maxWithout") : nil
        if let m = maxWithout, !m.isFinite { throw ctx.valueError("maxWithout", "give a finite fraction, or nil") }
        let measure = ImageMeasure(rawValue: try ctx.option("by").name)!
        let truth = try attributeTruth(test, attribute: attribute, classes: classes, ctx)
        let figure: Value
        do {
            let place = try objects[0].placement(in: model, at: ctx.spanOf("sae"))
            for o in objects {
                let p = try o.placement(in: model, at: ctx.spanOf("sae"))
                guard p.layer == place.layer, p.site == place.site, p.tokens == place.tokens else {
                    throw LoupeError(.value, "the SAEs of one comparison are seeds of one SAE: all at layer \(place.layer), its site and tokens",
                                     at: ctx.spanOf("sae"))
                }
            }
            let defence = TypographicDefence(
                model: model, prompts: defaultPrompts(test, attribute: attribute, classes: classes),
                clean: try test.allImages(ctx.interpreter), cleanTruth: truth,
                attacked: try attackWords.flatMap { try test.typographic($0, testSource).allImages(ctx.interpreter) },
                attackedTruth: Array(attackWords.map { _ in truth }.joined()))
            let selectWith = try selectWords.flatMap { try select.typographic($0, selectSource).allImages(ctx.interpreter) }
            let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Typographic defence",
                                           total: TypographicDefence.passes(seeds: objects.count, draws: draws))
            let outcomes = try defence.measure(saes: objects.map(\.sae), layer: place.layer, site: place.site, tokens: place.tokens,
                                               selectWith: selectWith, selectWithout: try select.allImages(ctx.interpreter), top: top,
                                               measure: measure, maxWithout: maxWithout, draws: draws, seed: UInt64(seed)) { done, _ in
                progress.update(done: done)
                if stop.isRequested { progress.finish(done: done, interrupted: true) }
                try ctx.checkInterrupt()
            }
            progress.finish(done: progress.total)
            let seeds = objects.count == 1 ? "one SAE" : "\(objects.count) SAE seeds"
            let table = TableObject(
                title: "Zero-shot \(attribute) accuracy on \(test.count) test scenes, clean and with " + attackWords.map { "'\($0)'" }.joined(separator: ", ")
                    + " drawn; units selected with " + selectWords.map { "'\($0)'" }.joined(separator: ", ") + " on \(select.count) other scenes "
                    + "(layer \(place.layer), \(seeds), \(draws) random draws each)",
                columns: ["condition", "units", "clean", "clean low", "clean high", "attacked", "attacked low", "attacked high", "n"],
                rows: outcomes.map { o in
                    let c = o.clean, a = o.attacked
                    return [.string(o.condition), .int(o.units.count), .double(c.value), .double(c.low), .double(c.high),
                            .double(a.value), .double(a.low), .double(a.high), .string("\(c.n) \(c.unit)")]
                },
                notes: TypographicDefence.comparisons(outcomes).map { "- \($0.what): " + $0.comparison.sentence() }.joined(separator: "\n"))
            let chart = try Chart.groupedBars(labels: outcomes.map(\.condition),
                                              series: [("clean", outcomes.map(\.clean.value)), ("attacked", outcomes.map(\.attacked.value))],
                                              intervals: [outcomes.map { ErrorBar(low: $0.clean.low, high: $0.clean.high) },
                                                          outcomes.map { ErrorBar(low: $0.attacked.low, high: $0.attacked.high) }],
                                              options: ChartOptions(width: 560, height: 340, title: "Zero-shot \(attribute) accuracy with 95% intervals",
                                                                    yLabel: "accuracy", density: figureDensity))
            figure = .object(FigureObject(kind: "Figure", table: table, image: chart))
        } catch { throw LoupeError(error, at: ctx.span) }
        return figure
    })
}
