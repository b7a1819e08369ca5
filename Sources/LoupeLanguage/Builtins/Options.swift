/// The options that several builtins share, each case with the words that
/// completion and Shift-Tab show for it.
enum Options {
    static let tokens = [
        Choice("cls", "the class token only: one vector per image"),
        Choice("spatial", "the patch tokens (7×7 for a patch-32 ViT at 224), without the class token"),
        Choice("all", "the class token followed by every patch token"),
    ]

    static let site = [
        Choice("residPre", "the residual stream entering the block"),
        Choice("residPost", "the residual stream leaving the block (what the papers' SAEs read)"),
        Choice("attnOut", "the attention sub-layer's output, before it is added to the stream"),
        Choice("mlpOut", "the MLP sub-layer's output, before it is added to the stream"),
    ]

    static let saeKinds = [
        Choice("relu", "vanilla ReLU SAE with an L1 penalty on the latents (l1: its coefficient, default 5)",
               example: "relu(l1: 5)"),
        Choice("topK", "keeps the k largest latents of each token (Gao et al.)", example: "topK(k: 32)"),
        Choice("batchTopK", "keeps the k × batch largest latents over the whole batch, a threshold at inference",
               example: "batchTopK(k: 32)"),
        Choice("jumpReLU", "a learned threshold per latent with an L0 penalty (l0:, bandwidth: of the straight-through estimator)",
               example: "jumpReLU(l0: 1, bandwidth: 0.05)"),
        Choice("matryoshka", "BatchTopK whose nested prefixes of latents (groups: their widths) each reconstruct alone",
               example: "matryoshka(k: 32, groups: [512, 2048, 8192])"),
    ]

    static let imageMeasure = [
        Choice("mean", "mean activation over the image's tokens"),
        Choice("frequency", "fraction of the image's tokens where the latent fires (finds latents of a few patches, "
               + "such as a drawn word's)"),
    ]
}
