import LoupeJSON

/// TopK: each token keeps its k largest pre-activations (then ReLU). No
/// sparsity penalty; dead latents are revived with the AuxK loss.
package struct TopKArchitecture: SAEArchitecture {
    package static let architectureName = "topk"
    package static let aliases = ["top_k"]
    package static let kind = ArchitectureKind(
        "topK", labels: ["k"], doc: "keeps the k largest latents of each token (Gao et al.)", example: "topK(k: 32)")
    package var k: Int
    /// saev's TopK keeps the k largest pre-activations as they are, negative
    /// ones too; SAELens's and Loupe's own apply ReLU to them.
    package var keepsNegative = false

    package init(k: Int) { self.k = k }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> TopKArchitecture {
        TopKArchitecture(k: try arguments.count("k"))
    }

    package static func fromConfig(_ cfg: JSON) throws -> TopKArchitecture {
        TopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"))
    }

    package var configFields: [String: JSON] { ["k": .int(k)] }
    /// SAELens's TopK config asks whether to scale codes by decoder norms;
    /// Loupe's decoder rows are unit-norm, so never.
    package var fixedConfigFields: [String: JSON] { ["rescale_acts_by_decoder_norm": false] }
    package var usesAuxK: Bool { true }
    package var description: String { "TopK (k = \(k)\(keepsNegative ? ", negatives kept" : ""))" }

    package func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError.invalidSetting("TopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
    }

    package func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.topK(pre, rows: rows, width: dSAE, k: k, above: keepsNegative ? -.infinity : 0)
    }
}
