import XCTest
import LoupeSafetensors
import LoupeSAE

/// Loupe's training iteration against SAELens's own TopK trainer, step by
/// step, from `Fixtures/saelens_topk_training.safetensors`
/// (dev/make_auxk_fixture.py): the dead-latent masks, the losses (MSE, AuxK,
/// total), the gradient's norm, the gradients after clipping, the weights
/// after each Adam step and the dead-latent counters. Some latents start
/// dead and others exactly at the window, most dead pre-activations are
/// negative, and the gradient's norm is far above 1, so AuxK's selection,
/// scale and raw values, the dead window's count, and clipping all show.
final class SAELensTrainingFixtureTests: XCTestCase {
    struct Fixture {
        let file: SafetensorsFile
        let dIn: Int, dSAE: Int, k: Int, steps: Int, batch: Int, window: Int
        let learningRate: Float

        init() throws {
            let file = try SafetensorsFile(path: fixturesPath() + "/saelens_topk_training.safetensors")
            self.file = file
            let shape = try file.shape("init.W_enc")   // SAELens: [d_in, d_sae]
            dIn = shape[0]; dSAE = shape[1]
            func number(_ key: String) throws -> Double {
                guard let text = file.metadata[key], let value = Double(text) else { throw SAEError.unusableFile(path: file.path, "fixture lacks '\(key)'") }
                return value
            }
            k = Int(try number("k")); steps = Int(try number("steps")); batch = Int(try number("batch"))
            window = Int(try number("dead_feature_window")); learningRate = Float(try number("lr"))
        }

        /// A parameter (or its gradient) in Loupe's layout: SAELens's W_enc
        /// is [d_in, d_sae], Loupe's one row per latent.
        func parameter(_ name: String) throws -> [Float] {
            let values = try file.floats(name)
            guard name.hasSuffix("W_enc") else { return values }
            var rows = [Float](repeating: 0, count: values.count)
            for t in 0..<dIn { for j in 0..<dSAE { rows[j * dIn + t] = values[t * dSAE + j] } }
            return rows
        }

        func initialSAE() throws -> SparseAutoencoder {
            try SparseAutoencoder(dIn: dIn, dSAE: dSAE, architecture: TopKArchitecture(k: k),
                                  wEnc: parameter("init.W_enc"), bEnc: parameter("init.b_enc"),
                                  wDec: parameter("init.W_dec"), bDec: parameter("init.b_dec"))
        }

        /// Loupe's iteration with SAELens's settings: only the batch size and
        /// the window are set; k_aux, AuxK's coefficient and clipping at 1
        /// are Loupe's defaults.
        func iteration() throws -> SAETrainingIteration {
            var options = SAETrainingOptions(architecture: TopKArchitecture(k: k), width: dSAE, steps: steps)
            options.batchSize = batch
            options.deadWindowSteps = window
            return SAETrainingIteration(dIn: dIn, options: options, optimizer: AdamOptimizer(dIn: dIn, dSAE: dSAE),
                                        deadLatents: DeadLatentCounter(stepsSinceFired: try file.floats("init.since_fired"),
                                                                       windowSteps: window))
        }

        func batch(_ step: Int) throws -> [Float] {
            let x = try file.floats("x"), size = batch * dIn
            return Array(x[(step * size)..<((step + 1) * size)])
        }

        func deadLatents(_ step: Int) throws -> [Int32] {
            try file.floats("step\(step).dead").enumerated().filter { $0.element != 0 }.map { Int32($0.offset) }
        }
    }

    func assertClose(_ got: [Float], _ want: [Float], _ what: String, tolerance: Double = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        assertCloseToReference(got, want, what, reference: "SAELens", tolerance: tolerance, file: file, line: line)
    }

