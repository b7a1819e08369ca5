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

func registerAnalyses(_ r: Registry) {
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
