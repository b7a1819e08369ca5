import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDatasets
import LoupeDisplay
import LoupeImage
import LoupeLanguage
import LoupeRender
import LoupeSAE
import LoupeSites

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
    /// What gave one activation per image, and what judged images alike.
    let tokens: TokenSelection
    /// Where the units read (the embedding has one vector per image, whatever `tokens` says).
    let site: ActivationSite
    let similarity: MonosemanticitySimilarity
    /// A remark on the inputs, shown under the summary (or empty).
    let caveat: String
    /// The judge's mean pairwise similarity over these images: MS's chance level.
    let chance: Double
    /// Images each unit fires on.
    let firing: [Int]
    public var images: Int { dataset.count }
    public var typeName: String { "Monosemanticity" }

    init(scores: [Double?], activations: [Float], unit: String, dataset: DatasetObject, tokens: TokenSelection,
         site: ActivationSite = .residPost, similarity: MonosemanticitySimilarity, chance: Double, caveat: String = "") {
        self.scores = scores; self.activations = activations; self.unit = unit; self.dataset = dataset
        self.tokens = tokens; self.site = site; self.similarity = similarity; self.caveat = caveat; self.chance = chance
        firing = Monosemanticity.firingImages(activations, images: dataset.count, units: scores.count)
    }

    /// Every scored (not dead) unit, highest MS first.
    var ranked: [(latent: Int, score: Double)] {
        scores.enumerated().compactMap { i, s in s.map { (i, $0) } }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.latent < $1.latent }
    }

    /// The scored units that fire on enough images for their MS to mean
    /// something; the top and bottom lists and the mean use these.
    var reliable: [(latent: Int, score: Double)] { ranked.filter { firing[$0.latent] >= Monosemanticity.reliableImages } }

    /// Mean MS of the reliable units with a bootstrap interval over units.
    var meanEstimate: Estimate { Intervals.bootstrapMean(reliable.map(\.score), unit: "\(unit)s") }

    func table(_ rows: ArraySlice<(latent: Int, score: Double)>, title: String) -> TableObject {
        TableObject(title: title, columns: [unit, "MS", "MS − chance", "firing images"],
                    rows: rows.map { [.int($0.latent), .double($0.score), .double($0.score - chance), .int(firing[$0.latent])] },
                    notes: "chance level (the judge's mean similarity over all pairs of these images): " + NumberText.fixed(chance, digits: 3)
                        + "; units firing on fewer than \(Monosemanticity.reliableImages) of the \(images) images are left out as unreliable")
    }

    /// One captioned row of images per unit: the images it responds to most
    /// (largest image-level activation first), titled with its MS.
    func gallery(_ units: [(latent: Int, score: Double)], perUnit: Int) throws -> RGBImage {
        let k = scores.count
        let rows = try units.map { u -> RGBImage in
            // Only images where the unit fires: padding a row with zeros would show what it does not respond to.
            let order = (0..<images).filter { activations[$0 * k + u.latent] > 0 }
                .sorted { activations[$0 * k + u.latent] > activations[$1 * k + u.latent] }.prefix(max(1, perUnit))
            let tiles = try order.map { try dataset.image($0) }
            let captions = order.map { String(format: "%.2f · %@", activations[$0 * k + u.latent], dataset.caption($0)) }
            return try ImageGrid.render(tiles, captions: captions, columns: max(1, perUnit), cellSize: 112,
                                        title: String(format: "%@ %d · MS %.3f · fires on %d of %d images · %@", unit, u.latent, u.score,
                                                      firing[u.latent], images, Self.measure(tokens, site: site)), density: figureDensity)
        }
        return arrange(rows, vertical: true, gap: 4)
    }

    /// The activation shown in captions, in a few words.
    static func measure(_ tokens: TokenSelection, site: ActivationSite) -> String {
        if !site.isInBlock { return "activation on the image embedding" }
        switch tokens {
        case .cls: return "activation on the class token"
        case .spatial: return "mean activation over patches"
        case .all: return "mean activation over tokens"
        }
    }

    static func describe(_ tokens: TokenSelection, site: ActivationSite) -> String {
        if !site.isInBlock { return "the projected image embedding, one vector per image (sae-for-vlm's post_projection)" }
        switch tokens {
        case .cls: return "the class token (the paper's --cls_only)"
        case .spatial: return "mean over the patch tokens"
        case .all: return "mean over all tokens"
        }
    }

    public func display() -> DisplayBundle {
        let live = reliable
        let dead = scores.count - ranked.count, few = ranked.count - live.count
        let mean = meanEstimate
        let plural = unit + "s"
        var text = "Monosemanticity of \(plural) over \(images) images: mean MS " + NumberText.withInterval(mean, percent: false)
            + " (bootstrap over \(plural)); chance level " + NumberText.fixed(chance, digits: 3)
            + "; \(dead) dead, \(few) firing on fewer than \(Monosemanticity.reliableImages) images left out"
        text += "\nactivation per image: " + Self.describe(tokens, site: site) + "; similarity: " + similarity.description
        if similarity.isCircular {
            text += "\nnote: Pach et al. take the similarity from a separate encoder (a CLIP ViT-B/32 when scoring ViT-L/14, "
                + "or DINOv2), since the scored model judging its own images is circular; pass encoder: another CLIP or a DINOv2"
                + (dataset.source is SceneSource ? ", or encoder: .attributes for the scenes' ground truth" : "")
        }
        if !caveat.isEmpty { text += "\nnote: " + caveat }
        text += "\nhighest: " + live.prefix(5).map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        text += "\nlowest: " + live.suffix(5).reversed().map { "\($0.latent) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", ")
        guard !live.isEmpty, let chart = try? Chart.histogram(live.map(\.score), bins: 40, options: ChartOptions(
            title: "MS of \(live.count) \(plural) firing on \(Monosemanticity.reliableImages)+ images, mean "
                + NumberText.fixed(mean.value, digits: 3) + ", chance " + NumberText.fixed(chance, digits: 3),
            xLabel: "monosemanticity score", yLabel: plural, density: figureDensity)) else { return DisplayBundle(text: text) }
        return DisplayBundle.png(chart, text: text)
    }
}

