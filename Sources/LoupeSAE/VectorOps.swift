import CBLAS

/// Thin wrappers over OpenBLAS level-1 routines for the sparse paths, where
/// each active latent costs one d_in-long dot product or update.
@inline(__always)
func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
}

@inline(__always)
func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    cblas_sdot(Int32(n), x, 1, y, 1)
}
