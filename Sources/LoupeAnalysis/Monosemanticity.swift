import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeTensor

/// Pach et al.'s monosemanticity score. For latent k over N images, with
/// activations min-max normalised to ã_k(n) in [0, 1], r(n,m) = ã_k(n) ã_k(m)
/// and s(n,m) the cosine similarity of the images' embeddings:
///   MS_k = sum_{n<m} r s / sum_{n<m} r,
/// undefined (nil: the latent is dead on these images) when the denominator is 0.
public enum Monosemanticity {
    /// `activations` is [images, latents] row-major; `embeddings` is
    /// [images, dim] with unit rows. Uses sum_{n<m} = (full sum - diagonal) / 2,
    /// so the cost is one N×N×D and one N×N×K product instead of N²·K loops.
    public static func scores(activations: [Float], images n: Int, latents k: Int,
                              embeddings: [Float], dim d: Int) -> [Double?] {
        precondition(activations.count == n * k && embeddings.count == n * d, "shapes do not match")
        // Min-max normalise each latent's column.
        var normalised = activations
        var live = [Bool](repeating: false, count: k)
        for latent in 0..<k {
            var lo = Float.infinity, hi = -Float.infinity
            for i in 0..<n { let v = activations[i * k + latent]; lo = min(lo, v); hi = max(hi, v) }
            let span = hi - lo
            live[latent] = span > 0
            for i in 0..<n { normalised[i * k + latent] = span > 0 ? (activations[i * k + latent] - lo) / span : 0 }
        }
        // S = E Eᵀ, then SA = S Ã.
        var similarity = [Float](repeating: 0, count: n * n)
        var weighted = [Float](repeating: 0, count: n * k)
        embeddings.withUnsafeBufferPointer { e in
            similarity.withUnsafeMutableBufferPointer { s in
                BLAS.gemm(m: n, n: n, k: d, a: e.baseAddress!, lda: d, b: e.baseAddress!, ldb: d, transB: true,
                          c: s.baseAddress!, ldc: n)
            }
        }
        similarity.withUnsafeBufferPointer { s in
            normalised.withUnsafeBufferPointer { a in
                weighted.withUnsafeMutableBufferPointer { w in
                    BLAS.gemm(m: n, n: k, k: n, a: s.baseAddress!, lda: n, b: a.baseAddress!, ldb: k, c: w.baseAddress!, ldc: k)
                }
            }
        }
        return (0..<k).map { latent -> Double? in
            guard live[latent] else { return nil }
            var quadratic = 0.0, diagonal = 0.0, sum = 0.0, squares = 0.0
            for i in 0..<n {
                let a = Double(normalised[i * k + latent])
                quadratic += a * Double(weighted[i * k + latent])
                diagonal += a * a * Double(similarity[i * n + i])
                sum += a
                squares += a * a
            }
            let denominator = (sum * sum - squares) / 2
            guard denominator > 1e-12 else { return nil }
            return (quadratic - diagonal) / 2 / denominator
        }
    }

    /// Image-level activations of every latent, [images, latents]: by default
    /// the mean activation over the tokens the SAE reads of each image; with
    /// `.firingRate`, the fraction of those tokens where the latent fires.
    public static func imageActivations(_ sae: SparseAutoencoder, tokens perImage: Tensor,
                                        measure: ImageMeasure = .meanActivation) throws -> [Float] {
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        try sae.checkInputWidth(d)
        let codes = sae.encode(UnsafePointer(perImage.pointer), rows: n * t)
        var out = [Float](repeating: 0, count: n * sae.dSAE)
        let countFiring = measure == .firingRate
        for row in 0..<(n * t) {
            let image = row / t
            for (latent, value) in codes.row(row) { out[image * sae.dSAE + latent] += (countFiring ? 1 : value) / Float(t) }
        }
        return out
    }
}

/// How a latent's per-token activations become one number per image. The raw
/// values are the language's names (`by: .mean`, `by: .frequency`).
public enum ImageMeasure: String, Sendable, CaseIterable {
    /// Mean activation over the image's tokens: weighs a latent by how
    /// strongly it fires, so a few large, always-on latents can dominate.
    case meanActivation = "mean"
    /// Fraction of the image's tokens where the latent fires: a latent that
    /// fires only on a drawn word's patches stands out against one that fires
    /// everywhere a little more strongly.
    case firingRate = "frequency"
}
