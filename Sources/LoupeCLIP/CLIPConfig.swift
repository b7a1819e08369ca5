import LoupeTensor

/// Shape of one transformer stack (vision or text).
package struct TowerConfig: Sendable, Equatable {
    package var width: Int
    package var layers: Int
    package var heads: Int
    package var mlpWidth: Int
    package var activation: Kernels.Activation
    package var layerNormEps: Float
}

/// Where a checkpoint came from, which decides its tensor names.
package enum CheckpointFormat: String, Sendable {
    /// open_clip `state_dict` names: `visual.conv1.weight`, `visual.transformer.resblocks.N...`.
    case openCLIP = "open_clip"
    /// Hugging Face `CLIPModel` names: `vision_model.encoder.layers.N...`.
    case huggingFace = "hugging_face"
}

/// Which kind of vision transformer a checkpoint holds. They share the
/// residual blocks; they differ in their tokens, their head and whether a
/// text tower shares their embedding space.
package enum ModelFamily: String, Sendable {
    /// CLIP: class token, ln_pre, class-token head with a projection, a
    /// causal text tower pooled at its end token, softmax zero-shot.
    case clip = "CLIP"
    /// DINOv2: class token (and register tokens, in the registers variant),
    /// layer scale, the class token after the final layernorm as its
    /// embedding; no text tower.
    case dinov2 = "DINOv2"
    /// SigLIP: no class token, attention-pooling head, a bidirectional text
    /// tower pooled at its last position, sigmoid zero-shot.
    case siglip = "SigLIP"
}

/// The full architecture of a CLIP model, read from tensor shapes and config.
package struct CLIPConfig: Sendable, Equatable {
    package var family: ModelFamily = .clip
    package var format: CheckpointFormat
    package var vision: TowerConfig
    package var patchSize: Int
    package var imageSize: Int
    /// Output size of both projections (shared embedding space).
    package var embedDim: Int
    /// Text tower, when the checkpoint has one.
    package var text: TowerConfig?
    package var contextLength: Int
    package var vocabSize: Int
    /// Per-channel normalisation applied after scaling pixels to [0, 1].
    package var mean: [Float]
    package var std: [Float]
    /// Where the activation function came from ("config", or "assumed" when nothing said).
    package var activationSource: String
    /// Register tokens after the class token (DINOv2 with registers).
    package var registerTokens: Int = 0

    /// Patches per side of the image grid.
    package var gridSize: Int { imageSize / patchSize }
    /// Whether token 0 is a class token (CLIP, DINOv2; not SigLIP).
    package var hasClassToken: Bool { family != .siglip }
    /// Tokens before the patches: the class token and any registers.
    package var prefixTokens: Int { (hasClassToken ? 1 : 0) + registerTokens }
    /// Vision tokens: the class token and registers, then one per patch.
    package var visionTokens: Int { gridSize * gridSize + prefixTokens }

    /// The patch grid's side when `patches` tokens are this model's patches
    /// (an image's tokens without the class token); nil otherwise.
    package func patchGrid(patches: Int) -> Int? { patches == gridSize * gridSize ? gridSize : nil }

    /// The architecture's usual name when it is a known one, e.g. "ViT-B/32".
    package var architectureName: String {
        let size: String
        switch (vision.width, vision.layers) {
        case (768, 12): size = "ViT-B"
        case (1024, 24): size = "ViT-L"
        case (1280, 32): size = "ViT-H"
        case (384, 12): size = "ViT-S"
        default: size = "ViT-\(vision.width)w\(vision.layers)L"
        }
        return "\(size)/\(patchSize)" + (imageSize != 224 ? "@\(imageSize)" : "") + (registerTokens > 0 ? "-reg\(registerTokens)" : "")
    }

    /// OpenAI CLIP's normalisation constants (open_clip's defaults).
    package static let openAIMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    package static let openAIStd: [Float] = [0.26862954, 0.26130258, 0.27577711]
}

/// Overrides for what a checkpoint cannot say about itself.
package struct CLIPLoadOptions: Sendable {
    /// Force the MLP activation (OpenAI's original weights need `.quickGelu`;
    /// LAION/DataComp open_clip weights use `.gelu`).
    package var activation: Kernels.Activation?
    /// Force the number of attention heads in the vision tower.
    package var visionHeads: Int?
    /// Force the number of attention heads in the text tower.
    package var textHeads: Int?

    package init(activation: Kernels.Activation? = nil, visionHeads: Int? = nil, textHeads: Int? = nil) {
        self.activation = activation; self.visionHeads = visionHeads; self.textHeads = textHeads
    }
}
