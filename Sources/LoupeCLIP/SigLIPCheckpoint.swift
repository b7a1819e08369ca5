import LoupeJSON
import LoupeTensor

/// SigLIP (and SigLIP 2's fixed-resolution checkpoints, which share its
/// layout) from a Hugging Face folder, as transformers' `SiglipModel`
/// runs it: patches with positions and no class token, pre-norm blocks,
/// post_layernorm on every token and the attention-pooling head; a
/// bidirectional text tower pooled at its last position through a head
/// with a bias.
extension CheckpointLoader {
    func loadSigLIP() throws -> (CLIPConfig, VisionWeights, TextWeights?) {
        // A SiglipVisionModel folder keeps the vision fields at the top level.
        let vcfg = config?["vision_config"] ?? config
        let tcfg = config?["text_config"]
        let v = "vision_model."
        let convName = v + "embeddings.patch_embedding.weight"
        var source = "config"
        let (vision, patch) = try visionShape(VisionNames(conv: convName, blocks: v + "encoder.layers.", mlpIn: "mlp.fc1.weight",
                                                          model: "SigLIP", savedBy: "SiglipModel"),
                                              config: vcfg, activation: "gelu_pytorch_tanh", eps: 1e-6, source: &source)
        let width = vision.width
        let blocks = try (0..<vision.layers).map { try hfBlock(v + "encoder.layers.\($0).", vision) }

        // One position per patch and none for a class token: the grid is
        // fixed by the positions (transformers interpolates them only when asked).
        let posName = v + "embeddings.position_embedding.weight"
        let positional = try t(posName)
        let grid = positional.rank == 2 ? Int(Double(positional.shape[0]).squareRoot().rounded()) : 0
        guard positional.rank == 2, positional.shape[1] == width, grid > 0, grid * grid == positional.shape[0] else {
            throw fail(posName, "has shape \(positional.shape), not [grid², \(width)]", "The checkpoint is inconsistent; re-export it.")
        }
        if let configured = vcfg?["image_size"]?.intValue, configured != grid * patch {
            throw fail(posName, "covers \(grid * patch)-pixel images but config.json says \(configured)", "Fix config.json or re-export the folder.")
        }
        guard file.has(v + "head.probe") else {
            throw fail(v + "head.probe", "is missing: this SigLIP has no attention-pooling head (vision_use_head is false)",
                       "Use a checkpoint with its pooling head; Loupe's image embedding is that head's output.")
        }
        let head = VisionHead.attentionPool(ln: try ln(v + "post_layernorm", width, vision.layerNormEps), pool: try attentionPool(v + "head.", vision))
        let weights = VisionWeights(
            patchWeight: try t(convName).reshaped([width, 3 * patch * patch]),
            patchBias: file.has(v + "embeddings.patch_embedding.bias") ? try t(v + "embeddings.patch_embedding.bias", [width]) : nil,
            classEmbedding: nil, registers: nil, positional: positional, lnPre: nil, blocks: blocks, head: head)

        let textTower = try text(TextLayout(tokenEmbedding: "text_model.embeddings.token_embedding.weight",
                                            positional: "text_model.embeddings.position_embedding.weight",
                                            blocks: "text_model.encoder.layers.", mlpIn: "mlp.fc1.weight",
                                            lnFinal: "text_model.final_layer_norm", projection: "text_model.head.weight",
                                            projectionInputMajor: false, block: hfTextBlock, projectionBias: "text_model.head.bias")) { _ in
            (options.textHeads ?? tcfg?["num_attention_heads"]?.intValue ?? 12,
             try activation(tcfg?["hidden_act"]?.stringValue ?? "gelu_pytorch_tanh", source: &source),
             Float(tcfg?["layer_norm_eps"]?.doubleValue ?? 1e-6))
        }
        let cfg = try self.config(.huggingFace, textProjectionName: "text_model.head.weight", vision: vision, weights: weights,
                                  text: textTower?.config, textWeights: textTower?.weights, width: width, patch: patch, grid: grid,
                                  context: textTower?.context ?? 64, vocab: textTower?.vocab ?? 0,
                                  mean: preprocess?["image_mean"], std: preprocess?["image_std"], source: source,
                                  defaults: ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]))
        return (cfg, weights, textTower?.weights)
    }

    /// The pooling head: probe, torch's packed multi-head attention
    /// (`in_proj_weight` [3·width, width] split into query, key, value),
    /// its layer norm and MLP.
    func attentionPool(_ p: String, _ c: TowerConfig) throws -> AttentionPoolWeights {
        let w = c.width
        let packed = try t(p + "attention.in_proj_weight", [3 * w, w]), packedBias = try t(p + "attention.in_proj_bias", [3 * w])
        func part(_ i: Int) -> LinearWeights {
            LinearWeights(weight: packed.rows((i * w)..<((i + 1) * w)), bias: packedBias.reshaped([3, w]).rows(i..<(i + 1)).reshaped([w]), inputMajor: false)
        }
        return AttentionPoolWeights(
            probe: try t(p + "probe", [1, 1, w]).reshaped([w]), query: part(0), key: part(1), value: part(2),
            outProj: try linear(p + "attention.out_proj", w, w), ln: try ln(p + "layernorm", w, c.layerNormEps),
            fc1: try linear(p + "mlp.fc1", c.mlpWidth, w), fc2: try linear(p + "mlp.fc2", w, c.mlpWidth))
    }
}
