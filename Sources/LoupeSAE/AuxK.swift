/// The AuxK auxiliary loss of SAELens's TopK training SAE
/// (`calculate_topk_aux_loss`, shared by BatchTopK and Matryoshka), which
/// follows Gao et al. 2024 (appendix A.2, B.1) without the variance
/// normalisation of EleutherAI's version:
///
///   residual e = x − x̂              (held constant: no gradient flows into x̂)
///   k_aux      = ⌊d_in / 2⌋, then min(k_aux, dead)
///   per token, the k_aux largest pre-activations among dead latents, with
///   their raw values (no ReLU: negative ones are kept and reconstruct too)
///   ê          = Σ value · W_dec[j]  (no b_dec: it is already in e)
///   loss       = coefficient · min(dead / ⌊d_in / 2⌋, 1) · mean_token ‖ê − e‖²
///
/// Which latents are dead is `DeadLatentCounter`'s business.
enum AuxK {
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
    static func select(_ pre: UnsafePointer<Float>, rows: Int, width: Int, k: Int, dead: [Int32]) -> SparseCodes {
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
                                    for e in 0..<n { idx[r * k + e] = dead[Int(local[e])] }
                                    counts[r] = n
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
