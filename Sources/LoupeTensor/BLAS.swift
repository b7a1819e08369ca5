import CBLAS
import Dispatch

/// Matrix products through OpenBLAS. All matrices are row-major; a weight
/// stored as [out, in] (PyTorch's Linear layout) is used in place with
/// `transB: true`, so checkpoints never need transposing.
///
/// Threading: OpenBLAS runs single-threaded and large products are split
/// by rows over Loupe's own workers. One pool of threads for everything
/// keeps OpenBLAS's spinning workers from competing with the element-wise
/// kernels for the same cores.
package enum BLAS {
    /// y += alpha·x over n floats: the sparse paths' update, one active
    /// latent at a time. Inlinable, so the hot loops that call it pay no
    /// cross-module call on top of OpenBLAS's.
    @inlinable @inline(__always)
    package static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// The dot product of two n-float vectors.
    @inlinable @inline(__always)
    package static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(n), x, 1, y, 1)
    }

    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, split over cores
    /// when the product is large enough to be worth it.
    package static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
                            b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
                            c: UnsafeMutablePointer<Float>, ldc: Int,
                            alpha: Float = 1, beta: Float = 0) {
        _ = singleThreaded
        let workers = Parallel.threads
        // Below ~2^20 multiply-adds, or a few dozen rows per worker, splitting
        // costs more than it saves.
        guard workers > 1, m >= 32 * workers, m * n * k >= 1 << 20 else {
            serialGemm(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB,
                       c: c, ldc: ldc, alpha: alpha, beta: beta)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            // Row blocks rounded to 16 so each worker's panel starts on a kernel boundary.
            let lo = (m * w / workers) & ~15, hi = w == workers - 1 ? m : (m * (w + 1) / workers) & ~15
            guard hi > lo else { return }
            let aStart = transA ? a + lo : a + lo * lda
            serialGemm(m: hi - lo, n: n, k: k, a: aStart, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB,
                       c: c + lo * ldc, ldc: ldc, alpha: alpha, beta: beta)
        }
    }

    /// One OpenBLAS call on the calling thread (for use inside parallel loops).
    @inline(__always)
    package static func serialGemm(m: Int, n: Int, k: Int,
                                  a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
                                  b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
                                  c: UnsafeMutablePointer<Float>, ldc: Int,
                                  alpha: Float = 1, beta: Float = 0) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Threads OpenBLAS itself uses (1: Loupe parallelises around it).
    package static var threads: Int { _ = singleThreaded; return Int(openblas_get_num_threads()) }
}

extension Tensor {
    /// `self` [m, k] times `other` ([k, n], or [n, k] when `transposeOther`).
    package func matmul(_ other: Tensor, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul needs two matrices, got \(shape) and \(other.shape)")
        let m = shape[0], k = shape[1]
        let n = transposeOther ? other.shape[0] : other.shape[1]
        let k2 = transposeOther ? other.shape[1] : other.shape[0]
        precondition(k == k2, "matmul inner dimensions differ: \(shape) × \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let out = Tensor(zeros: [m, n])
        if m > 0 && n > 0 && k > 0 {
            BLAS.gemm(m: m, n: n, k: k, a: pointer, lda: k, b: other.pointer, ldb: other.shape[1],
                      transB: transposeOther, c: out.pointer, ldc: n)
        }
        return out
    }
}
