import Foundation
import LoupeSAE
import LoupeTensor

/// Names for latents from the model's own text tower: the words whose text
/// embedding agrees with a latent's top-firing images more than with the
/// images at large.
///
/// For word w and image i let s(i, w) be the cosine of their normalised
/// embeddings. Over all n images, s(·, w) has mean μ_w and standard
/// deviation σ_w. A latent's top images T are the (at most
/// `topImages`) images where its peak activation over the image's tokens
/// is largest, among those it fires on. Its agreement with w is
///     z(w) = (mean over i in T of s(i, w) − μ_w) / (σ_w / √|T|),
/// how many standard errors the top images' similarity to w sits above
/// what |T| images drawn at random would give. Its label is the word of
/// largest z. The confidence is the share of `nullSets` random sets of
/// |T| images whose own best z (over the whole vocabulary) falls below the
/// label's: 0.99 means random images rarely agree with any word as much.
package struct LatentLabel: Sendable {
    package let latent: Int
    /// The best words, largest z first.
    package let words: [(word: String, z: Double)]
    package let confidence: Double
    /// Images among the top ones (|T|) and images it fires on at all.
    package let topImages: Int
    package let firing: Int

    package var label: String { words.first?.word ?? "" }

    /// The same label for another latent number (one labelled alone).
    package func renumbered(_ latent: Int) -> LatentLabel {
        LatentLabel(latent: latent, words: words, confidence: confidence, topImages: topImages, firing: firing)
    }
}

package enum LatentLabeling {
    package static let topImages = 16
    /// Fewer firing images than this and a latent is left unlabelled.
    package static let minimumImages = 3
    package static let nullSets = 200

    /// Labels `latents` from their image-level `peaks`, the images'
    /// normalised embeddings [images, D] and the vocabulary's [words, D]. A
    /// latent firing on fewer than `minimumImages` images gets nil. `stop`
    /// is asked between latents.
    package static func label(latents: [Int], peaks: LatentPeaks, imageEmbeddings: Tensor, wordEmbeddings: Tensor,
                              vocabulary: [String], top: Int, seed: UInt64 = 0,
                              stop: () -> Bool = { false }) -> [LatentLabel?] {
        let n = imageEmbeddings.shape[0], v = vocabulary.count
        precondition(peaks.images == n && wordEmbeddings.shape[0] == v, "peaks and embeddings disagree")
        let similarity = WordSimilarity(images: imageEmbeddings, words: wordEmbeddings)
        var nullBest: [Int: [Double]] = [:]
        var random = SeededRandom(seed: seed)
        var out: [LatentLabel?] = []
        for latent in latents {
            if stop() { break }
            let firing = peaks.firing(latent)
            guard firing.count >= minimumImages else { out.append(nil); continue }
            let chosen = firing.sorted { ($0.peak, -$0.image) > ($1.peak, -$1.image) }.prefix(topImages).map { Int($0.image) }
            let z = similarity.z(chosen)
            let order = (0..<v).sorted { (z[$0], -$0) > (z[$1], -$1) }.prefix(max(1, top))
            let m = chosen.count
            if nullBest[m] == nil {
                nullBest[m] = (0..<nullSets).map { _ in
                    var pool = Array(0..<n)
                    for i in 0..<m { pool.swapAt(i, i + Int(random.next() % UInt64(n - i))) }
                    return similarity.z(Array(pool.prefix(m))).max() ?? 0
                }
            }
            let best = z[order.first!]
            let below = nullBest[m]!.filter { $0 < best }.count
            out.append(LatentLabel(latent: latent, words: order.map { (vocabulary[$0], z[$0]) },
                                   confidence: Double(below) / Double(nullSets), topImages: m, firing: firing.count))
        }
        return out
    }
}

/// Cosines of every image with every word, and each word's mean and
/// standard deviation over the images, for z-scores of image subsets.
struct WordSimilarity {
    let cosines: [Float]       // [images, words]
    let mean: [Double], sd: [Double]
    let images: Int, words: Int

    init(images e: Tensor, words w: Tensor) {
        let s = e.matmul(w, transposeOther: true)
        images = e.shape[0]; words = w.shape[0]
        cosines = s.toArray()
        var mean = [Double](repeating: 0, count: words), square = [Double](repeating: 0, count: words)
        for i in 0..<images {
            for j in 0..<words { let x = Double(cosines[i * words + j]); mean[j] += x; square[j] += x * x }
        }
        let count = Double(max(1, images))
        self.mean = mean.map { $0 / count }
        sd = zip(mean, square).map { sum, sq in ((sq / count) - (sum / count) * (sum / count)).squareRoot() }
    }

    /// z(w) of a set of images, for every word.
    func z(_ subset: [Int]) -> [Double] {
        var sum = [Double](repeating: 0, count: words)
        for i in subset { for j in 0..<words { sum[j] += Double(cosines[i * words + j]) } }
        let m = Double(subset.count), root = m.squareRoot()
        return (0..<words).map { j in sd[j] > 0 ? (sum[j] / m - mean[j]) / (sd[j] / root) : 0 }
    }
}

/// Each latent's image-level activation (its peak over an image's tokens),
/// kept only where it fires: what labels, search and the feature browser
/// rank images by. Sparse because a dense [images, latents] table of a
/// 49,152-latent SAE over 50,000 images would take 10 GB.
package struct LatentPeaks: Sendable {
    package let images: Int
    package let latents: Int
    /// For each latent, (image, peak) where the peak is positive, by image.
    private let lists: [[(image: Int32, peak: Float)]]

    package init(images: Int, latents: Int, lists: [[(image: Int32, peak: Float)]]) {
        self.images = images; self.latents = latents; self.lists = lists
    }

    /// From a dense [images, units] table (zeros where a unit is silent).
    package init(dense: [Float], images: Int, units: Int) {
        precondition(dense.count == images * units, "a table of \(images) × \(units)")
        var lists = [[(image: Int32, peak: Float)]](repeating: [], count: units)
        for i in 0..<images { for u in 0..<units where dense[i * units + u] > 0 { lists[u].append((Int32(i), dense[i * units + u])) } }
        self.init(images: images, latents: units, lists: lists)
    }

    /// Encodes every token of `perImage` ([images, tokens, width]) with `sae`.
    package static func measure(_ sae: SparseAutoencoder, tokens perImage: Tensor) throws -> LatentPeaks {
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        try sae.checkInputWidth(d)
        let codes = sae.encode(UnsafePointer(perImage.pointer), rows: n * t)
        var lists = [[(image: Int32, peak: Float)]](repeating: [], count: sae.dSAE)
        var best = [Float](repeating: 0, count: sae.dSAE), touched: [Int] = []
        for image in 0..<n {
            for row in (image * t)..<((image + 1) * t) {
                for (latent, value) in codes.row(row) where value > 0 {
                    if best[latent] == 0 { touched.append(latent) }
                    if value > best[latent] { best[latent] = value }
                }
            }
            for latent in touched { lists[latent].append((Int32(image), best[latent])); best[latent] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        return LatentPeaks(images: n, latents: sae.dSAE, lists: lists)
    }

    /// Where `latent` fires, (image, peak) by image.
    package func firing(_ latent: Int) -> [(image: Int32, peak: Float)] { lists[latent] }

    /// The full [images, latents] table, zeros where a latent is silent: for
    /// the toy world's ground truth, whose SAEs and image sets are small.
    package func dense() -> [Float] {
        var out = [Float](repeating: 0, count: images * latents)
        for (latent, list) in lists.enumerated() { for (image, peak) in list { out[Int(image) * latents + latent] = peak } }
        return out
    }
}
