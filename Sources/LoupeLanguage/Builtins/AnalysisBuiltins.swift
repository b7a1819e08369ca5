import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeRender
import LoupeSAE

/// Monosemanticity scores of every latent, with their distribution.
public final class MonosemanticityObject: HostObject {
    public let scores: [Double?]
    public let images: Int
    public var typeName: String { "Monosemanticity" }
    init(scores: [Double?], images: Int) { self.scores = scores; self.images = images }

    var ranked: [(latent: Int, score: Double)] {
        scores.enumerated().compactMap { i, s in s.map { (i, $0) } }.sorted { $0.score > $1.score }
    }

    func table(_ rows: ArraySlice<(latent: Int, score: Double)>, title: String) -> TableObject {
        TableObject(title: title, columns: ["latent", "MS"], rows: rows.map { [.int($0.latent), .double($0.score)] })
    }

    public func display() -> DisplayBundle {
        let live = ranked
        let dead = scores.count - live.count
        let mean = live.isEmpty ? 0 : live.map(\.score).reduce(0, +) / Double(live.count)
        var text = String(format: "Monosemanticity over %d images: mean MS %.3f over %d latents (%d dead)", images, mean, live.count, dead)
        text += "\nhighest: " + live.prefix(5).map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        text += "\nlowest: " + live.suffix(5).reversed().map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        guard !live.isEmpty, let chart = try? Chart.histogram(live.map(\.score), bins: 40, options: ChartOptions(
            title: String(format: "MS of %d latents, mean %.3f (%d dead)", live.count, mean, dead),
            xLabel: "monosemanticity score", yLabel: "latents")) else { return DisplayBundle(text: text) }
        return DisplayBundle.png(chart, text: text)
    }
}

/// Steerability of every measured unit, with the layer summary.
public final class SteerabilityObject: HostObject {
    public let result: SteerabilityResult
    public let label: String
    public var typeName: String { "Steerability" }
    init(_ result: SteerabilityResult, label: String) { self.result = result; self.label = label }

    var summary: String {
        String(format: "%@: %d units, mean S %.4f, %.1f%% steerable (S > 0.10), concept coverage %d words",
               label, result.scores.count, result.meanScore, 100 * result.fractionSteerable, result.coverage)
    }

    func table(count: Int) -> TableObject {
        let order = result.scores.indices.sorted { result.scores[$0] > result.scores[$1] }.prefix(count)
        return TableObject(title: summary, columns: ["unit", "S", "top word", "Δ top word"], rows: order.map { i in
            [.int(result.units[i]), .double(result.scores[i]), .string(result.vocabulary[result.topWord[i]]), .double(result.topDelta[i])]
        })
    }

    public func display() -> DisplayBundle {
        var bundle = table(count: 20).display()
        if case .object(var o)? = bundle.data["application/json"] {
            o["mean_score"] = .double(result.meanScore)
            o["fraction_steerable"] = .double(result.fractionSteerable)
            o["coverage"] = .int(result.coverage)
            o["units"] = .int(result.scores.count)
            bundle.data["application/json"] = .object(o)
        }
        return bundle
    }
}

