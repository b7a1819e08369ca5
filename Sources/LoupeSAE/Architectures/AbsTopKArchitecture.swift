import LoupeJSON

/// AbsTopK (SAELens's "abstopk"): each token keeps the k pre-activations of
/// largest magnitude with their signs and no ReLU, so a latent can fire in
/// either direction. Loupe reads and runs these SAEs; it does not train
/// them (their AuxK ranks dead latents by magnitude, which Loupe's does not),
/// so the kind is not offered to `SAE.train`.
package struct AbsTopKArchitecture: SAEArchitecture {
    package static let architectureName = "abstopk"
    package static let kind = ArchitectureKind(
        "absTopK", labels: ["k"], doc: "keeps the k latents of largest magnitude of each token, signs kept (loaded, not trained)",
        example: "absTopK(k: 32)")
    package var k: Int

    package init(k: Int) { self.k = k }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> AbsTopKArchitecture {
        throw SAEError.invalidSetting("Loupe runs AbsTopK SAEs loaded from SAELens files but does not train them; train .topK(k:) instead")
    }

    package static func fromConfig(_ cfg: JSON) throws -> AbsTopKArchitecture {
        AbsTopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"))
    }

    package var configFields: [String: JSON] { ["k": .int(k)] }
    /// As TopK: Loupe's decoder rows are unit-norm once loaded, so no rescaling.
    package var fixedConfigFields: [String: JSON] { ["rescale_acts_by_decoder_norm": false] }
    package var description: String { "AbsTopK (k = \(k), signs kept)" }

    package func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError.invalidSetting("AbsTopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
    }

    /// The k largest |pre| of each row, then each kept value as it was, sign and all.
    package func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        let magnitudes = (0..<(rows * dSAE)).map { abs(pre[$0]) }
        var codes = magnitudes.withUnsafeBufferPointer { Selection.topK($0.baseAddress!, rows: rows, width: dSAE, k: k) }
        for r in 0..<rows {
            for e in codes.rowStart[r]..<codes.rowStart[r + 1] { codes.value[e] = pre[r * dSAE + Int(codes.index[e])] }
        }
        return codes
    }
}
