import Foundation
import LoupeTensor

/// How concept coverage picks a steerable unit's word; coverage is the
/// number of distinct words so picked. The two references differ here.
package enum ConceptCoverage: String, Sendable, CaseIterable {
    /// argmax_v Delta_f(v): the word whose probability the clamp raises
    /// most on average over the images (Loupe's count, and DESIGN's first).
    case meanDelta
    /// argmax_v p_steered(v | x_0): the most probable word on the first image
    /// once steered, as Prisma's steering notebooks count it; the paper's
    /// coverage figures come from those notebooks.
    case firstImage

    /// Which reference counts this way, for summaries.
    package var origin: String {
        switch self {
        case .meanDelta: return "argmax of mean Δ"
        case .firstImage: return "top steered word on image 0, the paper's count"
        }
    }
}

/// The word-probability side of steerability, on embeddings already made:
/// p(v|x) = softmax_v(100 <e(x), t_v>) and, for one unit, Delta, S and its
/// two top words. Both measuring paths end here or mirror it exactly.
package enum SteeringDelta {
    package static let temperature: Float = 100

    /// What one clamped unit does to the vocabulary.
    package struct Unit: Sendable, Equatable {
        /// S(f) = sum_v Delta_f(v)^2.
        package var score: Double
        /// argmax_v Delta_f(v) and Delta there.
        package var topWord: Int
        package var topDelta: Double
        /// argmax_v p_steered(v | x_0).
        package var firstImageWord: Int
    }

    /// p(v|x) for every image, [images, words] row-major. `imageEmbeddings`
    /// [images, D] is normalised here; `text` [words, D] must already hold
    /// unit rows, as `CLIPModel.embed(texts:)` returns them. The logits are
    /// 100 times a cosine, so float32 products would leave errors of about
    /// 1e-6 in p; they are taken in Double, at a cost far below the forward
    /// passes that made the embeddings.
    package static func probabilities(imageEmbeddings: Tensor, text: Tensor) -> [Double] {
        let rows = imageEmbeddings.shape[0], d = imageEmbeddings.shape[1], v = text.shape[0]
        precondition(text.shape[1] == d, "image and text embeddings differ in width")
        var p = [Double](repeating: 0, count: rows * v)
        p.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            Parallel.forEach(rows) { range in
                for i in range {
                    let e = imageEmbeddings.pointer + i * d
                    var norm = 0.0
                    for c in 0..<d { norm += Double(e[c]) * Double(e[c]) }
                    let scale = norm > 0 ? Double(temperature) / norm.squareRoot() : 0
                    let row = out + i * v
                    var peak = -Double.infinity
                    for j in 0..<v {
                        let t = text.pointer + j * d
                        var dot = 0.0
                        for c in 0..<d { dot += Double(e[c]) * Double(t[c]) }
                        row[j] = dot * scale
                        peak = max(peak, row[j])
                    }
                    var total = 0.0
                    for j in 0..<v { row[j] = exp(row[j] - peak); total += row[j] }
                    for j in 0..<v { row[j] /= total }
                }
            }
        }
        return p
    }

    /// Delta_f(v) = mean over images of steered - base, with S and the top
    /// words; both are [images, words] probabilities.
    package static func unit(base: [Double], steered: [Double], images n: Int, words v: Int) -> Unit {
        precondition(n > 0 && base.count == n * v && steered.count == n * v, "probabilities are not [\(n), \(v)]")
        var delta = [Double](repeating: 0, count: v)
        for i in 0..<n { for j in 0..<v { delta[j] += steered[i * v + j] - base[i * v + j] } }
        var score = 0.0, best = 0
        for j in 0..<v {
            delta[j] /= Double(n)
            score += delta[j] * delta[j]
            if delta[j] > delta[best] { best = j }
        }
        var first = 0
        for j in 1..<max(1, v) where steered[j] > steered[first] { first = j }
        return Unit(score: score, topWord: best, topDelta: delta[best], firstImageWord: first)
    }
}
