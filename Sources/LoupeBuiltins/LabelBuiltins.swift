import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDatasets
import LoupeDisplay
import LoupeJSON
import LoupeLanguage
import LoupeSAE
import LoupeTensor
import LoupeToyWorld

/// Labels of an SAE's latents (`sae.labels`): a table, and on the toy world
/// how often a label names what its latent detects, beside random directions.
public final class LabelsObject: HostObject {
    let labels: [LatentLabel]
    let unlabelled: Int
    let images: Int
    let vocabulary: Int
    let precision: (latents: LabelPrecision, random: LabelPrecision)?
    /// (done, asked) when Stop ended the labelling early.
    let stoppedAfter: (done: Int, of: Int)?
    public var typeName: String { "Labels" }

    init(labels: [LatentLabel], unlabelled: Int, images: Int, vocabulary: Int, precision: (latents: LabelPrecision, random: LabelPrecision)?,
         stoppedAfter: (done: Int, of: Int)? = nil) {
        self.labels = labels; self.unlabelled = unlabelled; self.images = images; self.vocabulary = vocabulary
        self.precision = precision; self.stoppedAfter = stoppedAfter
    }

    /// The finding in one line: how many were named and, on the toy world, how often rightly.
    var title: String {
        var text = "Labels of \(labels.count) latents over \(images) images and \(vocabulary) words"
            + (unlabelled > 0 ? " (\(unlabelled) firing on fewer than \(LatentLabeling.minimumImages) images left unlabelled)" : "")
            + (stoppedAfter.map { "; stopped after \($0.done) of \($0.of) latents, the rest unlabelled" } ?? "")
        if let p = precision {
            text += "; toy-world ground truth: the label names the matched value for "
                + PrecisionText.describe(p.latents, what: "latents") + ", against " + PrecisionText.describe(p.random, what: "random directions")
        }
        return text
    }

    var notes: String {
        var text = "z: how many standard errors a latent's top \(LatentLabeling.topImages) images' cosine with the word sits above all "
            + "images' mean. Confidence: the share of \(LatentLabeling.nullSets) random image sets of the same size whose best word "
            + "agrees less. Strongest labels (by z) first; labels.top(n) lists more, labels.of(latent) one."
        if precision != nil {
            text += "\nGround truth: each unit's value is matched on the even-numbered images (F1 ≥ "
                + NumberText.fixed(LabelPrecision.minimumF1, digits: 1) + "), its label taken from the odd-numbered ones; the random "
                + "directions are the residual stream's, floored at zero, labelled the same way. docs/labels.md defines every number."
        }
        return text
    }

    /// Labels by z, the strongest first.
    var ranked: [LatentLabel] {
        labels.sorted { ($0.words.first?.z ?? 0, -$0.latent) > ($1.words.first?.z ?? 0, -$1.latent) }
    }

    func table(count: Int) -> TableObject {
        let rows: [[Value]] = ranked.prefix(count).map { l in
            [.int(l.latent), .string(l.label), .double(l.words.first?.z ?? 0), .double(l.confidence),
             .string(l.words.dropFirst().map(\.word).joined(separator: ", ")), .int(l.firing)]
        }
        return TableObject(title: title, columns: ["latent", "label", "z", "confidence", "next words", "images firing"],
                           rows: rows, notes: notes)
    }

    var table: TableObject { table(count: Self.shown) }
    static let shown = 20

    public func display() -> DisplayBundle {
        var bundle = table.display()
        if let p = precision, case .object(var o)? = bundle.data[LoupeMIME.table] {
            o["precision_at_1"] = .double(p.latents.precision.value)
            o["precision_low"] = .double(p.latents.precision.low)
            o["precision_high"] = .double(p.latents.precision.high)
            o["judged"] = .int(p.latents.labelled)
            o["random_precision_at_1"] = .double(p.random.precision.value)
            o["random_judged"] = .int(p.random.labelled)
            bundle.data[LoupeMIME.table] = .object(o)
        }
        return bundle
    }
}

enum PrecisionText {
    static func describe(_ p: LabelPrecision, what: String) -> String {
        guard p.labelled > 0 else { return "no \(what) detect a value with F1 ≥ \(LabelPrecision.minimumF1) to judge" }
        return "\(p.judged.filter { LabelPrecision.word(of: $0.value) == $0.label }.count) of \(p.labelled) \(what), precision at 1 "
            + NumberText.withInterval(p.precision, percent: false)
    }
}

extension CallContext {
    /// The images of dataset `key` with the receiver SAE's place: its
    /// per-token activations there and the images' normalised embeddings.
    func saeImages(_ key: String) throws -> (place: SAEPlacement, dataset: DatasetObject, tokens: Tensor, embeddings: Tensor) {
        let place = try sae().placement(at: span)
        let d = try nonEmptyDataset(key)
        let images = try d.allImages(interpreter)
        let tokens = try place.clip.activations(images: images, layer: place.layer, site: place.site, tokens: place.tokens)
        return (place, d, tokens, place.clip.embed(images: images))
    }

