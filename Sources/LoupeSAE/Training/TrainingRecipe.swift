/// Whose trainer a run follows. Adam, the unit-norm decoder, clipping the
/// gradient's norm at 1 and the nested Matryoshka reconstructions are
/// common to both; the rules below differ, each read from the trainer's
/// own source.
///
/// | rule                        | SAELens (`SAETrainer`)              | dictionary_learning (`BatchTopKTrainer`, `MatryoshkaBatchTopKTrainer`) |
/// |-----------------------------|-------------------------------------|------------------------------------------------------|
/// | AuxK values                 | raw pre-activations of dead latents | after ReLU (a dead latent below zero adds nothing)   |
/// | AuxK weight                 | c · min(dead / k_aux, 1)            | α / mean_b ‖e_b − ē‖², α = 1/32 (the residual's variance, OpenAI's normalisation) |
/// | dead                        | > window steps, mask before the step | ≥ 10,000,000 tokens, counted after this batch fired |
/// | BatchTopK threshold         | θ += 0.01 (min kept − θ) every step | from step 1,001: first min kept, then EMA β = 0.999  |
/// | Matryoshka loss             | Σ over prefixes                     | mean over prefixes of (1/G)·loss, so each weighs 1/G² |
/// | learning rate               | given                                | 2e-4 / √(width / 2^14) unless given                  |
/// | warm-up                     | (step + 1) / W                      | step / W, W = 1,000 (the first step's rate is 0)     |
/// | decoder gradient            | clipped as is                        | its part along each decoder row removed before clipping |
/// | inputs                      | optionally scaled to mean norm √d    | scaled to unit mean squared norm (100 batches), folded back into the biases and threshold |
/// | b_dec starts at             | geometric median of 4,096 rows       | geometric median of the first batch                  |
package enum TrainingRecipe: String, CaseIterable, Sendable {
    /// SAELens's trainer, Loupe's default.
    case saeLens = "sae_lens"
    /// saprmarks/dictionary_learning's BatchTopK and Matryoshka trainers,
    /// which Pach et al. (2025) train with (sae-for-vlm vendors them).
    case dictionaryLearning = "dictionary_learning"

    /// dictionary_learning's dead-latent threshold, in tokens since a latent last fired.
    package static let dictionaryLearningDeadTokens = 10_000_000
    /// dictionary_learning's `auxk_alpha`.
    package static let dictionaryLearningAuxAlpha: Float = 1 / 32
    /// dictionary_learning's default learning rate for `width` latents:
    /// 2e-4 scaled by 1/√(width / 2^14), Gao et al.'s fit.
    package static func dictionaryLearningRate(width: Int) -> Float {
        Float(2e-4 / (Double(width) / 16_384).squareRoot())
    }

    /// The dead-latent window in steps that marks a latent dead once `tokens`
    /// have passed without it firing, `batch` tokens a step (dead means more
    /// steps than the window, so ⌈tokens / batch⌉ − 1).
    package static func deadWindowSteps(tokens: Int, batch: Int) -> Int {
        max(0, (tokens + batch - 1) / max(batch, 1) - 1)
    }

    /// How AuxK picks and weighs dead latents.
    var auxKRule: AuxKRule { self == .saeLens ? .saeLens : .dictionaryLearning }
}

/// The two readings of AuxK (see `TrainingRecipe`).
package enum AuxKRule: Sendable {
    case saeLens
    case dictionaryLearning
}

extension SAETrainingOptions {
    /// dictionary_learning's settings for a BatchTopK or Matryoshka run of
    /// `steps` steps of `batchSize` tokens: its learning rate for the width,
    /// 1,000 warm-up steps, no decay, AuxK at α = 1/32 on latents silent for
    /// 10 million tokens, the threshold's EMA from step 1,001, inputs at unit
    /// mean squared norm, clipping at 1.
    package static func dictionaryLearning(architecture: any SAEArchitecture, width: Int, steps: Int,
                                           batchSize: Int) -> SAETrainingOptions {
        var o = SAETrainingOptions(architecture: architecture, width: width, steps: steps)
        o.recipe = .dictionaryLearning
        o.batchSize = batchSize
        o.learningRate = TrainingRecipe.dictionaryLearningRate(width: width)
        o.learningRateWarmupSteps = 1000
        o.learningRateDecaySteps = 0
        o.auxCoefficient = TrainingRecipe.dictionaryLearningAuxAlpha
        o.deadWindowSteps = TrainingRecipe.deadWindowSteps(tokens: TrainingRecipe.dictionaryLearningDeadTokens, batch: batchSize)
        o.thresholdStartStep = 1000
        o.thresholdBeta = 0.999
        o.normalizeInputs = true
        o.initSampleRows = batchSize
        o.gradientClipNorm = 1
        return o
    }
}

extension SAETrainingOptions {
    /// The options a recipe starts from for `steps` steps of `batchSize`
    /// tokens; what a caller leaves nil keeps the recipe's own value.
    /// SAELens's defaults in Loupe: 3e-4, warm-up over min(1,000, 5%) of
    /// the steps, decay over the last 20%, a dead window of 1,000 steps.
    package static func recipe(_ recipe: TrainingRecipe, architecture: any SAEArchitecture, width: Int, steps: Int,
                               batchSize: Int, learningRate: Float? = nil, warmupSteps: Int? = nil,
                               deadWindowSteps: Int? = nil, thresholdStartStep: Int? = nil) -> SAETrainingOptions {
        var o: SAETrainingOptions
        switch recipe {
        case .saeLens:
            o = SAETrainingOptions(architecture: architecture, width: width, steps: steps)
            o.batchSize = batchSize
            o.learningRateWarmupSteps = min(1000, steps / 20)
            o.learningRateDecaySteps = steps / 5
        case .dictionaryLearning:
            o = .dictionaryLearning(architecture: architecture, width: width, steps: steps, batchSize: batchSize)
        }
        if let learningRate { o.learningRate = learningRate }
        if let warmupSteps { o.learningRateWarmupSteps = warmupSteps }
        if let deadWindowSteps { o.deadWindowSteps = deadWindowSteps }
        if let thresholdStartStep { o.thresholdStartStep = thresholdStartStep }
        return o
    }
}
