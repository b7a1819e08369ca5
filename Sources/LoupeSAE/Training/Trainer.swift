import Foundation
import LoupeJSON

/// Trains SAEs on a stream of activations: Adam with learning-rate
/// warm-up/decay, sparsity warm-up, gradient-norm clipping, unit-norm decoder
/// rows, AuxK on dead latents (each step is one `SAETrainingIteration`),
/// periodic checkpoints that a later run resumes from exactly, and a stop
/// flag that ends the run between steps keeping what is trained. `sweep`
/// trains several on each batch read once.
package enum SAETrainer {
    package static func train(source: ActivationSource, options: SAETrainingOptions,
                             shouldStop: () -> Bool = { false },
                             progress: ((SAETrainingProgress) -> Void)? = nil) throws -> SAETrainingResult {
        try sweep(source: source, runs: [options], shouldStop: shouldStop, progress: progress.map { report in { _, p in report(p) } })[0]
    }

    /// Trains one SAE per element of `runs` on the same batches, each read
    /// once: every run sees exactly the batches it would see alone (same
    /// seed, batch size and buffer), so each SAE equals its own `train`.
    /// `progress` receives the run's index with its report.
    package static func sweep(source: ActivationSource, runs: [SAETrainingOptions], shouldStop: () -> Bool = { false },
                              progress: ((Int, SAETrainingProgress) -> Void)? = nil) throws -> [SAETrainingResult] {
        guard let first = runs.first else { throw SAEError.invalidSetting("a sweep needs at least one SAE to train") }
        for o in runs.dropFirst() {
            guard o.steps == first.steps, o.batchSize == first.batchSize, o.seed == first.seed, o.bufferBatches == first.bufferBatches else {
                throw SAEError.invalidSetting("the SAEs of one sweep read the same batches: give them one number of steps, batch size and seed")
            }
            guard o.checkpointDirectory == nil else {
                throw SAEError.invalidSetting("a sweep of several SAEs keeps no checkpoints; train one SAE at a time with checkpoint:")
            }
        }
        let trainings = try runs.map { try TrainingRun(source: source, options: $0) }
        let startStep = trainings[0].startStep, B = first.batchSize, dIn = source.width
        let store = try ActivationStore(source: source, batchSize: B, bufferBatches: first.bufferBatches, seed: first.seed)
        if startStep > 0 { try store.skip(startStep) }
        var batch = [Float](repeating: 0, count: B * dIn)
        var scaled = [Float](repeating: 0, count: B * dIn)
        let started = Date()
        var current = startStep
        var interrupted = false
        while current < first.steps {
            if shouldStop() { interrupted = true; break }
            first.profile?.start()
            try batch.withUnsafeMutableBufferPointer { try store.nextBatch(into: $0.baseAddress!) }
            first.profile?.charge(.batch)
            current += 1
            for (index, run) in trainings.enumerated() {
                let x: [Float]
                if run.scale == 1 { x = batch } else {
                    for i in batch.indices { scaled[i] = batch[i] * run.scale }
                    x = scaled
                }
                let report = try x.withUnsafeBufferPointer { try run.step($0.baseAddress!, number: current) }
                let done = current - startStep, elapsed = Date().timeIntervalSince(started)
                let tokensPerSecond = elapsed > 0 ? Double(done * B) / elapsed : 0
                run.tokensPerSecond = tokensPerSecond
                progress?(index, SAETrainingProgress(
                    step: current, totalSteps: first.steps, loss: report.losses.total, reconstructionLoss: report.losses.fullReconstruction,
                    l0: report.losses.l0, deadFraction: report.deadFraction, tokensPerSecond: tokensPerSecond,
                    secondsLeft: done > 0 ? elapsed / Double(done) * Double(first.steps - current) : 0,
                    learningRate: report.learningRate, point: report.point, validation: report.validation))
            }
        }
        return try trainings.map { try $0.finish(interrupted: interrupted) }
    }

    /// One SAE being trained: its weights, optimiser, dead-latent counters,
    /// input scale and history, fed one batch at a time.
    final class TrainingRun {
        let options: SAETrainingOptions
        let dIn: Int
        let sae: SparseAutoencoder
        let iteration: SAETrainingIteration
        let scale: Float
        let startStep: Int
        let resumed: Int?
        var history: TrainingHistory
        var current: Int
        var last: StepLosses? = nil
        var tokensPerSecond = 0.0
        /// Steps in which AuxK had dead latents to train (the window must pass
        /// before any latent can count as dead, so short runs may have none).
        var auxKSteps = 0
        /// SAELens's end-of-training `l0`: the mean number of latents firing
        /// per training token over its last sparsity window, which restarts
        /// every `sparsityWindowSteps` steps (kept in checkpoints, so a
        /// resumed run records what an unbroken one does).
        var windowL0Sum = 0.0, windowStepCount = 0

        struct Report {
            var losses: StepLosses
            var deadFraction: Double
            var learningRate: Float
            var point: TrainingHistory.Point?
            var validation: TrainingHistory.Validation?
        }

        init(source: ActivationSource, options: SAETrainingOptions) throws {
            let dIn = source.width
            try options.validate(dIn: dIn)
            self.options = options; self.dIn = dIn
            let n = options.width, B = options.batchSize
            let metadata = options.metadata ?? source.metadata
            let architecture = options.architecture
            var optimizer = AdamOptimizer(dIn: dIn, dSAE: n)
            var deadLatents = DeadLatentCounter(latents: n, windowSteps: options.deadWindowSteps)
            var history = TrainingHistory(every: options.historyEvery ?? TrainingHistory.defaultEvery(steps: options.steps))
            var scale: Float = 1, startStep = 0, resumed: Int? = nil
            var sparsityWindow = (l0Sum: 0.0, steps: 0)
            let sae: SparseAutoencoder
            if let dir = options.checkpointDirectory, let state = try TrainingCheckpoint.load(from: dir, dIn: dIn, options: options) {
                sae = state.sae; optimizer = state.optimizer
                deadLatents = DeadLatentCounter(stepsSinceFired: state.sinceFired, windowSteps: options.deadWindowSteps)
                scale = state.scale; startStep = state.step; resumed = state.step
                if let saved = state.history { history = saved }
                if let window = state.sparsityWindow { sparsityWindow = window }
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
            self.sae = sae; self.scale = scale; self.startStep = startStep; self.resumed = resumed; self.history = history
            (windowL0Sum, windowStepCount) = sparsityWindow
            current = startStep
            iteration = SAETrainingIteration(dIn: dIn, options: options, optimizer: optimizer, deadLatents: deadLatents)
            iteration.step.profile = options.profile
        }

        /// Trains on one batch (already scaled) as step `number` (counted from 1).
        func step(_ x: UnsafePointer<Float>, number: Int) throws -> Report {
            let step = number - 1, n = options.width
            let lr = options.learningRate(at: step)
            // SAELens restarts its window before a step whose count of steps done is a multiple of it.
            if step > 0 && step % SAELensFormat.sparsityWindowSteps == 0 { windowL0Sum = 0; windowStepCount = 0 }
            let outcome = iteration.run(sae, x: x, rows: options.batchSize, sparsityCoefficient: options.sparsity(at: step),
                                        learningRate: lr, step: step)
            let losses = outcome.losses
            // Every batch has the same rows, so the window's mean L0 is the mean of the batches'.
            windowL0Sum += losses.l0; windowStepCount += 1
            let deadFraction = Double(iteration.deadLatents.deadCount) / Double(n)
            if !outcome.dead.isEmpty && losses.auxiliary > 0 { auxKSteps += 1 }
            current = number
            last = losses
            var report = Report(losses: losses, deadFraction: deadFraction, learningRate: lr)
            if history.records(step: number, of: options.steps) {
                let norm = outcome.gradientNorm
                    ?? iteration.gradients.globalNorm(trainedThreshold: options.architecture.trainsThreshold ? sae.threshold : nil)
                let point = TrainingHistory.Point(step: number, loss: losses.total, mse: losses.fullReconstruction,
                                                  auxiliary: losses.auxiliary, l0: losses.l0, deadFraction: deadFraction,
                                                  learningRate: Double(lr), gradientNorm: norm)
                history.points.append(point)
                report.point = point
            }
            if let held = options.validation, number % options.validationEvery == 0 || number == options.steps {
                // The SAE as it stands, in the activations' own units, on the first held-out rows.
                let m = try inActivationUnits().metrics(held, maxTokens: options.validationTokens)
                let v = TrainingHistory.Validation(step: number, mse: m.mse, explainedVariance: m.explainedVariance, l0: m.l0,
                                                   deadFraction: m.deadFraction)
                history.validation.append(v)
                report.validation = v
            }
            if options.checkpointEvery > 0 && number % options.checkpointEvery == 0 && number < options.steps { try saveCheckpoint() }
            return report
        }

        func saveCheckpoint() throws {
            guard let dir = options.checkpointDirectory else { return }
            try TrainingCheckpoint.save(to: dir, sae: sae, optimizer: iteration.optimizer,
                                        sinceFired: iteration.deadLatents.stepsSinceFired,
                                        scale: scale, step: current, options: options, dIn: dIn, history: history,
                                        sparsityWindow: (windowL0Sum, windowStepCount))
        }

        /// A copy of the SAE rewritten for unscaled inputs, as its recipe folds the input scale back.
        func inActivationUnits() -> SparseAutoencoder {
            let copy = sae.copy()
            if scale != 1 {
                if options.recipe == .dictionaryLearning { scaleBiases(copy, by: 1 / scale) } else { foldScale(copy, scale) }
            }
            return copy
        }

        /// The SAE as trained so far, in the activations' own units.
        func finish(interrupted: Bool) throws -> SAETrainingResult {
            try saveCheckpoint()
            let result = inActivationUnits()
            // Which trainer's rules made it travels with the SAE (cfg.json's metadata).
            result.setExtraMetadata(.string(options.recipe.rawValue), forKey: "trainer")
            // End-of-training figures where SAELens's trainer records them (cfg.json's metadata).
            if windowStepCount > 0 {
                result.setExtraMetadata(.double(windowL0Sum / Double(windowStepCount)), forKey: "l0")
                result.setExtraMetadata(.int(iteration.deadLatents.deadCount), forKey: "num_dead_features")
            }
            result.history = history
            return SAETrainingResult(sae: result, stepsDone: current, interrupted: interrupted, resumedFromStep: resumed,
                                     lastLosses: last, tokensPerSecond: tokensPerSecond, auxKActiveSteps: auxKSteps,
                                     deadFraction: Double(iteration.deadLatents.deadCount) / Double(options.width),
                                     deadWindowSteps: options.deadWindowSteps, seed: options.seed, recipe: options.recipe,
                                     history: history)
        }
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
