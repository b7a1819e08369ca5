import Foundation
import LoupeJSON

/// Trains an SAE on a stream of activations: Adam with learning-rate
/// warm-up/decay, sparsity warm-up, gradient-norm clipping, unit-norm decoder
/// rows, AuxK on dead latents (each step is one `SAETrainingIteration`),
/// periodic checkpoints that a later run resumes from exactly, and a stop
/// flag that ends the run between steps keeping what is trained.
package enum SAETrainer {
    package static func train(source: ActivationSource, options: SAETrainingOptions,
                             shouldStop: () -> Bool = { false },
                             progress: ((SAETrainingProgress) -> Void)? = nil) throws -> SAETrainingResult {
        let dIn = source.width
        try options.validate(dIn: dIn)
        let n = options.width, B = options.batchSize
        let metadata = options.metadata ?? source.metadata
        let architecture = options.architecture

        var sae: SparseAutoencoder
        var optimizer = AdamOptimizer(dIn: dIn, dSAE: n)
        var deadLatents = DeadLatentCounter(latents: n, windowSteps: options.deadWindowSteps)
        var scale: Float = 1
        var startStep = 0
        var resumed: Int? = nil
        var history = TrainingHistory(every: options.historyEvery ?? TrainingHistory.defaultEvery(steps: options.steps))

        if let dir = options.checkpointDirectory, let state = try TrainingCheckpoint.load(from: dir, dIn: dIn, options: options) {
            sae = state.sae; optimizer = state.optimizer
            deadLatents = DeadLatentCounter(stepsSinceFired: state.sinceFired, windowSteps: options.deadWindowSteps)
            scale = state.scale; startStep = state.step; resumed = state.step
            if let saved = state.history { history = saved }
            sae.architecture = architecture
            try sae.setMetadata(metadata)
        } else {
            sae = try SparseAutoencoder(dIn: dIn, dSAE: n, architecture: architecture, seed: options.seed, metadata: metadata)
            let sample = try readSample(source, rows: options.initSampleRows)
            if options.normalizeInputs && options.recipe == .dictionaryLearning {
                // dictionary_learning's get_norm_factor: unit mean squared norm, over 100 batches.
                let meanSquare = try meanSquaredNorm(source, rows: 100 * B)
                guard meanSquare > 0 else { throw SAEError.empty("the activations are all zero; nothing to normalise or train on") }
                scale = Float(1 / meanSquare.squareRoot())
            } else if options.normalizeInputs {
                var total = 0.0
                let count = sample.count / dIn
                for r in 0..<count {
                    var s = 0.0
                    for t in 0..<dIn { s += Double(sample[r * dIn + t]) * Double(sample[r * dIn + t]) }
                    total += s.squareRoot()
                }
                let meanNorm = total / Double(max(count, 1))
                guard meanNorm > 0 else { throw SAEError.empty("the activations are all zero; nothing to normalise or train on") }
                scale = Float(Double(dIn).squareRoot() / meanNorm)
            }
            let scaled = scale == 1 ? sample : sample.map { $0 * scale }
            switch options.decoderBiasInit {
            case .geometricMedian: sae.bDec = geometricMedian(scaled, width: dIn)
            case .mean: sae.bDec = columnMean(scaled, width: dIn)
            case .zero: break
            }
        }
        optimizer.beta1 = options.adamBeta1; optimizer.beta2 = options.adamBeta2

        let store = try ActivationStore(source: source, batchSize: B, bufferBatches: options.bufferBatches, seed: options.seed)
        if startStep > 0 { try store.skip(startStep) }
        let iteration = SAETrainingIteration(dIn: dIn, options: options, optimizer: optimizer, deadLatents: deadLatents)
        var batch = [Float](repeating: 0, count: B * dIn)

        let started = Date()
        var current = startStep
        var last: StepLosses? = nil
        var interrupted = false
        var tokensPerSecond = 0.0
        // Steps in which AuxK had dead latents to train (the window must pass
        // before any latent can count as dead, so short runs may have none).
        var auxKSteps = 0

        func saveCheckpoint() throws {
            guard let dir = options.checkpointDirectory else { return }
            try TrainingCheckpoint.save(to: dir, sae: sae, optimizer: iteration.optimizer,
                                        sinceFired: iteration.deadLatents.stepsSinceFired,
                                        scale: scale, step: current, options: options, dIn: dIn, history: history)
        }

        while current < options.steps {
            if shouldStop() { interrupted = true; break }
            try batch.withUnsafeMutableBufferPointer { try store.nextBatch(into: $0.baseAddress!) }
            if scale != 1 { for i in batch.indices { batch[i] *= scale } }
            let lr = options.learningRate(at: current)
            let outcome = batch.withUnsafeBufferPointer {
                iteration.run(sae, x: $0.baseAddress!, rows: B, sparsityCoefficient: options.sparsity(at: current), learningRate: lr,
                              step: current)
            }
            let losses = outcome.losses
            let deadCount = iteration.deadLatents.deadCount
            if !outcome.dead.isEmpty && outcome.losses.auxiliary > 0 { auxKSteps += 1 }
            current += 1
            last = losses

            var point: TrainingHistory.Point? = nil, validated: TrainingHistory.Validation? = nil
            if history.records(step: current, of: options.steps) {
                let norm = outcome.gradientNorm
                    ?? iteration.gradients.globalNorm(trainedThreshold: architecture.trainsThreshold ? sae.threshold : nil)
                point = TrainingHistory.Point(step: current, loss: losses.total, mse: losses.fullReconstruction,
                                              auxiliary: losses.auxiliary, l0: losses.l0,
                                              deadFraction: Double(deadCount) / Double(n), learningRate: Double(lr),
                                              gradientNorm: norm)
                history.points.append(point!)
            }
            if let held = options.validation, current % options.validationEvery == 0 || current == options.steps {
                validated = try validate(sae, scale: scale, recipe: options.recipe, on: held, maxTokens: options.validationTokens,
                                         step: current)
                history.validation.append(validated!)
            }

            let elapsed = Date().timeIntervalSince(started)
            let done = current - startStep
            tokensPerSecond = elapsed > 0 ? Double(done * B) / elapsed : 0
            if options.checkpointEvery > 0 && current % options.checkpointEvery == 0 && current < options.steps {
                try saveCheckpoint()
            }
            progress?(SAETrainingProgress(step: current, totalSteps: options.steps, loss: losses.total,
                                          reconstructionLoss: losses.fullReconstruction, l0: losses.l0,
                                          deadFraction: Double(deadCount) / Double(n), tokensPerSecond: tokensPerSecond,
                                          secondsLeft: done > 0 ? elapsed / Double(done) * Double(options.steps - current) : 0,
                                          learningRate: lr, point: point, validation: validated))
        }
        try saveCheckpoint()

        let result = sae.copy()
        // Which trainer's rules made it travels with the SAE (cfg.json's metadata).
        result.setExtraMetadata(.string(options.recipe.rawValue), forKey: "trainer")
        if scale != 1 {
            if options.recipe == .dictionaryLearning { scaleBiases(result, by: 1 / scale) } else { foldScale(result, scale) }
        }
        result.history = history
        return SAETrainingResult(sae: result, stepsDone: current, interrupted: interrupted, resumedFromStep: resumed,
                                 lastLosses: last, tokensPerSecond: tokensPerSecond, auxKActiveSteps: auxKSteps,
                                 deadFraction: Double(iteration.deadLatents.deadCount) / Double(n),
                                 deadWindowSteps: options.deadWindowSteps, seed: options.seed, recipe: options.recipe,
                                 history: history)
    }

    /// The SAE as it stands, in the activations' own units, measured on
    /// the first `maxTokens` held-out rows.
    static func validate(_ sae: SparseAutoencoder, scale: Float, recipe: TrainingRecipe, on source: ActivationSource,
                         maxTokens: Int, step: Int) throws -> TrainingHistory.Validation {
        let current = sae.copy()
        if scale != 1 {
            if recipe == .dictionaryLearning { scaleBiases(current, by: 1 / scale) } else { foldScale(current, scale) }
        }
        let m = try current.metrics(source, maxTokens: maxTokens)
        return TrainingHistory.Validation(step: step, mse: m.mse, explainedVariance: m.explainedVariance, l0: m.l0,
                                          deadFraction: m.deadFraction)
    }

    /// An SAE trained on s·x, rewritten to read and write x directly.
    static func foldScale(_ sae: SparseAutoencoder, _ s: Float) {
        for i in sae.wEnc.indices { sae.wEnc[i] *= s }
        for i in sae.wDec.indices { sae.wDec[i] /= s }
        for i in sae.bDec.indices { sae.bDec[i] /= s }
        sae.setExtraMetadata(.double(Double(s)), forKey: "input_scale_folded")
    }

    /// An SAE trained on x / f, rewritten for x as dictionary_learning's
    /// `scale_biases(f)` does: b_enc, b_dec and the threshold times f, so
    /// the codes come out f times larger and the decoder stays unit-norm.
    static func scaleBiases(_ sae: SparseAutoencoder, by f: Float) {
        for i in sae.bEnc.indices { sae.bEnc[i] *= f }
        for i in sae.bDec.indices { sae.bDec[i] *= f }
        // dictionary_learning scales the threshold only once it is set (not −1); Loupe's unset one is 0.
        for i in sae.threshold.indices { sae.threshold[i] *= f }
        sae.setExtraMetadata(.double(Double(f)), forKey: "norm_factor")
    }

    /// mean ‖x‖² over the first `rows` rows of `source`, read a chunk at a
    /// time (dictionary_learning's norm factor is its square root).
    package static func meanSquaredNorm(_ source: ActivationSource, rows: Int) throws -> Double {
        try source.rewind()
        defer { try? source.rewind() }
        let d = source.width, chunk = 4096
        var buffer = [Float](repeating: 0, count: chunk * d)
        var total = 0.0, seen = 0
        while seen < rows {
            let n = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: min(chunk, rows - seen)) }
            if n == 0 { break }
            for i in 0..<(n * d) { total += Double(buffer[i]) * Double(buffer[i]) }
            seen += n
        }
        return seen > 0 ? total / Double(seen) : 0
    }

    static func readSample(_ source: ActivationSource, rows: Int) throws -> [Float] {
        try source.rewind()
        var out = [Float](repeating: 0, count: max(rows, 1) * source.width)
        var got = 0
        while got < rows {
            let n = try out.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress! + got * source.width, maxRows: rows - got) }
            if n == 0 { break }
            got += n
        }
        try source.rewind()
        guard got > 0 else { throw SAEError.empty("the activation source is empty; there is nothing to train on") }
        return Array(out[0..<(got * source.width)])
    }
}
