import CLoupeKernels

/// 16 floats: the unit the Swift-side kernels step through memory with.
package typealias Vec = SIMD16<Float>

/// Element-wise and row-wise kernels on raw row-major buffers. Each splits
/// its rows over cores with `Parallel.forEach`; the SIMD bodies handle 16
/// values per step and a scalar tail.
package enum Kernels {
    /// Activation functions found in CLIP checkpoints.
    package enum Activation: String, Sendable, CaseIterable {
        /// x·Φ(x) with the exact error function (PyTorch's nn.GELU()).
        case gelu
        /// x·σ(1.702x), used by OpenAI's original CLIP weights.
        case quickGelu = "quick_gelu"
        /// GELU's tanh approximation, ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        /// (transformers' `gelu_pytorch_tanh`, SigLIP's activation).
        case geluTanh = "gelu_pytorch_tanh"

        /// The C kernels' code for this activation.
        var kernelCode: Int32 {
            switch self { case .gelu: return 0; case .quickGelu: return 1; case .geluTanh: return 2 }
        }
    }

    /// Layer normalisation of each `width`-long row: (x-μ)/√(σ²+eps)·γ + β.
    package static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                                 out: UnsafeMutablePointer<Float>) {
        Parallel.forEach(rows, grain: 8) { range in
            for r in range {
                let src = x + r * width, dst = out + r * width
                // Two passes (mean, then centred squares) as PyTorch does, so the
                // variance is not the difference of two large sums.
                var acc = Vec(), i = 0
                while i + 16 <= width { acc += load(src + i); i += 16 }
                var sum = acc.sum()
                while i < width { sum += src[i]; i += 1 }
                let mean = sum / Float(width)
                var acc2 = Vec(); i = 0
                let m = Vec(repeating: mean)
                while i + 16 <= width { let d = load(src + i) - m; acc2 += d * d; i += 16 }
                var sq = acc2.sum()
                while i < width { let d = src[i] - mean; sq += d * d; i += 1 }
                let rstd = 1 / (sq / Float(width) + eps).squareRoot()
                let rs = Vec(repeating: rstd)
                i = 0
                while i + 16 <= width {
                    store((load(src + i) - m) * rs * load(gamma + i) + load(beta + i), dst + i); i += 16
                }
                while i < width { dst[i] = (src[i] - mean) * rstd * gamma[i] + beta[i]; i += 1 }
            }
        }
    }

    /// In place: x[r, :] = act(x[r, :] + bias).
    package static func biasActivation(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                      bias: UnsafePointer<Float>?, activation: Activation) {
        Parallel.forEach(rows, grain: 4) { range in
            loupe_bias_activation(x + range.lowerBound * width, range.count, width, bias,
                                  activation.kernelCode)
        }
    }

    /// Instruction set the vector kernels use on this machine.
    package static var instructionSet: String { String(cString: loupe_kernels_isa()) }

    /// In place: x[r, :] += bias (if any).
    package static func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        Parallel.forEach(rows, grain: 16) { range in
            for r in range {
                let row = x + r * width
                var i = 0
                while i + 16 <= width { store(load(row + i) + load(bias + i), row + i); i += 16 }
                while i < width { row[i] += bias[i]; i += 1 }
            }
        }
    }

    /// In place: y += x, over `count` values.
    package static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(count, grain: 1 << 14) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound { store(load(y + i) + load(x + i), y + i); i += 16 }
            while i < range.upperBound { y[i] += x[i]; i += 1 }
        }
    }

    /// Softmax of one row in place (max-subtracted, so large logits are safe).
    @inline(__always)
    package static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        loupe_softmax_row(row, count)
    }

    /// For each case i < n: acc[j] += softmax_j(alpha[i] a[i, j] + beta[i] b[j] + gamma[i] c[j]),
    /// with a's rows `lda` apart; `scratch` holds `count` floats. The inner
    /// loop of closed-form steering: one call is one unit over all images.
    package static func steerAccumulate(a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafePointer<Float>,
                                       alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                       cases n: Int, count: Int, scratch: UnsafeMutablePointer<Float>,
                                       accumulate acc: UnsafeMutablePointer<Float>) {
        loupe_steer_accumulate(a, lda, b, c, alpha, beta, gamma, n, count, scratch, acc)
    }

    /// Softmax of every row of a [rows, count] buffer in place.
    package static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, count: Int) {
        Parallel.forEach(rows, grain: 16) { range in
            for r in range { softmaxRow(x + r * count, count: count) }
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Vec {
        UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
    }
    @inline(__always) static func store(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
    }
}

extension Kernels {
    /// In place: y[r, :] += x[r, :] + bias (bias optional), one pass.
    package static func addWithBias(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                   into y: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        guard let bias else { add(x, into: y, count: rows * width); return }
        Parallel.forEach(rows, grain: 16) { range in
            for r in range {
                let xs = x + r * width, ys = y + r * width
                var i = 0
                while i + 16 <= width { store(load(ys + i) + (load(xs + i) + load(bias + i)), ys + i); i += 16 }
                while i < width { ys[i] += xs[i] + bias[i]; i += 1 }
            }
        }
    }

    /// In place: y[r, :] += (x[r, :] + bias) · scale, one pass (a branch
    /// with its layer scale, as DINOv2 adds it); bias optional.
    package static func addScaled(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, scale: UnsafePointer<Float>,
                                 into y: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        Parallel.forEach(rows, grain: 16) { range in
            for r in range {
                let xs = x + r * width, ys = y + r * width
                var i = 0
                if let bias {
                    while i + 16 <= width { store(load(ys + i) + (load(xs + i) + load(bias + i)) * load(scale + i), ys + i); i += 16 }
                    while i < width { ys[i] += (xs[i] + bias[i]) * scale[i]; i += 1 }
                } else {
                    while i + 16 <= width { store(load(ys + i) + load(xs + i) * load(scale + i), ys + i); i += 16 }
                    while i < width { ys[i] += xs[i] * scale[i]; i += 1 }
                }
            }
        }
    }
}
