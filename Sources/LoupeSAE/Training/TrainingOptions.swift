import LoupeJSON

/// How b_dec starts.
package enum DecoderBiasInit: String, Sendable {
    case geometricMedian = "geometric_median"
    case mean
    case zero
}

/// Everything that shapes a training run. Defaults follow common SAELens
/// settings; `SAETrainingOptions.dictionaryLearning` gives that trainer's.
package struct SAETrainingOptions {
    package var architecture: any SAEArchitecture
    /// Whose trainer's rules the run follows (see `TrainingRecipe`).
    package var recipe: TrainingRecipe = .saeLens
    /// Number of latents (d_sae).
    package var width: Int
    package var steps: Int
    package var batchSize: Int = 4096
    package var learningRate: Float = 3e-4
    /// Linear warm-up of the learning rate from 0 over this many steps.
    package var learningRateWarmupSteps: Int = 0
    /// Linear decay of the learning rate to 0 over the last this-many steps.
    package var learningRateDecaySteps: Int = 0
    /// Linear warm-up of the sparsity coefficient (ReLU's L1, JumpReLU's L0).
    package var sparsityWarmupSteps: Int = 0
    /// Before each Adam update, scale the gradients down so their global L2
    /// norm is at most this, as SAELens's trainer does with
    /// clip_grad_norm_(…, 1.0); nil turns clipping off.
    package var gradientClipNorm: Double? = 1
    package var adamBeta1: Float = 0.9
    package var adamBeta2: Float = 0.999
    package var decoderBiasInit: DecoderBiasInit = .geometricMedian
    /// Rows read to initialise b_dec and estimate the normalisation scale.
    package var initSampleRows: Int = 4096
    /// k_aux, the dead latents AuxK uses per token; nil means ⌊d_in / 2⌋, SAELens's fixed choice.
    package var auxK: Int? = nil
    /// AuxK's coefficient (SAELens's `aux_loss_coefficient`).
    package var auxCoefficient: Float = 1
    /// A latent is dead when more than this many training steps have passed
    /// since it last fired (SAELens's `dead_feature_window`; see `DeadLatentCounter`).
    package var deadWindowSteps: Int = 1000
    /// Scale inputs during training (SAELens: mean norm √d_in, from the
    /// initial sample; dictionary_learning: unit mean squared norm over 100
    /// batches); the scale is folded into the returned SAE.
    package var normalizeInputs: Bool = false
    /// dictionary_learning's BatchTopK threshold: an EMA with this β of each
    /// batch's smallest kept value, from the step after `thresholdStartStep`.
    package var thresholdBeta: Float = 0.999
    package var thresholdStartStep: Int = 1000
    package var seed: UInt64 = 0
    /// Shuffle buffer size, in batches.
    package var bufferBatches: Int = 8
    /// Folder for periodic checkpoints; a run finding one there resumes from it.
    package var checkpointDirectory: String? = nil
    /// Steps between checkpoints (0: only when stopping).
    package var checkpointEvery: Int = 0
    /// Model, layer, site and tokens recorded in the SAE (default: the source's).
    package var metadata: SAEMetadata? = nil
    /// Steps between two points of the history (nil: `TrainingHistory.defaultEvery`).
    package var historyEvery: Int? = nil
    /// Held-out activations the SAE is measured on every `validationEvery`
    /// steps and at the end (at most `validationTokens` of their rows).
    package var validation: ActivationSource? = nil
    package var validationEvery: Int = 500
    package var validationTokens: Int = 65_536
    /// Times every phase of every step (the benchmark's profile); nil in normal runs.
    package var profile: StepProfile? = nil

    package init(architecture: any SAEArchitecture, width: Int, steps: Int) {
        self.architecture = architecture; self.width = width; self.steps = steps
    }

    package func learningRate(at step: Int) -> Float {
        var lr = learningRate
        if learningRateWarmupSteps > 0 {
            // dictionary_learning's LambdaLR gives step s the factor s / W, so its first step has rate 0.
            let ramp = recipe == .saeLens ? Float(step + 1) : Float(step)
            lr *= min(1, ramp / Float(learningRateWarmupSteps))
        }
        if learningRateDecaySteps > 0 && step >= steps - learningRateDecaySteps {
            lr *= Float(steps - step) / Float(learningRateDecaySteps)
        }
        return lr
    }

    func sparsity(at step: Int) -> Float {
        let c = architecture.sparsityCoefficient
        return sparsityWarmupSteps > 0 ? c * min(1, Float(step + 1) / Float(sparsityWarmupSteps)) : c
    }

    package func validate(dIn: Int) throws {
        guard width > 0 else { throw SAEError.invalidSetting("width must be a positive number of latents, got \(width)") }
        guard steps > 0 else { throw SAEError.invalidSetting("steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw SAEError.invalidSetting("batch size must be positive, got \(batchSize)") }
        guard learningRate > 0 else { throw SAEError.invalidSetting("learning rate must be positive, got \(learningRate)") }
        if let c = gradientClipNorm, !(c > 0) { throw SAEError.invalidSetting("the gradient clipping norm must be positive, got \(c)") }
        guard deadWindowSteps >= 0 && deadWindowSteps < 1 << 24 else {
            throw SAEError.invalidSetting("the dead-latent window must be between 0 and 16,777,215 steps, got \(deadWindowSteps)")
        }
        if let k = auxK, k < 1 { throw SAEError.invalidSetting("k_aux must be at least 1, got \(k)") }
        if let every = historyEvery, every < 1 { throw SAEError.invalidSetting("history points must be at least 1 step apart, got \(every)") }
        if let v = validation {
            guard validationEvery >= 1 else { throw SAEError.invalidSetting("validate every 1 step or more, got every: \(validationEvery)") }
            guard v.width == dIn else {
                throw SAEError.shapeMismatch("the validation activations are \(v.width) wide but the training ones \(dIn); "
                    + "hold out activations of the same model, layer and site")
            }
        }
        try architecture.validate(dIn: dIn, dSAE: width)
        if recipe == .dictionaryLearning {
            guard architecture is any BatchTopKFamily else {
                throw SAEError.invalidSetting("the dictionary_learning trainer is read here for BatchTopK and Matryoshka SAEs only; "
                    + "use kind: .batchTopK(k:) or .matryoshka(k:, groups:), or the default trainer for \(architecture.description)")
            }
            guard thresholdStartStep >= 0, steps > thresholdStartStep + 1 else {
                throw SAEError.invalidSetting("dictionary_learning's threshold starts after step \(thresholdStartStep), but the run has "
                    + "\(steps) steps, so the SAE would keep no threshold and fire on every positive latent at inference; train more "
                    + "steps or start the threshold earlier (thresholdStart:)")
            }
            guard learningRateWarmupSteps < steps else {
                throw SAEError.invalidSetting("the learning-rate warm-up of \(learningRateWarmupSteps) steps is not shorter than the "
                    + "run of \(steps) steps (dictionary_learning refuses that too); train more steps or shorten it (warmup:)")
            }
        }
    }

    /// What must match for a checkpoint to be resumed by this run.
    func fingerprint(dIn: Int) -> JSON {
        var fields: [String: JSON] = ["architecture": .string(architecture.architectureName), "architecture_config": .object(architecture.configFields),
         "d_in": .int(dIn), "d_sae": .int(width), "steps": .int(steps), "batch_size": .int(batchSize),
         "learning_rate": .double(Double(learningRate)), "seed": .string(String(seed)),
         "normalize_inputs": .bool(normalizeInputs), "buffer_batches": .int(bufferBatches),
         "gradient_clip_norm": gradientClipNorm.map { .double($0) } ?? .null,
         // The checkpoint's dead-latent counters are steps against this window.
         "dead_window_steps": .int(deadWindowSteps)]
        // Written only when not the default, so checkpoints from before recipes still resume.
        if recipe != .saeLens {
            fields["recipe"] = .string(recipe.rawValue)
            fields["threshold_start_step"] = .int(thresholdStartStep)
            fields["threshold_beta"] = .double(Double(thresholdBeta))
        }
        return .object(fields)
    }
}

/// What the trainer reports as it goes, for a live display.
package struct SAETrainingProgress: Sendable {
    package var step: Int
    package var totalSteps: Int
    package var loss: Double
    /// mean_token ‖x − x̂‖² in training units.
    package var reconstructionLoss: Double
    package var l0: Double
    package var deadFraction: Double
    package var tokensPerSecond: Double
    package var secondsLeft: Double
    package var learningRate: Float
    /// The history point recorded at this step, if one was.
    package var point: TrainingHistory.Point? = nil
    /// The validation measured at this step, if it was.
    package var validation: TrainingHistory.Validation? = nil
}

package struct SAETrainingResult {
    /// The SAE as trained so far (input normalisation folded in).
    package var sae: SparseAutoencoder
    package var stepsDone: Int
    /// True when `shouldStop` ended the run early.
    package var interrupted: Bool
    /// The step a checkpoint resumed from, if any.
    package var resumedFromStep: Int?
    package var lastLosses: StepLosses?
    package var tokensPerSecond: Double
    /// Steps (of this run) in which AuxK trained dead latents.
    package var auxKActiveSteps: Int = 0
    /// Latents dead at the end, by the training window's definition.
    package var deadFraction: Double = 0
    package var deadWindowSteps: Int = 0
    package var seed: UInt64 = 0
    package var recipe: TrainingRecipe = .saeLens
    package var history = TrainingHistory(every: 1)
}
