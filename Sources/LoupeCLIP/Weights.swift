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

/// One pre-norm residual block: x += attn(ln1(x)); x += mlp(ln2(x)),
/// each branch multiplied channel by channel by its layer scale where the
/// model has one (DINOv2's `layer_scale1`/`layer_scale2`).
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
    var attentionScale: Tensor? = nil
    var mlpScale: Tensor? = nil
}

/// SigLIP's pooling head: a learned probe attends to every token of the
/// normalised last layer (one multi-head attention), then a residual MLP
/// with its own layer norm; the probe's output is the image embedding.
struct AttentionPoolWeights: @unchecked Sendable {
    let probe: Tensor              // [width]
    let query: LinearWeights       // each [width, width], with bias
    let key: LinearWeights
    let value: LinearWeights
    let outProj: LinearWeights
    let ln: LayerNormWeights
    let fc1: LinearWeights
    let fc2: LinearWeights
}

/// How the image tower turns its last layer into one vector per image.
enum VisionHead: @unchecked Sendable {
    /// CLIP and DINOv2: the class token, normalised (ln_post, or DINOv2's
    /// final layernorm), then projected when the model has a projection.
    case classToken(ln: LayerNormWeights, projection: LinearWeights?)
    /// SigLIP: every token normalised (post_layernorm), then attention pooling.
    case attentionPool(ln: LayerNormWeights, pool: AttentionPoolWeights)
}

struct VisionWeights: @unchecked Sendable {
    let patchWeight: Tensor        // [width, 3·p·p] view of the conv kernel
    let patchBias: Tensor?
    /// The class token [width]; nil for SigLIP, which has none.
    let classEmbedding: Tensor?
    /// Register tokens [registers, width] (DINOv2 with registers), placed
    /// after the class token with no position of their own.
    let registers: Tensor?
    /// Positions [tokens without registers, width], already interpolated
    /// to this model's patch grid.
    let positional: Tensor
    /// CLIP's ln_pre; DINOv2 and SigLIP have none.
    let lnPre: LayerNormWeights?
    let blocks: [BlockWeights]
    let head: VisionHead
}

struct TextWeights: @unchecked Sendable {
    let tokenEmbedding: Tensor     // [vocab, width]
    let positional: Tensor         // [context, width]
    let blocks: [BlockWeights]
    let lnFinal: LayerNormWeights
    /// CLIP's text_projection (no bias), or SigLIP's text head (with bias).
    let projection: LinearWeights?
}
