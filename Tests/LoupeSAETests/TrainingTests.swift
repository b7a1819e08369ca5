import Foundation
import XCTest
import LoupeSAE

final class TrainingTests: XCTestCase {
    let width = 8

    func options(_ arch: any SAEArchitecture, steps: Int) -> SAETrainingOptions {
        var o = SAETrainingOptions(architecture: arch, width: 32, steps: steps)
        o.batchSize = 16
        o.learningRate = 3e-3
        o.learningRateWarmupSteps = 3
        o.learningRateDecaySteps = 4
        o.sparsityWarmupSteps = 5
        o.deadWindowSteps = 2        // a few steps, so AuxK has dead latents to work on
        o.auxK = 4
        o.initSampleRows = 64
        o.bufferBatches = 3
        o.seed = 77
        return o
    }

    func source(seed: UInt64 = 5) throws -> MatrixActivationSource {
        try MatrixActivationSource(values: syntheticActivations(tokens: 200, width: width, directions: 12, seed: seed), width: width)
    }

    /// Train 12 steps straight; separately train with checkpoints every 4
    /// steps, "kill" the run after step 7 (keeping only the step-4
    /// checkpoint, as a crash would), resume, and finish: the weights must be
    /// bit-for-bit the same.
    func checkResumeIsExact(_ arch: any SAEArchitecture, normalize: Bool = false) throws {
        var plain = options(arch, steps: 12)
        plain.normalizeInputs = normalize
        // A history point every 3 steps and validation every 5, across the checkpoint at 4 and the kill at 7.
        plain.historyEvery = 3
        plain.validation = try source(seed: 9)
        plain.validationEvery = 5
        let straight = try SAETrainer.train(source: source(), options: plain)

        let dir = temporaryFolder("resume")
        var checkpointed = plain
        checkpointed.checkpointDirectory = dir
        checkpointed.checkpointEvery = 4
        let file = dir + "/checkpoint.safetensors", saved = dir + "/step4"
        var stepsSeen = 0
        let first = try SAETrainer.train(source: source(), options: checkpointed, shouldStop: { stepsSeen >= 7 }) { p in
            stepsSeen = p.step
            if p.step == 5 { try? FileManager.default.copyItem(atPath: file, toPath: saved) }
        }
        XCTAssertTrue(first.interrupted)
        XCTAssertEqual(first.stepsDone, 7)
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.moveItem(atPath: saved, toPath: file)

        let resumed = try SAETrainer.train(source: source(), options: checkpointed)
        XCTAssertEqual(resumed.resumedFromStep, 4)
        XCTAssertEqual(resumed.stepsDone, 12)
        XCTAssertEqual(resumed.sae.wEnc, straight.sae.wEnc, "\(arch) encoder differs after resume")
        XCTAssertEqual(resumed.sae.wDec, straight.sae.wDec, "\(arch) decoder differs after resume")
        XCTAssertEqual(resumed.sae.bEnc, straight.sae.bEnc)
        XCTAssertEqual(resumed.sae.bDec, straight.sae.bDec)
        XCTAssertEqual(resumed.sae.threshold, straight.sae.threshold)
        XCTAssertEqual(resumed.history, straight.history, "\(arch) history differs after resume")
        // SAELens's end-of-training figures too: the checkpoint keeps the sparsity window.
        for key in ["l0", "num_dead_features"] {
            XCTAssertNotNil(straight.sae.metadata.extra[key], key)
            XCTAssertEqual(resumed.sae.metadata.extra[key], straight.sae.metadata.extra[key], "\(arch) \(key) differs after resume")
        }
        XCTAssertEqual(straight.history.points.map(\.step), [3, 6, 9, 12])
        XCTAssertEqual(straight.history.validation.map(\.step), [5, 10, 12])
        // And the run did move away from its starting point.
        XCTAssertNotEqual(straight.sae.wEnc, try SparseAutoencoder(dIn: width, dSAE: 32, architecture: arch, seed: 77).wEnc)
    }

