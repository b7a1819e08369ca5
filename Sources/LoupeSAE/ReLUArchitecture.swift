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
    package var l1Coefficient: Float

    package init(l1Coefficient: Float = 5) { self.l1Coefficient = l1Coefficient }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> ReLUArchitecture {
        ReLUArchitecture(l1Coefficient: Float(try arguments.number("l1", default: 5)))
    }

    package static func fromConfig(_ cfg: JSON) throws -> ReLUArchitecture {
        ReLUArchitecture(l1Coefficient: Float(try ConfigFields.number(cfg, "l1_coefficient", default: 5)))
    }

    package var configFields: [String: JSON] { ["l1_coefficient": .double(Double(l1Coefficient))] }
    package var sparsityCoefficient: Float { l1Coefficient }
    package var description: String { "ReLU + L1 (coefficient \(l1Coefficient))" }

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
