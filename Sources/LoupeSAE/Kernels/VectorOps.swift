import LoupeTensor

/// The sparse paths' level-1 BLAS (through LoupeTensor, which owns every
/// BLAS call): each active latent costs one d_in-long dot product or update.
@inline(__always)
func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    BLAS.axpy(n, alpha, x, y)
}

@inline(__always)
func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    BLAS.dot(n, x, y)
}
