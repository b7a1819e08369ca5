import Foundation

/// How an SAE normalises each token before encoding and maps its output back,
/// as SAELens's and ViT-Prisma's `normalize_activations` do at run time. The
/// SAE's weights live in the normalised space, so leaving it out would feed
/// them activations of the wrong scale; Loupe applies it exactly instead:
///
/// - `layer_norm`: x' = (x − μ) / (σ + ε) with μ the token's mean and σ the
///   unbiased (n − 1) standard deviation of x − μ; the output y returns as
///   y·σ + μ (no ε there).
/// - `constant_norm_rescale`: x' = x·c with c = √d / ‖x‖; y returns as y / c.
///
/// Either way a token's output is an affine map y·scale + shift of the SAE's
/// own output, so a latent edited by δ moves the stream by δ·scale·W_dec[f].
package enum InputNormalization: Sendable, Equatable {
    case none
    case layerNorm(epsilon: Float)
    case constantNormRescale

    /// The names SAELens and ViT-Prisma write; nil for one Loupe cannot apply.
    package init?(configValue: String?) {
        switch configValue {
        case nil, "none": self = .none
        case "layer_norm": self = .layerNorm(epsilon: 1e-5)
        case "constant_norm_rescale": self = .constantNormRescale
        default: return nil
        }
    }

    package var configValue: String {
        switch self {
        case .none: "none"
        case .layerNorm: "layer_norm"
        case .constantNormRescale: "constant_norm_rescale"
        }
    }

    /// Writes the normalised rows of `x` into `out` and returns each row's
    /// (scale, shift) back to the input's space.
    func normalize(_ x: UnsafePointer<Float>, rows: Int, width d: Int, into out: UnsafeMutablePointer<Float>) -> (scale: [Float], shift: [Float]) {
        var scale = [Float](repeating: 1, count: rows), shift = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = x + r * d, dst = out + r * d
            switch self {
            case .none:
                dst.update(from: row, count: d)
            case .layerNorm(let epsilon):
                var mean = 0.0
                for t in 0..<d { mean += Double(row[t]) }
                mean /= Double(d)
                var squares = 0.0
                for t in 0..<d { let c = Double(row[t]) - mean; squares += c * c }
                let std = d > 1 ? (squares / Double(d - 1)).squareRoot() : 0
                let inverse = 1 / (std + Double(epsilon))
                for t in 0..<d { dst[t] = Float((Double(row[t]) - mean) * inverse) }
                scale[r] = Float(std); shift[r] = Float(mean)
            case .constantNormRescale:
                var squares = 0.0
                for t in 0..<d { squares += Double(row[t]) * Double(row[t]) }
                let norm = squares.squareRoot()
                let c = norm > 0 ? Double(d).squareRoot() / norm : 1
                for t in 0..<d { dst[t] = Float(Double(row[t]) * c) }
                scale[r] = Float(1 / c)
            }
        }
        return (scale, shift)
    }

    /// Each row's scale back to the input's space (1 without normalisation).
    package func outputScales(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> [Float] {
        if self == .none { return [Float](repeating: 1, count: rows) }
        var scratch = [Float](repeating: 0, count: rows * width)
        return scratch.withUnsafeMutableBufferPointer { normalize(x, rows: rows, width: width, into: $0.baseAddress!).scale }
    }
}
