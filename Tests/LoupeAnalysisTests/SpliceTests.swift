import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeImage
import LoupeSAE
import Testing

@Suite struct SpliceTests {
    static func fixture(_ name: String) -> CLIPModel {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip/\(name)").path
        return try! CLIPModel(path: path)
    }
    static let model = fixture("openclip_p16_gelu.safetensors")
    /// A model with the full vocabulary, for zero-shot text.
    static let textModel = fixture("hf_tiny_bf16")

    static func images() -> [RGBImage] {
        (0..<3).map { i in
            var image = RGBImage(width: 64, height: 64, fill: (UInt8(40 * i), 90, 200 - UInt8(50 * i)))
            for y in 20..<40 { for x in (10 + 10 * i)..<(30 + 10 * i) { image[x, y] = (250, 240, 20) } }
            return image
        }
    }

    /// Latents ±e_i under ReLU reconstruct x exactly: relu(x) - relu(-x) = x.
    static func identitySAE(width d: Int) throws -> SparseAutoencoder {
        var enc = [Float](repeating: 0, count: 2 * d * d)
        for i in 0..<d { enc[i * d + i] = 1; enc[(d + i) * d + i] = -1 }
        return try SparseAutoencoder(dIn: d, dSAE: 2 * d, architecture: ReLUArchitecture(), wEnc: enc,
                                     bEnc: [Float](repeating: 0, count: 2 * d), wDec: enc, bDec: [Float](repeating: 0, count: d))
    }

    @Test func aPerfectReconstructionChangesNothing() throws {
        let d = Self.model.config.vision.width
        let hooks = Splice.reconstructing(with: try Self.identitySAE(width: d), layer: 1, site: .residPre, tokens: .all)
        let clean = Self.model.embed(images: Self.images()).toArray()
        let spliced = Self.model.embed(images: Self.images(), hooks: hooks).toArray()
        let worst = zip(clean, spliced).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5)
    }

    @Test func aZeroSAEChangesTheEmbeddingsOnlyOnItsTokens() throws {
        let d = Self.model.config.vision.width
        let zero = try SparseAutoencoder(dIn: d, dSAE: 4, architecture: ReLUArchitecture(), wEnc: [Float](repeating: 0, count: 4 * d),
                                         bEnc: [Float](repeating: 0, count: 4), wDec: [Float](repeating: 0, count: 4 * d),
                                         bDec: [Float](repeating: 0, count: d))
        let clean = Self.model.embed(images: Self.images()).toArray()
        let spatial = Self.model.embed(images: Self.images(), hooks: Splice.reconstructing(with: zero, layer: 1, site: .residPre,
                                                                                          tokens: .spatial)).toArray()
        #expect(zip(clean, spatial).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test func accuracyIsMeasuredWithAndWithoutTheSplice() throws {
        let d = Self.textModel.config.vision.width
        let result = try Splice.accuracy(Self.textModel, sae: try Self.identitySAE(width: d), layer: 0, site: .residPost, tokens: .all,
                                         images: Self.images(), truth: [0, 1, 0], prompts: ["a", "b"])
        #expect(result.clean == result.spliced)
        #expect(result.recovered == (result.clean > 0 ? 1 : 0))
    }
}
