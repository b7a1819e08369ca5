import Foundation
import LoupeImage
import LoupeJSON
import LoupeTensor
import LoupeSafetensors

/// Reads the architecture and weights of a CLIP checkpoint in either
/// open_clip or Hugging Face naming. Sizes come from tensor shapes; what
/// shapes cannot tell (heads, activation, normalisation) comes from the
/// config, then from the options, then from the format's documented default.
struct CheckpointLoader {
    let file: SafetensorsFile
    let format: CheckpointFormat
    /// Which model a Hugging Face folder holds (open_clip files are CLIP).
    var family: ModelFamily = .clip
    /// open_clip `model_cfg`, or Hugging Face `config.json`.
    let config: JSON?
    /// open_clip `preprocess_cfg`, or Hugging Face `preprocessor_config.json`.
    let preprocess: JSON?
    let options: CLIPLoadOptions

    func fail(_ tensor: String?, _ problem: String, _ fix: String) -> CLIPError {
        CLIPError(file: file.path, tensor: tensor, problem: problem, fix: fix)
    }

    func t(_ name: String, _ shape: [Int]? = nil) throws -> Tensor { try file.tensor(name, shape: shape) }

    /// Number of `prefix<N>.` blocks, checking they run 0..<N without gaps.
    func countBlocks(_ prefix: String) throws -> Int {
        var seen = Set<Int>()
        for key in file.entries.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]) { seen.insert(n) }
        }
        let n = seen.count
        guard n > 0 else {
            throw fail("\(prefix)0.*", "is missing: the checkpoint has no transformer blocks there",
                       "The checkpoint is incomplete or not a CLIP ViT; re-export it.")
        }
        if let missing = (0..<n).first(where: { !seen.contains($0) }) {
            throw fail("\(prefix)\(missing).*", "is missing while \(n) blocks are present",
                       "The checkpoint is incomplete; re-export it.")
        }
        return n
    }

    func activation(_ configured: String?, source: inout String) throws -> Kernels.Activation {
        if let forced = options.activation { source = "option"; return forced }
        guard let configured else { return .gelu }
        switch configured {
        case "quick_gelu": source = "config"; return .quickGelu
        case "gelu": source = "config"; return .gelu
        case "gelu_pytorch_tanh": source = "config"; return .geluTanh
        default:
            throw fail(nil, "activation '\(configured)' is not supported", "Loupe runs models with gelu, gelu_pytorch_tanh or quick_gelu.")
        }
    }

    func load() throws -> (CLIPConfig, VisionWeights, TextWeights?) {
        switch (format, family) {
        case (.openCLIP, _): return try loadOpenCLIP()
        case (.huggingFace, .clip): return try loadHuggingFace()
        case (.huggingFace, .dinov2): return try loadDINOv2()
        case (.huggingFace, .siglip): return try loadSigLIP()
        }
    }

    // MARK: open_clip

    func loadOpenCLIP() throws -> (CLIPConfig, VisionWeights, TextWeights?) {
        let model = config?["model_cfg"] ?? config
        let visionCfg = model?["vision_cfg"], textCfg = model?["text_cfg"]
        for key in file.entries.keys where key.hasPrefix("visual.trunk.") || key.hasPrefix("visual.layer1.") {
            throw fail(key, "belongs to a timm or ResNet image tower", "Loupe runs ViT towers in open_clip's own layout only.")
        }
        for key in file.entries.keys where key.contains(".ls_1.") || key.contains("attn_pool") {
            throw fail(key, "belongs to a variant (LayerScale or attention pooling) Loupe does not run", "Use a standard CLIP ViT checkpoint.")
        }
        guard let conv = file.entries["visual.conv1.weight"] else {
            throw fail("visual.conv1.weight", "missing, so this is not an open_clip ViT checkpoint",
                       "Pass an open_clip .safetensors file (keys visual.conv1.weight, visual.transformer.resblocks.N...) or a Hugging Face CLIP folder.")
        }
        guard conv.shape.count == 4, conv.shape[0] > 0, conv.shape[1] == 3, conv.shape[2] > 0, conv.shape[2] == conv.shape[3] else {
            throw fail("visual.conv1.weight", "has shape \(conv.shape), not [width, 3, patch, patch]", "The checkpoint is not a CLIP ViT; re-export it.")
        }
        let width = conv.shape[0], patch = conv.shape[2]
        let pos = try t("visual.positional_embedding")
        let grid = try patchGrid(pos, "visual.positional_embedding", width: width)
        // A model_cfg without "quick_gelu" means GELU (open_clip's default);
        // with no config at all the activation is a guess, and says so.
        var source = "assumed"
        let quick = model.map { $0["quick_gelu"]?.boolValue ?? false }
        let act = try activation(quick.map { $0 ? "quick_gelu" : "gelu" }, source: &source)
        let eps: Float = 1e-5
        let headWidth = visionCfg?["head_width"]?.intValue ?? 64
        guard headWidth > 0 else {
            throw fail(nil, "the config's vision head_width is \(headWidth), not a positive number", "Fix head_width in the config, or pass visionHeads: in the load options.")
        }
        let vLayers = try countBlocks("visual.transformer.resblocks.")
        let vHeads = options.visionHeads ?? max(1, width / headWidth)
        let vMLP = file.entries["visual.transformer.resblocks.0.mlp.c_fc.weight"]?.shape.first ?? 4 * width
        let vision = TowerConfig(width: width, layers: vLayers, heads: vHeads, mlpWidth: vMLP, activation: act, layerNormEps: eps)
        try checkHeads(vision, "vision")

        var blocks: [BlockWeights] = []
        for i in 0..<vLayers { blocks.append(try openCLIPBlock("visual.transformer.resblocks.\(i).", vision)) }
        let convT = try t("visual.conv1.weight")
        let proj: LinearWeights? = file.has("visual.proj")
            ? LinearWeights(weight: try t("visual.proj"), bias: nil, inputMajor: true) : nil
        if let proj, proj.weight.rank != 2 || proj.weight.shape[0] != width {
            throw fail("visual.proj", "has shape \(proj.weight.shape), first dimension should be \(width)", "The checkpoint is inconsistent; re-export it.")
        }
        let visionWeights = VisionWeights(
            patchWeight: convT.reshaped([width, 3 * patch * patch]), patchBias: nil,
            classEmbedding: try t("visual.class_embedding", [width]), registers: nil, positional: pos,
            lnPre: try ln("visual.ln_pre", width, eps), blocks: blocks,
            head: .classToken(ln: try ln("visual.ln_post", width, eps), projection: proj))

        let textTower = try text(TextLayout(tokenEmbedding: "token_embedding.weight", positional: "positional_embedding",
                                            blocks: "transformer.resblocks.", mlpIn: "mlp.c_fc.weight", lnFinal: "ln_final",
                                            projection: "text_projection", projectionInputMajor: true, block: openCLIPBlock)) { width in
            (options.textHeads ?? textCfg?["heads"]?.intValue ?? max(1, width / 64), act, eps)
        }
        let (text, textWeights) = (textTower?.config, textTower?.weights)
        let (context, vocab) = (textTower?.context ?? 77, textTower?.vocab ?? 49408)
        let cfg = try config(.openCLIP, textProjectionName: "text_projection", vision: vision, weights: visionWeights,
                             text: text, textWeights: textWeights, width: width, patch: patch, grid: grid, context: context,
                             vocab: vocab, mean: preprocess?["mean"], std: preprocess?["std"], source: source)
        return (cfg, visionWeights, textWeights)
    }

    /// Where a layout keeps the text tower's tensors.
    struct TextLayout {
        let tokenEmbedding, positional, blocks, mlpIn, lnFinal, projection: String
        let projectionInputMajor: Bool
        let block: (_ prefix: String, _ config: TowerConfig) throws -> BlockWeights
        /// SigLIP's text head has a bias; CLIP's projection has none.
        var projectionBias: String? = nil
    }

    /// The text tower, when the file has one, read by `layout`; `settings`
    /// gives its heads, activation and layer-norm epsilon for its width.
    func text(_ layout: TextLayout, settings: (_ width: Int) throws -> (heads: Int, activation: Kernels.Activation, eps: Float)) throws
        -> (config: TowerConfig, weights: TextWeights, vocab: Int, context: Int)? {
        guard let emb = file.entries[layout.tokenEmbedding] else { return nil }
        let (width, positional) = try textEmbeddings(emb, positional: layout.positional)
        let (heads, act, eps) = try settings(width)
        let layers = try countBlocks(layout.blocks)
        let mlp = file.entries[layout.blocks + "0." + layout.mlpIn]?.shape.first ?? 4 * width
        let config = TowerConfig(width: width, layers: layers, heads: heads, mlpWidth: mlp, activation: act, layerNormEps: eps)
        try checkHeads(config, "text")
        let blocks = try (0..<layers).map { try layout.block(layout.blocks + "\($0).", config) }
        let bias = try layout.projectionBias.flatMap { file.has($0) ? try t($0) : nil }
        let projection: LinearWeights? = file.has(layout.projection)
            ? LinearWeights(weight: try t(layout.projection), bias: bias, inputMajor: layout.projectionInputMajor) : nil
        if let projection {
            guard projection.weight.rank == 2, projection.inFeatures == width, bias.map({ $0.count == projection.outFeatures }) ?? true else {
                throw fail(layout.projection, "has shape \(projection.weight.shape), which does not take the text width \(width)",
                           "The checkpoint is inconsistent; re-export it.")
            }
        }
        let weights = TextWeights(tokenEmbedding: try t(layout.tokenEmbedding), positional: positional, blocks: blocks,
                                  lnFinal: try ln(layout.lnFinal, width, eps), projection: projection)
        return (config, weights, emb.shape[0], positional.shape[0])
    }

    func openCLIPBlock(_ p: String, _ c: TowerConfig) throws -> BlockWeights {
        let w = c.width
        return BlockWeights(
            ln1: try ln(p + "ln_1", w, c.layerNormEps),
            qkvParts: [(LinearWeights(weight: try t(p + "attn.in_proj_weight", [3 * w, w]), bias: nil, inputMajor: false), 0)],
            qkvBias: try t(p + "attn.in_proj_bias", [3 * w]),
            outProj: try linear(p + "attn.out_proj", w, w),
            ln2: try ln(p + "ln_2", w, c.layerNormEps),
            fc1: try linear(p + "mlp.c_fc", c.mlpWidth, w),
            fc2: try linear(p + "mlp.c_proj", w, c.mlpWidth))
    }

    // MARK: Hugging Face

    func loadHuggingFace() throws -> (CLIPConfig, VisionWeights, TextWeights?) {
        // A CLIPVisionModel(WithProjection) folder keeps the vision fields at the top level.
        let vcfg = config?["vision_config"] ?? (config?["hidden_size"] != nil ? config : nil)
        let tcfg = config?["text_config"]
        let embName = "vision_model.embeddings.patch_embedding.weight"
        var source = "config"
        let (vision, patch) = try visionShape(VisionNames(conv: embName, blocks: "vision_model.encoder.layers.", mlpIn: "mlp.fc1.weight",
                                                          model: "Hugging Face CLIP", savedBy: "CLIPModel"),
                                              config: vcfg, activation: "quick_gelu", eps: 1e-5, source: &source)
        let width = vision.width
        let pos = try t("vision_model.embeddings.position_embedding.weight")
        let grid = try patchGrid(pos, "vision_model.embeddings.position_embedding.weight", width: width)
        if let configured = vcfg?["patch_size"]?.intValue, configured != patch {
            throw fail(embName, "has patch size \(patch) but config.json says \(configured)", "Fix config.json or re-export the folder.")
        }
        let blocks = try (0..<vision.layers).map { try hfBlock("vision_model.encoder.layers.\($0).", vision) }
        let proj: LinearWeights? = file.has("visual_projection.weight")
            ? LinearWeights(weight: try t("visual_projection.weight"), bias: nil, inputMajor: false) : nil
        if let proj, proj.weight.rank != 2 || proj.inFeatures != width {
            throw fail("visual_projection.weight", "has shape \(proj.weight.shape), second dimension should be \(width)", "The checkpoint is inconsistent; re-export it.")
        }
        let convT = try t(embName)
        let visionWeights = VisionWeights(
            patchWeight: convT.reshaped([width, 3 * patch * patch]),
            patchBias: file.has("vision_model.embeddings.patch_embedding.bias") ? try t("vision_model.embeddings.patch_embedding.bias", [width]) : nil,
            classEmbedding: try t("vision_model.embeddings.class_embedding", [width]), registers: nil, positional: pos,
            lnPre: try ln("vision_model.pre_layrnorm", width, vision.layerNormEps), blocks: blocks,
            head: .classToken(ln: try ln("vision_model.post_layernorm", width, vision.layerNormEps), projection: proj))

        let textTower = try text(TextLayout(tokenEmbedding: "text_model.embeddings.token_embedding.weight",
                                            positional: "text_model.embeddings.position_embedding.weight",
                                            blocks: "text_model.encoder.layers.", mlpIn: "mlp.fc1.weight", lnFinal: "text_model.final_layer_norm",
                                            projection: "text_projection.weight", projectionInputMajor: false, block: hfTextBlock)) { _ in
            (options.textHeads ?? tcfg?["num_attention_heads"]?.intValue ?? 8,
             try activation(tcfg?["hidden_act"]?.stringValue ?? "quick_gelu", source: &source), Float(tcfg?["layer_norm_eps"]?.doubleValue ?? 1e-5))
        }
        let (text, textWeights) = (textTower?.config, textTower?.weights)
        let (context, vocab) = (textTower?.context ?? 77, textTower?.vocab ?? 49408)
        let cfg = try config(.huggingFace, textProjectionName: "text_projection.weight", vision: vision, weights: visionWeights,
                             text: text, textWeights: textWeights, width: width, patch: patch, grid: grid, context: context,
                             vocab: vocab, mean: preprocess?["image_mean"], std: preprocess?["image_std"], source: source)
        return (cfg, visionWeights, textWeights)
    }

    /// An image-tower block: query, key and value stacked (see `separateQKV`).
    func hfBlock(_ p: String, _ c: TowerConfig) throws -> BlockWeights { try hfBlock(p, c, stacked: true) }

    /// A text-tower block: the projections used in place, since text is
    /// embedded rarely and in short batches, where a copy would buy nothing.
    func hfTextBlock(_ p: String, _ c: TowerConfig) throws -> BlockWeights { try hfBlock(p, c, stacked: false) }

    func hfBlock(_ p: String, _ c: TowerConfig, stacked: Bool) throws -> BlockWeights {
        let w = c.width
        let (qkvParts, qkvBias) = try separateQKV(p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj", width: w,
                                                  stacked: stacked)
        return BlockWeights(
            ln1: try ln(p + "layer_norm1", w, c.layerNormEps),
            qkvParts: qkvParts, qkvBias: qkvBias,
            outProj: try linear(p + "self_attn.out_proj", w, w),
            ln2: try ln(p + "layer_norm2", w, c.layerNormEps),
            fc1: try linear(p + "mlp.fc1", c.mlpWidth, w),
            fc2: try linear(p + "mlp.fc2", w, c.mlpWidth))
    }

    /// Separate query, key and value projections as parts of the packed
    /// [rows, 3·width] buffer, with their biases side by side. `stacked`
    /// copies them into one [3·width, width] matrix, as open_clip stores
    /// them: one product per block instead of three, so the image tower's
    /// input is packed for BLAS once (3·width² floats per block in memory).
    func separateQKV(_ q: String, _ k: String, _ v: String, width w: Int, stacked: Bool = true)
        throws -> (parts: [(weights: LinearWeights, column: Int)], bias: Tensor) {
        let parts = try [q, k, v].map { try linear($0, w, w) }
        let bias = Tensor(zeros: [3 * w])
        for (i, part) in parts.enumerated() {
            if let b = part.bias { (bias.pointer + i * w).update(from: b.pointer, count: w) }
        }
        guard stacked else {
            return (parts.enumerated().map { (LinearWeights(weight: $1.weight, bias: nil, inputMajor: false), $0 * w) }, bias)
        }
        let matrix = Tensor(uninitialized: [3 * w, w])
        for (i, part) in parts.enumerated() { (matrix.pointer + i * w * w).update(from: part.weight.pointer, count: w * w) }
        return ([(LinearWeights(weight: matrix, bias: nil, inputMajor: false), 0)], bias)
    }

    // MARK: shared pieces

    /// Where a Hugging Face image tower keeps its patch convolution and blocks.
    struct VisionNames {
        let conv, blocks, mlpIn: String
        /// For errors: the model ("DINOv2") and the class that saves it ("Dinov2Model").
        let model, savedBy: String
    }

    /// A Hugging Face image tower's shape, read alike for every family:
    /// width and patch from the patch convolution [width, 3, patch, patch],
    /// layers from the blocks present, the MLP width from the first block,
    /// heads, activation and epsilon from the vision config or the family's
    /// defaults (transformers' own, for fields a saved config may omit).
    func visionShape(_ names: VisionNames, config vcfg: JSON?, activation defaultActivation: String, eps defaultEps: Double,
                     source: inout String) throws -> (tower: TowerConfig, patch: Int) {
        guard let conv = file.entries[names.conv] else {
            throw fail(names.conv, "missing, so this is not a \(names.model) checkpoint",
                       "Pass a folder saved by transformers' \(names.savedBy).save_pretrained (config.json + model.safetensors).")
        }
        guard conv.shape.count == 4, conv.shape[0] > 0, conv.shape[1] == 3, conv.shape[2] > 0, conv.shape[2] == conv.shape[3] else {
            throw fail(names.conv, "has shape \(conv.shape), not [width, 3, patch, patch]", "The checkpoint is not a \(names.model) ViT; re-export it.")
        }
        let width = conv.shape[0]
        let act = try activation(vcfg?["hidden_act"]?.stringValue ?? defaultActivation, source: &source)
        let eps = Float(vcfg?["layer_norm_eps"]?.doubleValue ?? defaultEps)
        let layers = try countBlocks(names.blocks)
        let heads = options.visionHeads ?? vcfg?["num_attention_heads"]?.intValue ?? 12
        let mlp = file.entries[names.blocks + "0." + names.mlpIn]?.shape.first ?? 4 * width
        let tower = TowerConfig(width: width, layers: layers, heads: heads, mlpWidth: mlp, activation: act, layerNormEps: eps)
        try checkHeads(tower, "vision")
        return (tower, conv.shape[2])
    }

    /// The side of the patch grid from the positional embedding [grid² + 1, width],
    /// its shape checked before any arithmetic on it.
    func patchGrid(_ pos: Tensor, _ name: String, width: Int) throws -> Int {
        let inconsistent = fail(name, "has shape \(pos.shape), not [grid²+1, \(width)]", "The checkpoint is inconsistent; re-export it.")
        guard pos.rank == 2, pos.shape[0] >= 2, pos.shape[1] == width else { throw inconsistent }
        let grid = Int(Double(pos.shape[0] - 1).squareRoot().rounded())
        guard grid * grid + 1 == pos.shape[0] else { throw inconsistent }
        return grid
    }

    /// The text tower's width, from a token embedding [vocab, width], and
    /// its positional embedding [context, width] (room for at least the
    /// start and end tokens).
    func textEmbeddings(_ embedding: SafetensorsFile.Entry, positional name: String) throws -> (width: Int, positional: Tensor) {
        guard embedding.shape.count == 2, embedding.shape[0] > 0, embedding.shape[1] > 0 else {
            throw fail(embedding.name, "has shape \(embedding.shape), not [vocabulary, width]", "The checkpoint is inconsistent; re-export it.")
        }
        let width = embedding.shape[1], pos = try t(name)
        guard pos.rank == 2, pos.shape[0] >= 2, pos.shape[1] == width else {
            throw fail(name, "has shape \(pos.shape), not [context, \(width)]", "The checkpoint is inconsistent; re-export it.")
        }
        return (width, pos)
    }

    func ln(_ name: String, _ width: Int, _ eps: Float) throws -> LayerNormWeights {
        LayerNormWeights(gamma: try t(name + ".weight", [width]), beta: try t(name + ".bias", [width]), eps: eps)
    }

    func linear(_ name: String, _ out: Int, _ inp: Int) throws -> LinearWeights {
        LinearWeights(weight: try t(name + ".weight", [out, inp]),
                      bias: file.has(name + ".bias") ? try t(name + ".bias", [out]) : nil, inputMajor: false)
    }

    func checkHeads(_ c: TowerConfig, _ tower: String) throws {
        guard c.heads > 0, c.width % c.heads == 0 else {
            throw fail(nil, "the \(tower) tower's width \(c.width) is not divisible by \(c.heads) attention heads",
                       "Fix the head count in the config, or pass \(tower)Heads: in the load options.")
        }
    }

    /// The checks and assembly both layouts end with: the two projections
    /// must meet in one embedding space, and normalisation comes from the
    /// preprocessing config or CLIP's defaults.
    func config(_ format: CheckpointFormat, textProjectionName: String, vision: TowerConfig, weights: VisionWeights,
                text: TowerConfig?, textWeights: TextWeights?, width: Int, patch: Int, grid: Int, context: Int, vocab: Int,
                mean: JSON?, std: JSON?, source: String,
                defaults: (mean: [Float], std: [Float]) = (CLIPConfig.openAIMean, CLIPConfig.openAIStd)) throws -> CLIPConfig {
        let embed: Int
        switch weights.head {
        case .classToken(_, let projection): embed = projection?.outFeatures ?? width
        case .attentionPool: embed = width
        }
        if let p = textWeights?.projection, p.outFeatures != embed {
            throw fail(textProjectionName, "projects to \(p.outFeatures) dimensions but the image side projects to \(embed)",
                       "The checkpoint is inconsistent; re-export it.")
        }
        let (m, s) = try normalisation(mean, std, defaults: defaults)
        return CLIPConfig(family: family, format: format, vision: vision, patchSize: patch, imageSize: grid * patch, embedDim: embed,
                          text: text, contextLength: context, vocabSize: vocab, mean: m, std: s, activationSource: source)
    }

    func normalisation(_ mean: JSON?, _ std: JSON?, defaults: (mean: [Float], std: [Float])) throws -> ([Float], [Float]) {
        let m = mean?.arrayValue?.compactMap { $0.doubleValue }.map(Float.init) ?? defaults.mean
        let s = std?.arrayValue?.compactMap { $0.doubleValue }.map(Float.init) ?? defaults.std
        guard m.count == 3, s.count == 3, s.allSatisfy({ $0 > 0 }) else {
            throw fail(nil, "the preprocessing config's mean/std are not three positive numbers each", "Fix the mean and std in the config.")
        }
        return (m, s)
    }

    /// How this checkpoint's images are preprocessed: open_clip's transform
    /// for open_clip files; for Hugging Face folders, transformers' image
    /// processor (CLIP's, DINOv2's BitImageProcessor or SigLIP's) with the
    /// settings of `preprocessor_config.json`
    /// (its defaults where the file or a key is missing). A setting Loupe
    /// cannot reproduce exactly is an error, never quietly replaced.
    /// The largest side a processor config may resize or crop to.
    static let largestSide = 8192

    func preprocessor(_ cfg: CLIPConfig) throws -> CLIPPreprocessor {
        guard format == .huggingFace else { return CLIPPreprocessor(imageSize: cfg.imageSize, mean: cfg.mean, std: cfg.std) }
        let p = preprocess
        func flag(_ key: String, _ fallback: Bool) throws -> Bool {
            guard let v = p?[key], v != .null else { return fallback }
            guard let b = v.boolValue else { throw unsupported(key, "is \(v.serialized()), not true or false") }
            return b
        }
        func unsupported(_ key: String, _ problem: String) -> CLIPError {
            fail(nil, "preprocessor_config.json: \(key) \(problem)",
                 "Loupe follows transformers' image processors exactly; fix the value or remove the key to use the default.")
        }
        /// A size given as an int, {"shortest_edge": n} or {"height": h, "width": w},
        /// each side at most `largestSide` (what is resized is allocated).
        func size(_ key: String) throws -> CLIPPreprocessor.Resize? {
            guard let v = p?[key], v != .null else { return nil }
            let sides = [v.intValue, v["shortest_edge"]?.intValue, v["height"]?.intValue, v["width"]?.intValue].compactMap { $0 }
            if let big = sides.first(where: { $0 > Self.largestSide }) {
                throw unsupported(key, "asks for \(big) pixels; Loupe resizes to at most \(Self.largestSide) on a side")
            }
            if let n = v.intValue, n > 0 { return .shortestEdge(n) }
            if let n = v["shortest_edge"]?.intValue, n > 0, v["longest_edge"] == nil || v["longest_edge"] == .null {
                return .shortestEdge(n)
            }
            if let h = v["height"]?.intValue, let w = v["width"]?.intValue, h > 0, w > 0 { return .exact(width: w, height: h) }
            throw unsupported(key, "is \(v.serialized()); Loupe reads an int, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}")
        }
        // Each family's processor has its own defaults: CLIP's and DINOv2's
        // (BitImageProcessor) resize the shorter side and crop, bicubic;
        // SigLIP's resizes to the square input, bilinear, with no crop.
        let defaultResize: CLIPPreprocessor.Resize
        switch family {
        case .clip: defaultResize = .shortestEdge(cfg.imageSize)
        case .dinov2: defaultResize = .shortestEdge(256 * cfg.imageSize / 224)
        case .siglip: defaultResize = .exact(width: cfg.imageSize, height: cfg.imageSize)
        }
        let doResize = try flag("do_resize", true), doCrop = try flag("do_center_crop", family != .siglip)
        let resize = doResize ? (try size("size") ?? defaultResize) : nil
        if doCrop {
            let crop = try size("crop_size") ?? .exact(width: cfg.imageSize, height: cfg.imageSize)
            let side: Int
            switch crop {
            case .shortestEdge(let n): side = n
            case .exact(let w, let h):
                guard w == h else { throw unsupported("crop_size", "is \(w)×\(h); the model takes square \(cfg.imageSize)×\(cfg.imageSize) images") }
                side = w
            }
            guard side == cfg.imageSize else {
                throw unsupported("crop_size", "is \(side) but the model takes \(cfg.imageSize)×\(cfg.imageSize) images")
            }
            // A crop larger than the resized image would need padding.
            switch resize {
            case .shortestEdge(let n) where n < side, .exact(_, let n) where n < side:
                throw unsupported("size", "makes images smaller than the \(side)-pixel crop, which transformers would pad")
            case .exact(let n, _) where n < side:
                throw unsupported("size", "makes images smaller than the \(side)-pixel crop, which transformers would pad")
            default: break
            }
        } else {
            guard resize == .exact(width: cfg.imageSize, height: cfg.imageSize) else {
                throw unsupported("do_center_crop", "is false, so size must be exactly {\"height\": \(cfg.imageSize), \"width\": \(cfg.imageSize)}")
            }
        }
        // CLIP's and DINOv2's processors resample bicubic (3), SigLIP's
        // bilinear (2); torch's other uint8 kernels are not reproduced, so
        // they are refused rather than approximated.
        let resample = p?["resample"]?.intValue ?? (family == .siglip ? 2 : 3)
        let filter: PillowResample.Filter
        switch resample {
        case 2: filter = .bilinear
        case 3: filter = .bicubic
        default: throw unsupported("resample", "is \(resample); Loupe resamples as transformers' BILINEAR (2) or BICUBIC (3) only")
        }
        let doRescale = try flag("do_rescale", true), doNormalize = try flag("do_normalize", true)
        guard doRescale else {
            throw unsupported("do_rescale", "is false: CLIP takes pixels scaled to [0, 1]")
        }
        let factor = p?["rescale_factor"]?.doubleValue ?? 1.0 / 255
        guard factor > 0 else { throw unsupported("rescale_factor", "is \(factor), not a positive number") }
        return CLIPPreprocessor(transformersImageSize: cfg.imageSize, resize: resize, filter: filter, centerCrop: doCrop,
                                rescaleFactor: factor, normalize: doNormalize, mean: cfg.mean, std: cfg.std)
    }
}
