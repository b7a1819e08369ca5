/// The AuxK auxiliary loss of Gao et al. 2024 (appendix A.2, B.1), in the
/// two readings Loupe trains with.
///
/// SAELens's TopK training SAE (`calculate_topk_aux_loss`, shared by
/// BatchTopK and Matryoshka), without the variance normalisation:
///
///   residual e = x − x̂              (held constant: no gradient flows into x̂)
///   k_aux      = ⌊d_in / 2⌋, then min(k_aux, dead)
///   per token, the k_aux largest pre-activations among dead latents, with
///   their raw values (no ReLU: negative ones are kept and reconstruct too)
///   ê          = Σ value · W_dec[j]  (no b_dec: it is already in e)
///   loss       = coefficient · min(dead / ⌊d_in / 2⌋, 1) · mean_token ‖ê − e‖²
///
/// dictionary_learning's BatchTopK and Matryoshka trainers
/// (`get_auxiliary_loss`): the same k_aux and ê, but over activations after
/// the ReLU (a dead latent below zero is picked as 0 and adds nothing), a
/// latent that fired in this batch is not dead, and the loss is divided by
/// the residual's spread across the batch, OpenAI's normalisation:
///
///   loss       = α · mean_token ‖ê − e‖² / mean_token ‖e − ē‖²   (0 when the spread is 0)
///
/// Which latents are dead is `DeadLatentCounter`'s business.
enum AuxK {
    /// dictionary_learning's weight α / mean_b ‖e_b − ē‖², with the
    /// denominator a constant of the batch (e is detached there too); 0
    /// when every residual is the same, as its nan_to_num(0) makes it.
    static func normalisedWeight(alpha: Float, residualVariance: Double) -> Float {
        residualVariance > 0 && residualVariance.isFinite ? Float(Double(alpha) / residualVariance) : 0
    }

    /// mean_b ‖e_b − ē‖² for e = x − x̂ over `rows` tokens, in double.
    static func residualVariance(x: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rows: Int, width d: Int) -> Double {
        guard rows > 0 else { return 0 }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<rows { for t in 0..<d { mean[t] += Double(x[r * d + t] - xhat[r * d + t]) } }
        for t in 0..<d { mean[t] /= Double(rows) }
        var total = 0.0
        for r in 0..<rows {
            for t in 0..<d { let c = Double(x[r * d + t] - xhat[r * d + t]) - mean[t]; total += c * c }
        }
        return total / Double(rows)
    }

    /// The `candidates` that did not fire in `codes`: dictionary_learning
    /// counts a batch's firing before it asks which latents are dead.
    static func silent(_ candidates: [Int32], codes: SparseCodes, width: Int) -> [Int32] {
        guard !candidates.isEmpty else { return [] }
        var fired = [Bool](repeating: false, count: width)
        for j in codes.index { fired[Int(j)] = true }
        return candidates.filter { !fired[Int($0)] }
    }

    /// k_aux when not set: SAELens's `d_in // 2` (at least 1, so a
    /// one-dimensional input still has a loss).
    static func defaultK(dIn: Int) -> Int { max(dIn / 2, 1) }

    /// coefficient · min(dead / k_aux, 1), with k_aux before it is capped at
    /// the number of dead latents: few dead latents weigh less.
    static func weight(coefficient: Float, deadCount: Int, kAux: Int) -> Float {
        coefficient * min(Float(deadCount) / Float(kAux), 1)
    }

    /// Per row, the `k` largest pre-activations among the `dead` latents
    /// (k ≤ dead.count), with their values as they are, of any sign. Unlike
    /// other `SparseCodes`, these may hold zero and negative values.
    /// With `positiveOnly` (dictionary_learning's reading, over ReLU'd
    /// activations) entries at or below zero are dropped: after the ReLU
    /// they are 0, reconstruct nothing and pass no gradient.
    static func select(_ pre: UnsafePointer<Float>, rows: Int, width: Int, k: Int, dead: [Int32],
                       positiveOnly: Bool = false) -> SparseCodes {
        let k = min(k, dead.count)
        var counts = [Int](repeating: 0, count: rows)
        var idx = [Int32](repeating: 0, count: rows * max(k, 1))
        var val = [Float](repeating: 0, count: rows * max(k, 1))
        if k > 0 {
            dead.withUnsafeBufferPointer { dead in
                counts.withUnsafeMutableBufferPointer { counts in
                    idx.withUnsafeMutableBufferPointer { idx in
                        val.withUnsafeMutableBufferPointer { val in
                            let counts = counts.baseAddress!, idx = idx.baseAddress!, val = val.baseAddress!
                            parallelRows(rows, grain: 8) { range in
                                var gathered = [Float](repeating: 0, count: dead.count)
                                var local = [Int32](repeating: 0, count: k)
                                for r in range {
                                    let row = pre + r * width
                                    for (i, j) in dead.enumerated() { gathered[i] = row[Int(j)] }
                                    // Every finite value competes, as torch.topk over the
                                    // dead latents (the living ones masked to −∞).
                                    let n = gathered.withUnsafeBufferPointer {
                                        Selection.topKRow($0.baseAddress!, width: dead.count, k: k, idx: &local,
                                                          val: val + r * k, above: -.infinity)
                                    }
                                    var kept = 0
                                    for e in 0..<n where !positiveOnly || val[r * k + e] > 0 {
                                        idx[r * k + kept] = dead[Int(local[e])]
                                        val[r * k + kept] = val[r * k + e]
                                        kept += 1
                                    }
                                    counts[r] = kept
                                }
                            }
                        }
                    }
                }
            }
        }
        return Selection.compact(rows: rows, width: width, stride: max(k, 1), counts: counts, idx: idx, val: val)
    }
}