    func assertClose(_ got: Double, _ want: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got, Double(want), accuracy: 1e-5 * abs(Double(want)), what, file: file, line: line)
    }

    /// Every step of the reference run, with the decoder a free parameter as
    /// in SAELens.
    func testTopKStepsMatchSAELens() throws {
        let f = try Fixture()
        let sae = try f.initialSAE()
        let iteration = try f.iteration()
        iteration.normalizeDecoder = false
        var sawPartialScale = false, sawFullScale = false
        for s in 0..<f.steps {
            let x = try f.batch(s)
            let before = (wEnc: sae.wEnc, bEnc: sae.bEnc, wDec: sae.wDec, bDec: sae.bDec)
            let outcome = x.withUnsafeBufferPointer {
                iteration.run(sae, x: $0.baseAddress!, rows: f.batch, sparsityCoefficient: 0, learningRate: f.learningRate)
            }
            XCTAssertEqual(outcome.dead, try f.deadLatents(s), "step \(s): dead latents")
            let kAux = f.dIn / 2
            if outcome.dead.count < kAux { sawPartialScale = true } else { sawFullScale = true }

            let losses = try f.file.floats("step\(s).losses")
            assertClose(outcome.losses.reconstruction, losses[0], "step \(s): MSE")
            assertClose(outcome.losses.auxiliary, losses[1], "step \(s): AuxK")
            assertClose(outcome.losses.total, losses[2], "step \(s): total loss")
            assertClose(outcome.gradientNorm ?? 0, try f.file.floats("step\(s).grad_norm")[0], "step \(s): norm before clipping")

            let g = iteration.gradients
            assertClose(g.wEnc, try f.parameter("step\(s).grad.W_enc"), "step \(s): clipped dW_enc")
            assertClose(g.bEnc, try f.parameter("step\(s).grad.b_enc"), "step \(s): clipped db_enc")
            assertClose(g.wDec, try f.parameter("step\(s).grad.W_dec"), "step \(s): clipped dW_dec")
            assertClose(g.bDec, try f.parameter("step\(s).grad.b_dec"), "step \(s): clipped db_dec")

            for (name, now, was) in [("W_enc", sae.wEnc, before.wEnc), ("b_enc", sae.bEnc, before.bEnc),
                                     ("W_dec", sae.wDec, before.wDec), ("b_dec", sae.bDec, before.bDec)] {
                let want = try f.parameter("step\(s).\(name)")
                assertClose(now, want, "step \(s): \(name) after Adam")
                // The step itself, not only the weights it lands on.
                let moved = (0..<now.count).map { now[$0] - was[$0] }, wantMoved = (0..<now.count).map { want[$0] - was[$0] }
                assertClose(moved, wantMoved, "step \(s): \(name) update", tolerance: 1e-3)
            }
            XCTAssertEqual(iteration.deadLatents.stepsSinceFired, try f.file.floats("step\(s).since_fired"), "step \(s): counters")
        }
        XCTAssertTrue(sawPartialScale && sawFullScale, "the fixture should have steps with fewer and more dead latents than k_aux")
    }

    /// As the trainer runs it, with unit-norm decoder rows: the first step's
    /// loss and gradients are SAELens's (its decoder rows start at unit norm),
    /// and so are the encoder and both biases after Adam; only the decoder
    /// moves differently, staying on the unit sphere.
    func testFirstStepWithUnitNormDecoderMatchesSAELens() throws {
        let f = try Fixture()
        let sae = try f.initialSAE()
        let iteration = try f.iteration()
        let x = try f.batch(0)
        let outcome = x.withUnsafeBufferPointer {
            iteration.run(sae, x: $0.baseAddress!, rows: f.batch, sparsityCoefficient: 0, learningRate: f.learningRate)
        }
        let losses = try f.file.floats("step0.losses")
        assertClose(outcome.losses.auxiliary, losses[1], "AuxK")
        assertClose(outcome.losses.total, losses[2], "total loss")
        // (The decoder's gradient is left projected by the update; the others are as clipped.)
        assertClose(iteration.gradients.wEnc, try f.parameter("step0.grad.W_enc"), "clipped dW_enc")
        assertClose(iteration.gradients.bDec, try f.parameter("step0.grad.b_dec"), "clipped db_dec")
        assertClose(sae.wEnc, try f.parameter("step0.W_enc"), "W_enc after Adam")
        assertClose(sae.bEnc, try f.parameter("step0.b_enc"), "b_enc after Adam")
        assertClose(sae.bDec, try f.parameter("step0.b_dec"), "b_dec after Adam")
        for norm in sae.decoderNorms { XCTAssertEqual(norm, 1, accuracy: 1e-5) }
    }
}
