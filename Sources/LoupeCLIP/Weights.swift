import LoupeTensor

/// y = x·Wᵀ + b for PyTorch's [out, in] weights, or y = x·W for
/// open_clip's [in, out] projection matrices (`inputMajor`).
struct LinearWeights: @unchecked Sendable {
    let weight: Tensor
    let bias: Tensor?
    let inputMajor: Bool
    var outFeatures: Int { inputMajor ? weight.shape[1] : weight.shape[0] }
    var inFeatures: Int { inputMajor ? weight.shape[0] : weight.shape[1] }

    /// out[rows, outFeatures] = x[rows, inFeatures] · W (bias not added).
    func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int? = nil,
               into out: UnsafeMutablePointer<Float>, ldo: Int? = nil) {
        BLAS.gemm(m: rows, n: outFeatures, k: inFeatures, a: x, lda: ldx ?? inFeatures,
                  b: weight.pointer, ldb: weight.shape[1], transB: !inputMajor,
                  c: out, ldc: ldo ?? outFeatures)
    }
}

struct LayerNormWeights: @unchecked Sendable {
    let gamma: Tensor
    let beta: Tensor
    let eps: Float

    func apply(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        Kernels.layerNorm(x, rows: rows, width: gamma.count, gamma: gamma.pointer, beta: beta.pointer, eps: eps, out: out)
    }
}

/// One pre-norm residual block: x += attn(ln1(x)); x += mlp(ln2(x)).
struct BlockWeights: @unchecked Sendable {
    let ln1: LayerNormWeights
    /// Q, K and V projections, each written into its third of a packed
    /// [rows, 3·width] buffer: one part for open_clip's fused in_proj,
    /// three for Hugging Face's separate q/k/v.
    let qkvParts: [(weights: LinearWeights, column: Int)]
    let qkvBias: Tensor
    let outProj: LinearWeights
    let ln2: LayerNormWeights
    let fc1: LinearWeights
    let fc2: LinearWeights
}

struct VisionWeights: @unchecked Sendable {
    let patchWeight: Tensor        // [width, 3·p·p] view of the conv kernel
    let patchBias: Tensor?
    let classEmbedding: Tensor     // [width]
    let positional: Tensor         // [tokens, width]
    let lnPre: LayerNormWeights
    let blocks: [BlockWeights]
    let lnPost: LayerNormWeights
    let projection: LinearWeights?
}

struct TextWeights: @unchecked Sendable {
    let tokenEmbedding: Tensor     // [vocab, width]
    let positional: Tensor         // [context, width]
    let blocks: [BlockWeights]
    let lnFinal: LayerNormWeights
    let projection: LinearWeights?
}
