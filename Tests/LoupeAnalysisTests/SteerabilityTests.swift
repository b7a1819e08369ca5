import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeSAE
import LoupeSites
import LoupeTensor
import Testing

@Suite struct SteerabilityTests {
    static let words = ["red", "blue", "a star", "water", "grass", "cat"]

    /// S(f) for one latent, the slow way: a full forward pass with the clamp hooked in.
    static func slowScore(_ model: CLIPModel, _ sae: SparseAutoencoder, latent: Int, layer: Int, clamp: Float,
                          tokens: TokenSelection = .all) throws -> Double {
        // The intervention adds back the SAE error; steering sets z_f to the clamp on every token.
        try slowDelta(model, hooks: Intervention.hooks(sae, layer: layer, site: .residPost, tokens: tokens, clamp: [latent: clamp])).score
    }

    /// A residual coordinate set to `clamp` on every token by a hook, then the full forward pass.
    static func slowNeuronScore(_ model: CLIPModel, neuron: Int, layer: Int, clamp: Float) -> (score: Double, top: Int, first: Int) {
        var hooks = HookSet()
        hooks.add(layer: layer, site: .residPost) { buffer in
            for row in 0..<(buffer.batch * buffer.tokens) { buffer.pointer[row * buffer.width + neuron] = clamp }
        }
        return slowDelta(model, hooks: hooks)
    }

    /// S, argmax_v Delta(v) and the top steered word on image 0 for a
    /// forward pass with `hooks` against the plain one.
    static func slowDelta(_ model: CLIPModel, hooks: HookSet) -> (score: Double, top: Int, first: Int) {
        let images = SpliceTests.images()
        let text = try! model.embed(texts: words).toArray()
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
        let steered = probabilities(model.embed(images: images, hooks: hooks))
        var score = 0.0, top = 0, topDelta = -Double.infinity
        for j in 0..<words.count {
            var delta = 0.0
            for i in 0..<images.count { delta += steered[i][j] - base[i][j] }
            delta /= Double(images.count)
            score += delta * delta
            if delta > topDelta { topDelta = delta; top = j }
        }
        let first = steered[0].indices.max { steered[0][$0] < steered[0][$1] }!
        return (score, top, first)
    }

    @Test(arguments: [0, 1]) func closedFormAndRerunAgreeWithAFullForwardPass(layer: Int) throws {
        let model = SpliceTests.textModel
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: 16, architecture: TopKArchitecture(k: 4), seed: 2)
        let result = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: [0, 3, 7], layer: layer,
                                              images: SpliceTests.images(), vocabulary: Self.words, clamp: 20)
        for (i, latent) in [0, 3, 7].enumerated() {
            let slow = try Self.slowDelta(model, hooks: Intervention.hooks(sae, layer: layer, site: .residPost, tokens: .all,
                                                                          clamp: [latent: 20]))
            #expect(abs(result.scores[i] - slow.score) < 1e-4 * max(1, slow.score), "latent \(latent) at layer \(layer)")
            #expect(result.topWord[i] == slow.top && result.firstImageWord[i] == slow.first, "latent \(latent) at layer \(layer)")
        }
    }

    /// With an SAE that normalises its input, the closed form (last layer)
    /// and the rerun (earlier layers) still equal the full forward pass.
    @Test(arguments: [InputNormalization.layerNorm(epsilon: 1e-5), .constantNormRescale])
    func normalisingSAEsSteerTheSameByEveryPath(normalization: InputNormalization) throws {
        let model = SpliceTests.textModel
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: 16, architecture: TopKArchitecture(k: 4), seed: 2)
        sae.inputNormalization = normalization
        for layer in [0, model.config.vision.layers - 1] {
            let result = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: [0, 3], layer: layer,
                                                  images: SpliceTests.images(), vocabulary: Self.words, clamp: 20)
            for (i, latent) in [0, 3].enumerated() {
                let slow = try Self.slowDelta(model, hooks: Intervention.hooks(sae, layer: layer, site: .residPost, tokens: .all,
                                                                              clamp: [latent: 20]))
                #expect(abs(result.scores[i] - slow.score) < 1e-4 * max(1, slow.score), "latent \(latent) at layer \(layer)")
            }
        }
    }

    /// The last layer goes through the closed form: it must equal the full
    /// forward pass for a large clamp, for neurons, and for a selection
    /// that leaves the class token alone (then nothing reaches the embedding).
    @Test func closedFormAtTheLastLayerMatchesTheFullPassForLargeClampsNeuronsAndSelections() throws {
        let model = SpliceTests.textModel
        let last = model.config.vision.layers - 1
        let sae = try SparseAutoencoder(dIn: model.config.vision.width, dSAE: 64, architecture: TopKArchitecture(k: 8), seed: 5)
        let latents = [1, 9, 22, 40, 63]
        let fast = try Steerability.measure(model, kind: .latent(sae, tokens: .all), units: latents, layer: last,
                                            images: SpliceTests.images(), vocabulary: Self.words, clamp: 150)
        for (i, latent) in latents.enumerated() {
            let slow = try Self.slowDelta(model, hooks: Intervention.hooks(sae, layer: last, site: .residPost, tokens: .all,
                                                                          clamp: [latent: 150]))
            #expect(abs(fast.scores[i] - slow.score) < 1e-4 * max(1, slow.score), "latent \(latent)")
            #expect(fast.topWord[i] == slow.top, "latent \(latent)")
            #expect(fast.firstImageWord[i] == slow.first, "latent \(latent): top steered word on image 0")
        }
        #expect(fast.scores.contains { $0 > 1e-3 }, "a clamp of 150 must move some word's probability")

        let neurons = [0, 5, model.config.vision.width - 1]
        let byNeuron = try Steerability.measure(model, kind: .neuron, units: neurons, layer: last, images: SpliceTests.images(),
                                                vocabulary: Self.words, clamp: 30)
        for (i, neuron) in neurons.enumerated() {
            let slow = Self.slowNeuronScore(model, neuron: neuron, layer: last, clamp: 30)
            #expect(abs(byNeuron.scores[i] - slow.score) < 1e-4 * max(1, slow.score), "neuron \(neuron)")
            #expect(byNeuron.topWord[i] == slow.top, "neuron \(neuron)")
            #expect(byNeuron.firstImageWord[i] == slow.first, "neuron \(neuron): top steered word on image 0")
        }

        let spatial = try Steerability.measure(model, kind: .latent(sae, tokens: .spatial), units: latents, layer: last,
                                               images: SpliceTests.images(), vocabulary: Self.words, clamp: 150)
        let slowSpatial = try Self.slowScore(model, sae, latent: latents[0], layer: last, clamp: 150, tokens: .spatial)
        #expect(spatial.scores.allSatisfy { $0 < 1e-9 })
        #expect(slowSpatial < 1e-9)
    }

    @Test func neuronsAreClampedOneCoordinateAtATime() throws {
        let model = SpliceTests.textModel
        let result = try Steerability.measure(model, kind: .neuron, units: [0, 1], layer: 1, images: SpliceTests.images(),
                                              vocabulary: Self.words, clamp: 0)
        #expect(result.scores.count == 2)
        #expect(result.scores.allSatisfy { $0 >= 0 && $0 <= 2 })
        #expect(throws: AnalysisError.noSuchNeuron(100_000, width: model.config.vision.width)) {
            try Steerability.measure(model, kind: .neuron, units: [100_000], layer: 1, images: SpliceTests.images(),
                                     vocabulary: Self.words, clamp: 1)
        }
    }
}
