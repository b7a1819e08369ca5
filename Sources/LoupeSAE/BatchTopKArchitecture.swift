import LoupeJSON

/// BatchTopK: during training the batch keeps its k·batch largest
/// pre-activations over all tokens together, so busy tokens may use more
/// latents than quiet ones. A running threshold follows the smallest value
/// kept; once trained the SAE runs as JumpReLU with that threshold, which is
/// also how it is saved.
public struct BatchTopKArchitecture: SAEArchitecture, BatchTopKFamily {
    public static let architectureName = "batchtopk"
    public static let aliases = ["batch_topk"]
    public static let kind = ArchitectureKind(
        "batchTopK", labels: ["k"], doc: "keeps the k × batch largest latents over the whole batch, a threshold at inference",
        example: "batchTopK(k: 32)")
    public var k: Int
    /// Weight of each batch's smallest kept value in the running threshold.
    public var thresholdRate: Float

    public init(k: Int, thresholdRate: Float = 0.01) { self.k = k; self.thresholdRate = thresholdRate }

    public static func fromArguments(_ arguments: ArchitectureArguments) throws -> BatchTopKArchitecture {
        BatchTopKArchitecture(k: try arguments.count("k"))
    }

    public static func fromConfig(_ cfg: JSON) throws -> BatchTopKArchitecture {
        BatchTopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"),
                              thresholdRate: Float(try ConfigFields.number(cfg, "topk_threshold_lr", default: 0.01)))
    }

    public var configFields: [String: JSON] { ["k": .int(k), "topk_threshold_lr": .double(Double(thresholdRate))] }
    public var usesAuxK: Bool { true }
    public var usesThreshold: Bool { true }
    public var inferenceArchitecture: any SAEArchitecture { JumpReLUArchitecture() }
    public var description: String { "BatchTopK (k = \(k))" }

    public func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError("BatchTopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
    }
}

/// Architectures that keep the k·batch largest pre-activations over a batch
/// while training and run as JumpReLU with a learned threshold afterwards
/// (BatchTopK and Matryoshka BatchTopK).
protocol BatchTopKFamily: SAEArchitecture {
    var k: Int { get }
    var thresholdRate: Float { get }
}

extension BatchTopKFamily {
    /// Inference is JumpReLU with the learned threshold.
    public func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.aboveThreshold(pre, rows: rows, width: dSAE, threshold: threshold)
    }

    public func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.batchTopK(pre, rows: rows, width: dSAE, total: k * rows)
    }

    /// θ ← (1 − rate)·θ + rate·(smallest value kept in this batch), for every latent.
    public func afterStep(codes: SparseCodes, threshold: inout [Float]) {
        guard let smallest = codes.value.min(), !threshold.isEmpty else { return }
        let next = (1 - thresholdRate) * threshold[0] + thresholdRate * smallest
        for j in threshold.indices { threshold[j] = next }
    }
}
