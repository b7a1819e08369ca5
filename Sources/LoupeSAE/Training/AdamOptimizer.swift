import Foundation

/// Adam (β1, β2, ε as in Kingma & Ba, with bias correction) over all SAE
/// parameters, fused with the decoder constraint: before the update the
/// gradient of each decoder row loses its component along the row, and after
/// it the row is scaled back to unit norm. A JumpReLU threshold is trained
/// as log θ (so it stays positive): its gradient is θ·dL/dθ.
package final class AdamOptimizer {
    package var beta1: Float = 0.9
    package var beta2: Float = 0.999
    package var epsilon: Float = 1e-8
    /// Number of updates made so far (for bias correction and checkpoints).
    package var step: Int = 0
    package let dIn: Int, dSAE: Int
    var mWEnc, vWEnc, mWDec, vWDec: [Float]
    var mBEnc, vBEnc, mBDec, vBDec, mTheta, vTheta: [Float]

    package init(dIn: Int, dSAE: Int) {
        self.dIn = dIn; self.dSAE = dSAE
        let big = [Float](repeating: 0, count: dIn * dSAE)
        mWEnc = big; vWEnc = big; mWDec = big; vWDec = big
        mBEnc = [Float](repeating: 0, count: dSAE); vBEnc = mBEnc; mTheta = mBEnc; vTheta = mBEnc
        mBDec = [Float](repeating: 0, count: dIn); vBDec = mBDec
    }

    /// Moment arrays by name, for checkpoints.
    var state: [(String, [Float])] {
        [("m.W_enc", mWEnc), ("v.W_enc", vWEnc), ("m.W_dec", mWDec), ("v.W_dec", vWDec),
         ("m.b_enc", mBEnc), ("v.b_enc", vBEnc), ("m.b_dec", mBDec), ("v.b_dec", vBDec),
         ("m.threshold", mTheta), ("v.threshold", vTheta)]
    }

    func restore(_ get: (String, Int) throws -> [Float]) throws {
        let big = dIn * dSAE
        mWEnc = try get("m.W_enc", big); vWEnc = try get("v.W_enc", big)
        mWDec = try get("m.W_dec", big); vWDec = try get("v.W_dec", big)
        mBEnc = try get("m.b_enc", dSAE); vBEnc = try get("v.b_enc", dSAE)
        mBDec = try get("m.b_dec", dIn); vBDec = try get("v.b_dec", dIn)
        mTheta = try get("m.threshold", dSAE); vTheta = try get("v.threshold", dSAE)
    }

    /// One update with learning rate `lr`. `normalizeDecoder` applies the
    /// unit-norm constraint; `trainThreshold` updates log θ.
    package func update(_ sae: SparseAutoencoder, gradients g: SAEGradients, lr: Float,
                       normalizeDecoder: Bool = true, trainThreshold: Bool = false) {
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, d = dIn
        // Bias corrections folded into the step size, computed in double.
        let c1 = 1 - pow(Double(b1), Double(step)), c2 = 1 - pow(Double(b2), Double(step))
        let stepSize = Float(Double(lr) * c2.squareRoot() / c1)
        let epsHat = Float(Double(eps) * c2.squareRoot())

        @inline(__always) func adam(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                                    _ v: UnsafeMutablePointer<Float>, _ grad: UnsafePointer<Float>?, _ count: Int) {
            if let grad {
                for i in 0..<count {
                    let gi = grad[i]
                    let mi = b1 * m[i] + (1 - b1) * gi, vi = b2 * v[i] + (1 - b2) * gi * gi
                    m[i] = mi; v[i] = vi
                    p[i] -= stepSize * mi / (vi.squareRoot() + epsHat)
                }
            } else {
                for i in 0..<count {
                    let mi = b1 * m[i], vi = b2 * v[i]
                    m[i] = mi; v[i] = vi
                    p[i] -= stepSize * mi / (vi.squareRoot() + epsHat)
                }
            }
        }

        sae.withPointers { P in
            g.withPointers { D in
                mWEnc.withUnsafeMutableBufferPointer { mWE in vWEnc.withUnsafeMutableBufferPointer { vWE in
                mWDec.withUnsafeMutableBufferPointer { mWD in vWDec.withUnsafeMutableBufferPointer { vWD in
                g.touched.withUnsafeBufferPointer { touched in
                    let mWE = mWE.baseAddress!, vWE = vWE.baseAddress!, mWD = mWD.baseAddress!, vWD = vWD.baseAddress!
                    parallelRows(dSAE, grain: 64) { range in
                        for j in range {
                            let o = j * d
                            let active = touched[j]
                            adam(P.wEnc + o, mWE + o, vWE + o, active ? UnsafePointer(D.wEnc + o) : nil, d)
                            if active && normalizeDecoder {
                                // Remove the part of the gradient that would only change the row's length.
                                let along = dot(d, D.wDec + o, P.wDec + o)
                                axpy(d, -along, P.wDec + o, D.wDec + o)
                            }
                            adam(P.wDec + o, mWD + o, vWD + o, active ? UnsafePointer(D.wDec + o) : nil, d)
                            if normalizeDecoder {
                                let norm = dot(d, P.wDec + o, P.wDec + o).squareRoot()
                                if norm > 0 { let s = 1 / norm; for t in 0..<d { P.wDec[o + t] *= s } }
                            }
                        }
                    }
                }
                }}}}
                mBEnc.withUnsafeMutableBufferPointer { m in vBEnc.withUnsafeMutableBufferPointer { v in
                    adam(P.bEnc, m.baseAddress!, v.baseAddress!, D.bEnc, dSAE)
                }}
                mBDec.withUnsafeMutableBufferPointer { m in vBDec.withUnsafeMutableBufferPointer { v in
                    adam(P.bDec, m.baseAddress!, v.baseAddress!, D.bDec, dIn)
                }}
                if trainThreshold {
                    var logTheta = (0..<dSAE).map { Float(log(Double(P.threshold[$0]))) }
                    let gradLog = (0..<dSAE).map { P.threshold[$0] * D.threshold[$0] }
                    mTheta.withUnsafeMutableBufferPointer { m in vTheta.withUnsafeMutableBufferPointer { v in
                        logTheta.withUnsafeMutableBufferPointer { lt in gradLog.withUnsafeBufferPointer { gl in
                            adam(lt.baseAddress!, m.baseAddress!, v.baseAddress!, gl.baseAddress!, dSAE)
                        }}
                    }}
                    for j in 0..<dSAE { P.threshold[j] = Float(exp(Double(logTheta[j]))) }
                }
            }
        }
    }
}
