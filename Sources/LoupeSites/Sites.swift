// Where in a vision transformer activations are read, and which tokens: the
// one spelling of both, shared by the model (LoupeCLIP), the SAE's hook
// point (LoupeSAE) and everything above them.

/// Points in a vision transformer where activations can be read or replaced,
/// spelt as SAELens's `hook_name` ends (`blocks.8.hook_resid_post`).
package enum ActivationSite: String, CaseIterable, Sendable {
    /// The residual stream entering the block (after ln_pre for block 0).
    case residPre = "resid_pre"
    /// The attention branch's output (after out-projection and bias), before it is added.
    case attnOut = "attn_out"
    /// The MLP branch's output, before it is added.
    case mlpOut = "mlp_out"
    /// The residual stream leaving the block.
    case residPost = "resid_post"
    /// The projected image embedding: the class token after ln_post and the
    /// projection, before L2 normalisation; one token per image, embedDim
    /// wide. What sae-for-vlm hooks as `post_projection` (its layer -1).
    /// It comes after every block, so its layer is the block count
    /// (`CLIPModel.embeddingLayer`).
    case embedding = "post_projection"

    /// Sites inside a residual block, where every layer has one.
    package var isInBlock: Bool { self != .embedding }

    /// The sites every block has, in the order a forward pass meets them.
    package static var blockSites: [ActivationSite] { allCases.filter(\.isInBlock) }
}

/// Which tokens of a sequence to keep.
package enum TokenSelection: String, CaseIterable, Sendable {
    /// The class token only (token 0).
    case cls
    /// The patch tokens, in raster order: every token after the class token
    /// and any register tokens.
    case spatial
    /// Every token.
    case all

    /// The token indices this selection keeps out of `tokens`, of which the
    /// first `prefix` come before the patches (CLIP's and DINOv2's class
    /// token: 1; DINOv2 with registers: 1 + registers; SigLIP: 0, where
    /// `.cls` has no token and a model refuses it before asking).
    package func range(tokens: Int, prefix: Int = 1) -> Range<Int> {
        switch self {
        case .cls: return 0..<1
        case .spatial: return min(prefix, tokens)..<tokens
        case .all: return 0..<tokens
        }
    }
}
