import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE

/// Monosemanticity scores of every unit (SAE latents or residual-stream
/// neurons) over a dataset, with the image-level activations behind them so
/// the top and bottom units can be shown with their images.
public final class MonosemanticityObject: HostObject {
    public let scores: [Double?]
    /// Image-level activations [images, units].
    let activations: [Float]
    /// "latent" or "neuron".
    let unit: String
    let dataset: DatasetObject
    public var images: Int { dataset.count }
    public var typeName: String { "Monosemanticity" }

    init(scores: [Double?], activations: [Float], unit: String, dataset: DatasetObject) {
        self.scores = scores; self.activations = activations; self.unit = unit; self.dataset = dataset
    }

    var ranked: [(latent: Int, score: Double)] {
        scores.enumerated().compactMap { i, s in s.map { (i, $0) } }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.latent < $1.latent }
    }

    func table(_ rows: ArraySlice<(latent: Int, score: Double)>, title: String) -> TableObject {
        TableObject(title: title, columns: [unit, "MS"], rows: rows.map { [.int($0.latent), .double($0.score)] })
    }

    /// One captioned row of images per unit: the images it responds to most
    /// (largest image-level activation first), titled with its MS.
    func gallery(_ units: [(latent: Int, score: Double)], perUnit: Int) throws -> RGBImage {
        let k = scores.count
        let rows = try units.map { u -> RGBImage in
            let order = (0..<images).sorted { activations[$0 * k + u.latent] > activations[$1 * k + u.latent] }.prefix(max(1, perUnit))
            let tiles = try order.map { try dataset.image($0) }
            let captions = order.map { String(format: "%.2f · %@", activations[$0 * k + u.latent], dataset.caption($0)) }
            return try ImageGrid.render(tiles, captions: captions, columns: tiles.count, cellSize: 112,
                                        title: String(format: "%@ %d · MS %.3f", unit, u.latent, u.score), density: figureDensity)
        }
        return arrange(rows, vertical: true, gap: 4)
    }

    public func display() -> DisplayBundle {
        let live = ranked
        let dead = scores.count - live.count
        let mean = live.isEmpty ? 0 : live.map(\.score).reduce(0, +) / Double(live.count)
        let plural = unit + "s"
        var text = String(format: "Monosemanticity of %@ over %d images: mean MS %.3f over %d %@ (%d dead)", plural, images, mean,
                          live.count, plural, dead)
        text += "\nhighest: " + live.prefix(5).map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        text += "\nlowest: " + live.suffix(5).reversed().map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        guard !live.isEmpty, let chart = try? Chart.histogram(live.map(\.score), bins: 40, options: ChartOptions(
            title: String(format: "MS of %d %@, mean %.3f (%d dead)", live.count, plural, mean, dead),
            xLabel: "monosemanticity score", yLabel: plural, density: figureDensity)) else { return DisplayBundle(text: text) }
        return DisplayBundle.png(chart, text: text)
    }
}

func registerMonosemanticity(_ r: Registry) {
    r.types["CLIP"]!.addMethod(BuiltinFunction("monosemanticity", [
        Parameter("neurons", type: "Int", doc: "the layer whose residual-stream coordinates (resid_post) to score"),
        Parameter("images", type: "Dataset", doc: "the images to score on; their CLIP embeddings give the similarities"),
        Parameter("tokens", type: "Option", default: .enumCase("all", []), doc: ".cls, .spatial or .all: the tokens averaged per image",
                  choices: Options.tokens),
    ], returns: "Monosemanticity", doc: "The neuron baseline of `sae.monosemanticity`: Pach et al.'s score of every "
       + "residual-stream coordinate, its activation on an image being its mean over the chosen tokens. Min-max "
       + "normalisation makes the score defined for signed activations too.") { ctx in
        let model = ctx.clip()
        let layer = try ctx.layer("neurons")
        let tokens = TokenSelection(rawValue: try ctx.option("tokens").name)!
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count >= 2 else { throw ctx.valueError("images", "monosemanticity needs at least 2 images") }
        do {
            let images = try d.allImages(ctx.interpreter)
            let perToken = try model.activations(images: images, layer: layer, site: .residPost, tokens: tokens)
            let activations = Contrast.imageMeans(perToken)
            let embeddings = model.embed(images: images)
            let width = perToken.shape[2]
            let scores = Monosemanticity.scores(activations: activations, images: images.count, latents: width,
                                                embeddings: embeddings.toArray(), dim: embeddings.shape[1])
            return .object(MonosemanticityObject(scores: scores, activations: activations, unit: "neuron", dataset: d))
        } catch { throw languageError(error, at: ctx.span) }
    })

    let ms = BuiltinType("Monosemanticity", doc: "Monosemanticity scores of an SAE's latents (or a layer's neurons) over a set of images.",
                         isGlobal: false)
    ms.addProperty(BuiltinProperty("scores", type: "[Double?]", doc: "MS of every unit, nil for units constant (dead) on these images.") { v in
        .array((v.objectValue as! MonosemanticityObject).scores.map { $0.map(Value.double) ?? .null })
    })
    ms.addProperty(BuiltinProperty("mean", type: "Double", doc: "Mean MS over the units that are not dead.") { v in
        let live = (v.objectValue as! MonosemanticityObject).ranked.map(\.score)
        return .double(live.isEmpty ? 0 : live.reduce(0, +) / Double(live.count))
    })
    ms.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The most monosemantic units.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(m.ranked.prefix(max(0, try ctx.int("count")))[...], title: "Most monosemantic \(m.unit)s"))
    })
    ms.addMethod(BuiltinFunction("bottom", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The least monosemantic units.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(ArraySlice(m.ranked.suffix(max(0, try ctx.int("count"))).reversed()), title: "Least monosemantic \(m.unit)s"))
    })
    for (name, top) in [("topGrid", true), ("bottomGrid", false)] {
        ms.addMethod(BuiltinFunction(name, [
            Parameter(nil, name: "count", type: "Int", default: .int(4), doc: "how many units"),
            Parameter("images", type: "Int", default: .int(6), doc: "images per unit"),
        ], returns: "Image", doc: "The \(top ? "most" : "least") monosemantic units, one row each with the images it responds "
           + "to most (largest image-level activation first), titled with its MS.") { ctx in
            let m = ctx.receiver.objectValue as! MonosemanticityObject
            let count = max(1, try ctx.int("count")), perUnit = try ctx.int("images")
            guard (1...32).contains(perUnit) else { throw ctx.valueError("images", "show 1 to 32 images per unit") }
            let live = m.ranked
            guard !live.isEmpty else { throw LoupeError(.value, "every \(m.unit) is dead on these images", at: ctx.span) }
            let chosen = top ? Array(live.prefix(count)) : Array(live.suffix(count).reversed())
            do {
                return .object(ImageObject(try m.gallery(chosen, perUnit: perUnit),
                                           caption: "\(top ? "most" : "least") monosemantic \(m.unit)s"))
            } catch { throw languageError(error, at: ctx.span) }
        })
    }
    r.add(ms)
}
