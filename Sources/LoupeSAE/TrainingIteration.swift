/// One training iteration on a batch, in the order of SAELens's trainer
/// (`SAETrainer._train_step`): the dead-latent mask left by the steps before,
/// the loss (AuxK included) and its gradients, clipping of the gradient's
/// global norm, the Adam update, the architecture's state outside the
/// gradient, and the dead-latent counters. `SAETrainer` runs one per step;
/// on its own it replays a reference run step by step.
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
    /// Loupe keeps decoder rows at unit norm (the trainer always does). Off,
    /// the decoder is a free parameter as in SAELens's TopK training SAE,
    /// which is how a run is compared step by step with SAELens.
    package var normalizeDecoder = true

    /// What one iteration did.
    package struct Outcome {
        package var losses: StepLosses
        package var codes: SparseCodes
        /// The latents that counted as dead in this step (before it ran).
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
    }

    /// A fresh optimiser and counters that start with no latent dead.
    package convenience init(dIn: Int, options: SAETrainingOptions) {
        self.init(dIn: dIn, options: options, optimizer: AdamOptimizer(dIn: dIn, dSAE: options.width),
                  deadLatents: DeadLatentCounter(latents: options.width, windowSteps: options.deadWindowSteps))
        optimizer.beta1 = options.adamBeta1; optimizer.beta2 = options.adamBeta2
    }

    /// Trains `sae` on `rows` tokens at `x` with this step's sparsity
    /// coefficient and learning rate.
    package func run(_ sae: SparseAutoencoder, x: UnsafePointer<Float>, rows: Int,
                    sparsityCoefficient: Float, learningRate: Float) -> Outcome {
        let dead = architecture.usesAuxK ? deadLatents.dead : []
        let settings = StepSettings(sparsityCoefficient: sparsityCoefficient, deadLatents: dead,
                                    auxK: auxK, auxCoefficient: auxCoefficient)
        let (losses, codes) = step.run(sae, x: x, rows: rows, settings: settings, gradients: gradients)
        var norm: Double? = nil
        if let maxNorm = gradientClipNorm {
            norm = gradients.clipGlobalNorm(maxNorm, trainedThreshold: architecture.trainsThreshold ? sae.threshold : nil)
        }
        optimizer.update(sae, gradients: gradients, lr: learningRate, normalizeDecoder: normalizeDecoder,
                         trainThreshold: architecture.trainsThreshold)
        architecture.afterStep(codes: codes, threshold: &sae.threshold)
        deadLatents.record(codes)
        return Outcome(losses: losses, codes: codes, dead: dead, gradientNorm: norm)
    }
}
