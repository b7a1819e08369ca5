import XCTest
import LoupeSAE

/// Every architecture's analytic gradients against central finite
/// differences of the same loss, on a tiny SAE with random weights and
/// biases. Entries whose perturbation changes which latents fire are
/// skipped (the loss is not differentiable there).
final class GradientTests: XCTestCase {
    let dIn = 5, dSAE = 12, rows = 6

    func makeSAE(_ arch: any SAEArchitecture, seed: UInt64) throws -> SparseAutoencoder {
        let sae = try SparseAutoencoder(dIn: dIn, dSAE: dSAE, architecture: arch, seed: seed)
        sae.wEnc = randomMatrix(dIn * dSAE, seed: seed + 1, scale: 0.6)
        sae.wDec = randomMatrix(dIn * dSAE, seed: seed + 2, scale: 0.5)
        sae.bEnc = randomMatrix(dSAE, seed: seed + 3, scale: 0.2)
        sae.bDec = randomMatrix(dIn, seed: seed + 4, scale: 0.3)
        if arch.usesThreshold {
            var rng = SeededRandom(seed: seed + 5)
            sae.threshold = (0..<dSAE).map { _ in Float(0.1 + 0.4 * rng.nextUnit()) }
        }
        return sae
    }

    /// `denseFraction` 0 forces the dense-product path, 2 the sparse one.
    func check(_ arch: any SAEArchitecture, settings base: StepSettings, seed: UInt64 = 10, denseFraction: Double = 2,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let sae = try makeSAE(arch, seed: seed)
        let x = randomMatrix(rows * dIn, seed: seed + 9, scale: 1.5)
        let step = SAETrainingStep(dIn: dIn, dSAE: dSAE, maxRows: rows, architecture: arch)
        step.denseFraction = denseFraction
        // AuxK's target x − x̂ is a constant to the gradient; freeze it at its
        // unperturbed value so the finite differences see the same function.
        var settings = base
        x.withUnsafeBufferPointer { _ = step.run(sae, x: $0.baseAddress!, rows: rows, settings: base, gradients: nil) }
        let xhat = step.reconstruction(rows: rows)
        settings.auxTarget = (0..<(rows * dIn)).map { x[$0] - xhat[$0] }
        let grads = SAEGradients(dIn: dIn, dSAE: dSAE)
        let (losses, baseCodes) = x.withUnsafeBufferPointer { step.run(sae, x: $0.baseAddress!, rows: rows, settings: settings, gradients: grads) }
        XCTAssertGreaterThan(baseCodes.nonZeroCount, 0, "no latent fired; the check would be empty", file: file, line: line)
        if arch.usesAuxK && !settings.deadLatents.isEmpty {
            XCTAssertGreaterThan(losses.auxiliary, 0, "AuxK term missing", file: file, line: line)
        }
        if settings.sparsityCoefficient > 0 {
            XCTAssertGreaterThan(losses.sparsity, 0, "sparsity term missing", file: file, line: line)
        }

        func loss() -> (Double, [Int32]) {
            let (l, c) = x.withUnsafeBufferPointer { step.run(sae, x: $0.baseAddress!, rows: rows, settings: settings, gradients: nil) }
            return (l.total, c.index + c.rowStart.map { Int32($0) })
        }
        let signature = baseCodes.index + baseCodes.rowStart.map { Int32($0) }
        let h: Float = 2e-3
        var checked = 0, skipped = 0
        func probe(_ name: String, _ get: () -> Float, _ set: (Float) -> Void, _ analytic: Float) {
            let v = get()
            set(v + h); let (up, s1) = loss()
            set(v - h); let (down, s2) = loss()
            set(v)
            guard s1 == signature && s2 == signature else { skipped += 1; return }
            let numeric = Float((up - down) / Double(2 * h))
            checked += 1
            XCTAssertEqual(analytic, numeric, accuracy: 3e-3 + 3e-2 * abs(numeric),
                           "\(arch.architectureName) d\(name): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        for i in 0..<(dIn * dSAE) {
            probe("W_enc[\(i)]", { sae.wEnc[i] }, { sae.wEnc[i] = $0 }, grads.wEnc[i])
            probe("W_dec[\(i)]", { sae.wDec[i] }, { sae.wDec[i] = $0 }, grads.wDec[i])
        }
        for j in 0..<dSAE { probe("b_enc[\(j)]", { sae.bEnc[j] }, { sae.bEnc[j] = $0 }, grads.bEnc[j]) }
        for t in 0..<dIn { probe("b_dec[\(t)]", { sae.bDec[t] }, { sae.bDec[t] = $0 }, grads.bDec[t]) }
        XCTAssertGreaterThan(checked, 10 * skipped, "too many entries skipped (\(skipped) of \(checked + skipped))", file: file, line: line)
        XCTAssertGreaterThan(grads.wDec.map { abs($0) }.max()!, 1e-3, "gradient is all zero", file: file, line: line)
    }

    func testReLUWithL1() throws {
        try check(ReLUArchitecture(l1Coefficient: 0.3), settings: StepSettings(sparsityCoefficient: 0.3))
    }

    func testReLUWithL1DenseProducts() throws {
        try check(ReLUArchitecture(l1Coefficient: 0.3), settings: StepSettings(sparsityCoefficient: 0.3), denseFraction: 0)
    }

    func testTopKDenseProducts() throws {
        try check(TopKArchitecture(k: 4), settings: StepSettings(), seed: 30, denseFraction: 0)
    }

    func testJumpReLUWeightsDenseProducts() throws {
        try check(JumpReLUArchitecture(l0Coefficient: 0.2, bandwidth: 0.05), settings: StepSettings(sparsityCoefficient: 0.2),
                  denseFraction: 0)
    }

    /// Both paths give the same gradients (up to summation order).
    func testDenseAndSparsePathsAgree() throws {
        let arch = JumpReLUArchitecture(l0Coefficient: 0.2, bandwidth: 0.6)
        let sae = try makeSAE(arch, seed: 70)
        let x = randomMatrix(rows * dIn, seed: 79, scale: 1.5)
        var results: [SAEGradients] = []
        for fraction in [0.0, 2.0] {
            let step = SAETrainingStep(dIn: dIn, dSAE: dSAE, maxRows: rows, architecture: arch)
            step.denseFraction = fraction
            let g = SAEGradients(dIn: dIn, dSAE: dSAE)
            x.withUnsafeBufferPointer { _ = step.run(sae, x: $0.baseAddress!, rows: rows, settings: StepSettings(sparsityCoefficient: 0.2), gradients: g) }
            results.append(g)
        }
        for (a, b) in [(results[0].wEnc, results[1].wEnc), (results[0].wDec, results[1].wDec), (results[0].bEnc, results[1].bEnc),
                       (results[0].bDec, results[1].bDec), (results[0].threshold, results[1].threshold)] {
            for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-5 + 1e-5 * abs(b[i])) }
        }
        XCTAssertGreaterThan(results[0].threshold.map { abs($0) }.max()!, 0)
    }

    func testTopKWithAuxK() throws {
        try check(TopKArchitecture(k: 3), settings: StepSettings(deadLatents: [1, 4, 6, 9, 11], auxK: 2, auxCoefficient: 0.5))
    }

    func testTopKWithoutAuxK() throws {
        try check(TopKArchitecture(k: 4), settings: StepSettings(), seed: 30)
    }

    func testBatchTopK() throws {
        try check(BatchTopKArchitecture(k: 3), settings: StepSettings(deadLatents: [0, 2, 7], auxK: 3, auxCoefficient: 0.25))
    }

    func testMatryoshkaBatchTopK() throws {
        try check(MatryoshkaBatchTopKArchitecture(k: 3, widths: [3, 7, 12]),
                  settings: StepSettings(deadLatents: [5, 8], auxK: 2, auxCoefficient: 0.5))
    }

    func testJumpReLUWeights() throws {
        try check(JumpReLUArchitecture(l0Coefficient: 0.2, bandwidth: 0.05), settings: StepSettings(sparsityCoefficient: 0.2))
    }

    /// The threshold's gradient is a straight-through estimate, not a true
    /// derivative; it is checked against the estimator's formula evaluated
    /// independently here in double precision.
    func testJumpReLUThresholdEstimator() throws {
        let bandwidth: Float = 0.6, coefficient: Float = 0.2
        let arch = JumpReLUArchitecture(l0Coefficient: coefficient, bandwidth: bandwidth)
        let sae = try makeSAE(arch, seed: 50)
        let x = randomMatrix(rows * dIn, seed: 59, scale: 1.5)
        let step = SAETrainingStep(dIn: dIn, dSAE: dSAE, maxRows: rows, architecture: arch)
        let grads = SAEGradients(dIn: dIn, dSAE: dSAE)
        x.withUnsafeBufferPointer { _ = step.run(sae, x: $0.baseAddress!, rows: rows, settings: StepSettings(sparsityCoefficient: coefficient), gradients: grads) }

        let pre = x.withUnsafeBufferPointer { sae.preActivations($0.baseAddress!, rows: rows) }
        var expected = [Double](repeating: 0, count: dSAE)
        var inWindow = 0
        for r in 0..<rows {
            // Dense reconstruction in double.
            var xhat = sae.bDec.map { Double($0) }
            for j in 0..<dSAE where pre[r * dSAE + j] > sae.threshold[j] {
                for t in 0..<dIn { xhat[t] += Double(pre[r * dSAE + j]) * Double(sae.wDec[j * dIn + t]) }
            }
            for j in 0..<dSAE {
                let u = Double(pre[r * dSAE + j] - sae.threshold[j])
                guard abs(u) < Double(bandwidth) / 2 else { continue }
                inWindow += 1
                var dz = 0.0
                for t in 0..<dIn { dz += 2 * (xhat[t] - Double(x[r * dIn + t])) / Double(rows) * Double(sae.wDec[j * dIn + t]) }
                let theta = Double(sae.threshold[j]), eps = Double(bandwidth)
                expected[j] += -(theta / eps) * dz - Double(coefficient) / (eps * Double(rows))
            }
        }
        XCTAssertGreaterThan(inWindow, 3)
        for j in 0..<dSAE { XCTAssertEqual(Double(grads.threshold[j]), expected[j], accuracy: 1e-4 + 1e-3 * abs(expected[j])) }
    }
}
