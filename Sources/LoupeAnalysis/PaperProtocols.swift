import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites

/// The papers' protocols as values: each setting the paper used, in one
/// place, so a preset cannot drift from what docs/protocols.md says (a test
/// pins every field). What Loupe cannot reproduce is stated there too.
package enum PaperProtocol: String, Sendable, CaseIterable {
    /// Joseph et al. 2025, steerability (ViT-Prisma's steering notebooks).
    case joseph2025
    /// Pach et al. 2025, monosemanticity (sae-for-vlm's metric.py).
    case pach2025
}

/// Joseph et al.'s steerability settings.
package struct SteerabilityProtocol: Sendable, Equatable {
    /// The clamp value on every token, for the model it was chosen on.
    package let clamp: Double
    /// The architecture the clamp belongs to: its residual stream's scale.
    package let clampModel: String
    package let clampLayer: Int
    /// The first this many images of the dataset.
    package let images: Int
    /// Words of the vocabulary: the most frequent English words.
    package let vocabularySize: Int
    package let coverage: ConceptCoverage
    /// The fraction of latents the paper measured, for cost (an option here).
    package let latentSample: Double
    package let temperature: Double
    package let threshold: Double

    package static let joseph2025 = SteerabilityProtocol(
        clamp: 150, clampModel: "ViT-B/32", clampLayer: 11, images: 192, vocabularySize: 5000, coverage: .firstImage,
        latentSample: 0.05, temperature: 100, threshold: SteerabilityResult.threshold)

    /// The clamp for `config` at `layer`: the paper's own where the model is
    /// the paper's, nil elsewhere. A residual stream of another model has
    /// another scale, and the paper's model's norm at its layer is not
    /// shipped with Loupe to scale it by, so the caller must choose one.
    package func clamp(for config: CLIPConfig, layer: Int) -> Double? {
        config.architectureName == clampModel && layer == clampLayer ? clamp : nil
    }
}

/// Pach et al.'s monosemanticity settings.
package struct MonosemanticityProtocol: Sendable, Equatable {
    /// One activation per image: the class token (`--cls_only`).
    package let tokens: TokenSelection
    /// The images are judged by another encoder than the model scored.
    package let separateJudge: Bool
    /// The images the paper scores over (ImageNet val), for the docs.
    package let images: Int
    /// Where the paper's SAEs read: the projected image embedding
    /// (sae-for-vlm's layer −1, `post_projection`)...
    package let site: ActivationSite
    /// ...of class tokens only (activations saved with `--cls_only`)...
    package let trainedTokens: TokenSelection
    /// ...trained by dictionary_learning's BatchTopK and Matryoshka trainers.
    package let trainer: TrainingRecipe

    package static let pach2025 = MonosemanticityProtocol(tokens: .cls, separateJudge: true, images: 50_000,
                                                          site: .embedding, trainedTokens: .cls, trainer: .dictionaryLearning)

    /// What about an SAE differs from the paper's SAEs, one sentence each
    /// (empty when nothing does). `trainer` is nil when the SAE does not
    /// record how it was trained (one trained elsewhere).
    package func differences(site: ActivationSite, layer: Int, trainedTokens: TokenSelection,
                             trainer: TrainingRecipe?) -> [String] {
        var out: [String] = []
        if site != self.site {
            out.append("this SAE reads layer \(layer) \(site.rawValue); the paper's read the projected image embedding "
                       + "(train one on clip.activations(images, site: .embedding))")
        } else if trainedTokens != self.trainedTokens {
            out.append("this SAE was trained on \(trainedTokens.rawValue) tokens; the paper's on class tokens only")
        }
        switch trainer {
        case self.trainer?: break
        case nil: out.append("this SAE does not record its trainer; the paper's were trained by dictionary_learning")
        case let other?:
            out.append("this SAE was trained by \(other.rawValue)'s rules; the paper's by dictionary_learning's "
                       + "(SAE.train(..., trainer: .dictionaryLearning))")
        }
        return out
    }
}

/// A clamp carried from the model it was chosen on to another: the paper's
/// value times the ratio of the two residual streams' scales, each the mean
/// L2 norm of resid_post over every token of the same images (a clamp sets a
/// coordinate on every token, so it is large or small against that norm).
package struct ClampCalibration: Sendable, Equatable {
    /// Mean token norm at the steered layer of the model steered...
    package let modelNorm: Double
    /// ...and at the reference layer of the model the clamp was chosen on.
    package let referenceNorm: Double
    package let referenceClamp: Double

    package var scale: Double { modelNorm / referenceNorm }
    package var clamp: Double { referenceClamp * scale }

    /// Mean over images and tokens of ‖resid_post‖ at `layer`.
    package static func meanTokenNorm(_ model: CLIPModel, layer: Int, images: [RGBImage]) throws -> Double {
        let acts = try model.activations(images: images, layer: layer, site: .residPost, tokens: .all)
        let width = acts.shape[2], rows = acts.shape[0] * acts.shape[1]
        guard rows > 0 else { throw AnalysisError.tooFewImages(0) }
        var total = 0.0
        for r in 0..<rows {
            var s = 0.0
            for t in 0..<width { let v = Double(acts.pointer[r * width + t]); s += v * v }
            total += s.squareRoot()
        }
        return total / Double(rows)
    }

    /// `referenceClamp`, chosen on `reference` at `referenceLayer`, carried
    /// to `model` at `layer` over `images`.
    package static func calibrate(_ model: CLIPModel, layer: Int, reference: CLIPModel, referenceLayer: Int,
                                  referenceClamp: Double, images: [RGBImage]) throws -> ClampCalibration {
        let referenceNorm = try meanTokenNorm(reference, layer: referenceLayer, images: images)
        guard referenceNorm > 0 else { throw AnalysisError.uncalibratable("the reference model's residual stream is zero on these images") }
        return ClampCalibration(modelNorm: try meanTokenNorm(model, layer: layer, images: images), referenceNorm: referenceNorm,
                                referenceClamp: referenceClamp)
    }
}

extension SteerabilityProtocol {
    /// The paper's clamp carried to `model` at `layer` with `reference`,
    /// which must be the paper's model (its layer 11 is where 150 was chosen).
    package func calibrate(_ model: CLIPModel, layer: Int, reference: CLIPModel, images: [RGBImage]) throws -> ClampCalibration {
        guard reference.config.architectureName == clampModel, reference.config.vision.layers > clampLayer else {
            throw AnalysisError.uncalibratable("the paper's clamp of \(Int(clamp)) was chosen on \(clampModel) layer \(clampLayer); "
                + "calibrateWith: must be that model (CLIP.load(\"path/to/ViT-B-32\")), not \(reference.config.architectureName)")
        }
        return try ClampCalibration.calibrate(model, layer: layer, reference: reference, referenceLayer: clampLayer,
                                              referenceClamp: clamp, images: images)
    }
}
