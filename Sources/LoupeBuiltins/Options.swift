import LoupeLanguage
import LoupeSAE

/// The options that several builtins share, each case with the words that
/// completion and Shift-Tab show for it.
enum Options {
    static let tokens = [
        Choice("cls", "the class token only: one vector per image"),
        Choice("spatial", "the patch tokens (7×7 for a patch-32 ViT at 224), without the class token"),
        Choice("all", "the class token followed by every patch token"),
    ]

    static let steerabilityPresets = [
        Choice("joseph2025", "Joseph et al. 2025: first 192 images, 5,000 English words, first-image coverage, clamp 150 on ViT-B/32 layer 11"),
    ]

    static let monosemanticityPresets = [
        Choice("pach2025", "Pach et al. 2025: the class token's activation, images judged by another encoder (the scenes' attributes on the toy world)"),
    ]

    static let site = [
        Choice("residPre", "the residual stream entering the block"),
        Choice("residPost", "the residual stream leaving the block (what the papers' SAEs read)"),
        Choice("attnOut", "the attention sub-layer's output, before it is added to the stream"),
        Choice("mlpOut", "the MLP sub-layer's output, before it is added to the stream"),
        Choice("embedding", "the projected image embedding after the last block (no layer: argument), one vector per image"),
    ]

    /// The architectures' own words, from the registry in LoupeSAE.
    static let saeKinds = SAEArchitectures.kinds.map { Choice($0.name, $0.doc, example: $0.example) }

    static let trainers = [
        Choice("saeLens", "SAELens's trainer (Loupe's default)"),
        Choice("dictionaryLearning", "dictionary_learning's BatchTopK and Matryoshka trainers, which Pach et al. train with"),
    ]

    /// `.relu(l1:), .topK(k:), ...`: each kind with its argument labels.
    static let saeKindSignatures = SAEArchitectures.kinds
        .map { kind in ".\(kind.name)(" + kind.labels.map { "\($0):" }.joined(separator: ", ") + ")" }
        .joined(separator: ", ")

    static let imageMeasure = [
        Choice("mean", "mean activation over the image's tokens"),
        Choice("frequency", "fraction of the image's tokens where the latent fires (finds latents of a few patches, "
               + "such as a drawn word's)"),
    ]

    /// `encoder:` of the monosemanticity score, besides a loaded CLIP.
    static let similarity = [
        Choice("attributes", "the toy world's ground truth: the cosine of the scenes' one-hot attribute vectors "
               + "(the fraction of attributes two scenes share)"),
    ]

    /// `coverage:` of steerability: how a steerable unit's word is picked.
    static let coverage = [
        Choice("meanDelta", "the word whose probability the clamp raises most on average over the images (argmax of mean Δ)"),
        Choice("firstImage", "the most probable word on the first image once steered, as Prisma's notebooks (the paper's figures) count it"),
    ]
}