    /// The vocabulary argument, or the 5,000 commonest English words.
    func vocabularyOrEnglish(_ key: String = "vocabulary") throws -> [String] {
        if has(key) { return try vocabulary(key) }
        do { return Array(try Vocabularies.englishWords.get().prefix(5000)) } catch { throw LoupeError(error, at: span) }
    }

    /// Latent or neuron numbers, each a whole number in 0..<total.
    func unitIndices(_ key: String, below total: Int) throws -> [Int] {
        try numbers(key).map { v in
            guard v.isFinite, v == v.rounded(), v >= 0, v < Double(total) else {
                throw valueError(key, "unit \(NumberText.fixed(v, digits: 2)) does not exist: give whole numbers in 0..<\(total)")
            }
            return Int(v)
        }
    }

    /// A prompt: one non-empty line of text.
    func prompt(_ key: String) throws -> String {
        let text = try string(key).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw valueError(key, "the prompt is empty; give the words to search for, e.g. \"a red star\"") }
        guard text.count <= 1000 else { throw valueError(key, "the prompt has \(text.count) characters; give at most 1,000") }
        return text
    }
}

func searchTable(_ hits: [SearchHit], prompt: String, unit: String, images: Int, labels: [Int: LatentLabel] = [:]) -> TableObject {
    TableObject(title: "\(unit.capitalized)s tracking \"\(prompt)\" over \(images) images: Pearson's r between each \(unit)'s "
                + "image-level activation (its peak over the tokens) and the cosine of each image with the prompt, with a 95% "
                + "interval (Fisher's z)",
                columns: [unit, "r", "low", "high", "images active"] + (labels.isEmpty ? [] : ["label"]),
                rows: hits.map { h in
                    [.int(h.unit), .double(h.correlation.value), .double(h.correlation.low), .double(h.correlation.high), .int(h.active)]
                        + (labels.isEmpty ? [] : [.string(labels[h.unit]?.label ?? "")])
                }, barColumn: 1)
}