/// The arguments that say how MS is measured, shared by latents and neurons.
let monosemanticityOptions = [
    Parameter("encoder", type: "CLIP or Option", default: .null,
              doc: "what judges two images alike: another loaded model, CLIP or DINOv2 (the paper: a CLIP ViT-B/32 when scoring ViT-L/14, or DINOv2), "
                 + "or .attributes for the toy world's ground truth; by default the scored CLIP itself",
              choices: Options.similarity),
    Parameter("tokens", type: "Option", default: .enumCase("cls", []),
              doc: ".cls: the activation on the class token, as the paper (--cls_only); .spatial or .all: the mean over those tokens",
              choices: Options.tokens),
    Parameter("preset", type: "Option", default: .null,
              doc: "a paper's protocol: .pach2025 scores the class token and requires a separate judge (encoder: another CLIP; "
                 + "the scenes' attributes on the toy world); docs/protocols.md lists what differs from the paper",
              choices: Options.monosemanticityPresets),
]

/// MS of every unit from image-level activations [images, units].
func monosemanticity(activations: [Float], units: Int, unit: String, dataset d: DatasetObject,
                     images: [RGBImage], similarity: MonosemanticitySimilarity, tokens: TokenSelection,
                     site: ActivationSite = .residPost, caveat: String = "") throws -> MonosemanticityObject {
    let e = try similarity.embeddings(d, images: images)
    let scores = Monosemanticity.scores(activations: activations, images: images.count, latents: units, embeddings: e.values, dim: e.dim)
    return MonosemanticityObject(scores: scores, activations: activations, unit: unit, dataset: d, tokens: tokens,
                                 site: site, similarity: similarity,
                                 chance: Monosemanticity.chanceLevel(embeddings: e.values, images: images.count, dim: e.dim), caveat: caveat)
}

