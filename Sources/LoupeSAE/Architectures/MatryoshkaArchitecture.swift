import LoupeJSON

/// Matryoshka BatchTopK: BatchTopK codes, but the loss scores the
/// reconstruction of every nested prefix of latents (the first `widths[0]`,
/// the first `widths[1]`, ..., all of them), so early latents learn general
/// features that work on their own and later groups refine them. Saved, like
/// BatchTopK, as JumpReLU with the running threshold.
package struct MatryoshkaBatchTopKArchitecture: SAEArchitecture, BatchTopKFamily {
    package static let architectureName = "matryoshka_batchtopk"
    package static let aliases = ["matryoshka"]
    package static let kind = ArchitectureKind(
        "matryoshka", labels: ["k", "groups"],
        doc: "BatchTopK whose nested prefixes of latents (groups: their widths) each reconstruct alone",
        example: "matryoshka(k: 32, groups: [512, 2048, 8192])")
    package var k: Int
    /// Cumulative prefix widths, ascending; the last must equal the SAE width.
    package var widths: [Int]
    package var thresholdRate: Float

    package init(k: Int, widths: [Int], thresholdRate: Float = 0.01) {
        self.k = k; self.widths = widths; self.thresholdRate = thresholdRate
    }

    /// Groups given by size (e.g. [128, 384, 3584]) rather than by prefix end.
    package init(k: Int, groupSizes: [Int], thresholdRate: Float = 0.01) {
        var total = 0
        self.init(k: k, widths: groupSizes.map { total += $0; return total }, thresholdRate: thresholdRate)
    }

    /// `groups:` are the prefix widths (where each group ends), as in `matryoshka_widths`.
    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> MatryoshkaBatchTopKArchitecture {
        let widths = try arguments.wholeNumbers("groups", meaning: "the nested widths")
        return MatryoshkaBatchTopKArchitecture(k: try arguments.count("k"), widths: widths)
    }

    package static func fromConfig(_ cfg: JSON) throws -> MatryoshkaBatchTopKArchitecture {
        guard let list = try ConfigFields.integers(cfg, "matryoshka_widths"), !list.isEmpty else {
            throw SAEError.invalidSetting("cfg.json for a Matryoshka SAE needs \"matryoshka_widths\", a list of prefix widths ending at d_sae")
        }
        return MatryoshkaBatchTopKArchitecture(k: try ConfigFields.positiveInt(cfg, "k"), widths: list,
                                               thresholdRate: Float(try ConfigFields.number(cfg, "topk_threshold_lr", default: 0.01)))
    }

    package var configFields: [String: JSON] {
        ["k": .int(k), "matryoshka_widths": .array(widths.map { .int($0) }), "topk_threshold_lr": .double(Double(thresholdRate))]
    }
    package var usesAuxK: Bool { true }
    package var usesThreshold: Bool { true }
    package var inferenceArchitecture: any SAEArchitecture { JumpReLUArchitecture() }
    package var description: String { "Matryoshka BatchTopK (k = \(k), prefixes \(widths))" }

    package func lossGroupEnds(dSAE: Int) -> [Int] { widths }

    package func validate(dIn: Int, dSAE: Int) throws {
        guard k >= 1, k <= dSAE else { throw SAEError.invalidSetting("Matryoshka BatchTopK needs 1 ≤ k ≤ width, got k = \(k) for width \(dSAE)") }
        guard widths.last == dSAE else {
            throw SAEError.invalidSetting("Matryoshka prefix widths \(widths) must end at the SAE width \(dSAE); make the last group end there")
        }
        guard zip(widths, widths.dropFirst()).allSatisfy({ $0 < $1 }), widths[0] > 0 else {
            throw SAEError.invalidSetting("Matryoshka prefix widths \(widths) must be positive and strictly increasing")
        }
    }
}