    func testResumeAfterKillMatchesTopK() throws { try checkResumeIsExact(TopKArchitecture(k: 3)) }
    func testResumeAfterKillMatchesBatchTopK() throws { try checkResumeIsExact(BatchTopKArchitecture(k: 3), normalize: true) }
    func testResumeAfterKillMatchesJumpReLU() throws { try checkResumeIsExact(JumpReLUArchitecture(l0Coefficient: 0.05)) }
    func testResumeAfterKillMatchesReLU() throws { try checkResumeIsExact(ReLUArchitecture(l1Coefficient: 0.1), normalize: true) }
    func testResumeAfterKillMatchesMatryoshka() throws {
        try checkResumeIsExact(MatryoshkaBatchTopKArchitecture(k: 3, groupSizes: [4, 12, 16]))
    }

    /// The history holds what each recorded step reported, the validation
    /// what the SAE as it stood measures on the held-out rows, and both
    /// travel with the SAE through a save and a load.
    func testHistoryRecordsTheRunAndIsSavedWithTheSAE() throws {
        var o = options(TopKArchitecture(k: 3), steps: 10)
        o.historyEvery = 4
        let held = try source(seed: 9)
        o.validation = held
        o.validationEvery = 10
        var reported: [Int: SAETrainingProgress] = [:]
        let run = try SAETrainer.train(source: source(), options: o) { reported[$0.step] = $0 }
        let h = run.history
        XCTAssertEqual(h.points.map(\.step), [4, 8, 10])
        for p in h.points {
            let r = try XCTUnwrap(reported[p.step])
            XCTAssertEqual(r.point, p)
            XCTAssertEqual(p.loss, r.loss); XCTAssertEqual(p.mse, r.reconstructionLoss); XCTAssertEqual(p.l0, r.l0)
            XCTAssertEqual(p.deadFraction, r.deadFraction); XCTAssertEqual(p.learningRate, Double(r.learningRate))
            XCTAssertGreaterThan(p.gradientNorm, 0)
        }
        XCTAssertNil(reported[5]?.point)
        // Validation at the end is the returned SAE's own metrics on the held-out rows.
        let m = try run.sae.metrics(held)
        XCTAssertEqual(h.validation.map(\.step), [10])
        XCTAssertEqual(h.validation[0].mse, m.mse, accuracy: 1e-9 * max(1, m.mse))
        XCTAssertEqual(h.validation[0].explainedVariance, m.explainedVariance, accuracy: 1e-9)
        XCTAssertEqual(h.validation[0].l0, m.l0)

        let dir = temporaryFolder("history")
        try run.sae.save(to: dir)
        XCTAssertEqual(try SparseAutoencoder.load(from: dir).history, h)
        // Saved again without a history, the old file no longer matches the weights and is not read.
        let bare = run.sae.copy()
        bare.history = nil
        bare.bDec[0] += 1
        try bare.save(to: dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + SAELensFormat.historyFile))
        XCTAssertNil(try SparseAutoencoder.load(from: dir).history)
    }

    /// Several SAEs trained on each batch read once are, bit for bit, the
    /// SAEs trained one at a time, histories included.
    func testSweepEqualsSeparateRuns() throws {
        var runs = [options(TopKArchitecture(k: 3), steps: 9), options(BatchTopKArchitecture(k: 3), steps: 9),
                    options(MatryoshkaBatchTopKArchitecture(k: 3, groupSizes: [8, 24]), steps: 9)]
        runs[1].width = 32; runs[1].normalizeInputs = true
        runs[2].historyEvery = 2
        let together = try SAETrainer.sweep(source: source(), runs: runs)
        for (o, swept) in zip(runs, together) {
            let alone = try SAETrainer.train(source: source(), options: o)
            XCTAssertEqual(swept.sae.wEnc, alone.sae.wEnc, "\(o.architecture)")
            XCTAssertEqual(swept.sae.wDec, alone.sae.wDec, "\(o.architecture)")
            XCTAssertEqual(swept.sae.threshold, alone.sae.threshold)
            XCTAssertEqual(swept.history, alone.history)
        }
        var other = runs
        other[1].steps = 10
        XCTAssertThrowsError(try SAETrainer.sweep(source: source(), runs: other)) { XCTAssertTrue("\($0)".contains("same batches"), "\($0)") }
        XCTAssertThrowsError(try SAETrainer.sweep(source: source(), runs: [])) { XCTAssertTrue("\($0)".contains("at least one"), "\($0)") }
        // Stop keeps every SAE as trained so far.
        var seen = 0
        let stopped = try SAETrainer.sweep(source: source(), runs: runs, shouldStop: { seen >= 4 * runs.count }) { _, _ in seen += 1 }
        XCTAssertEqual(stopped.map(\.stepsDone), [4, 4, 4])
        XCTAssertTrue(stopped.allSatisfy(\.interrupted))
    }

    func testValidationOfAnotherWidthIsRefused() throws {
        var o = options(TopKArchitecture(k: 3), steps: 4)
        o.validation = try MatrixActivationSource(values: [Float](repeating: 1, count: 30), width: 3)
        XCTAssertThrowsError(try SAETrainer.train(source: source(), options: o)) { XCTAssertTrue("\($0)".contains("3 wide"), "\($0)") }
        o.validation = try source(seed: 9)
        o.validationEvery = 0
        XCTAssertThrowsError(try SAETrainer.train(source: source(), options: o)) { XCTAssertTrue("\($0)".contains("every"), "\($0)") }
    }

    func testSameSeedRepeatsAndOtherSeedDiffers() throws {
        let a = try SAETrainer.train(source: source(), options: options(TopKArchitecture(k: 3), steps: 5))
        let b = try SAETrainer.train(source: source(), options: options(TopKArchitecture(k: 3), steps: 5))
        var other = options(TopKArchitecture(k: 3), steps: 5)
        other.seed = 78
        let c = try SAETrainer.train(source: source(), options: other)
        XCTAssertEqual(a.sae.wDec, b.sae.wDec)
        XCTAssertNotEqual(a.sae.wDec, c.sae.wDec)
    }

    func testCheckpointWithOtherSettingsIsRefused() throws {
        let dir = temporaryFolder("mismatch")
        var o = options(TopKArchitecture(k: 3), steps: 4)
        o.checkpointDirectory = dir
        _ = try SAETrainer.train(source: source(), options: o, shouldStop: { false })
        o.seed = 1
        XCTAssertThrowsError(try SAETrainer.train(source: source(), options: o)) { XCTAssertTrue("\($0)".contains("other settings"), "\($0)") }
    }

    /// Training reduces the loss, keeps decoder rows at unit norm, reports
    /// progress every step, and stops when asked keeping what it has.
    func testTrainingLearnsReportsAndStops() throws {
        let src = try source()
        var o = options(TopKArchitecture(k: 4), steps: 120)
        o.learningRateDecaySteps = 0
        o.deadWindowSteps = 60
        var reports: [SAETrainingProgress] = []
        let result = try SAETrainer.train(source: src, options: o) { reports.append($0) }
        XCTAssertEqual(reports.count, 120)
        XCTAssertEqual(reports.map { $0.step }, Array(1...120))
        XCTAssertLessThan(reports.last!.loss, reports.first!.loss * 0.5)
        XCTAssertEqual(reports.last!.l0, 4, accuracy: 1e-9)
        XCTAssertGreaterThan(reports.last!.tokensPerSecond, 0)
        for norm in result.sae.decoderNorms { XCTAssertEqual(norm, 1, accuracy: 1e-4) }
        let metrics = try result.sae.metrics(src)
        XCTAssertGreaterThan(metrics.explainedVariance, 0.5)
        XCTAssertEqual(metrics.l0, 4, accuracy: 1e-9)

        var calls = 0
        let stopped = try SAETrainer.train(source: src, options: o, shouldStop: { calls += 1; return calls > 3 })
        XCTAssertTrue(stopped.interrupted)
        XCTAssertEqual(stopped.stepsDone, 3)
    }

    /// Normalised training hands back an SAE that reads raw activations.
    func testInputScaleIsFoldedIn() throws {
        let values = syntheticActivations(tokens: 200, width: width, directions: 12, seed: 5).map { $0 * 40 }
        let src = try MatrixActivationSource(values: values, width: width)
        var o = options(TopKArchitecture(k: 4), steps: 150)
        o.learningRateDecaySteps = 0
        o.normalizeInputs = true
        let result = try SAETrainer.train(source: src, options: o)
        XCTAssertNotNil(result.sae.metadata.extra["input_scale_folded"])
        XCTAssertGreaterThan(try result.sae.metrics(src).explainedVariance, 0.5)
    }

    func testDecoderBiasStartsAtTheGeometricMedian() {
        // Four corners of a unit square plus one far outlier: the median
        // (found by brute force along the diagonal: 0.7887) stays by the square.
        let rows: [Float] = [0, 0, 1, 0, 0, 1, 1, 1, 100, 100]
        let m = geometricMedian(rows, width: 2)
        XCTAssertEqual(m[0], 0.7887, accuracy: 1e-3)
        XCTAssertEqual(m[1], 0.7887, accuracy: 1e-3)
        XCTAssertEqual(columnMean(rows, width: 2), [20.4, 20.4])
    }
}

