import LoupeJSON

/// BatchTopK: during training the batch keeps its k·batch largest
/// pre-activations over all tokens together, so busy tokens may use more
/// latents than quiet ones. A running threshold follows the smallest value
/// kept; once trained the SAE runs as JumpReLU with that threshold, which is
/// also how it is saved.
public struct BatchTopKArchitecture: SAEArchitecture {
    public static let architectureName = "batchtopk"
    public var k: Int
    /// Weight of each batch's smallest kept value in the running threshold.
    public var thresholdRate: Float

    public init(k: Int, thresholdRate: Float = 0.01) { self.k = k; self.thresholdRate = thresholdRate }

    public static func fromConfig(_ cfg: JSON) throws -> BatchTopKArchitecture {
        BatchTopKArchitecture(k: try configInt(cfg, "k"),
                              thresholdRate: Float(try configDouble(cfg, "topk_threshold_lr", default: 0.01)))
    }

    public var configFields: [String: JSON] { ["k": .int(k), "topk_threshold_lr": .double(Double(thresholdRate))] }
    public var usesAuxK: Bool { true }
    public var usesThreshold: Bool { true }
    public var inferenceArchitecture: any SAEArchitecture { JumpReLUArchitecture() }
    public var description: String { "BatchTopK (k = \(k))" }

    public func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError("BatchTopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
    }

    /// Inference is JumpReLU with the learned threshold.
    public func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.aboveThreshold(pre, rows: rows, width: dSAE, threshold: threshold)
    }

    public func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.batchTopK(pre, rows: rows, width: dSAE, total: k * rows)
    }

    public func afterStep(codes: SparseCodes, threshold: inout [Float]) {
        updateRunningThreshold(codes: codes, threshold: &threshold, rate: thresholdRate)
    }
}

/// θ ← (1 − rate)·θ + rate·(smallest value kept in this batch), for every latent.
func updateRunningThreshold(codes: SparseCodes, threshold: inout [Float], rate: Float) {
    guard let smallest = codes.value.min(), !threshold.isEmpty else { return }
    let next = (1 - rate) * threshold[0] + rate * smallest
    for j in threshold.indices { threshold[j] = next }
}
