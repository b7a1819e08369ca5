import LoupeJSON

/// JumpReLU: z_j = pre_j if pre_j > θ_j, else 0, with a learned per-latent
/// threshold θ (trained in log space) and an L0 penalty. The step has no
/// useful derivative, so θ's gradient uses straight-through estimators with
/// a rectangle kernel of width `bandwidth` around the threshold:
///   ∂z/∂θ ≈ −(θ/ε)·rect((pre−θ)/ε),   ∂H(pre−θ)/∂θ ≈ −(1/ε)·rect((pre−θ)/ε).
package struct JumpReLUArchitecture: SAEArchitecture {
    package static let architectureName = "jumprelu"
    package static let kind = ArchitectureKind(
        "jumpReLU", labels: ["l0", "bandwidth"],
        doc: "a learned threshold per latent with an L0 penalty (l0:, bandwidth: of the straight-through estimator)",
        example: "jumpReLU(l0: 1, bandwidth: 0.05)")
    package var l0Coefficient: Float
    package var bandwidth: Float
    package var initialThreshold: Float

    package init(l0Coefficient: Float = 1, bandwidth: Float = 0.05, initialThreshold: Float = 0.01) {
        self.l0Coefficient = l0Coefficient; self.bandwidth = bandwidth; self.initialThreshold = initialThreshold
    }

    package static func fromArguments(_ arguments: ArchitectureArguments) throws -> JumpReLUArchitecture {
        JumpReLUArchitecture(l0Coefficient: Float(try arguments.number("l0", default: 1)),
                             bandwidth: Float(try arguments.number("bandwidth", default: 0.05)))
    }

    package static func fromConfig(_ cfg: JSON) throws -> JumpReLUArchitecture {
        JumpReLUArchitecture(l0Coefficient: Float(try ConfigFields.number(cfg, "l0_coefficient", default: 1)),
                             bandwidth: Float(try ConfigFields.number(cfg, "jumprelu_bandwidth", default: 0.05)),
                             initialThreshold: Float(try ConfigFields.number(cfg, "jumprelu_init_threshold", default: 0.01)))
    }

    /// SAELens's JumpReLU config holds nothing beyond the threshold tensor.
    package var configFields: [String: JSON] { [:] }
    package var sparsityCoefficient: Float { l0Coefficient }
    package var usesThreshold: Bool { true }
    package var trainsThreshold: Bool { true }
    package var description: String { "JumpReLU (L0 coefficient \(l0Coefficient), bandwidth \(bandwidth))" }

    package func validate(dIn: Int, dSAE: Int) throws {
        guard bandwidth > 0 else { throw SAEError.invalidSetting("JumpReLU needs a positive bandwidth, got \(bandwidth)") }
        guard initialThreshold > 0 else { throw SAEError.invalidSetting("JumpReLU needs a positive initial threshold (it is trained in log space), got \(initialThreshold)") }
    }

    package func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        Selection.aboveThreshold(pre, rows: rows, width: dSAE, threshold: threshold)
    }

    package func penalty(_ c: PenaltyContext) -> Double {
        let eps = bandwidth, half = bandwidth / 2
        let stepGrad = c.coefficient / (eps * Float(c.rows))
        let chunks = partition(c.rows, grain: 16)
        var partials = [[Float]](repeating: [], count: chunks.count)
        partials.withUnsafeMutableBufferPointer { parts in
            let parts = parts.baseAddress!
            forEachChunk(chunks) { ci, range in
                var local = [Float](repeating: 0, count: c.dSAE)
                for r in range {
                    let row = c.pre + r * c.dSAE
                    for j in 0..<c.dSAE {
                        let theta = c.threshold[j]
                        let u = row[j] - theta
                        guard u > -half && u < half else { continue }
                        local[j] += -(theta / eps) * c.reconstructionGradient(r, j) - stepGrad
                    }
                }
                parts[ci] = local
            }
        }
        for p in partials { for j in 0..<c.dSAE { c.dThreshold[j] += p[j] } }
        return Double(c.coefficient) * Double(c.codes.nonZeroCount) / Double(c.rows)
    }
}