func registerLabels(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("labels", [
        Parameter("in", type: "Dataset", doc: "the images whose top-firing ones name each latent"),
        Parameter("vocabulary", type: "[String]", default: .null, doc: "the candidate words (default: the 5,000 most frequent English words)"),
        Parameter("top", type: "Int", default: .int(3), doc: "words kept per latent, best first"),
        Parameter("latents", type: "[Int] or Range", default: .null, doc: "which latents (default: all)"),
    ], returns: "Labels", doc: "Names each latent with the words whose text embedding agrees with its top-firing images "
       + "more than random images do (a z-score per word), with a confidence against random image sets; the SAE keeps them, "
       + "and sae.feature and sae.explore show them. On toy-world scenes it also reports how often the label names the "
       + "value each latent detects (precision at 1), beside random directions labelled the same way. docs/labels.md "
       + "defines every number.") { ctx in
        let object = ctx.sae()
        let top = try ctx.int("top")
        guard (1...20).contains(top) else { throw ctx.valueError("top", "keep 1 to 20 words per latent, got \(top)") }
        let vocabulary = try ctx.vocabularyOrEnglish()
        let latents = ctx.has("latents") ? try ctx.unitIndices("latents", below: object.sae.dSAE) : Array(0..<object.sae.dSAE)
        do {
            let (place, d, tokens, embeddings) = try ctx.saeImages("in")
            let words = try place.clip.embed(texts: vocabulary)
            let peaks = try LatentPeaks.measure(object.sae, tokens: tokens)
            let stop = ctx.interpreter.interrupt
            let found = LatentLabeling.label(latents: latents, peaks: peaks, imageEmbeddings: embeddings, wordEmbeddings: words,
                                             vocabulary: vocabulary, top: top, stop: { stop.isRequested })
            // Stopped: the latents labelled so far are kept, and say so.
            let stopped = found.count < latents.count
            let labelled = found.compactMap { $0 }
            for l in labelled { object.labels[l.latent] = l }
            var precision: (LabelPrecision, LabelPrecision)?
            if !stopped, let scenes = d.source as? SceneSource, d.count >= 40 {
                let truth = d.indices.map { MonosemanticitySimilarity.labels(scenes.attributes(at: $0)) }
                let ours = try LabelPrecision.measure(peaks: peaks.dense(), units: object.sae.dSAE, truth: truth, imageEmbeddings: embeddings,
                                                      wordEmbeddings: words, vocabulary: vocabulary)
                let randomPeaks = LabelPrecision.randomDirectionPeaks(tokens: tokens, count: object.sae.dSAE, seed: 1)
                let random = try LabelPrecision.measure(peaks: randomPeaks, units: object.sae.dSAE, truth: truth,
                                                        imageEmbeddings: embeddings, wordEmbeddings: words, vocabulary: vocabulary)
                precision = (ours, random)
            }
            return .object(LabelsObject(labels: labelled, unlabelled: found.count - labelled.count, images: d.count,
                                        vocabulary: vocabulary.count, precision: precision,
                                        stoppedAfter: stopped ? (found.count, latents.count) : nil))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
    let labelsType = BuiltinType("Labels", doc: "Latent labels: each latent's best words, their z-scores and a confidence.", isGlobal: false)
    labelsType.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(50))], returns: "Table",
                                         doc: "The labels with the largest z, strongest first.") { ctx in
        let count = try ctx.int("count")
        guard count >= 1 else { throw ctx.valueError("count", "list at least one label, got \(count)") }
        return .object((ctx.receiver.objectValue as! LabelsObject).table(count: count))
    })
    labelsType.addMethod(BuiltinFunction("of", [Parameter(nil, name: "latent", type: "Int")], returns: "String",
                                         doc: "One latent's label (\"\" when it is unlabelled).") { ctx in
        let latent = try ctx.int("latent")
        return .string((ctx.receiver.objectValue as! LabelsObject).labels.first { $0.latent == latent }?.label ?? "")
    })
    labelsType.addProperty(BuiltinProperty("count", type: "Int", doc: "How many latents got a label.") { v in
        .int((v.objectValue as! LabelsObject).labels.count)
    })
    r.add(labelsType)

    r.type("SAE").addMethod(BuiltinFunction("search", [
        Parameter(nil, name: "prompt", type: "String", doc: "what to look for, e.g. \"a red star\""),
        Parameter("in", type: "Dataset", doc: "the images to correlate over (at least 4)"),
        Parameter("top", type: "Int", default: .int(10), doc: "how many latents to list"),
    ], returns: "Table", doc: "Latents ranked by how well their image-level activation (peak over the SAE's tokens) tracks the "
       + "model's cosine between each image and the prompt: Pearson's r with a 95% interval. docs/labels.md defines it.") { ctx in
        let object = ctx.sae()
        let prompt = try ctx.prompt("prompt")
        let top = try ctx.int("top")
        guard (1...1000).contains(top) else { throw ctx.valueError("top", "list 1 to 1,000 latents, got \(top)") }
        do {
            let (place, d, tokens, embeddings) = try ctx.saeImages("in")
            guard d.count >= 4 else { throw ctx.valueError("in", "a correlation needs at least 4 images, got \(d.count)") }
            let text = try place.clip.embed(texts: [prompt])
            let similarity = embeddings.matmul(text, transposeOther: true).toArray()
            let hits = TextSearch.rank(peaks: try LatentPeaks.measure(object.sae, tokens: tokens), similarity: similarity, top: top)
            return .object(searchTable(hits, prompt: prompt, unit: "latent", images: d.count, labels: object.labels))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("CLIP").addMethod(BuiltinFunction("search", [
        Parameter(nil, name: "prompt", type: "String", doc: "what to look for, e.g. \"a red star\""),
        Parameter("in", type: "Dataset", doc: "the images to correlate over (at least 4)"),
        Parameter("layer", type: "Int", doc: "whose residual-stream coordinates (neurons, at resid_post) to rank"),
        Parameter("tokens", type: "Option", default: .enumCase("all", []), doc: "the tokens a neuron's peak is taken over",
                  choices: Options.tokens),
        Parameter("top", type: "Int", default: .int(10), doc: "how many neurons to list"),
    ], returns: "Table", doc: "Neurons ranked as sae.search ranks latents: Pearson's r between each coordinate's peak over "
       + "the tokens and the cosine of each image with the prompt; for comparing an SAE's latents with the neurons they "
       + "decompose.") { ctx in
        let model = ctx.clip()
        let prompt = try ctx.prompt("prompt")
        let layer = try ctx.layer("layer")
        let top = try ctx.int("top")
        guard (1...1000).contains(top) else { throw ctx.valueError("top", "list 1 to 1,000 neurons, got \(top)") }
        let d = try ctx.nonEmptyDataset("in")
        guard d.count >= 4 else { throw ctx.valueError("in", "a correlation needs at least 4 images, got \(d.count)") }
        do {
            let images = try d.allImages(ctx.interpreter)
            let acts = try model.activations(images: images, layer: layer, site: .residPost, tokens: try ctx.tokenSelection())
            let (n, t, w) = (acts.shape[0], acts.shape[1], acts.shape[2])
            var peaks = [Float](repeating: -.infinity, count: n * w)
            for row in 0..<(n * t) {
                let base = (row / t) * w, src = acts.pointer + row * w
                for u in 0..<w { peaks[base + u] = max(peaks[base + u], src[u]) }
            }
            let text = try model.embed(texts: [prompt])
            let similarity = model.embed(images: images).matmul(text, transposeOther: true).toArray()
            let hits = TextSearch.rank(activations: peaks, units: w, similarity: similarity, top: top)
            return .object(searchTable(hits, prompt: prompt, unit: "neuron", images: d.count))
        } catch { throw LoupeError(error, at: ctx.span) }
    })
}