final class MetricsTests: XCTestCase {
    /// Metrics against hand-computed values on a two-latent SAE.
    func testMetricsMatchDefinitions() throws {
        // Identity-like SAE on 2-d inputs: latent 0 reads/writes x0, latent 1 reads/writes x1, ReLU.
        let sae = try SparseAutoencoder(dIn: 2, dSAE: 3, architecture: ReLUArchitecture(),
                                        wEnc: [1, 0, 0, 1, 0, 0], bEnc: [0, 0, -1], wDec: [1, 0, 0, 1, 0, 0], bDec: [0, 0])
        // Rows: (1, 2) reconstructs exactly; (-1, 3) loses x0 (ReLU); (2, -2) loses x1.
        let x: [Float] = [1, 2, -1, 3, 2, -2]
        let m = try sae.metrics(x, width: 2)
        let err = 1.0 + 4.0   // (−1)² + (−2)²
        let mean = [2.0 / 3, 1.0]
        var total = 0.0
        for r in 0..<3 { for t in 0..<2 { total += pow(Double(x[r * 2 + t]) - mean[t], 2) } }
        XCTAssertEqual(m.mse, err / 6, accuracy: 1e-9)
        XCTAssertEqual(m.explainedVariance, 1 - err / total, accuracy: 1e-9)
        XCTAssertEqual(m.l0, 4.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(m.deadFraction, 1.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(m.denseFraction, 2.0 / 3, accuracy: 1e-9)
        let c2: Double = 3 / Double(10).squareRoot(), c3: Double = 2 / Double(8).squareRoot()
        let cos: Double = (1 + c2 + c3) / 3
        XCTAssertEqual(m.cosineSimilarity, cos, accuracy: 1e-6)
        XCTAssertEqual(m.density, [2.0 / 3, 2.0 / 3, 0])
        XCTAssertEqual(try sae.featureActivations(x, width: 2, feature: 1), [2, 3, 0])
        XCTAssertThrowsError(try sae.featureActivations(x, width: 2, feature: 3))
    }

    func testShuffleStoreIsDeterministicAndCoversRows() throws {
        let values = (0..<40).map { Float($0) }
        func draw(seed: UInt64, batches: Int) throws -> [Float] {
            let store = try ActivationStore(source: MatrixActivationSource(values: values, width: 1), batchSize: 10, bufferBatches: 2, seed: seed)
            var out: [Float] = []
            for _ in 0..<batches {
                var b = [Float](repeating: 0, count: 10)
                try b.withUnsafeMutableBufferPointer { try store.nextBatch(into: $0.baseAddress!) }
                out += b
            }
            return out
        }
        let a = try draw(seed: 1, batches: 4)
        XCTAssertEqual(a, try draw(seed: 1, batches: 4))
        XCTAssertNotEqual(a, try draw(seed: 2, batches: 4))
        XCTAssertNotEqual(a, values, "batches are not shuffled")
        // 40 batches read the source 11 times (400 rows handed out, 20 still
        // buffered): every row is handed out 11 times less its buffered copies.
        var counts = [Int](repeating: 0, count: 40)
        for v in try draw(seed: 3, batches: 40) { counts[Int(v)] += 1 }
        XCTAssertEqual(counts.reduce(0, +), 400)
        for c in counts { XCTAssertTrue((9...11).contains(c), "row handed out \(c) times") }
    }
}

final class StoreAndOptimizerTests: XCTestCase {
    /// A cache written once serves later runs: training from it repeats
    /// training from the in-memory matrix exactly.
    func testTrainingFromDiskCacheMatchesMemory() throws {
        let values = syntheticActivations(tokens: 150, width: 8, directions: 10, seed: 9)
        let memory = try MatrixActivationSource(values: values, width: 8)
        let dir = temporaryFolder("cache-train")
        try ActivationCache.write(memory, to: dir + "/acts.safetensors", chunkRows: 64)
        let cached = try CachedActivationSource(path: dir + "/acts.safetensors")
        XCTAssertEqual(cached.rowCount, 150)
        var o = SAETrainingOptions(architecture: TopKArchitecture(k: 3), width: 24, steps: 6)
        o.batchSize = 32; o.initSampleRows = 100
        let a = try SAETrainer.train(source: memory, options: o)
        let b = try SAETrainer.train(source: cached, options: o)
        XCTAssertEqual(a.sae.wDec, b.sae.wDec)
        XCTAssertEqual(a.sae.bDec, b.sae.bDec)
        let partial = dir + "/first100.safetensors"
        try ActivationCache.write(memory, to: partial, maxRows: 100)
        XCTAssertEqual(try CachedActivationSource(path: partial).rowCount, 100)
        XCTAssertThrowsError(try CachedActivationSource(path: dir + "/missing.safetensors"))
    }

    /// The part of a decoder gradient along the row itself would only change
    /// the row's length; it is removed, so adding any multiple of the row to
    /// the gradient leaves the update unchanged, and rows stay unit-norm.
    func testDecoderGradientAlongTheRowIsRemoved() throws {
        func step(alongRow: Float) throws -> [Float] {
            let sae = try SparseAutoencoder(dIn: 4, dSAE: 3, architecture: TopKArchitecture(k: 1), seed: 1)
            let grads = SAEGradients(dIn: 4, dSAE: 3)
            let w = Array(sae.wDec[4..<8])
            // p = e0 − (e0·w) w is perpendicular to row 1.
            let p = (0..<4).map { (t: Int) -> Float in (t == 0 ? 1 : 0) - w[0] * w[t] }
            for t in 0..<4 { grads.wDec[4 + t] = p[t] + alongRow * w[t] }
            grads.touched[1] = true
            AdamOptimizer(dIn: 4, dSAE: 3).update(sae, gradients: grads, lr: 0.1)
            XCTAssertEqual(sae.decoderNorms[1], 1, accuracy: 1e-6)
            XCTAssertNotEqual(Array(sae.wDec[4..<8]), w, "the perpendicular part must move the row")
            return sae.wDec
        }
        let plain = try step(alongRow: 0), withParallel = try step(alongRow: 5)
        for i in plain.indices { XCTAssertEqual(plain[i], withParallel[i], accuracy: 1e-5) }
    }

    func testGradientClipping() throws {
        let grads = SAEGradients(dIn: 2, dSAE: 2)
        grads.bDec = [3, 0]
        grads.bEnc = [0, 4]
        XCTAssertEqual(grads.globalNorm(), 5, accuracy: 1e-9)
        XCTAssertEqual(grads.clipGlobalNorm(1), 5, accuracy: 1e-9)
        // torch's clip_grad_norm_: scaled by 1 / (5 + 1e-6), not 1 / 5.
        XCTAssertEqual(Double(grads.bDec[0]), 3 / (5 + 1e-6), accuracy: 1e-7)
        XCTAssertEqual(grads.globalNorm(), 1, accuracy: 1e-5)
        let before = grads.bDec
        grads.clipGlobalNorm(10)
        XCTAssertEqual(grads.bDec, before, "below the limit nothing changes")
        // A norm exactly at the limit is still scaled, by limit / (norm + 1e-6), as torch does.
        grads.bDec = [1, 0]; grads.bEnc = [0, 0]
        grads.clipGlobalNorm(1)
        XCTAssertEqual(Double(grads.bDec[0]), 1 / (1 + 1e-6), accuracy: 1e-7)
        XCTAssertLessThan(grads.bDec[0], 1)
        // A trained threshold counts as log θ: its gradient is θ·dL/dθ.
        let thresholdGrads = SAEGradients(dIn: 1, dSAE: 1)
        thresholdGrads.threshold = [2]
        XCTAssertEqual(thresholdGrads.globalNorm(trainedThreshold: [1.5]), 3, accuracy: 1e-9)
        XCTAssertEqual(thresholdGrads.globalNorm(), 0, "an untrained threshold is no parameter")

        // Clipping is on by default at 1, as in SAELens; clipped training
        // repeats exactly and differs from unclipped.
        XCTAssertEqual(SAETrainingOptions(architecture: TopKArchitecture(k: 2), width: 12, steps: 4).gradientClipNorm, 1)
        let src = try MatrixActivationSource(values: syntheticActivations(tokens: 100, width: 6, directions: 8, seed: 4), width: 6)
        var o = SAETrainingOptions(architecture: TopKArchitecture(k: 2), width: 12, steps: 4)
        o.batchSize = 20; o.learningRate = 1e-2; o.initSampleRows = 50
        o.gradientClipNorm = nil
        let free = try SAETrainer.train(source: src, options: o)
        o.gradientClipNorm = 0.01
        let clipped = try SAETrainer.train(source: src, options: o)
        XCTAssertNotEqual(free.sae.wEnc, clipped.sae.wEnc)
        XCTAssertEqual(clipped.sae.wEnc, try SAETrainer.train(source: src, options: o).sae.wEnc)
    }

    func testRegistryNamesAndAliases() throws {
        XCTAssertTrue(try SAEArchitectures.named("standard") == ReLUArchitecture.self)
        XCTAssertTrue(try SAEArchitectures.named("relu") == ReLUArchitecture.self)
        XCTAssertTrue(try SAEArchitectures.named("TopK") == TopKArchitecture.self)
        XCTAssertTrue(try SAEArchitectures.named("batchtopk") == BatchTopKArchitecture.self)
        XCTAssertTrue(try SAEArchitectures.named("jumprelu") == JumpReLUArchitecture.self)
        XCTAssertTrue(try SAEArchitectures.named("matryoshka_batchtopk") == MatryoshkaBatchTopKArchitecture.self)
        XCTAssertThrowsError(try SAEArchitectures.named("gated")) { XCTAssertTrue("\($0)".contains("topk"), "\($0)") }
        XCTAssertThrowsError(try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: MatryoshkaBatchTopKArchitecture(k: 2, widths: [3, 6]))) {
            XCTAssertTrue("\($0)".contains("must end at the SAE width 8"), "\($0)")
        }
        XCTAssertThrowsError(try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 9)))
    }
}
