import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeSAE
import LoupeTensor
import Testing

@Suite struct SteerabilityTests {
    static let words = ["red", "blue", "a star", "water", "grass", "cat"]

    /// S(f) for one latent, the slow way: a full forward pass with the clamp hooked in.
    static func slowScore(_ model: CLIPModel, _ sae: SparseAutoencoder, latent: Int, layer: Int, clamp: Float) throws -> Double {
        let images = SpliceTests.images()
        let text = try model.embed(texts: words).toArray()
        func probabilities(_ e: Tensor) -> [[Double]] {
            let d = e.shape[1], rows = e.toArray()
            var out: [[Double]] = []
            for i in 0..<e.shape[0] {
                var logits: [Double] = []
                for j in 0..<words.count {
                    var dot = 0.0
                    for c in 0..<d { dot += Double(rows[i * d + c]) * Double(text[j * d + c]) }
                    logits.append(100 * dot)
                }
                let peak = logits.max()!
                let ex = logits.map { Foundation.exp($0 - peak) }
                let total = ex.reduce(0, +)
                out.append(ex.map { $0 / total })
            }
            return out
        }
        let base = probabilities(model.embed(images: images))
        let hooks = try Intervention.hooks(sae, layer: layer, site: .residPost, tokens: .all, clamp: [latent: clamp])
        // The intervention adds back the SAE error; steering sets z_f to the clamp on every token.
        let steered = probabilities(model.embed(images: images, hooks: hooks))
        var score = 0.0
        for j in 0..<words.count {
            var delta = 0.0
            for i in 0..<images.count { delta += steered[i][j] - base[i][j] }
            delta /= Double(images.count)
            score += delta * delta
        }
        return score
    }

    @Test(arguments: [0, 1]) func closedFormAndRerunAgreeWithAFullForwardPass(layer: Int) throws {
        let model = SpliceTests.textModel
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: 16, architecture: TopKArchitecture(k: 4), seed: 2)
        let result = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: [0, 3, 7], layer: layer,
                                              images: SpliceTests.images(), vocabulary: Self.words, clamp: 20)
        for (i, latent) in [0, 3, 7].enumerated() {
            let slow = try Self.slowScore(model, sae, latent: latent, layer: layer, clamp: 20)
            #expect(abs(result.scores[i] - slow) < 1e-4 * max(1, slow), "latent \(latent) at layer \(layer)")
        }
    }

    @Test func neuronsAreClampedOneCoordinateAtATime() throws {
        let model = SpliceTests.textModel
        let result = try Steerability.measure(model, kind: .neuron, units: [0, 1], layer: 1, images: SpliceTests.images(),
                                              vocabulary: Self.words, clamp: 0)
        #expect(result.scores.count == 2)
        #expect(result.scores.allSatisfy { $0 >= 0 && $0 <= 2 })
        #expect(throws: SAEError.self) {
            try Steerability.measure(model, kind: .neuron, units: [100_000], layer: 1, images: SpliceTests.images(),
                                     vocabulary: Self.words, clamp: 1)
        }
    }
}
