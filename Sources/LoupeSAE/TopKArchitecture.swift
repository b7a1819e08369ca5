import LoupeJSON

/// TopK: each token keeps its k largest pre-activations (then ReLU). No
/// sparsity penalty; dead latents are revived with the AuxK loss.
public struct TopKArchitecture: SAEArchitecture {
    public static let architectureName = "topk"
    public static let aliases = ["top_k"]
    public static let kind = ArchitectureKind(
        "topK", labels: ["k"], doc: "keeps the k largest latents of each token (Gao et al.)", example: "topK(k: 32)")
    public var k: Int

    public init(k: Int) { self.k = k }

    public static func fromArguments(_ arguments: ArchitectureArguments) throws -> TopKArchitecture {
        TopKArchitecture(k: try arguments.count("k"))
    }

    public static func fromConfig(_ cfg: JSON) throws -> TopKArchitecture {
        TopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"))
    }

    public var configFields: [String: JSON] { ["k": .int(k)] }
    /// SAELens's TopK config asks whether to scale codes by decoder norms;
    /// Loupe's decoder rows are unit-norm, so never.
    public var fixedConfigFields: [String: JSON] { ["rescale_acts_by_decoder_norm": false] }
    public var usesAuxK: Bool { true }
    public var description: String { "TopK (k = \(k))" }

    public func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError("TopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
    }

    public func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.topK(pre, rows: rows, width: dSAE, k: k)
    }
}
