import CBLAS

/// Matrix products through OpenBLAS. All matrices are row-major; a weight
/// stored as [out, in] (PyTorch's Linear layout) is used in place with
/// `transB: true`, so checkpoints never need transposing.
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C.
    @inline(__always)
    public static func gemm(m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
                            b: UnsafePointer<Float>, ldb: Int, transB: Bool = false,
                            c: UnsafeMutablePointer<Float>, ldc: Int,
                            alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Threads OpenBLAS uses inside one large product.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS picked for this CPU (e.g. "Haswell", "SkylakeX").
    public static var coreName: String { String(cString: openblas_get_corename()) }
}

extension Tensor {
    /// `self` [m, k] times `other` ([k, n], or [n, k] when `transposeOther`).
    public func matmul(_ other: Tensor, transposeOther: Bool = false) -> Tensor {
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
