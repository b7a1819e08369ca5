import Foundation

/// Multi-head scaled dot-product attention over a packed QKV buffer.
package enum Attention {
    /// `qkv` is [batch·tokens, 3·width] with Q, K, V side by side (head h
    /// at columns h·headDim within each third); `out` is [batch·tokens, width].
    /// With `causal`, token i attends only to tokens 0...i (the text tower).
    package static func forward(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               batch: Int, tokens: Int, width: Int, heads: Int, causal: Bool = false) {
        precondition(width % heads == 0, "width \(width) is not divisible by \(heads) heads")
        let headDim = width / heads
        let scale = 1 / Float(headDim).squareRoot()
        let ld = 3 * width
        let jobs = batch * heads
        // Each (image, head) product is small: run many of them side by side,
        // each as one single-threaded BLAS call.
        let workers = min(Parallel.threads, jobs)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: tokens * tokens)
            defer { scores.deallocate() }
            var job = w
            while job < jobs {
                let b = job / heads, h = job % heads
                let base = qkv + b * tokens * ld + h * headDim
                BLAS.serialGemm(m: tokens, n: tokens, k: headDim, a: base, lda: ld,
                          b: base + width, ldb: ld, transB: true,
                          c: scores, ldc: tokens, alpha: scale)
                for i in 0..<tokens {
                    let row = scores + i * tokens
                    if causal {
                        Kernels.softmaxRow(row, count: i + 1)
                        for j in (i + 1)..<max(i + 1, tokens) { row[j] = 0 }
                    } else {
                        Kernels.softmaxRow(row, count: tokens)
                    }
                }
                BLAS.serialGemm(m: tokens, n: headDim, k: tokens, a: scores, lda: tokens,
                          b: base + 2 * width, ldb: ld,
                          c: out + b * tokens * width + h * headDim, ldc: width)
                job += workers
            }
        }
    }

    /// Attention for the first token (the class token) of each sequence
    /// only: `out` is [batch, width], one row per sequence. Keys and values
    /// come from all tokens, as in `forward`.
    package static func classQuery(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                  batch: Int, tokens: Int, width: Int, heads: Int) {
        precondition(width % heads == 0, "width \(width) is not divisible by \(heads) heads")
        let headDim = width / heads
        let scale = 1 / Float(headDim).squareRoot()
        let ld = 3 * width
        let jobs = batch * heads
        let workers = min(Parallel.threads, jobs)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: tokens)
            defer { scores.deallocate() }
            var job = w
            while job < jobs {
                let b = job / heads, h = job % heads
                let base = qkv + b * tokens * ld + h * headDim
                BLAS.serialGemm(m: 1, n: tokens, k: headDim, a: base, lda: ld, b: base + width, ldb: ld, transB: true,
                                c: scores, ldc: tokens, alpha: scale)
                Kernels.softmaxRow(scores, count: tokens)
                BLAS.serialGemm(m: 1, n: headDim, k: tokens, a: scores, lda: tokens, b: base + 2 * width, ldb: ld,
                                c: out + b * width + h * headDim, ldc: headDim)
                job += workers
            }
        }
    }
}
