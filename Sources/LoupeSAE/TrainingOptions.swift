import LoupeJSON

/// How b_dec starts.
public enum DecoderBiasInit: String, Sendable {
    case geometricMedian = "geometric_median"
    case mean
    case zero
}

/// Everything that shapes a training run. Defaults follow common SAELens
/// settings.
public struct SAETrainingOptions {
    public var architecture: any SAEArchitecture
    /// Number of latents (d_sae).
    public var width: Int
    public var steps: Int
    public var batchSize: Int = 4096
    public var learningRate: Float = 3e-4
    /// Linear warm-up of the learning rate from 0 over this many steps.
    public var learningRateWarmupSteps: Int = 0
    /// Linear decay of the learning rate to 0 over the last this-many steps.
    public var learningRateDecaySteps: Int = 0
    /// Linear warm-up of the sparsity coefficient (ReLU's L1, JumpReLU's L0).
    public var sparsityWarmupSteps: Int = 0
    /// Clip the gradient's total norm to this (SAELens clips at 1); nil: no clipping.
    public var gradientClipNorm: Double? = nil
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.999
    public var decoderBiasInit: DecoderBiasInit = .geometricMedian
    /// Rows read to initialise b_dec and estimate the normalisation scale.
    public var initSampleRows: Int = 4096
    /// Dead latents used by AuxK per token; nil means d_in / 2.
    public var auxK: Int? = nil
    public var auxCoefficient: Float = 1
    /// A latent is dead once it has not fired for this many training tokens.
    public var deadWindowTokens: Int = 1_000_000
    /// Scale inputs so their mean norm is √d_in during training; the scale is
    /// folded into the weights of the returned SAE.
    public var normalizeInputs: Bool = false
    public var seed: UInt64 = 0
    /// Shuffle buffer size, in batches.
    public var bufferBatches: Int = 8
    /// Folder for periodic checkpoints; a run finding one there resumes from it.
    public var checkpointDirectory: String? = nil
    /// Steps between checkpoints (0: only when stopping).
    public var checkpointEvery: Int = 0
    /// Model, layer, site and tokens recorded in the SAE (default: the source's).
    public var metadata: SAEMetadata? = nil

    public init(architecture: any SAEArchitecture, width: Int, steps: Int) {
        self.architecture = architecture; self.width = width; self.steps = steps
    }

    func learningRate(at step: Int) -> Float {
        var lr = learningRate
        if learningRateWarmupSteps > 0 { lr *= min(1, Float(step + 1) / Float(learningRateWarmupSteps)) }
        if learningRateDecaySteps > 0 && step >= steps - learningRateDecaySteps {
            lr *= Float(steps - step) / Float(learningRateDecaySteps)
        }
        return lr
    }

    func sparsity(at step: Int) -> Float {
        let c = architecture.sparsityCoefficient
        return sparsityWarmupSteps > 0 ? c * min(1, Float(step + 1) / Float(sparsityWarmupSteps)) : c
    }

    func validate(dIn: Int) throws {
        guard width > 0 else { throw SAEError("width must be a positive number of latents, got \(width)") }
        guard steps > 0 else { throw SAEError("steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw SAEError("batch size must be positive, got \(batchSize)") }
        guard learningRate > 0 else { throw SAEError("learning rate must be positive, got \(learningRate)") }
        if let c = gradientClipNorm, !(c > 0) { throw SAEError("the gradient clipping norm must be positive, got \(c)") }
        guard deadWindowTokens > 0 && deadWindowTokens <= 1 << 24 else {
            throw SAEError("the dead-latent window must be between 1 and 16,777,216 tokens, got \(deadWindowTokens)")
        }
        try architecture.validate(dIn: dIn, dSAE: width)
    }

    /// What must match for a checkpoint to be resumed by this run.
    func fingerprint(dIn: Int) -> JSON {
        ["architecture": .string(architecture.architectureName), "architecture_config": .object(architecture.configFields),
         "d_in": .int(dIn), "d_sae": .int(width), "steps": .int(steps), "batch_size": .int(batchSize),
         "learning_rate": .double(Double(learningRate)), "seed": .string(String(seed)),
         "normalize_inputs": .bool(normalizeInputs), "buffer_batches": .int(bufferBatches),
         "gradient_clip_norm": gradientClipNorm.map { .double($0) } ?? .null]
    }
}

/// What the trainer reports as it goes, for a live display.
public struct SAETrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    /// mean_token ‖x − x̂‖² in training units.
    public var reconstructionLoss: Double
    public var l0: Double
    public var deadFraction: Double
    public var tokensPerSecond: Double
    public var secondsLeft: Double
    public var learningRate: Float
}

public struct SAETrainingResult {
    /// The SAE as trained so far (input normalisation folded in).
    public var sae: SparseAutoencoder
    public var stepsDone: Int
    /// True when `shouldStop` ended the run early.
    public var interrupted: Bool
    /// The step a checkpoint resumed from, if any.
    public var resumedFromStep: Int?
    public var lastLosses: StepLosses?
    public var tokensPerSecond: Double
}
