import LoupeTensor

/// The image tower's last step as plain numbers: the final layer norm and
/// the projection that turn the last block's class token x into the
/// (unnormalised) image embedding
///     e = P^T (gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta).
/// Closed-form analyses at the last layer (steering every SAE latent, for
/// example) work with these directly instead of running the head per case.
package struct ImageHead: @unchecked Sendable {
    package let gamma: [Float]
    package let beta: [Float]
    package let eps: Float
    /// P as [width, embedDim], input-major; the identity when the model has no projection.
    package let projection: Tensor

    package var width: Int { gamma.count }
    package var embedDim: Int { projection.shape[1] }
}

extension CLIPModel {
    /// The head in closed form; nil for SigLIP, whose attention pooling
    /// mixes every token and has no such form.
    package var imageHead: ImageHead? {
        guard case .classToken(let ln, let projection) = vision.weights.head else { return nil }
        let width = ln.gamma.count
        let gamma = Array(UnsafeBufferPointer(start: ln.gamma.pointer, count: width))
        let beta = Array(UnsafeBufferPointer(start: ln.beta.pointer, count: width))
        let p: Tensor
        if let proj = projection {
            if proj.inputMajor {
                p = proj.weight
            } else {
                // Stored [out, in] (Hugging Face): transpose once into [in, out].
                let out = proj.outFeatures
                p = Tensor(uninitialized: [width, out])
                for o in 0..<out { for i in 0..<width { p.pointer[i * out + o] = proj.weight.pointer[o * width + i] } }
            }
        } else {
            p = Tensor(zeros: [width, width])
            for i in 0..<width { p.pointer[i * width + i] = 1 }
        }
        return ImageHead(gamma: gamma, beta: beta, eps: ln.eps, projection: p)
    }
}
