import XCTest
import LoupeSafetensors
import LoupeSAE

/// Loupe's `.dictionaryLearning` recipe against dictionary_learning's own
/// BatchTopKTrainer and MatryoshkaBatchTopKTrainer, step by step, from
/// `Fixtures/dictionary_learning_training.safetensors`
/// (dev/make_dictionary_learning_fixture.py): which latents AuxK counts as
/// dead (after this batch's firing), the losses (Matryoshka's 1/G² weights,
/// AuxK after the ReLU and divided by the residual's spread), the gradient's
/// norm after the decoder's parallel part is removed, the gradients Adam
/// sees, the weights after each step (warm-up from a rate of 0, then decay),
/// the threshold's EMA and the token counters.
final class DictionaryLearningTrainingFixtureTests: XCTestCase {
    struct Fixture {
        let file: SafetensorsFile
        let dIn = 16, dSAE = 64
        let k: Int, steps: Int, batch: Int, totalSteps: Int, warmup: Int, decayStart: Int
        let deadTokens: Int, thresholdStart: Int, groupSizes: [Int]
        let learningRate: Float

        init() throws {
            file = try SafetensorsFile(path: fixturesPath() + "/dictionary_learning_training.safetensors")
            let metadata = file.metadata, path = file.path
            func number(_ key: String) throws -> Int {
                guard let text = metadata[key], let value = Int(text) else {
                    throw SAEError.unusableFile(path: path, "fixture lacks '\(key)'")
                }
                return value
            }
            (k, steps, batch) = (try number("k"), try number("steps"), try number("batch"))
            totalSteps = try number("total_steps"); warmup = try number("warmup_steps"); decayStart = try number("decay_start")
            deadTokens = try number("dead_feature_threshold"); thresholdStart = try number("threshold_start_step")
            groupSizes = (file.metadata["group_sizes"] ?? "").split(separator: ",").compactMap { Int($0) }
            learningRate = Float(file.metadata["lr"].flatMap(Double.init) ?? 0)
        }

        func architecture(_ prefix: String) -> any SAEArchitecture {
            prefix == "matryoshka" ? MatryoshkaBatchTopKArchitecture(k: k, groupSizes: groupSizes) : BatchTopKArchitecture(k: k)
        }

        /// The recipe's options with the fixture's schedule and thresholds
        /// (the package's defaults, 1,000 steps and 10 million tokens, are
        /// too long for a fixture; the rules are the same).
        func options(_ prefix: String) -> SAETrainingOptions {
            var o = SAETrainingOptions.dictionaryLearning(architecture: architecture(prefix), width: dSAE, steps: totalSteps,
                                                          batchSize: batch)
            o.learningRate = learningRate
            o.learningRateWarmupSteps = warmup
            o.learningRateDecaySteps = totalSteps - decayStart
            o.thresholdStartStep = thresholdStart
            o.deadWindowSteps = TrainingRecipe.deadWindowSteps(tokens: deadTokens, batch: batch)
            return o
        }

        func initialSAE(_ prefix: String) throws -> SparseAutoencoder {
            try SparseAutoencoder(dIn: dIn, dSAE: dSAE, architecture: architecture(prefix),
                                  wEnc: file.floats("\(prefix).init.W_enc"), bEnc: file.floats("\(prefix).init.b_enc"),
                                  wDec: file.floats("\(prefix).init.W_dec"), bDec: file.floats("\(prefix).init.b_dec"),
                                  threshold: [Float](repeating: 0, count: dSAE))
        }

        /// Token counters as Loupe's step counters.
        func stepsSinceFired(_ key: String) throws -> [Float] { try file.floats(key).map { $0 / Float(batch) } }

        func batch(_ step: Int) throws -> [Float] {
            let x = try file.floats("x"), size = batch * dIn
            return Array(x[(step * size)..<((step + 1) * size)])
        }
    }

    func assertClose(_ got: [Float], _ want: [Float], _ what: String, tolerance: Double = 2e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        assertCloseToReference(got, want, what, reference: "dictionary_learning", tolerance: tolerance, file: file, line: line)
    }

