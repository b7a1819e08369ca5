import Foundation

/// Units found by a sentence: how well a unit's image-level activation
/// tracks the model's own judgement of how well each image matches it.
///
/// For a prompt p and images i with normalised embeddings, c(i) is the
/// cosine of image i with the prompt's text embedding, and a_u(i) the
/// unit's image-level activation. A unit's score is Pearson's correlation
/// r(a_u, c) over the images, with a 95% interval from Fisher's z
/// (tanh(atanh r ± 1.96/√(n−3))). Units constant over the images have no
/// correlation and are left out. Ranked by r, so a unit that rises with
/// the prompt comes first; a neuron that falls with it has a negative r.
package struct SearchHit: Sendable {
    package let unit: Int
    package let correlation: Estimate
    /// Images on which the unit is non-zero.
    package let active: Int
}

package enum TextSearch {
    /// The `top` units best tracking `similarity` (one cosine per image),
    /// from `activations` [images, units] row-major.
    package static func rank(activations: [Float], units: Int, similarity: [Float], top: Int) -> [SearchHit] {
        let n = similarity.count
        guard n >= 4, activations.count == n * units else { return [] }
        let cMean = similarity.reduce(0.0) { $0 + Double($1) } / Double(n)
        let c = similarity.map { Double($0) - cMean }
        let cNorm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard cNorm > 0 else { return [] }
        var hits: [SearchHit] = []
        for u in 0..<units {
            var mean = 0.0, active = 0
            for i in 0..<n { let a = Double(activations[i * units + u]); mean += a; if a != 0 { active += 1 } }
            mean /= Double(n)
            var dot = 0.0, norm = 0.0
            for i in 0..<n {
                let a = Double(activations[i * units + u]) - mean
                dot += a * c[i]; norm += a * a
            }
            guard norm > 0 else { continue }
            let r = max(-1, min(1, dot / (norm.squareRoot() * cNorm)))
            hits.append(SearchHit(unit: u, correlation: fisherInterval(r, n: n), active: active))
        }
        hits.sort { ($0.correlation.value, -$0.unit) > ($1.correlation.value, -$1.unit) }
        return Array(hits.prefix(max(1, top)))
    }

    /// The same ranking for latents, from their sparse peaks: a latent is
    /// zero on every image it does not fire on.
    package static func rank(peaks: LatentPeaks, similarity: [Float], top: Int) -> [SearchHit] {
        let n = similarity.count
        guard n >= 4, peaks.images == n else { return [] }
        let cMean = similarity.reduce(0.0) { $0 + Double($1) } / Double(n)
        let cNorm = similarity.reduce(0.0) { $0 + (Double($1) - cMean) * (Double($1) - cMean) }.squareRoot()
        guard cNorm > 0 else { return [] }
        var hits: [SearchHit] = []
        for latent in 0..<peaks.latents {
            let firing = peaks.firing(latent)
            // Σ(a − ā)(c − c̄) = Σ a·(c − c̄) (the c − c̄ sum to zero); Σ(a − ā)² = Σa² − (Σa)²/n.
            var sum = 0.0, square = 0.0, dot = 0.0
            for (image, peak) in firing {
                let a = Double(peak)
                sum += a; square += a * a; dot += a * (Double(similarity[Int(image)]) - cMean)
            }
            let norm = square - sum * sum / Double(n)
            guard norm > 1e-12 * max(1, square) else { continue }
            let r = max(-1, min(1, dot / (norm.squareRoot() * cNorm)))
            hits.append(SearchHit(unit: latent, correlation: fisherInterval(r, n: n), active: firing.count))
        }
        hits.sort { ($0.correlation.value, -$0.unit) > ($1.correlation.value, -$1.unit) }
        return Array(hits.prefix(max(1, top)))
    }

    static func fisherInterval(_ r: Double, n: Int) -> Estimate {
        let z = atanh(max(-0.999999, min(0.999999, r))), half = 1.959964 / Double(n - 3).squareRoot()
        return Estimate(value: r, low: tanh(z - half), high: tanh(z + half), n: n, unit: "images")
    }
}
