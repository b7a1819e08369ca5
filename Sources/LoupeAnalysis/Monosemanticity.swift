import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Pach et al.'s monosemanticity score. For latent k over N images, with
/// activations min-max normalised to ã_k(n) in [0, 1], r(n,m) = ã_k(n) ã_k(m)
/// and s(n,m) the cosine similarity of the images' embeddings (from a
/// separate encoder in the paper):
///   MS_k = sum_{n<m} r s / sum_{n<m} r,
/// undefined (nil: the latent is dead on these images) when the denominator
/// is 0, that is when fewer than two images have ã > 0.
///
/// s is a cosine, s = E Eᵀ for the unit-row embeddings E, so the pair sum
/// never needs the N×N matrix:
///   sum_{n,m} ã_n ã_m s(n,m) = |Eᵀ ã|²,   sum_{n<m} = (|Eᵀ ã|² - sum_n ã_n² s(n,n)) / 2.
/// Eᵀ Ã for a block of latents is accumulated over blocks of images, so the
/// working memory is a few blocks, whatever N is (see `workingBytes`).
package enum Monosemanticity {
    /// Latents per pass and images per block. At the paper's size (50,000
    /// images, 49,152 latents, 512- or 1024-wide embeddings) the scratch is
    /// well under 100 MB.
    package static let latentBlock = 4096
    package static let imageBlock = 1024

    /// Bytes of scratch `scores` uses beyond its inputs, for `latents` and
    /// embeddings of width `dim`.
    package static func workingBytes(latents k: Int, dim d: Int) -> Int {
        let kb = min(k, latentBlock)
        // Ã block (Float), Eᵀ Ã block in Float and in Double, per-latent sums.
        return imageBlock * kb * 4 + kb * d * (4 + 8) + k * 8 * 6
    }

    /// What MS would be for a unit that fires equally on every image: the
    /// judge's mean similarity over all pairs n < m. An MS means something
    /// only against this level, which differs from judge to judge (a CLIP
    /// finds any two toy scenes fairly alike; the attributes do not).
    /// From Σ_{n<m} e_n·e_m = (‖Σ e‖² − Σ ‖e‖²) / 2, without the N × N matrix.
    package static func chanceLevel(embeddings: [Float], images n: Int, dim d: Int) -> Double {
        guard n >= 2, d > 0, embeddings.count == n * d else { return .nan }
        var total = [Double](repeating: 0, count: d), selfSum = 0.0
        for i in 0..<n {
            for c in 0..<d {
                let v = Double(embeddings[i * d + c])
                total[c] += v
                selfSum += v * v
            }
        }
        let pairs = Double(n) * Double(n - 1) / 2
        return (total.map { $0 * $0 }.reduce(0, +) - selfSum) / 2 / pairs
    }

    /// How many images each unit fires on (activation above zero), from
    /// [images, units] activations: MS from a handful of images is noise.
    package static func firingImages(_ activations: [Float], images n: Int, units k: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k where activations[i * k + j] > 0 { counts[j] += 1 } }
        return counts
    }

    /// Below this many firing images a unit's MS is shown as unreliable.
    package static let reliableImages = 10

    /// `activations` is [images, latents] row-major; `embeddings` is
    /// [images, dim], one row per image (rows are used as given: pass unit
    /// rows, so that their products are cosines).
    package static func scores(activations: [Float], images n: Int, latents k: Int,
                              embeddings: [Float], dim d: Int) -> [Double?] {
        precondition(activations.count == n * k && embeddings.count == n * d, "shapes do not match")
        var out = [Double?](repeating: nil, count: k)
        guard n >= 2, k > 0, d > 0 else { return out }
        // s(n,n): 1 for unit rows, computed so that other rows stay exact.
        let selfSimilarity: [Double] = embeddings.withUnsafeBufferPointer { e in
            (0..<n).map { i in
                var s = 0.0
                for c in 0..<d { s += Double(e[i * d + c]) * Double(e[i * d + c]) }
                return s
            }
        }
        activations.withUnsafeBufferPointer { a in
            embeddings.withUnsafeBufferPointer { e in
                var start = 0
                while start < k {
                    let count = min(latentBlock, k - start)
                    let block = scoreBlock(a.baseAddress!, images: n, latents: k, first: start, count: count,
                                           embeddings: e.baseAddress!, dim: d, selfSimilarity: selfSimilarity)
                    for j in 0..<count { out[start + j] = block[j] }
                    start += count
                }
            }
        }
        return out
    }

    /// Latents first..<first+count: min-max over all images, then one pass
    /// over blocks of images accumulating Eᵀ Ã, the diagonal and the pair sums.
    private static func scoreBlock(_ a: UnsafePointer<Float>, images n: Int, latents k: Int, first: Int, count kb: Int,
                                   embeddings e: UnsafePointer<Float>, dim d: Int, selfSimilarity: [Double]) -> [Double?] {
        var lo = [Float](repeating: .infinity, count: kb), hi = [Float](repeating: -.infinity, count: kb)
        for i in 0..<n {
            let row = a + i * k + first
            for j in 0..<kb { lo[j] = min(lo[j], row[j]); hi[j] = max(hi[j], row[j]) }
        }
        let scale = (0..<kb).map { hi[$0] > lo[$0] ? 1 / (hi[$0] - lo[$0]) : 0 }

        var projection = [Double](repeating: 0, count: kb * d)   // Eᵀ Ã, latent-major
        var diagonal = [Double](repeating: 0, count: kb)           // sum ã² s(n,n)
        var pairs = [Double](repeating: 0, count: kb)              // sum_{n<m} ã_n ã_m
        var running = [Double](repeating: 0, count: kb)            // sum of ã over the images before
        let rows = min(imageBlock, n)
        var normalised = [Float](repeating: 0, count: rows * kb)
        var partial = [Float](repeating: 0, count: kb * d)
        var start = 0
        while start < n {
            let b = min(rows, n - start)
            for r in 0..<b {
                let i = start + r
                let row = a + i * k + first
                for j in 0..<kb {
                    let t = (row[j] - lo[j]) * scale[j]
                    normalised[r * kb + j] = t
                    let td = Double(t)
                    diagonal[j] += td * td * selfSimilarity[i]
                    pairs[j] += td * running[j]
                    running[j] += td
                }
            }
            // partial[kb, d] = Ã_blockᵀ E_block; added in Double so that the
            // sum over 50,000 images keeps its digits.
            normalised.withUnsafeBufferPointer { t in
                partial.withUnsafeMutableBufferPointer { p in
                    BLAS.gemm(m: kb, n: d, k: b, a: t.baseAddress!, lda: kb, transA: true,
                              b: e + start * d, ldb: d, c: p.baseAddress!, ldc: d)
                }
            }
            for x in 0..<(kb * d) { projection[x] += Double(partial[x]) }
            start += b
        }
        return (0..<kb).map { j -> Double? in
            guard pairs[j] > 0 else { return nil }
            var full = 0.0
            for c in 0..<d { full += projection[j * d + c] * projection[j * d + c] }
            return (full - diagonal[j]) / 2 / pairs[j]
        }
    }

    /// Image-level activations of every latent, [images, latents]: by default
    /// the mean activation over the tokens given for each image (one token,
    /// the class token, when the caller asked CLIP for `.cls`); with
    /// `.firingRate`, the fraction of those tokens where the latent fires.
    package static func imageActivations(_ sae: SparseAutoencoder, tokens perImage: Tensor,
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

    /// Image-level values of per-token activations [images, tokens, units]
    /// for a token selection: the class token itself for `.cls` (Pach et
    /// al.'s `--cls_only`), the mean over the selected tokens otherwise.
    package static func imageLevel(_ perToken: [Float], images n: Int, tokens t: Int, units k: Int,
                                  selection: TokenSelection) -> [Float] {
        precondition(perToken.count == n * t * k, "activations are not [\(n), \(t), \(k)]")
        let range = selection.range(tokens: t)
        var out = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for token in range { for u in 0..<k { out[i * k + u] += perToken[(i * t + token) * k + u] } }
            for u in 0..<k { out[i * k + u] /= Float(range.count) }
        }
        return out
    }
}

/// How a latent's per-token activations become one number per image. The raw
/// values are the language's names (`by: .mean`, `by: .frequency`).
package enum ImageMeasure: String, Sendable, CaseIterable {
    /// Mean activation over the image's tokens: weighs a latent by how
    /// strongly it fires, so a few large, always-on latents can dominate.
    case meanActivation = "mean"
    /// Fraction of the image's tokens where the latent fires: a latent that
    /// fires only on a drawn word's patches stands out against one that fires
    /// everywhere a little more strongly.
    case firingRate = "frequency"
}