func registerAnalyses(_ r: Registry) {
    r.types["CLIP"]!.addMethod(BuiltinFunction("steerability", [
        Parameter(nil, name: "sae", type: "SAE", default: .null, doc: "the SAE whose latents to steer (at its layer)"),
        Parameter("neurons", type: "Int", default: .null, doc: "instead of an SAE: a layer whose residual coordinates to steer"),
        Parameter("vocabulary", type: "[String]", doc: "the words v of p(v|x)"),
        Parameter("images", type: "Dataset"),
        Parameter("clamp", type: "Double", default: .double(150), doc: "the value a unit is clamped to on every token"),
        Parameter("units", type: "[Int] or Range", default: .null, doc: "which latents or neurons (default: all)"),
    ], returns: "Steerability", doc: "Joseph et al.'s steerability: clamp each unit on every token (adding back the SAE error), "
       + "Delta(v) = mean change of p(v|x) = softmax(100 <e(x), t_v>), S = sum of Delta(v)^2; steerable when S > 0.10. "
       + "At the last layer every unit is computed in closed form without another transformer pass.") { ctx in
        let model = ctx.clip()
        let vocabulary = try ctx.strings("vocabulary")
        guard !vocabulary.isEmpty else { throw ctx.valueError("vocabulary", "give at least one word") }
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count > 0 else { throw ctx.valueError("images", "the dataset is empty") }
        let kind: Steerability.Unit, layer: Int, total: Int, label: String
        if ctx.has("sae") {
            let object = try ctx.object("sae", as: SAEObject.self, named: "an SAE")
            guard let l = object.sae.metadata.layer else { throw ctx.valueError("sae", "this SAE's metadata has no layer") }
            guard (object.sae.metadata.site ?? "resid_post") == "resid_post" else {
                throw ctx.valueError("sae", "steerability is measured for SAEs on resid_post")
            }
            kind = .latent(object.sae, tokens: TokenSelection(rawValue: object.sae.metadata.tokens ?? "all") ?? .all)
            layer = l; total = object.sae.dSAE; label = "SAE latents at layer \(l)"
        } else if ctx.has("neurons") {
            layer = try ctx.int("neurons")
            guard (0..<model.config.vision.layers).contains(layer) else {
                throw ctx.valueError("neurons", "layer \(layer) does not exist; this model has layers 0...\(model.config.vision.layers - 1)")
            }
            kind = .neuron; total = model.config.vision.width; label = "neurons of layer \(layer)"
        } else {
            throw LoupeError(.argument, "give an SAE (clip.steerability(sae, ...)) or a layer of neurons (neurons: 11)", at: ctx.span)
        }
        var units = Array(0..<total)
        if ctx.has("units") {
            units = try ctx.numbers("units").map { Int($0) }
        }
        let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Steering \(label)", total: units.count)
        let result: SteerabilityResult
        do {
            result = try Steerability.measure(model, kind: kind, units: units, layer: layer,
                                              images: try (0..<d.count).map { try d.image($0) }, vocabulary: vocabulary,
                                              clamp: Float(try ctx.double("clamp"))) { done in
                progress.update(done: done)
                return !Interrupt.isRequested
            }
        } catch { throw languageError(error, at: ctx.span) }
        progress.finish(done: result.scores.count, interrupted: Interrupt.isRequested)
        Interrupt.clear()
        return .object(SteerabilityObject(result, label: label))
    })
    let steer = BuiltinType("Steerability", doc: "Steerability scores S of SAE latents or neurons, with each one's top word.", isGlobal: false)
    steer.addProperty(BuiltinProperty("scores", type: "[Double]", doc: "S of every measured unit, in the order measured.") { v in
        .array((v.objectValue as! SteerabilityObject).result.scores.map { .double($0) })
    })
    steer.addProperty(BuiltinProperty("meanScore", type: "Double", doc: "Mean S over the measured units.") { v in
        .double((v.objectValue as! SteerabilityObject).result.meanScore)
    })
    steer.addProperty(BuiltinProperty("fractionSteerable", type: "Double", doc: "Fraction of units with S > 0.10.") { v in
        .double((v.objectValue as! SteerabilityObject).result.fractionSteerable)
    })
    steer.addProperty(BuiltinProperty("coverage", type: "Int", doc: "Distinct top words among steerable units.") { v in
        .int((v.objectValue as! SteerabilityObject).result.coverage)
    })
    steer.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(20))], returns: "Table",
                                    doc: "The most steerable units with their top word and its Delta.") { ctx in
        .object((ctx.receiver.objectValue as! SteerabilityObject).table(count: max(0, try ctx.int("count"))))
    })
    steer.addMethod(BuiltinFunction("histogram", returns: "Image", doc: "The distribution of S.") { ctx in
        let s = ctx.receiver.objectValue as! SteerabilityObject
        do {
            return .object(ImageObject(try Chart.histogram(s.result.scores, bins: 40, options: ChartOptions(
                title: s.summary, xLabel: "steerability S", yLabel: "units", logY: true)), caption: "steerability"))
        } catch { throw languageError(error, at: ctx.span) }
    })
    r.add(steer)

    r.types["SAE"]!.addMethod(BuiltinFunction("monosemanticity", [
        Parameter(nil, name: "images", type: "Dataset", doc: "the images to score on; their CLIP embeddings give the similarities"),
    ], returns: "Monosemanticity", doc: "Pach et al.'s monosemanticity score of every latent: how similar (by CLIP image "
       + "embedding) the images a latent fires on are, weighted by its min-max normalised activation on them. "
       + "A latent's activation on an image is its mean over the tokens the SAE reads.") { ctx in
        let object = ctx.sae()
        guard let clip = object.clip, let layer = object.sae.metadata.layer else {
            throw LoupeError(.value, "this SAE does not know its CLIP and layer; load it with SAE.load(path, clip: clip)", at: ctx.span)
        }
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count >= 2 else { throw ctx.valueError("images", "monosemanticity needs at least 2 images") }
        let images = try (0..<d.count).map { try d.image($0) }
        let site = ActivationSite(rawValue: object.sae.metadata.site ?? "resid_post") ?? .residPost
        let tokens = TokenSelection(rawValue: object.sae.metadata.tokens ?? "all") ?? .all
        do {
            let perToken = try clip.activations(images: images, layer: layer, site: site, tokens: tokens)
            let activations = try Monosemanticity.imageActivations(object.sae, tokens: perToken)
            let embeddings = clip.embed(images: images)
            let scores = Monosemanticity.scores(activations: activations, images: images.count, latents: object.sae.dSAE,
                                                embeddings: embeddings.toArray(), dim: embeddings.shape[1])
            return .object(MonosemanticityObject(scores: scores, images: images.count))
        } catch { throw languageError(error, at: ctx.span) }
    })
    let ms = BuiltinType("Monosemanticity", doc: "Monosemanticity scores of an SAE's latents over a set of images.", isGlobal: false)
    ms.addProperty(BuiltinProperty("scores", type: "[Double?]", doc: "MS of every latent, nil for latents dead on these images.") { v in
        .array((v.objectValue as! MonosemanticityObject).scores.map { $0.map(Value.double) ?? .null })
    })
    ms.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The most monosemantic latents.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(m.ranked.prefix(max(0, try ctx.int("count")))[...], title: "Most monosemantic latents"))
    })
    ms.addMethod(BuiltinFunction("bottom", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The least monosemantic latents.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(ArraySlice(m.ranked.suffix(max(0, try ctx.int("count"))).reversed()), title: "Least monosemantic latents"))
    })
    r.add(ms)
}
