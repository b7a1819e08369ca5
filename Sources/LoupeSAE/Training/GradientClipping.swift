/// Clipping of the gradient's global norm, as torch.nn.utils.clip_grad_norm_
/// does it in SAELens's trainer (and dictionary_learning's and ViT-Prisma's):
/// one L2 norm over every trained parameter's gradient together, and, when
/// it is too large, every gradient scaled by max_norm / (norm + 1e-6).
extension SAEGradients {
    /// The epsilon clip_grad_norm_ adds to the norm before dividing.
    package static let clipEpsilon = 1e-6

    /// The L2 norm over every parameter's gradient. `trainedThreshold` is the
    /// SAE's threshold when the run trains it (JumpReLU): the parameter Adam
    /// moves is log θ, whose gradient is θ·dL/dθ, and that is what counts;
    /// nil when the threshold is no trained parameter.
    package func globalNorm(trainedThreshold: [Float]? = nil) -> Double {
        let d = dIn
        let rows = touchedList
        // Per-chunk partial sums, added in chunk order: the same every run.
        let chunks = partition(rows.count, grain: 64)
        var partial = [Double](repeating: 0, count: chunks.count)
        partial.withUnsafeMutableBufferPointer { partial in
            let partial = partial.baseAddress!
            withPointers { D in
                forEachChunk(chunks) { c, range in
                    var s = 0.0
                    for i in range {
                        let o = Int(rows[i]) * d
                        s += Double(dot(d, D.wEnc + o, D.wEnc + o)) + Double(dot(d, D.wDec + o, D.wDec + o))
                    }
                    partial[c] = s
                }
            }
        }
        var s = partial.reduce(0, +)
        for v in bEnc { s += Double(v) * Double(v) }
        for v in bDec { s += Double(v) * Double(v) }
        if let theta = trainedThreshold {
            for j in threshold.indices { let g = Double(theta[j]) * Double(threshold[j]); s += g * g }
        }
        return s.squareRoot()
    }

    /// Scales every gradient by min(1, maxNorm / (norm + 1e-6)), as
    /// clip_grad_norm_ does, and returns the norm before clipping.
    @discardableResult
    package func clipGlobalNorm(_ maxNorm: Double, trainedThreshold: [Float]? = nil) -> Double {
        let total = globalNorm(trainedThreshold: trainedThreshold)
        let coefficient = maxNorm / (total + Self.clipEpsilon)
        guard coefficient < 1 else { return total }
        scale(by: Float(coefficient))
        return total
    }

    /// Multiplies every gradient by `factor`.
    func scale(by factor: Float) {
        let d = dIn
        let rows = touchedList
        withPointers { D in
            parallelRows(rows.count, grain: 64) { range in
                for i in range {
                    let o = Int(rows[i]) * d
                    for t in 0..<d { D.wEnc[o + t] *= factor; D.wDec[o + t] *= factor }
                }
            }
        }
        for j in bEnc.indices { bEnc[j] *= factor; threshold[j] *= factor }
        for t in bDec.indices { bDec[t] *= factor }
    }

    /// Removes from each decoder row's gradient its part along the row
    /// (rows unit-norm, as dictionary_learning's
    /// `remove_gradient_parallel_to_decoder_directions` does before clipping).
    func removeDecoderParallel(_ sae: SparseAutoencoder) {
        let d = dIn, rows = touchedList
        sae.withPointers { P in
            withPointers { D in
                parallelRows(rows.count, grain: 64) { range in
                    for i in range {
                        let o = Int(rows[i]) * d
                        let norm = dot(d, P.wDec + o, P.wDec + o).squareRoot() + 1e-6
                        let along = dot(d, D.wDec + o, P.wDec + o) / (norm * norm)
                        axpy(d, -along, P.wDec + o, D.wDec + o)
                    }
                }
            }
        }
    }
}
