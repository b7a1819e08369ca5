/// Gradients of the training loss for every parameter. Encoder and decoder
/// gradients are non-zero only on the rows of latents that fired (or took
/// part in AuxK); `touched` lists them so the rest is never read or cleared.
package final class SAEGradients {
    package let dIn: Int
    package let dSAE: Int
    package var wEnc: [Float]      // [dSAE, dIn]
    package var bEnc: [Float]
    package var wDec: [Float]      // [dSAE, dIn]
    package var bDec: [Float]
    /// dLoss/dθ (straight-through for JumpReLU); zeros otherwise.
    package var threshold: [Float]
    /// Whether row j of `wEnc`/`wDec` may be non-zero.
    package var touched: [Bool]
    var touchedList: [Int32] = []

    package init(dIn: Int, dSAE: Int) {
        self.dIn = dIn; self.dSAE = dSAE
        wEnc = [Float](repeating: 0, count: dIn * dSAE)
        wDec = [Float](repeating: 0, count: dIn * dSAE)
        bEnc = [Float](repeating: 0, count: dSAE)
        bDec = [Float](repeating: 0, count: dIn)
        threshold = [Float](repeating: 0, count: dSAE)
        touched = [Bool](repeating: false, count: dSAE)
    }

    /// Clears what the previous step wrote.
    func reset() {
        wEnc.withUnsafeMutableBufferPointer { we in
            wDec.withUnsafeMutableBufferPointer { wd in
                for j in touchedList {
                    let o = Int(j) * dIn
                    (we.baseAddress! + o).update(repeating: 0, count: dIn)
                    (wd.baseAddress! + o).update(repeating: 0, count: dIn)
                    touched[Int(j)] = false
                }
            }
        }
        touchedList.removeAll(keepingCapacity: true)
        for j in 0..<dSAE { bEnc[j] = 0; threshold[j] = 0 }
        for t in 0..<dIn { bDec[t] = 0 }
    }
}

/// The loss of one training step, by part.
package struct StepLosses: Sendable {
    /// Σ over nested reconstructions of mean_token ‖x − x̂‖² (one term unless Matryoshka).
    package var reconstruction: Double
    /// mean_token ‖x − x̂‖² of the full reconstruction.
    package var fullReconstruction: Double
    package var sparsity: Double
    package var auxiliary: Double
    package var total: Double { reconstruction + sparsity + auxiliary }
    /// Mean active latents per token.
    package var l0: Double
}

/// Settings of one step that change over training.
package struct StepSettings: Sendable {
    /// Sparsity coefficient after warm-up (L1 for ReLU, L0 for JumpReLU).
    package var sparsityCoefficient: Float
    /// Latents considered dead, revived by AuxK (TopK family only).
    package var deadLatents: [Int32]
    package var auxK: Int
    package var auxCoefficient: Float
    /// The AuxK target, [rows, dIn]; nil means this batch's x − x̂. AuxK
    /// treats its target as a constant (no gradient flows through x̂ into
    /// it); fixing it here lets a finite-difference check see that same
    /// function.
    package var auxTarget: [Float]?
    /// How AuxK reads the dead latents and weighs its loss. Under
    /// dictionary_learning's rule `deadLatents` are those dead if silent in
    /// this batch, and the step drops the ones that fire in it.
    package var auxRule: AuxKRule = .saeLens
    /// Weight of each nested reconstruction's loss (1 in SAELens;
    /// dictionary_learning's Matryoshka takes the mean over G prefixes of
    /// (1/G)·loss, so 1/G²).
    package var groupLossWeight: Float = 1

    package init(sparsityCoefficient: Float = 0, deadLatents: [Int32] = [], auxK: Int = 0, auxCoefficient: Float = 0,
                auxTarget: [Float]? = nil, auxRule: AuxKRule = .saeLens, groupLossWeight: Float = 1) {
        self.sparsityCoefficient = sparsityCoefficient; self.deadLatents = deadLatents
        self.auxK = auxK; self.auxCoefficient = auxCoefficient; self.auxTarget = auxTarget
        self.auxRule = auxRule; self.groupLossWeight = groupLossWeight
    }
}
