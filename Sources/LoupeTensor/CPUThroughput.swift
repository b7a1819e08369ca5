import CLoupeKernels

/// One core's peak multiply-add rate for the two arithmetic paths a matrix
/// product can take, measured on this CPU: the fp32 FMA that sgemm uses,
/// and the AVX512_BF16 dot product a bf16 GEMM with fp32 accumulation
/// would use. Their ratio bounds what bf16 weights could gain here.
package enum CPUThroughput {
    package enum Path: Int32 { case fp32FMA = 0, bf16Dot = 1 }

    /// GFLOP/s on the calling thread, or nil when the CPU lacks the
    /// instructions (no AVX-512, or no AVX512_BF16).
    package static func coreGFLOPS(_ path: Path, iterations: Int = 20_000_000) -> Double? {
        let rate = loupe_core_gflops(path.rawValue, iterations)
        return rate > 0 ? rate : nil
    }
}
