import LoupeJSON
import LoupeTensor

/// DINOv2 (and DINOv2 with registers) from a Hugging Face folder, as
/// transformers' `Dinov2Model` / `Dinov2WithRegistersModel` run it: class
/// token, optional register tokens, positions interpolated to the
/// processor's crop, pre-norm blocks with layer scale, and the class token
/// after the final layernorm as the image embedding. No text tower.
extension CheckpointLoader {
    /// ImageNet's normalisation (the processor's defaults).
    static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    func loadDINOv2() throws -> (CLIPConfig, VisionWeights, TextWeights?) {
        // A classification or backbone checkpoint keeps the model under "dinov2.".
        let p = file.has("embeddings.cls_token") ? "" : "dinov2."
        let convName = p + "embeddings.patch_embeddings.projection.weight"
        if config?["use_swiglu_ffn"]?.boolValue == true || file.has(p + "encoder.layer.0.mlp.weights_in.weight")
            || file.has(p + "encoder.layer.0.mlp.gate_proj.weight") {
            throw fail(nil, "this DINOv2 uses a SwiGLU MLP (the ViT-g/14 model), which Loupe does not run",
                       "Use a DINOv2 ViT-S, B or L checkpoint (GELU MLP).")
        }
        var source = "config"
        let (vision, patch) = try visionShape(VisionNames(conv: convName, blocks: p + "encoder.layer.", mlpIn: "mlp.fc1.weight",
                                                          model: "DINOv2", savedBy: "Dinov2Model"),
                                              config: config, activation: "gelu", eps: 1e-6, source: &source)
        let width = vision.width
        let blocks = try (0..<vision.layers).map { try dinov2Block(p + "encoder.layer.\($0).", vision) }

        // Positions are stored for the training grid (37×37 for the published
        // weights) and resized to the grid of the processor's crop.
        let posName = p + "embeddings.position_embeddings"
        let stored = try t(posName)
        guard stored.rank == 3, stored.shape[0] == 1 else {
            throw fail(posName, "has shape \(stored.shape), not [1, grid²+1, \(width)]", "The checkpoint is inconsistent; re-export it.")
        }
        let positions = stored.reshaped([stored.shape[1], stored.shape[2]])
        let trainedGrid = try patchGrid(positions, posName, width: width)
        let imageSize = try cropSize() ?? 224
        guard imageSize > 0, imageSize <= Self.largestSide else {
            throw fail(nil, "preprocessor_config.json: crop_size \(imageSize) is not between 1 and \(Self.largestSide) pixels",
                       "Fix crop_size (DINOv2 is published for 224-pixel crops).")
        }
        guard imageSize % patch == 0, imageSize / patch > 0 else {
            throw fail(nil, "preprocessor_config.json: crop_size \(imageSize) is not a multiple of the patch size \(patch)",
                       "DINOv2 is run on crops whose side is a whole number of patches; fix crop_size.")
        }
        let grid = imageSize / patch
        var registers: Tensor?
        let registerName = p + "embeddings.register_tokens"
        if file.has(registerName) {
            let r = try t(registerName)
            guard r.rank == 3, r.shape[0] == 1, r.shape[2] == width else {
                throw fail(registerName, "has shape \(r.shape), not [1, registers, \(width)]", "The checkpoint is inconsistent; re-export it.")
            }
            if let configured = config?["num_register_tokens"]?.intValue, configured != r.shape[1] {
                throw fail(registerName, "holds \(r.shape[1]) registers but config.json says \(configured)", "Fix config.json or re-export the folder.")
            }
            if r.shape[1] > 0 { registers = r.reshaped([r.shape[1], width]) }
        }
        // Dinov2Model resizes without antialiasing, Dinov2WithRegistersModel with it.
        let withRegisters = config?["model_type"]?.stringValue.map { $0 == "dinov2_with_registers" } ?? (registers != nil)
        let positional: Tensor
        if grid == trainedGrid {
            positional = positions
        } else {
            let patches = PositionInterpolation.bicubic(positions.rows(1..<positions.shape[0]), from: trainedGrid, to: grid,
                                                        antialias: withRegisters)
            positional = Tensor.concatenate([positions.rows(0..<1), patches])
        }
        let weights = VisionWeights(
            patchWeight: try t(convName).reshaped([width, 3 * patch * patch]),
            patchBias: file.has(p + "embeddings.patch_embeddings.projection.bias")
                ? try t(p + "embeddings.patch_embeddings.projection.bias", [width]) : nil,
            classEmbedding: try t(p + "embeddings.cls_token", [1, 1, width]).reshaped([width]), registers: registers, positional: positional,
            lnPre: nil, blocks: blocks, head: .classToken(ln: try ln(p + "layernorm", width, vision.layerNormEps), projection: nil))
        var cfg = try self.config(.huggingFace, textProjectionName: "", vision: vision, weights: weights, text: nil, textWeights: nil,
                                  width: width, patch: patch, grid: grid, context: 0, vocab: 0,
                                  mean: preprocess?["image_mean"], std: preprocess?["image_std"], source: source,
                                  defaults: (Self.imageNetMean, Self.imageNetStd))
        cfg.registerTokens = registers?.shape[0] ?? 0
        return (cfg, weights, nil)
    }

    /// The processor's square crop side, when it says one.
    func cropSize() throws -> Int? {
        guard let crop = preprocess?["crop_size"], crop != .null else { return nil }
        if let n = crop.intValue { return n }
        if let h = crop["height"]?.intValue, let w = crop["width"]?.intValue, h == w { return h }
        if let n = crop["shortest_edge"]?.intValue { return n }
        throw fail(nil, "preprocessor_config.json: crop_size is \(crop.serialized()), not a square size",
                   "Give crop_size as {\"height\": n, \"width\": n}.")
    }

    /// One block in either naming transformers has used: the published
    /// checkpoints' `attention.attention.query` / `attention.output.dense`,
    /// or `attention.q_proj` / `attention.o_proj`.
    func dinov2Block(_ p: String, _ c: TowerConfig) throws -> BlockWeights {
        let w = c.width
        let legacy = file.has(p + "attention.attention.query.weight")
        let names = legacy
            ? (q: "attention.attention.query", k: "attention.attention.key", v: "attention.attention.value", o: "attention.output.dense")
            : (q: "attention.q_proj", k: "attention.k_proj", v: "attention.v_proj", o: "attention.o_proj")
        let (qkvParts, qkvBias) = try separateQKV(p + names.q, p + names.k, p + names.v, width: w)
        return BlockWeights(
            ln1: try ln(p + "norm1", w, c.layerNormEps), qkvParts: qkvParts, qkvBias: qkvBias,
            outProj: try linear(p + names.o, w, w),
            ln2: try ln(p + "norm2", w, c.layerNormEps),
            fc1: try linear(p + "mlp.fc1", c.mlpWidth, w),
            fc2: try linear(p + "mlp.fc2", w, c.mlpWidth),
            attentionScale: try t(p + "layer_scale1.lambda1", [w]),
            mlpScale: try t(p + "layer_scale2.lambda1", [w]))
    }
}
