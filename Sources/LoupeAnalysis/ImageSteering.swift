import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// One image steered by hand (`clip.steer`): its codes under the SAE, the
/// latents that fire on it, and the zero-shot probabilities over a set of
/// labels and a vocabulary with one latent clamped (one forward pass of the
/// image, the SAE's error added back, as `clip.with(sae:, clamp:)`).
package final class ImageSteering {
    package let model: CLIPModel
    package let sae: SparseAutoencoder
    package let layer: Int, site: ActivationSite, tokens: TokenSelection
    package let image: RGBImage
    package let labels: [String], vocabulary: [String]
    /// The probabilities with nothing clamped.
    package let cleanLabels: [Float], cleanWords: [Float]
    /// The patch grid's side, when the SAE reads patch tokens; nil at the embedding.
    package let grid: Int?
    private let labelText: Tensor, vocabularyText: Tensor
    /// The image's codes on every token (one forward pass, one encoding) and the rows the SAE reads.
    private let codes: SparseCodes
    private let selected: Range<Int>

    package init(model: CLIPModel, sae: SparseAutoencoder, layer: Int, site: ActivationSite, tokens: TokenSelection,
                 image: RGBImage, labels: [String], vocabulary: [String]) throws {
        self.model = model; self.sae = sae; self.layer = layer; self.site = site; self.tokens = tokens
        self.image = image; self.labels = labels; self.vocabulary = vocabulary
        labelText = try model.embed(texts: labels)
        vocabularyText = try model.embed(texts: vocabulary)
        let clean = model.embed(images: [image])
        cleanLabels = FeatureSteering.probabilities(clean, text: labelText)
        cleanWords = FeatureSteering.probabilities(clean, text: vocabularyText)
        let acts = try model.activations(images: [image], layer: layer, site: site, tokens: .all)
        codes = try sae.encode(acts.toArray(), width: acts.shape[2])
        selected = model.tokenRange(tokens, site: site)
        grid = acts.shape[1] == model.config.visionTokens ? model.config.gridSize : nil
    }

    /// The latents that fire on the image, strongest first.
    package var activeLatents: [Int] { ActiveLatents.ranked(codes, rows: selected).map(\.latent) }

    /// Probabilities over the labels and the vocabulary with `latent` clamped to `clamp`.
    package func steered(latent: Int, clamp: Float) throws -> (labels: [Float], words: [Float]) {
        let hooks = try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, clamp: [latent: clamp])
        let embedding = model.embed(images: [image], hooks: hooks)
        return (FeatureSteering.probabilities(embedding, text: labelText), FeatureSteering.probabilities(embedding, text: vocabularyText))
    }

    /// `latent`'s activation on each patch, row by row; nil without a patch grid.
    package func patchActivations(latent: Int) -> [Double]? {
        guard grid != nil else { return nil }
        return (model.config.prefixTokens..<codes.rows).map { r in Double(codes.row(r).first { $0.latent == latent }?.value ?? 0) }
    }
}
