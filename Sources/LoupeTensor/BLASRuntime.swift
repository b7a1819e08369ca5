import CLoupeKernels

/// Which OpenBLAS kernels and how many threads Loupe computes with, for
/// summaries, the kernel banner and every benchmark line. The core is chosen
/// before `main` (CLoupeKernels' blas_runtime.c): the best one this CPU
/// supports when the library's own pick lacks AVX, or the user's
/// OPENBLAS_CORETYPE.
public enum BLASRuntime {
    /// The OpenBLAS core in use, e.g. "Cooperlake".
    public static var core: String { String(cString: loupe_blas_core()) }

    /// The core OpenBLAS picked itself when Loupe replaced it, e.g. "Prescott".
    public static var replacedCore: String? {
        let name = String(cString: loupe_blas_replaced_core())
        return name.isEmpty ? nil : name
    }

    /// "OpenBLAS Cooperlake (the library chose Prescott), 2 threads".
    public static var description: String {
        "OpenBLAS \(core)" + (replacedCore.map { " (the library chose \($0))" } ?? "") + ", \(Parallel.threads) threads"
    }
}
