/// One training iteration on a batch, in the order of SAELens's trainer
/// (`SAETrainer._train_step`): the dead-latent mask left by the steps before,
/// the loss (AuxK included) and its gradients, clipping of the gradient's
/// global norm, the Adam update, the architecture's state outside the
/// gradient, and the dead-latent counters. Under dictionary_learning's
/// recipe the mask also counts this batch's firing, the decoder gradient
/// loses its part along each row before clipping, and a BatchTopK
/// threshold follows that trainer's EMA (see `TrainingRecipe`).
/// `SAETrainer` runs one per step; on its own it replays a reference run
/// step by step.
package final class SAETrainingIteration {
    package let step: SAETrainingStep
    /// The last batch's gradients, after clipping.
    package let gradients: SAEGradients
    package let optimizer: AdamOptimizer
    package var deadLatents: DeadLatentCounter
    package let architecture: any SAEArchitecture
    /// k_aux before it is capped at the number of dead latents.
    package let auxK: Int
    package let auxCoefficient: Float
    package let gradientClipNorm: Double?
    package let recipe: TrainingRecipe
    let thresholdBeta: Float, thresholdStartStep: Int
    /// Loupe keeps decoder rows at unit norm (the trainer always does). Off,
    /// the decoder is a free parameter as in SAELens's TopK training SAE,
    /// which is how a run is compared step by step with SAELens.
    package var normalizeDecoder = true

    /// What one iteration did.
    package struct Outcome {
        package var losses: StepLosses
        package var codes: SparseCodes
        /// The latents that counted as dead in this step (SAELens: before it
        /// ran; dictionary_learning: after this batch's firing).
        package var dead: [Int32]
        /// The gradient's global norm before clipping (nil when not clipping).
        package var gradientNorm: Double?
    }

    package init(dIn: Int, options: SAETrainingOptions, optimizer: AdamOptimizer, deadLatents: DeadLatentCounter) {
        architecture = options.architecture
        step = SAETrainingStep(dIn: dIn, dSAE: options.width, maxRows: options.batchSize, architecture: options.architecture)
        gradients = SAEGradients(dIn: dIn, dSAE: options.width)
        self.optimizer = optimizer
        self.deadLatents = deadLatents
        auxK = options.auxK ?? AuxK.defaultK(dIn: dIn)
        auxCoefficient = options.auxCoefficient
        gradientClipNorm = options.gradientClipNorm
        recipe = options.recipe
        thresholdBeta = options.thresholdBeta; thresholdStartStep = options.thresholdStartStep
    }

    /// A fresh optimiser and counters that start with no latent dead.
    package convenience init(dIn: Int, options: SAETrainingOptions) {
        self.init(dIn: dIn, options: options, optimizer: AdamOptimizer(dIn: dIn, dSAE: options.width),
                  deadLatents: DeadLatentCounter(latents: options.width, windowSteps: options.deadWindowSteps))
        optimizer.beta1 = options.adamBeta1; optimizer.beta2 = options.adamBeta2
    }

    /// Trains `sae` on `rows` tokens at `x` with this step's sparsity
    /// coefficient and learning rate; `step` (0-based) times
    /// dictionary_learning's threshold.
    package func run(_ sae: SparseAutoencoder, x: UnsafePointer<Float>, rows: Int,
                    sparsityCoefficient: Float, learningRate: Float, step index: Int = 0) -> Outcome {
        let dictionaryLearning = recipe == .dictionaryLearning
        let candidates = !architecture.usesAuxK ? [] : dictionaryLearning ? deadLatents.deadIfSilent : deadLatents.dead
        let groups = architecture.lossGroupEnds(dSAE: sae.dSAE).count
        let settings = StepSettings(sparsityCoefficient: sparsityCoefficient, deadLatents: candidates,
                                    auxK: auxK, auxCoefficient: auxCoefficient, auxRule: recipe.auxKRule,
                                    groupLossWeight: dictionaryLearning ? 1 / Float(groups * groups) : 1)
        let (losses, codes) = step.run(sae, x: x, rows: rows, settings: settings, gradients: gradients)
        let dead = step.lastDead
        let profile = step.profile
        profile?.start()
        if dictionaryLearning && normalizeDecoder { gradients.removeDecoderParallel(sae) }
        var norm: Double? = nil
        if let maxNorm = gradientClipNorm {
            norm = gradients.clipGlobalNorm(maxNorm, trainedThreshold: architecture.trainsThreshold ? sae.threshold : nil)
        }
        profile?.charge(.clipping)
        optimizer.update(sae, gradients: gradients, lr: learningRate, normalizeDecoder: normalizeDecoder,
                         trainThreshold: architecture.trainsThreshold)
        profile?.charge(.adam)
        defer { profile?.charge(.bookkeeping) }
        if dictionaryLearning {
            if index > thresholdStartStep { updateThreshold(&sae.threshold, codes: codes, first: index == thresholdStartStep + 1) }
        } else {
            architecture.afterStep(codes: codes, threshold: &sae.threshold)
        }
        deadLatents.record(codes)
        return Outcome(losses: losses, codes: codes, dead: dead, gradientNorm: norm)
    }

    /// dictionary_learning's `update_threshold`: the smallest value kept in
    /// the batch (0 when none is), taken as the threshold the first time and
    /// averaged in with β afterwards. One threshold for every latent.
    func updateThreshold(_ threshold: inout [Float], codes: SparseCodes, first: Bool) {
        guard !threshold.isEmpty else { return }
        let smallest = codes.value.lazy.filter { $0 > 0 }.min() ?? 0
        let next = first ? smallest : thresholdBeta * threshold[0] + (1 - thresholdBeta) * smallest
        for j in threshold.indices { threshold[j] = next }
    }
}
