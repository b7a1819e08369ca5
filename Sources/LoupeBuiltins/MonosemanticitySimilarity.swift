import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDatasets
import LoupeImage
import LoupeLanguage
import LoupeToyWorld

/// Where the monosemanticity score's image similarities come from: the
/// `encoder:` argument of `sae.monosemanticity` and `clip.monosemanticity`.
enum MonosemanticitySimilarity {
    /// A CLIP's normalised image embeddings. `isScoredModel` marks the
    /// circular case: the model whose layer is scored also judges the images.
    case encoder(CLIPModel, isScoredModel: Bool)
    /// The scenes' ground-truth attributes (`AttributeSimilarity`).
    case attributes

    /// Reads `encoder:`: absent means the scored model itself, or under
    /// `preset: .pach2025` a separate judge: the scenes' attributes on the
    /// toy world, and on other images an encoder the caller must give.
    init(_ ctx: CallContext, scored: CLIPModel, dataset: DatasetObject) throws {
        if ctx.has("preset") {
            let preset = MonosemanticityProtocol.pach2025
            guard try ctx.option("tokens").name == preset.tokens.rawValue else {
                throw ctx.valueError("tokens", "preset .pach2025 scores the class token's activation (--cls_only); leave tokens: out")
            }
            switch ctx.value("encoder") {
            case .null:
                guard dataset.source is SceneSource else {
                    throw ctx.valueError("encoder", "preset .pach2025 judges images with a separate encoder, as the paper does (a CLIP "
                                         + "ViT-B/32 when scoring ViT-L/14, or DINOv2); give encoder: another loaded CLIP or a DINOv2 (Model.load)")
                }
                self = .attributes
                return
            case .object(let o as CLIPObject) where o.model === scored:
                throw ctx.valueError("encoder", "preset .pach2025 needs a judge other than the scored model, whose own embeddings "
                                     + "would make the score circular; give another CLIP or a DINOv2")
            default: break
            }
        }
        switch ctx.value("encoder") {
        case .null:
            self = .encoder(scored, isScoredModel: true)
        case .object(let o as CLIPObject):
            self = .encoder(o.model, isScoredModel: o.model === scored)
        case .enumCase:
            _ = try ctx.option("encoder")
            self = .attributes
        case let other:
            throw ctx.typeError("encoder", expected: "a loaded model (CLIP, DINOv2, SigLIP) or .attributes", got: other)
        }
    }

    /// For summaries: what judged the images alike.
    var description: String {
        switch self {
        case .encoder(let model, let same):
            let name = "\(model.config.family.rawValue) \(model.config.architectureName) (\((model.path as NSString).lastPathComponent))"
            return same ? "\(name), the scored model itself" : name
        case .attributes: return "the scenes' ground-truth attributes"
        }
    }

    var isCircular: Bool {
        if case .encoder(_, true) = self { return true }
        return false
    }

    /// Unit-row embeddings of the dataset's images, [images, dim].
    func embeddings(_ d: DatasetObject, images: [RGBImage]) throws -> (values: [Float], dim: Int) {
        switch self {
        case .encoder(let model, _):
            let e = model.embed(images: images)
            return (e.toArray(), e.shape[1])
        case .attributes:
            guard let scenes = d.source as? SceneSource else {
                throw AnalysisError.noGroundTruth(dataset: d.source.description)
            }
            let labels = d.indices.map { Self.labels(scenes.attributes(at: $0)) }
            let e = AttributeSimilarity.embeddings(labels: labels)
            return (e.embeddings, e.dim)
        }
    }

    /// The attributes a scene is drawn from. Habitat and shape group are left
    /// out because background and shape decide them (they would count twice);
    /// a missing word or second object adds no label, so two plain scenes do
    /// not look alike for what they both lack.
    static func labels(_ a: SceneAttributes) -> [String] {
        var labels = ["shape=\(a.shape.rawValue)", "colour=\(a.colour.rawValue)", "size=\(a.size.rawValue)",
                      "position=\(a.position.rawValue)", "background=\(a.background.rawValue)"]
        if let word = a.word { labels.append("word=\(word)") }
        if let s = a.second {
            labels += ["second_shape=\(s.shape.rawValue)", "second_colour=\(s.colour.rawValue)",
                       "second_size=\(s.size.rawValue)", "second_position=\(s.position.rawValue)"]
        }
        return labels
    }
}
