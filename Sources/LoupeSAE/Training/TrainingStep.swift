import LoupeTensor

/// One forward and backward pass of an SAE over a batch.
///
/// The encoder's product is dense (BLAS, all latents); everything after the
/// activation runs only over the latents that fire: the decoder's forward,
/// dL/dz, and the gradients of W_dec, W_enc, b_enc and b_dec. For a TopK SAE
/// with k = 32 of 49,152 latents this is what makes training several times
/// cheaper than dense autograd.
///
/// Loss (per batch of B tokens, decoder rows unit-norm):
///   Σ_g mean_b ‖x_b − x̂_b^(g)‖²   (one group unless Matryoshka)
/// + sparsity penalty of the architecture
/// + AuxK: c·min(dead/k_aux, 1)·mean_b ‖ê_b − (x_b − x̂_b)‖², ê_b = Σ_dead-topk pre W_dec
///   (raw values, no bias, residual held fixed; see AuxK.swift)
package final class SAETrainingStep {
    package let dIn: Int
    package let dSAE: Int
    package let maxRows: Int
    let groupEnds: [Int]
    let groupOf: [Int32]
    let xc: Scratch, pre: Scratch, xhat: Scratch, gsuf: Scratch, gaux: Scratch, rowBias: Scratch
    /// Per-token loss terms, summed in row order for a deterministic total.
    var rowLoss: [Double], rowAux: [Double]
    /// Above this fraction of firing (token, latent) pairs, the decoder and
    /// the backward pass use dense BLAS products instead of per-latent
    /// loops: ReLU and JumpReLU SAEs fire on half their latents early in
    /// training. 0 forces the dense path, anything above 1 the sparse one.
    /// The dense path serves single-reconstruction steps without AuxK.
    package var denseFraction: Double = 0.05
    /// [rows, dSAE] buffers for the dense path, made on first use.
    /// The latents the last run counted as dead (its settings' under
    /// SAELens's rule; those of them silent in the batch under dictionary_learning's).
    package private(set) var lastDead: [Int32] = []
    /// Times each phase when set (the benchmark's profile).
    package var profile: StepProfile?
    lazy var denseCodes = Scratch(maxRows * dSAE)
    lazy var denseGrad = Scratch(maxRows * dSAE)

    package init(dIn: Int, dSAE: Int, maxRows: Int, architecture: any SAEArchitecture) {
        self.dIn = dIn; self.dSAE = dSAE; self.maxRows = maxRows
        groupEnds = architecture.lossGroupEnds(dSAE: dSAE)
        var g = [Int32](repeating: 0, count: dSAE)
        var level = 0
        for j in 0..<dSAE {
            while level < groupEnds.count - 1 && j >= groupEnds[level] { level += 1 }
            g[j] = Int32(level)
        }
        groupOf = g
        xc = Scratch(maxRows * dIn); pre = Scratch(maxRows * dSAE); xhat = Scratch(maxRows * dIn)
        gsuf = Scratch(maxRows * groupEnds.count * dIn); gaux = Scratch(maxRows * dIn); rowBias = Scratch(maxRows * dIn)
        rowLoss = [Double](repeating: 0, count: maxRows); rowAux = [Double](repeating: 0, count: maxRows)
        _ = BLAS.threads  // puts OpenBLAS in single-threaded mode before any level-1 call
    }

    /// Reconstructions of the last batch, [rows, dIn].
    package func reconstruction(rows: Int) -> [Float] { Array(UnsafeBufferPointer(start: xhat.pointer, count: rows * dIn)) }

    /// Runs the step. With `gradients`, they are overwritten with this
    /// batch's gradients; without, only the loss is computed.
    @discardableResult
    package func run(_ sae: SparseAutoencoder, x: UnsafePointer<Float>, rows: Int, settings: StepSettings,
                    gradients: SAEGradients?) -> (losses: StepLosses, codes: SparseCodes) {
        precondition(rows <= maxRows && sae.dIn == dIn && sae.dSAE == dSAE, "step workspace does not fit this batch")
        let d = dIn, n = dSAE, G = groupEnds.count, B = rows
        let arch = sae.architecture
        let profile = self.profile
        profile?.start()
        gradients?.reset()
        return sae.withPointers { P in
            let xc = self.xc.pointer, pre = self.pre.pointer, xhat = self.xhat.pointer
            let gsuf = self.gsuf.pointer, gaux = self.gaux.pointer, rowBias = self.rowBias.pointer

            // Encoder, dense: pre = (x − b_dec) W_encᵀ + b_enc.
            parallelRows(B, grain: 64) { range in
                for r in range { for t in 0..<d { xc[r * d + t] = x[r * d + t] - P.bDec[t] } }
            }
            BLAS.gemm(m: B, n: n, k: d, a: xc, lda: d, b: P.wEnc, ldb: d, transB: true, c: pre, ldc: n)
            parallelRows(B, grain: 16) { range in
                for r in range {
                    let row = pre + r * n
                    for j in 0..<n { row[j] += P.bEnc[j] }
                }
            }
            profile?.charge(.encoder)
            let codes = arch.trainingEncode(pre: pre, rows: B, dSAE: n, threshold: P.threshold)
            profile?.charge(.selection)
            let deadLatents = settings.auxRule == .dictionaryLearning
                ? AuxK.silent(settings.deadLatents, codes: codes, width: n) : settings.deadLatents
            lastDead = deadLatents
            let auxWanted = arch.usesAuxK && !deadLatents.isEmpty && settings.auxCoefficient > 0 && settings.auxK > 0
            let dense = G == 1 && !auxWanted && Double(codes.nonZeroCount) >= denseFraction * Double(B * n)
            let Z = dense ? self.denseCodes.pointer : pre, dZ = dense ? self.denseGrad.pointer : pre
            if dense {
                // x̂ − b_dec = Z W_dec with Z the dense codes.
                Z.update(repeating: 0, count: B * n)
                for r in 0..<B { for e in codes.rowStart[r]..<codes.rowStart[r + 1] { Z[r * n + Int(codes.index[e])] = codes.value[e] } }
                BLAS.gemm(m: B, n: d, k: n, a: Z, lda: n, b: P.wDec, ldb: d, c: xhat, ldc: d)
            }

            // Decoder, sparse, one nested reconstruction per group; gsuf[b][g]
            // ends up holding Σ_{g' ≥ g} dLoss/dx̂^(g'), what a latent of group g feels.
            let scale = 2 / Float(B), groupWeight = settings.groupLossWeight
            rowLoss.withUnsafeMutableBufferPointer { rl in
                let rl = rl.baseAddress!
                parallelRows(B, grain: 16) { range in
                    for r in range {
                        let acc = xhat + r * d
                        if dense { for t in 0..<d { acc[t] += P.bDec[t] } } else { for t in 0..<d { acc[t] = P.bDec[t] } }
                        var e = dense ? codes.rowStart[r + 1] : codes.rowStart[r], loss = 0.0
                        let end = codes.rowStart[r + 1]
                        for g in 0..<G {
                            while e < end && Int(codes.index[e]) < self.groupEnds[g] {
                                axpy(d, codes.value[e], P.wDec + Int(codes.index[e]) * d, acc)
                                e += 1
                            }
                            let gr = gsuf + (r * G + g) * d
                            for t in 0..<d {
                                let diff = acc[t] - x[r * d + t]
                                loss += Double(diff * diff)
                                gr[t] = groupWeight * scale * diff
                            }
                        }
                        for g in stride(from: G - 2, through: 0, by: -1) {
                            let gr = gsuf + (r * G + g) * d, next = gsuf + (r * G + g + 1) * d
                            for t in 0..<d { gr[t] += next[t] }
                        }
                        rl[r] = loss
                    }
                }
            }
            var reconstruction = 0.0
            for r in 0..<B { reconstruction += rowLoss[r] }
            reconstruction *= Double(groupWeight) / Double(B)
            var full = 0.0
            if G == 1 && groupWeight == 1 { full = reconstruction } else {
                for r in 0..<B { for t in 0..<d { let diff = Double(xhat[r * d + t] - x[r * d + t]); full += diff * diff } }
                full /= Double(B)
            }

            profile?.charge(.decoder)
            // dLoss/dz of each firing latent through the reconstruction.
            let groupOf = self.groupOf
            if dense {
                // dL/dZ = (dL/dx̂) W_decᵀ for every (token, latent).
                BLAS.gemm(m: B, n: n, k: d, a: gsuf, lda: d, b: P.wDec, ldb: d, transB: true, c: dZ, ldc: n)
            }
            let reconGrad: (Int, Int) -> Float = dense ? { r, j in dZ[r * n + j] } : { r, j in
                dot(d, gsuf + (r * G + Int(groupOf[j])) * d, P.wDec + j * d)
            }
            var dValue = [Float](repeating: 0, count: codes.nonZeroCount)
            dValue.withUnsafeMutableBufferPointer { dv in
                let dv = dv.baseAddress!
                parallelRows(B, grain: 16) { range in
                    for r in range {
                        for e in codes.rowStart[r]..<codes.rowStart[r + 1] { dv[e] = reconGrad(r, Int(codes.index[e])) }
                    }
                }
            }

            // Sparsity penalty (adds to dValue and to the threshold's gradient).
            var thresholdGrad = [Float](repeating: 0, count: n)
            let sparsity = dValue.withUnsafeMutableBufferPointer { dv in
                thresholdGrad.withUnsafeMutableBufferPointer { tg in
                    arch.penalty(PenaltyContext(pre: pre, rows: B, dSAE: n, codes: codes, coefficient: settings.sparsityCoefficient,
                                                threshold: P.threshold, dValue: dv.baseAddress!, dThreshold: tg.baseAddress!,
                                                reconstructionGradient: reconGrad))
                }
            }

            profile?.charge(.codeGradients)
            // AuxK: the best dead latents try to explain what the live ones missed.
            var auxiliary = 0.0
            var auxCodes = SparseCodes(rows: B, width: n, rowStart: [Int](repeating: 0, count: B + 1), index: [], value: [])
            var auxDValue: [Float] = []
            if auxWanted {
                let weight: Float
                switch settings.auxRule {
                case .saeLens:
                    weight = AuxK.weight(coefficient: settings.auxCoefficient, deadCount: deadLatents.count, kAux: settings.auxK)
                case .dictionaryLearning:
                    weight = AuxK.normalisedWeight(alpha: settings.auxCoefficient,
                                                   residualVariance: AuxK.residualVariance(x: x, xhat: xhat, rows: B, width: d))
                }
                auxCodes = AuxK.select(pre, rows: B, width: n, k: settings.auxK, dead: deadLatents,
                                       positiveOnly: settings.auxRule == .dictionaryLearning)
                let ac = auxCodes
                let fixedTarget = settings.auxTarget
                precondition(fixedTarget == nil || fixedTarget!.count == B * d, "AuxK target must be [rows, dIn]")
                rowAux.withUnsafeMutableBufferPointer { ra in
                    let ra = ra.baseAddress!
                    parallelRows(B, grain: 16) { range in
                        for r in range {
                            let g = gaux + r * d
                            for t in 0..<d { g[t] = 0 }
                            for e in ac.rowStart[r]..<ac.rowStart[r + 1] { axpy(d, ac.value[e], P.wDec + Int(ac.index[e]) * d, g) }
                            var loss = 0.0
                            for t in 0..<d {
                                let target = fixedTarget?[r * d + t] ?? (x[r * d + t] - xhat[r * d + t])
                                let diff = g[t] - target
                                loss += Double(diff * diff)
                                g[t] = weight * scale * diff
                            }
                            ra[r] = loss
                        }
                    }
                }
                for r in 0..<B { auxiliary += rowAux[r] }
                auxiliary *= Double(weight) / Double(B)
                auxDValue = [Float](repeating: 0, count: ac.nonZeroCount)
                auxDValue.withUnsafeMutableBufferPointer { adv in
                    let adv = adv.baseAddress!
                    parallelRows(B, grain: 16) { range in
                        for r in range {
                            for e in ac.rowStart[r]..<ac.rowStart[r + 1] { adv[e] = dot(d, gaux + r * d, P.wDec + Int(ac.index[e]) * d) }
                        }
                    }
                }
            }

            let losses = StepLosses(reconstruction: reconstruction, fullReconstruction: full, sparsity: sparsity,
                                    auxiliary: auxiliary, l0: codes.meanL0)
            profile?.charge(.auxK)
            defer { profile?.charge(.weightGradients) }
            guard let gradients else { return (losses, codes) }
            if dense {
                denseBackward(P: P, gradients: gradients, codes: codes, dValue: dValue, thresholdGrad: thresholdGrad, rows: B)
                return (losses, codes)
            }

            // Group entries by latent (in row order, so sums are deterministic),
            // then each latent's gradient rows are built by one thread.
            var counts = [Int](repeating: 0, count: n + 1)
            for j in codes.index { counts[Int(j) + 1] += 1 }
            for j in auxCodes.index { counts[Int(j) + 1] += 1 }
            for j in 0..<n { counts[j + 1] += counts[j] }
            let total = counts[n]
            var fill = counts
            var entryRow = [Int32](repeating: 0, count: total)
            var entryValue = [Float](repeating: 0, count: total)
            var entryDPre = [Float](repeating: 0, count: total)
            var entryAux = [Bool](repeating: false, count: total)
            for r in 0..<B {
                for e in codes.rowStart[r]..<codes.rowStart[r + 1] {
                    let j = Int(codes.index[e]), p = fill[j]; fill[j] += 1
                    entryRow[p] = Int32(r); entryValue[p] = codes.value[e]; entryDPre[p] = dValue[e]
                }
                for e in auxCodes.rowStart[r]..<auxCodes.rowStart[r + 1] {
                    let j = Int(auxCodes.index[e]), p = fill[j]; fill[j] += 1
                    entryRow[p] = Int32(r); entryValue[p] = auxCodes.value[e]; entryDPre[p] = auxDValue[e]; entryAux[p] = true
                }
            }
            var touched: [Int32] = []
            for j in 0..<n where counts[j + 1] > counts[j] { touched.append(Int32(j)) }
            gradients.touchedList = touched
            for j in touched { gradients.touched[Int(j)] = true }
            for j in 0..<n { gradients.threshold[j] = thresholdGrad[j] }

            gradients.withPointers { D in
                // Every firing latent's value equals its pre-activation, and AuxK
                // takes raw pre-activations, so dL/dpre = dL/dz for every entry.
                parallelRows(touched.count, grain: 16) { range in
                    for ti in range {
                        let j = Int(touched[ti])
                        let gDec = D.wDec + j * d, gEnc = D.wEnc + j * d
                        var bias: Float = 0
                        for p in counts[j]..<counts[j + 1] {
                            let r = Int(entryRow[p])
                            let upstream = entryAux[p] ? gaux + r * d : gsuf + (r * G + Int(groupOf[j])) * d
                            axpy(d, entryValue[p], upstream, gDec)
                            axpy(d, entryDPre[p], xc + r * d, gEnc)
                            bias += entryDPre[p]
                        }
                        D.bEnc[j] = bias
                    }
                }
                // b_dec: through every reconstruction, and through x − b_dec in the encoder.
                parallelRows(B, grain: 16) { range in
                    for r in range {
                        let dst = rowBias + r * d
                        let src = gsuf + r * G * d
                        for t in 0..<d { dst[t] = src[t] }
                        for e in codes.rowStart[r]..<codes.rowStart[r + 1] { axpy(d, -dValue[e], P.wEnc + Int(codes.index[e]) * d, dst) }
                        for e in auxCodes.rowStart[r]..<auxCodes.rowStart[r + 1] {
                            axpy(d, -auxDValue[e], P.wEnc + Int(auxCodes.index[e]) * d, dst)
                        }
                    }
                }
                parallelRows(d, grain: 32) { cols in
                    for t in cols {
                        var s: Float = 0
                        for r in 0..<B { s += rowBias[r * d + t] }
                        D.bDec[t] = s
                    }
                }
            }
            return (losses, codes)
        }
    }

    /// Backward with dense products (see `denseFraction`): dW_dec = Zᵀ G,
    /// dW_enc = dPreᵀ (x − b_dec), and b_dec's encoder term dPre W_enc.
    private func denseBackward(P: ParameterPointers, gradients: SAEGradients, codes: SparseCodes, dValue: [Float],
                               thresholdGrad: [Float], rows B: Int) {
        let d = dIn, n = dSAE
        let Z = denseCodes.pointer, dPre = denseGrad.pointer
        let gsuf = self.gsuf.pointer, xc = self.xc.pointer, rowBias = self.rowBias.pointer
        var touched = [Bool](repeating: false, count: n)
        for j in codes.index { touched[Int(j)] = true }
        gradients.touchedList = (0..<n).filter { touched[$0] }.map { Int32($0) }
        for j in gradients.touchedList { gradients.touched[Int(j)] = true }
        for j in 0..<n { gradients.threshold[j] = thresholdGrad[j] }
        gradients.withPointers { D in
            BLAS.gemm(m: n, n: d, k: B, a: Z, lda: n, transA: true, b: gsuf, ldb: d, c: D.wDec, ldc: d)
            // Firing latents pass their gradient straight through (z = pre).
            dPre.update(repeating: 0, count: B * n)
            for r in 0..<B { for e in codes.rowStart[r]..<codes.rowStart[r + 1] { dPre[r * n + Int(codes.index[e])] = dValue[e] } }
            BLAS.gemm(m: n, n: d, k: B, a: dPre, lda: n, transA: true, b: xc, ldb: d, c: D.wEnc, ldc: d)
            for j in 0..<n { D.bEnc[j] = 0 }
            for e in 0..<codes.index.count { D.bEnc[Int(codes.index[e])] += dValue[e] }
            BLAS.gemm(m: B, n: d, k: n, a: dPre, lda: n, b: P.wEnc, ldb: d, c: rowBias, ldc: d)
            parallelRows(d, grain: 32) { cols in
                for t in cols {
                    var s: Float = 0
                    for r in 0..<B { s += gsuf[r * d + t] - rowBias[r * d + t] }
                    D.bDec[t] = s
                }
            }
        }
    }
}
