import Foundation
import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Everything a feature page shows about one SAE latent over a set of
/// images: where it fires (per token), how often, and how strongly.
package struct FeatureProfile: Sendable {
    package let latent: Int
    package let images: Int
    /// Tokens per image in `activations` (all of them, CLS first).
    package let tokensPerImage: Int
    /// Tokens before the patches (class token and any registers).
    package let prefix: Int
    /// The latent's activation on every token, [images, tokensPerImage].
    package let activations: [Float]
    /// The tokens the SAE reads (its training selection); density and
    /// peaks count only these.
    package let selected: Range<Int>

    /// Encodes every token of `perImage` ([images, tokens, width]).
    /// `prefix`: the tokens before the patches (the model's `prefixTokens`).
    package init(_ sae: SparseAutoencoder, latent: Int, tokens perImage: Tensor, selection: TokenSelection, prefix: Int = 1) throws {
        guard (0..<sae.dSAE).contains(latent) else {
            throw AnalysisError.noSuchLatent(latent, latents: sae.dSAE)
        }
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        try sae.checkInputWidth(d)
        self.latent = latent
        images = n
        tokensPerImage = t
        self.prefix = prefix
        selected = selection.range(tokens: t, prefix: prefix)
        activations = sae.encode(UnsafePointer(perImage.pointer), rows: n * t).column(latent)
    }

    /// The latent's profile over `images`: their activations at the SAE's
    /// place in `model` (every token), encoded.
    package init(_ model: CLIPModel, sae: SparseAutoencoder, latent: Int, layer: Int, site: ActivationSite, tokens: TokenSelection,
                 images: [RGBImage]) throws {
        let acts = try model.activations(images: images, layer: layer, site: site, tokens: .all)
        try self.init(sae, latent: latent, tokens: acts, selection: tokens, prefix: model.config.prefixTokens)
    }

    /// Monosemanticity of this latent alone: its image-level activation (the
    /// mean over the SAE's tokens) scored against the images' `embeddings`
    /// [images, D]; nil when it is constant on these images. Needs two images.
    package func monosemanticity(embeddings: Tensor) -> Double? {
        let imageLevel = (0..<images).map { i in selected.map { activations[i * tokensPerImage + $0] }.reduce(0, +) / Float(selected.count) }
        return Monosemanticity.scores(activations: imageLevel, images: images, latents: 1,
                                      embeddings: embeddings.toArray(), dim: embeddings.shape[1])[0]
    }

    /// From codes of every token already encoded ([images × tokens] rows),
    /// so a widget that shows many latents encodes once.
    package init(latent: Int, codes: SparseCodes, images: Int, tokensPerImage: Int, selection: TokenSelection, prefix: Int = 1) throws {
        guard (0..<codes.width).contains(latent) else { throw AnalysisError.noSuchLatent(latent, latents: codes.width) }
        self.latent = latent
        self.images = images
        self.tokensPerImage = tokensPerImage
        self.prefix = prefix
        selected = selection.range(tokens: tokensPerImage, prefix: prefix)
        activations = codes.column(latent)
    }

    /// The latent's largest activation over each image's selected tokens.
    package var peaks: [Float] {
        (0..<images).map { i in selected.map { activations[i * tokensPerImage + $0] }.max() ?? 0 }
    }

    /// Non-zero activations on the selected tokens.
    package var firing: [Float] {
        (0..<images).flatMap { i in selected.map { activations[i * tokensPerImage + $0] } }.filter { $0 != 0 }
    }

    /// Fraction of selected tokens on which the latent fires (its density).
    package var density: Double { Double(firing.count) / Double(max(1, images * selected.count)) }

    /// Images on which it fires at all, the strongest first (ties by index).
    package var ranking: [Int] {
        let p = peaks
        return p.indices.filter { p[$0] > 0 }.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
    }

    /// The latent's activation on image `i`'s spatial tokens, raster order.
    package func spatial(_ i: Int) -> [Float] {
        Array(activations[(i * tokensPerImage + prefix)..<((i + 1) * tokensPerImage)])
    }
}

/// The words one latent steers towards: Delta(v) = mean over images of
/// p_steered(v|x) - p(v|x), p(v|x) = softmax_v(100 <e(x), t_v>), with the
/// latent clamped on the SAE's tokens and the SAE error added back (a full
/// forward pass with `Intervention.hooks`). S = sum_v Delta(v)^2 is
/// Joseph et al.'s steerability of the latent.
package struct FeatureSteering: Sendable {
    package let vocabulary: [String]
    package let delta: [Double]
    package var score: Double { delta.reduce(0) { $0 + $1 * $1 } }

    /// Words by Delta, the largest first.
    package var ranked: [(word: String, delta: Double)] {
        delta.indices.sorted { delta[$0] > delta[$1] }.map { (vocabulary[$0], delta[$0]) }
    }

    package init(_ model: CLIPModel, sae: SparseAutoencoder, latent: Int, layer: Int, site: ActivationSite,
                tokens: TokenSelection, images: [RGBImage], vocabulary: [String], clamp: Float) throws {
        guard !images.isEmpty, !vocabulary.isEmpty else { throw AnalysisError.nothingToSteer }
        let text = try model.embed(texts: vocabulary)
        let hooks = try Intervention.hooks(sae, layer: layer, site: site, tokens: tokens, clamp: [latent: clamp])
        let base = Self.probabilities(model.embed(images: images), text: text)
        let steered = Self.probabilities(model.embed(images: images, hooks: hooks), text: text)
        let (n, v) = (images.count, vocabulary.count)
        var delta = [Double](repeating: 0, count: v)
        for i in 0..<n { for j in 0..<v { delta[j] += Double(steered[i * v + j] - base[i * v + j]) / Double(n) } }
        self.vocabulary = vocabulary
        self.delta = delta
    }

    /// softmax_v(100 <e, t_v>) per row of normalised image embeddings.
    package static func probabilities(_ images: Tensor, text: Tensor) -> [Float] {
        CLIPModel.zeroShotProbabilities(images: images, text: text, scale: SteeringDelta.temperature).toArray()
    }
}
