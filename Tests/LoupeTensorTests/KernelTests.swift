import Foundation
import LoupeTensor
import XCTest

final class KernelTests: XCTestCase {
    func testMatmulMatchesNaiveProduct() {
        let a = Tensor(shape: [3, 4], values: (0..<12).map { Float($0) * 0.5 - 2 })
        let b = Tensor(shape: [4, 2], values: (0..<8).map { Float($0) - 3 })
        let c = a.matmul(b)
        for i in 0..<3 {
            for j in 0..<2 {
                var s: Float = 0
                for k in 0..<4 { s += a[i, k] * b[k, j] }
                XCTAssertEqual(c[i, j], s, accuracy: 1e-5)
            }
        }
        let bt = Tensor(shape: [2, 4], values: (0..<8).map { Float($0) })
        let c2 = a.matmul(bt, transposeOther: true)
        XCTAssertEqual(c2[1, 1], (0..<4).reduce(Float(0)) { $0 + a[1, $1] * bt[1, $1] }, accuracy: 1e-5)
    }
}

final class ElementwiseKernelTests: XCTestCase {
    func randomValues(_ n: Int, seed: UInt64 = 1, scale: Float = 3) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    func testGELUAndQuickGELUMatchTheirDefinitions() {
        let values = randomValues(1000, scale: 8) + [0, -0.5, 0.5, -10, 10, -30, 30]
        let bias = randomValues(values.count, seed: 2, scale: 0.5)
        for act in Kernels.Activation.allCases {
            let t = Tensor(shape: [1, values.count], values: values)
            let b = Tensor(shape: [values.count], values: bias)
            Kernels.biasActivation(t.pointer, rows: 1, width: values.count, bias: b.pointer, activation: act)
            for i in 0..<values.count {
                let x = Double(values[i]) + Double(bias[i])
                let expected: Double
                switch act {
                case .gelu: expected = 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                case .quickGelu: expected = x / (1 + Foundation.exp(-1.702 * x))
                case .geluTanh: expected = 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
                }
                XCTAssertEqual(Double(t.pointer[i]), expected, accuracy: 2e-6 * max(1, abs(x)), "\(act) at \(x)")
            }
        }
        XCTAssertTrue(["avx512", "avx2", "baseline"].contains(Kernels.instructionSet))
    }

    func testLayerNormAndSoftmax() {
        let rows = 3, width = 37
        let x = Tensor(shape: [rows, width], values: randomValues(rows * width))
        let gamma = Tensor(shape: [width], values: randomValues(width, seed: 3))
        let beta = Tensor(shape: [width], values: randomValues(width, seed: 4))
        let out = Tensor(zeros: [rows, width])
        Kernels.layerNorm(x.pointer, rows: rows, width: width, gamma: gamma.pointer, beta: beta.pointer, eps: 1e-5, out: out.pointer)
        for r in 0..<rows {
            let row = (0..<width).map { Double(x[r, $0]) }
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for i in 0..<width {
                let expected = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[i]) + Double(beta[i])
                XCTAssertEqual(Double(out[r, i]), expected, accuracy: 1e-5)
            }
        }
        let logits = Tensor(shape: [2, 21], values: randomValues(42, scale: 40))
        let copy = logits.toArray()
        Kernels.softmax(logits.pointer, rows: 2, count: 21)
        for r in 0..<2 {
            let row = copy[(r * 21)..<(r * 21 + 21)].map(Double.init)
            let m = row.max()!
            let z = row.map { Foundation.exp($0 - m) }.reduce(0, +)
            for i in 0..<21 { XCTAssertEqual(Double(logits[r, i]), Foundation.exp(row[i] - m) / z, accuracy: 1e-6) }
        }
    }

    func testAttentionMatchesNaiveComputation() {
        let batch = 2, tokens = 5, width = 8, heads = 2, hd = 4
        for causal in [false, true] {
            let qkv = Tensor(shape: [batch * tokens, 3 * width], values: randomValues(batch * tokens * 3 * width, seed: 9))
            let out = Tensor(zeros: [batch * tokens, width])
            Attention.forward(qkv: qkv.pointer, out: out.pointer, batch: batch, tokens: tokens, width: width, heads: heads, causal: causal)
            for b in 0..<batch {
                for h in 0..<heads {
                    for i in 0..<tokens {
                        var scores: [Double] = []
                        for j in 0..<tokens {
                            var dot = 0.0
                            for d in 0..<hd { dot += Double(qkv[b * tokens + i, h * hd + d]) * Double(qkv[b * tokens + j, width + h * hd + d]) }
                            scores.append(causal && j > i ? -Double.infinity : dot / Double(hd).squareRoot())
                        }
                        let m = scores.max()!
                        let e = scores.map { Foundation.exp($0 - m) }
                        let z = e.reduce(0, +)
                        for d in 0..<hd {
                            var v = 0.0
                            for j in 0..<tokens { v += e[j] / z * Double(qkv[b * tokens + j, 2 * width + h * hd + d]) }
                            XCTAssertEqual(Double(out[b * tokens + i, h * hd + d]), v, accuracy: 1e-5)
                        }
                    }
                }
            }
        }
    }

    func testParallelMatmulSplitsRowsCorrectly() {
        // Large enough to take the split path.
        let m = 300, n = 70, k = 64
        let a = Tensor(shape: [m, k], values: randomValues(m * k, seed: 5))
        let b = Tensor(shape: [n, k], values: randomValues(n * k, seed: 6))
        let c = a.matmul(b, transposeOther: true)
        for i in stride(from: 0, to: m, by: 17) {
            for j in stride(from: 0, to: n, by: 13) {
                var s: Float = 0
                for t in 0..<k { s += a[i, t] * b[j, t] }
                XCTAssertEqual(c[i, j], s, accuracy: 1e-3)
            }
        }
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(HalfFloat.fromFloat16Bits(0x3C00), 1)
        XCTAssertEqual(HalfFloat.fromFloat16Bits(0xC000), -2)
        XCTAssertEqual(HalfFloat.fromFloat16Bits(0x0001), Float(5.9604645e-8))
        XCTAssertEqual(HalfFloat.fromFloat16Bits(0x7BFF), 65504)
        XCTAssertEqual(HalfFloat.fromFloat16Bits(0x7C00), .infinity)
        XCTAssertTrue(HalfFloat.fromFloat16Bits(0x7E00).isNaN)
        XCTAssertEqual(HalfFloat.fromBFloat16Bits(0x3F80), 1)
        XCTAssertEqual(HalfFloat.fromBFloat16Bits(0xC0A0), -5)
    }
}
