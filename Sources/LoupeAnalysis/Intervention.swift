import LoupeCLIP
import LoupeSAE
import LoupeSites

/// Clamping and ablating SAE latents inside CLIP's forward pass. The SAE's
/// error (x - x_hat) is added back, so only the chosen latents change:
/// since decoding is linear, the new stream is x + sum_f (a_f - z_f) W_dec[f]
/// (times the token's output scale for an SAE that normalises its input).
package enum Intervention {
    package static func hooks(_ sae: SparseAutoencoder, layer: Int, site: ActivationSite, tokens: TokenSelection,
                             clamp: [Int: Float] = [:], ablate: [Int] = []) throws -> HookSet {
        for latent in Array(clamp.keys) + ablate where latent < 0 || latent >= sae.dSAE {
            throw AnalysisError.noSuchLatent(latent, latents: sae.dSAE)
        }
        // Ablating is clamping to zero; an explicit clamp wins over an ablation.
        // A unit named twice is ablated once (uniqueKeysWithValues would trap on the repeat).
        var targets: [Int: Float] = Dictionary(ablate.map { ($0, Float(0)) }, uniquingKeysWith: { a, _ in a })
        for (latent, value) in clamp { targets[latent] = value }
        let d = sae.dIn
        var hooks = HookSet()
        hooks.add(layer: layer, site: site, tokens: tokens) { start, rows, _ in
            let codes = sae.encode(UnsafePointer(start), rows: rows)
            // An SAE that normalises its input writes back at each token's own scale.
            let scales = sae.inputNormalization.outputScales(start, rows: rows, width: d)
            for row in 0..<rows {
                var current: [Int: Float] = [:]
                for (latent, value) in codes.row(row) where targets[latent] != nil { current[latent] = value }
                let x = start + row * d
                for (latent, target) in targets {
                    let delta = (target - (current[latent] ?? 0)) * scales[row]
                    if delta == 0 { continue }
                    sae.wDec.withUnsafeBufferPointer { w in
                        let column = w.baseAddress! + latent * d
                        for c in 0..<d { x[c] += delta * column[c] }
                    }
                }
            }
        }
        return hooks
    }
}