    func assertClose(_ got: Double, _ want: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got, Double(want), accuracy: 2e-5 * abs(Double(want)), what, file: file, line: line)
    }

    func replay(_ prefix: String) throws {
        let f = try Fixture()
        let options = f.options(prefix)
        let sae = try f.initialSAE(prefix)
        let iteration = SAETrainingIteration(
            dIn: f.dIn, options: options, optimizer: AdamOptimizer(dIn: f.dIn, dSAE: f.dSAE),
            deadLatents: DeadLatentCounter(stepsSinceFired: try f.stepsSinceFired("\(prefix).init.since_fired"),
                                           windowSteps: options.deadWindowSteps))
        for s in 0..<f.steps {
            let x = try f.batch(s), p = "\(prefix).step\(s)"
            let before = (wEnc: sae.wEnc, bEnc: sae.bEnc, wDec: sae.wDec, bDec: sae.bDec)
            // The fixture numbers its steps from 1 (so the trainer keeps b_dec); the schedule counts from 0.
            let outcome = x.withUnsafeBufferPointer {
                iteration.run(sae, x: $0.baseAddress!, rows: f.batch, sparsityCoefficient: 0,
                              learningRate: options.learningRate(at: s), step: s + 1)
            }
            let dead = try f.file.floats("\(p).dead").enumerated().filter { $0.element != 0 }.map { Int32($0.offset) }
            XCTAssertFalse(dead.isEmpty)
            XCTAssertEqual(outcome.dead, dead, "\(p): dead latents")

            let losses = try f.file.floats("\(p).losses")
            assertClose(outcome.losses.reconstruction, losses[0], "\(p): reconstruction")
            assertClose(outcome.losses.auxiliary, losses[1], "\(p): α·AuxK")
            assertClose(outcome.losses.total, losses[2], "\(p): total loss")
            assertClose(outcome.gradientNorm ?? 0, try f.file.floats("\(p).grad_norm")[0], "\(p): norm before clipping")

            let g = iteration.gradients
            assertClose(g.wEnc, try f.file.floats("\(p).grad.W_enc"), "\(p): dW_enc")
            assertClose(g.bEnc, try f.file.floats("\(p).grad.b_enc"), "\(p): db_enc")
            assertClose(g.wDec, try f.file.floats("\(p).grad.W_dec"), "\(p): dW_dec", tolerance: 1e-4)
            assertClose(g.bDec, try f.file.floats("\(p).grad.b_dec"), "\(p): db_dec")

            for (name, now, was) in [("W_enc", sae.wEnc, before.wEnc), ("b_enc", sae.bEnc, before.bEnc),
                                     ("W_dec", sae.wDec, before.wDec), ("b_dec", sae.bDec, before.bDec)] {
                let want = try f.file.floats("\(p).\(name)")
                assertClose(now, want, "\(p): \(name) after Adam")
                if s > 0 {   // step 0 has a learning rate of 0: nothing moves
                    let moved = (0..<now.count).map { now[$0] - was[$0] }, wantMoved = (0..<now.count).map { want[$0] - was[$0] }
                    assertClose(moved, wantMoved, "\(p): \(name) update", tolerance: 1e-3)
                } else {
                    // (Renormalising the decoder rows may move their last digit.)
                    assertClose(now, was, "\(p): \(name) moved with a learning rate of 0", tolerance: 1e-6)
                }
            }
            let threshold = try f.file.floats("\(p).threshold")[0]
            // dictionary_learning's unset threshold is −1, Loupe's 0: both keep every positive value.
            XCTAssertEqual(Double(sae.threshold[0]), Double(max(threshold, 0)), accuracy: 1e-5 * Double(abs(threshold)) + 1e-7,
                           "\(p): threshold")
            XCTAssertEqual(iteration.deadLatents.stepsSinceFired, try f.stepsSinceFired("\(p).since_fired"), "\(p): counters")
        }
    }

    func testBatchTopKStepsMatchDictionaryLearning() throws { try replay("batchtopk") }

    func testMatryoshkaStepsMatchDictionaryLearning() throws { try replay("matryoshka") }

    /// b_dec's start and the input scale: the trainer's geometric median of
    /// a batch, and get_norm_factor's √(mean ‖x‖²).
    func testMedianAndNormFactorMatchDictionaryLearning() throws {
        let f = try Fixture()
        let x0 = try f.batch(0)
        assertClose(geometricMedian(x0, width: f.dIn), try f.file.floats("median"), "geometric median", tolerance: 1e-4)
        let all = try f.file.floats("x")
        let source = try MatrixActivationSource(values: all, width: f.dIn)
        let meanSquare = try SAETrainer.meanSquaredNorm(source, rows: 100 * f.batch)
        assertClose(meanSquare.squareRoot(), try f.file.floats("norm_factor")[0], "norm factor")
    }

    /// The recipe's defaults are the package's: pinned here so a change is a decision.
    func testRecipeDefaultsAreDictionaryLearnings() {
        let o = SAETrainingOptions.dictionaryLearning(architecture: BatchTopKArchitecture(k: 20), width: 16_384 * 4, steps: 2000,
                                                      batchSize: 4096)
        XCTAssertEqual(o.learningRate, 1e-4, accuracy: 1e-9)             // 2e-4 / √4
        XCTAssertEqual(o.auxCoefficient, 1 / 32)
        XCTAssertEqual(o.learningRateWarmupSteps, 1000)
        XCTAssertEqual(o.learningRateDecaySteps, 0)
        XCTAssertEqual(o.thresholdStartStep, 1000)
        XCTAssertEqual(o.thresholdBeta, 0.999)
        XCTAssertEqual(o.deadWindowSteps, 2441)                            // ⌈10,000,000 / 4,096⌉ − 1: dead from 2,442 silent steps
        XCTAssertEqual(o.gradientClipNorm, 1)
        XCTAssertTrue(o.normalizeInputs)
        XCTAssertEqual(o.learningRate(at: 0), 0)                           // step / W from 0
        XCTAssertEqual(o.learningRate(at: 500), 0.5e-4, accuracy: 1e-10)
    }

    /// What the recipe refuses, with the fix in the message.
    func testRecipeRefusesRunsItCannotFollow() {
        var o = SAETrainingOptions.dictionaryLearning(architecture: TopKArchitecture(k: 8), width: 64, steps: 2000, batchSize: 32)
        XCTAssertThrowsError(try o.validate(dIn: 16)) { XCTAssertTrue("\($0)".contains("BatchTopK and Matryoshka")) }
        o = SAETrainingOptions.dictionaryLearning(architecture: BatchTopKArchitecture(k: 8), width: 64, steps: 900, batchSize: 32)
        XCTAssertThrowsError(try o.validate(dIn: 16)) { XCTAssertTrue("\($0)".contains("thresholdStart:")) }
        o.thresholdStartStep = 10
        XCTAssertThrowsError(try o.validate(dIn: 16)) { XCTAssertTrue("\($0)".contains("warmup:")) }
        o.learningRateWarmupSteps = 100
        XCTAssertNoThrow(try o.validate(dIn: 16))
    }
}
