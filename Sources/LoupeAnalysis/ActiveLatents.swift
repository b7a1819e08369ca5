import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites

/// The latents an SAE fires on one image, strongest first: each with its
/// largest activation over the tokens the SAE reads and on how many of them
/// it fires.
package struct ActiveLatent: Equatable, Sendable {
    package let latent: Int
    package let peak: Float
    package let tokens: Int
}

package enum ActiveLatents {
    /// The image's activations at the SAE's place in `model`, encoded, ranked.
    package static func on(_ image: RGBImage, model: CLIPModel, sae: SparseAutoencoder, layer: Int, site: ActivationSite,
                           tokens: TokenSelection) throws -> [ActiveLatent] {
        let acts = try model.activations(images: [image], layer: layer, site: site, tokens: tokens)
        let codes = try sae.encode(acts.toArray(), width: acts.shape[2])
        return ranked(codes, rows: 0..<codes.rows)
    }

    /// The latents firing in `rows` of `codes`, by peak activation (ties by number).
    package static func ranked(_ codes: SparseCodes, rows: Range<Int>) -> [ActiveLatent] {
        var peak: [Int: Float] = [:], count: [Int: Int] = [:]
        for r in rows {
            for (latent, value) in codes.row(r) {
                peak[latent] = max(peak[latent] ?? 0, value)
                count[latent, default: 0] += 1
            }
        }
        return peak.keys.sorted { (peak[$0]!, $1) > (peak[$1]!, $0) }.map { ActiveLatent(latent: $0, peak: peak[$0]!, tokens: count[$0]!) }
    }
}
