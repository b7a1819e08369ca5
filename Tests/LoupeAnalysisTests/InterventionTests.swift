import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeSAE
import Testing

@Suite struct InterventionTests {
    /// Layer 1's activations of the test images, clean and with `latent` clamped to `target`.
    static func clamped(_ sae: SparseAutoencoder, latent: Int, to target: Float) throws -> (clean: [Float], steered: [Float]) {
        let model = SpliceTests.model, images = SpliceTests.images()
        let clean = try model.activations(images: images, layer: 1, site: .residPost).toArray()
        let hooks = try Intervention.hooks(sae, layer: 1, site: .residPost, tokens: .all, clamp: [latent: target])
        return (clean, try model.activations(images: images, layer: 1, site: .residPost, hooks: hooks).toArray())
    }

    @Test func clampingMovesTheStreamAlongOneDecoderRowOnly() throws {
        let d = SpliceTests.model.config.vision.width
        let sae = try SparseAutoencoder(dIn: d, dSAE: 32, architecture: TopKArchitecture(k: 4), seed: 3)
        let latent = 5, target: Float = 3
        let (clean, steered) = try Self.clamped(sae, latent: latent, to: target)
        let codes = try sae.encode(clean, width: d)
        var worst: Float = 0
        for row in 0..<(clean.count / d) {
            let z = codes.row(row).first { $0.latent == latent }?.value ?? 0
            for c in 0..<d {
                let expected = clean[row * d + c] + (target - z) * sae.wDec[latent * d + c]
                worst = max(worst, abs(steered[row * d + c] - expected))
            }
        }
        #expect(worst < 1e-4)
    }

    /// An SAE that layer-normalises its input (as ViT-Prisma's do) writes
    /// back at each token's scale: x + (a − z) σ_x W_dec[f], σ_x the token's
    /// unbiased standard deviation.
    @Test func clampingWithALayerNormSAEMovesEachTokenAtItsOwnScale() throws {
        let d = SpliceTests.model.config.vision.width
        let sae = try SparseAutoencoder(dIn: d, dSAE: 32, architecture: TopKArchitecture(k: 4), seed: 3)
        sae.inputNormalization = .layerNorm(epsilon: 1e-5)
        let latent = 5, target: Float = 3
        let (clean, steered) = try Self.clamped(sae, latent: latent, to: target)
        let codes = try sae.encode(clean, width: d)
        var worst: Float = 0, moved = false
        for row in 0..<(clean.count / d) {
            let x = clean[(row * d)..<((row + 1) * d)].map(Double.init)
            let mean = x.reduce(0, +) / Double(d)
            let sigma = Float((x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d - 1)).squareRoot())
            let z = codes.row(row).first { $0.latent == latent }?.value ?? 0
            moved = moved || z != target
            for c in 0..<d {
                let expected = clean[row * d + c] + (target - z) * sigma * sae.wDec[latent * d + c]
                worst = max(worst, abs(steered[row * d + c] - expected))
            }
        }
        #expect(moved)
        #expect(worst < 1e-3)
    }

    @Test func ablatingNothingChangesNothingAndUnknownLatentsAreRefused() throws {
        let model = SpliceTests.model
        let d = model.config.vision.width
        let sae = try SparseAutoencoder(dIn: d, dSAE: 16, architecture: TopKArchitecture(k: 4), seed: 1)
        let hooks = try Intervention.hooks(sae, layer: 0, site: .residPost, tokens: .all, ablate: [])
        let clean = model.embed(images: SpliceTests.images()).toArray()
        #expect(model.withHooks(hooks) { model.embed(images: SpliceTests.images()).toArray() } == clean)
        #expect(throws: AnalysisError.noSuchLatent(16, latents: 16)) { try Intervention.hooks(sae, layer: 0, site: .residPost, tokens: .all, clamp: [16: 1]) }
    }
}
