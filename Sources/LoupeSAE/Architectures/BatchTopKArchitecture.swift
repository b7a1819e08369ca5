import LoupeJSON

/// BatchTopK: during training the batch keeps its k·batch largest
/// pre-activations over all tokens together, so busy tokens may use more
/// latents than quiet ones. A running threshold follows the smallest value
/// kept; once trained the SAE runs as JumpReLU with that threshold, which is
/// also how it is saved.
package struct BatchTopKArchitecture: SAEArchitecture, BatchTopKFamily {
    package static let architectureName = "batchtopk"
    package static let aliases = ["batch_topk"]
    package static let kind = ArchitectureKind(
        "batchTopK", labels: ["k"], doc: "keeps the k × batch largest latents over the whole batch, a threshold at inference",
        example: "batchTopK(k: 32)")
    package var k: Int
    /// Weight of each batch's smallest kept value in the running threshold.
    package var thresholdRate: Float

    package init(k: Int, thresholdRate: Float = 0.01) { self.k = k; self.thresholdRate = thresholdRate }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> BatchTopKArchitecture {
        BatchTopKArchitecture(k: try arguments.count("k"))
    }

    package static func fromConfig(_ cfg: JSON) throws -> BatchTopKArchitecture {
        BatchTopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"),
                              thresholdRate: Float(try ConfigFields.number(cfg, "topk_threshold_lr", default: 0.01)))
    }

    package var configFields: [String: JSON] { ["k": .int(k), "topk_threshold_lr": .double(Double(thresholdRate))] }
    package var usesAuxK: Bool { true }
    package var usesThreshold: Bool { true }
    package var inferenceArchitecture: any SAEArchitecture { JumpReLUArchitecture() }
    package var description: String { "BatchTopK (k = \(k))" }

    package func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError.invalidSetting("BatchTopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
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
    package func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.aboveThreshold(pre, rows: rows, width: dSAE, threshold: threshold)
    }

    package func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.batchTopK(pre, rows: rows, width: dSAE, total: k * rows)
    }

    /// θ ← (1 − rate)·θ + rate·(smallest value kept in this batch), for every latent.
    package func afterStep(codes: SparseCodes, threshold: inout [Float]) {
        guard let smallest = codes.value.min(), !threshold.isEmpty else { return }
        let next = (1 - thresholdRate) * threshold[0] + thresholdRate * smallest
        for j in threshold.indices { threshold[j] = next }
    }
}
