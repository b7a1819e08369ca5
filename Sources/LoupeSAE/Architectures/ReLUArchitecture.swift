import LoupeJSON

/// ReLU with an L1 penalty (SAELens's "standard" SAE): z = ReLU(pre), and
/// the loss adds l1 · Σ_j z_j per token. Decoder rows are kept at unit norm,
/// so the decoder-norm weighting of the penalty is exactly one.
package struct ReLUArchitecture: SAEArchitecture {
    package static let architectureName = "standard"
    package static let aliases = ["relu"]
    package static let kind = ArchitectureKind(
        "relu", labels: ["l1"], doc: "vanilla ReLU SAE with an L1 penalty on the latents (l1: its coefficient, default 5)",
        example: "relu(l1: 5)")
    /// The coefficient it was trained with; nil for an SAE loaded from a
    /// file that does not record it (an inference cfg.json, a checkpoint),
    /// which is then not invented: its summary says it is not recorded.
    package var l1Coefficient: Float?
    /// Used when training goes on from an SAE whose coefficient is not recorded.
    package static let defaultL1 = 5.0

    package init(l1Coefficient: Float? = Float(defaultL1)) { self.l1Coefficient = l1Coefficient }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> ReLUArchitecture {
        ReLUArchitecture(l1Coefficient: Float(try arguments.number("l1", default: defaultL1)))
    }

    package static func fromConfig(_ cfg: JSON) throws -> ReLUArchitecture {
        ReLUArchitecture(l1Coefficient: try ConfigFields.optionalNumber(cfg, "l1_coefficient").map(Float.init))
    }

    package var configFields: [String: JSON] { l1Coefficient.map { ["l1_coefficient": .double(Double($0))] } ?? [:] }
    package var sparsityCoefficient: Float { l1Coefficient ?? Float(Self.defaultL1) }
    package var description: String { "ReLU + L1 (coefficient \(l1Coefficient.map { "\($0)" } ?? "not recorded"))" }

    package func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.positive(pre, rows: rows, width: dSAE)
    }

    package func penalty(_ c: PenaltyContext) -> Double {
        // d/dz of coefficient · mean_token Σ z is coefficient / rows for each firing latent.
        let g = c.coefficient / Float(c.rows)
        var sum = 0.0
        for e in 0..<c.codes.value.count {
            sum += Double(c.codes.value[e])
            c.dValue[e] += g
        }
        return Double(c.coefficient) * sum / Double(c.rows)
    }
}
