import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Ranking units (SAE latents or residual coordinates) by how much more
/// they respond to images with an attribute than to images without it:
/// mean activation on `with` minus mean activation on `without`.
package enum Contrast {
    /// `with` and `without` are image-level activations, [images, units]
    /// row-major. Returns every unit, the largest difference first (ties by
    /// unit number, so the order is deterministic).
    ///
    /// `maxWithout` keeps only units whose mean on `without` is at most that:
    /// with firing rates, units that stay (nearly) silent on the images
    /// without the attribute, so that ablating them leaves those images alone.
    package static func rank(with: [Float], without: [Float], units k: Int, maxWithout: Double? = nil) -> [Int] {
        let (meanWith, meanWithout) = (means(with, units: k), means(without, units: k))
        let difference = zip(meanWith, meanWithout).map { $0 - $1 }
        let kept = difference.indices.filter { unit in maxWithout.map { meanWithout[unit] <= $0 } ?? true }
        return kept.sorted { difference[$0] != difference[$1] ? difference[$0] > difference[$1] : $0 < $1 }
    }

    package static func meanDifference(with: [Float], without: [Float], units k: Int) -> [Double] {
        zip(means(with, units: k), means(without, units: k)).map { $0 - $1 }
    }

    /// Per-unit means over the images of [images, k] row-major activations.
    static func means(_ a: [Float], units k: Int) -> [Double] {
        precondition(k > 0 && a.count % k == 0, "activations are not [images, \(k)]")
        let n = a.count / k
        var out = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { out[j] += Double(a[i * k + j]) } }
        return out.map { n > 0 ? $0 / Double(n) : 0 }
    }

    /// Image-level residual coordinates: each image's mean over its tokens,
    /// [images, width] from [images, tokens, width]. The neuron analogue of
    /// `Monosemanticity.imageActivations`.
    package static func imageMeans(_ perImage: Tensor) -> [Float] {
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        var out = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            for token in 0..<t {
                let row = perImage.pointer + (i * t + token) * d
                for c in 0..<d { out[i * d + c] += row[c] / Float(t) }
            }
        }
        return out
    }

    /// Residual coordinates (neurons) ranked by their image-level mean on
    /// `with` minus on `without`, from per-token activations [images, tokens,
    /// width]: the neuron baseline of a latent contrast.
    package static func rankNeurons(with: Tensor, without: Tensor) -> [Int] {
        rank(with: imageMeans(with), without: imageMeans(without), units: with.shape[2])
    }

    /// `count` units drawn without replacement from `pool`, seeded, so a
    /// random-ablation baseline is repeatable.
    package static func randomUnits(_ count: Int, from pool: [Int], seed: UInt64) -> [Int] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {   // splitmix64
            state = state &+ 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var items = pool
        let take = min(count, items.count)
        for i in 0..<take {
            let j = i + Int(next() % UInt64(items.count - i))
            items.swapAt(i, j)
        }
        return Array(items.prefix(take))
    }
}

extension Contrast {
    /// Activations of both sides of a contrast at one place, with
    /// `afterEach` called after each of the two forward passes (progress).
    package static func streams(_ model: CLIPModel, with: [RGBImage], without: [RGBImage], layer: Int, site: ActivationSite,
                               tokens: TokenSelection, afterEach: () throws -> Void) throws -> (with: Tensor, without: Tensor) {
        let a = try model.activations(images: with, layer: layer, site: site, tokens: tokens)
        try afterEach()
        let b = try model.activations(images: without, layer: layer, site: site, tokens: tokens)
        try afterEach()
        return (a, b)
    }

    /// The units that fire on some image of either side, from image-level
    /// activations [images, units]: the pool a random baseline draws from,
    /// since ablating a unit that never fires would change nothing.
    package static func live(_ with: [Float], _ without: [Float], units k: Int) -> Set<Int> {
        var live = Set<Int>()
        for a in [with, without] { for (i, v) in a.enumerated() where v > 0 { live.insert(i % k) } }
        return live
    }
}