func registerMonosemanticity(_ r: Registry) {
    r.type("SAE").addMethod(BuiltinFunction("monosemanticity", [
        Parameter(nil, name: "images", type: "Dataset", doc: "the images to score on"),
    ] + monosemanticityOptions, returns: "Monosemanticity", doc: "Pach et al.'s monosemanticity score of every latent: how "
       + "alike the images a latent fires on are, weighted by its min-max normalised activation on them. A latent's "
       + "activation on an image is its value on the class token by default, as the paper's; similarity is the cosine "
       + "of image embeddings from `encoder:`. Computed in blocks, never as an images × images matrix.") { ctx in
        let object = ctx.sae()
        let place = try object.placement(at: ctx.span)
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count >= 2 else { throw ctx.valueError("images", AnalysisError.tooFewImages(d.count).description) }
        let tokens = try ctx.tokenSelection()
        let similarity = try MonosemanticitySimilarity(ctx, scored: place.clip, dataset: d)
        do {
            let images = try d.allImages(ctx.interpreter)
            let perToken = try place.clip.activations(images: images, layer: place.layer, site: place.site, tokens: tokens)
            let activations = try Monosemanticity.imageActivations(object.sae, tokens: perToken)
            var caveats: [String] = []
            if tokens == .cls && place.tokens == .spatial {
                caveats.append("this SAE was trained on patch tokens, so the class token is outside what it reads; "
                               + "tokens: .spatial scores what it was trained on")
            }
            if ctx.has("preset") {
                let trainer = object.sae.metadata.extra["trainer"]?.stringValue.flatMap(TrainingRecipe.init(rawValue:))
                caveats += MonosemanticityProtocol.pach2025.differences(site: place.site, layer: place.layer,
                                                                        trainedTokens: place.tokens, trainer: trainer)
            }
            return .object(try monosemanticity(activations: activations, units: object.sae.dSAE, unit: "latent", dataset: d,
                                               images: images, similarity: similarity, tokens: tokens, site: place.site,
                                               caveat: caveats.joined(separator: "\nnote: ")))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    r.type("CLIP").addMethod(BuiltinFunction("monosemanticity", [
        Parameter("neurons", type: "Int", doc: "the layer whose residual-stream coordinates (resid_post) to score"),
        Parameter("images", type: "Dataset", doc: "the images to score on"),
    ] + monosemanticityOptions, returns: "Monosemanticity", doc: "The neuron baseline of `sae.monosemanticity`: Pach et al.'s "
       + "score of every residual-stream coordinate, its activation on an image being its value on the class token by "
       + "default. Min-max normalisation makes the score defined for signed activations too.") { ctx in
        let model = ctx.clip()
        let layer = try ctx.layer("neurons")
        let tokens = try ctx.tokenSelection()
        let d = try ctx.object("images", as: DatasetObject.self, named: "a Dataset")
        guard d.count >= 2 else { throw ctx.valueError("images", AnalysisError.tooFewImages(d.count).description) }
        let similarity = try MonosemanticitySimilarity(ctx, scored: model, dataset: d)
        do {
            let images = try d.allImages(ctx.interpreter)
            let perToken = try model.activations(images: images, layer: layer, site: .residPost, tokens: tokens)
            return .object(try monosemanticity(activations: Contrast.imageMeans(perToken), units: perToken.shape[2], unit: "neuron",
                                               dataset: d, images: images, similarity: similarity, tokens: tokens))
        } catch { throw LoupeError(error, at: ctx.span) }
    })

    let ms = BuiltinType("Monosemanticity", doc: "Monosemanticity scores of an SAE's latents (or a layer's neurons) over a set of images.",
                         isGlobal: false)
    ms.addProperty(BuiltinProperty("scores", type: "[Double?]", doc: "MS of every unit; nil for a dead unit: one active (after min-max normalisation) on fewer than two of these images, the never-active ones included.") { v in
        .array((v.objectValue as! MonosemanticityObject).scores.map { $0.map(Value.double) ?? .null })
    })
    ms.addProperty(BuiltinProperty("encoder", type: "String", doc: "What judged two images alike (the similarity s(n,m)).") { v in
        .string((v.objectValue as! MonosemanticityObject).similarity.description)
    })
    ms.addProperty(BuiltinProperty("mean", type: "Double", doc: "Mean MS over the units that fire on at least 10 images.") { v in
        .double((v.objectValue as! MonosemanticityObject).meanEstimate.value)
    })
    ms.addProperty(BuiltinProperty("low", type: "Double", doc: "The lower end of the mean's 95% bootstrap interval over units.") { v in
        .double((v.objectValue as! MonosemanticityObject).meanEstimate.low)
    })
    ms.addProperty(BuiltinProperty("high", type: "Double", doc: "The upper end of the mean's 95% bootstrap interval over units.") { v in
        .double((v.objectValue as! MonosemanticityObject).meanEstimate.high)
    })
    ms.addProperty(BuiltinProperty("chance", type: "Double", doc: "MS's chance level: the judge's mean similarity over all pairs "
                                   + "of the images, what a unit firing equally on every image would score.") { v in
        .double((v.objectValue as! MonosemanticityObject).chance)
    })
    ms.addProperty(BuiltinProperty("aboveChance", type: "Double", doc: "Mean MS minus the chance level: comparable across judges.") { v in
        let m = v.objectValue as! MonosemanticityObject
        return .double(m.meanEstimate.value - m.chance)
    })
    ms.addMethod(BuiltinFunction("top", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The most monosemantic units.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(m.reliable.prefix(max(0, try ctx.int("count")))[...], title: "Most monosemantic \(m.unit)s"))
    })
    ms.addMethod(BuiltinFunction("bottom", [Parameter(nil, name: "count", type: "Int", default: .int(10))], returns: "Table",
                                 doc: "The least monosemantic units.") { ctx in
        let m = ctx.receiver.objectValue as! MonosemanticityObject
        return .object(m.table(ArraySlice(m.reliable.suffix(max(0, try ctx.int("count"))).reversed()), title: "Least monosemantic \(m.unit)s"))
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
            let live = m.reliable
            guard !live.isEmpty else {
                throw LoupeError(.value, "no \(m.unit) fires on \(Monosemanticity.reliableImages) or more of these \(m.images) images; "
                                 + "score it on more images", at: ctx.span)
            }
            let chosen = top ? Array(live.prefix(count)) : Array(live.suffix(count).reversed())
            do {
                return .object(ImageObject(try m.gallery(chosen, perUnit: perUnit),
                                           caption: "\(top ? "most" : "least") monosemantic \(m.unit)s"))
            } catch { throw LoupeError(error, at: ctx.span) }
        })
    }
    r.add(ms)
}
