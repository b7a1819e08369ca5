import Foundation
import LoupeImage
import LoupeJSON
import LoupeTensor
import LoupeSafetensors

/// A CLIP model loaded from a checkpoint: image and text encoders sharing
/// an embedding space, with hooks into every residual block of the image
/// tower. Weights stay memory-mapped from the checkpoint file.
package final class CLIPModel: @unchecked Sendable {
    package let config: CLIPConfig
    /// The checkpoint file the weights are mapped from.
    package let path: String
    /// Size of the checkpoint file in bytes.
    package let fileSize: Int
    package let preprocessor: CLIPPreprocessor
    /// exp of the checkpoint's learned logit scale (100 for trained CLIP).
    package let logitScale: Float
    /// SigLIP's learned logit bias: zero-shot probabilities are then
    /// sigmoid(scale·cos + bias) per label, not a softmax over the labels.
    package let logitBias: Float?
    let vision: VisionTower
    let text: TextTower?
    let file: SafetensorsFile
    private var tokenizerStorage: (any TextTokenizer)?
    /// The Hugging Face folder the model came from (its tokenizer files live there).
    package private(set) var folder: String?
    private let lock = NSLock()
    private var scopedHooks = HookSet()

    /// Loads an open_clip `.safetensors` file, or a Hugging Face CLIP folder
    /// (`config.json` + `model.safetensors`). The architecture is read from
    /// tensor shapes and the config; see `CLIPLoadOptions` for overrides.
    package convenience init(path: String, options: CLIPLoadOptions = CLIPLoadOptions()) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CLIPError(file: path, problem: "no such file or folder",
                            fix: "Pass an open_clip .safetensors file or a Hugging Face CLIP folder (config.json + model.safetensors).")
        }
        if isDir.boolValue {
            let weights = (path as NSString).appendingPathComponent("model.safetensors")
            let configPath = (path as NSString).appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: weights) else {
                let bin = (path as NSString).appendingPathComponent("pytorch_model.bin")
                let hasBin = FileManager.default.fileExists(atPath: bin)
                throw CLIPError(file: path, problem: "the folder has no model.safetensors" + (hasBin ? " (only pytorch_model.bin)" : ""),
                                fix: hasBin ? "Convert it with transformers: CLIPModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)."
                                            : "Pass a folder saved by transformers' CLIPModel.save_pretrained.")
            }
            guard FileManager.default.fileExists(atPath: configPath) else {
                throw CLIPError(file: path, problem: "the folder has model.safetensors but no config.json",
                                fix: "Copy the model's config.json next to model.safetensors.")
            }
            let config = try CLIPModel.readJSON(configPath)
            let pre = (path as NSString).appendingPathComponent("preprocessor_config.json")
            let preprocess = FileManager.default.fileExists(atPath: pre) ? try CLIPModel.readJSON(pre) : nil
            let file = try SafetensorsFile(path: weights)
            try self.init(file: file, format: .huggingFace, family: try CLIPModel.family(config: config, file: file),
                          config: config, preprocess: preprocess, options: options)
            folder = path
        } else {
            let file = try SafetensorsFile(path: path)
            // open_clip keeps its config either in the file's metadata or in an
            // open_clip_config.json beside it (the layout of published weights).
            var config: JSON?
            if let embedded = file.metadata["open_clip_config"] {
                do { config = try JSON.parse(embedded) } catch {
                    throw CLIPError(file: path, problem: "the embedded open_clip_config metadata is not valid JSON (\(error))",
                                    fix: "Re-export the checkpoint with a valid config.")
                }
            } else {
                let sibling = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("open_clip_config.json")
                if FileManager.default.fileExists(atPath: sibling) { config = try CLIPModel.readJSON(sibling) }
            }
            if file.has("vision_model.embeddings.patch_embedding.weight") {
                throw CLIPError(file: path, problem: "this is a Hugging Face CLIP checkpoint",
                                fix: "Load the folder that holds it together with its config.json, not the file alone.")
            }
            try self.init(file: file, format: .openCLIP, config: config, preprocess: config?["preprocess_cfg"], options: options)
        }
    }

    init(file: SafetensorsFile, format: CheckpointFormat, family: ModelFamily = .clip, config: JSON?, preprocess: JSON?,
         options: CLIPLoadOptions) throws {
        let loader = CheckpointLoader(file: file, format: format, family: family, config: config, preprocess: preprocess, options: options)
        let (cfg, visionWeights, textWeights) = try loader.load()
        self.config = cfg
        self.file = file
        self.path = file.path
        self.fileSize = file.fileSize
        self.preprocessor = try loader.preprocessor(cfg)
        self.vision = VisionTower(config: cfg, weights: visionWeights)
        self.text = textWeights.map { TextTower(config: cfg.text!, weights: $0, contextLength: cfg.contextLength, causal: family != .siglip) }
        logitScale = try CLIPModel.scalar(file, "logit_scale").map { Foundation.exp($0) } ?? 100
        logitBias = family == .siglip ? try CLIPModel.scalar(file, "logit_bias") ?? 0 : nil
    }

    /// Which model a Hugging Face folder holds: its config's `model_type`,
    /// or failing that its tensor names.
    static func family(config: JSON, file: SafetensorsFile) throws -> ModelFamily {
        let type = config["model_type"]?.stringValue
        switch type {
        case "dinov2", "dinov2_with_registers": return .dinov2
        case "siglip", "siglip_vision_model": return .siglip
        case "siglip2":
            throw CLIPError(file: file.path, problem: "this is a SigLIP 2 NaFlex model, which resizes each image to a patch grid of its own",
                            fix: "Loupe runs fixed-resolution models; SigLIP 2's fixed-resolution checkpoints (model_type \"siglip\") load.")
        case let other? where other.hasPrefix("dinov3"):
            throw CLIPError(file: file.path, problem: "this is a DINOv3 model (model_type \"\(other)\"), which Loupe does not run yet",
                            fix: "Loupe loads CLIP (open_clip or Hugging Face), DINOv2 and SigLIP checkpoints.")
        default:
            if file.has("vision_model.head.probe") { return .siglip }
            if file.has("embeddings.cls_token") || file.has("dinov2.embeddings.cls_token") { return .dinov2 }
            return .clip
        }
    }

    /// A one-number tensor, if the file has it.
    static func scalar(_ file: SafetensorsFile, _ name: String) throws -> Float? {
        guard file.has(name) else { return nil }
        let t = try file.tensor(name)
        guard t.count == 1 else {
            throw CLIPError(file: file.path, tensor: name, problem: "has \(t.count) values, not one", fix: "The checkpoint is inconsistent; re-export it.")
        }
        return t.pointer[0]
    }

    static func readJSON(_ path: String) throws -> JSON {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIPError(file: path, problem: "cannot read the file", fix: "Check its permissions.")
        }
        do { return try JSON.parse([UInt8](data)) } catch {
            throw CLIPError(file: path, problem: "not valid JSON (\(error))", fix: "Fix or replace the file.")
        }
    }

    /// Runs `body` with `hooks` applied to every image-tower forward pass
    /// made inside it (embed, classify, activations): the basis of
    /// "with this SAE latent clamped, do ...". Scopes nest; inner hooks run
    /// after outer ones, and per-call hooks after both.
    package func withHooks<T>(_ hooks: HookSet, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        let saved = scopedHooks
        scopedHooks.append(contentsOf: hooks)
        lock.unlock()
        defer { lock.lock(); scopedHooks = saved; lock.unlock() }
        return try body()
    }

    /// The scoped hooks followed by `call`'s own.
    func hooks(adding call: HookSet) -> HookSet {
        lock.lock(); defer { lock.unlock() }
        var all = scopedHooks
        all.append(contentsOf: call)
        return all
    }

    /// The text tokenizer, loaded on first use: CLIP's BPE, or the
    /// SentencePiece model in a SigLIP folder.
    package func tokenizer() throws -> any TextTokenizer {
        lock.lock(); defer { lock.unlock() }
        if let t = tokenizerStorage { return t }
        let t: any TextTokenizer
        switch config.family {
        case .siglip: t = try SentencePieceTokenizer(folder: folder ?? (path as NSString).deletingLastPathComponent)
        case .clip, .dinov2: t = try CLIPTokenizer.standard()
        }
        tokenizerStorage = t
        return t
    }

    // MARK: description

    /// Parameter count (all tensors in the checkpoint).
    package var parameterCount: Int { file.entries.values.reduce(0) { $0 + $1.count } }

    /// One-paragraph summary for display: architecture, sizes, parameters.
    package var summary: String {
        let v = config.vision
        var lines = [
            "\(config.family.rawValue) \(config.architectureName) (\(config.format.rawValue)) from \((path as NSString).lastPathComponent)",
            "vision: \(v.layers) layers, width \(v.width), \(v.heads) heads, patch \(config.patchSize), image \(config.imageSize), \(config.visionTokens) tokens"
                + (config.registerTokens > 0 ? " (\(config.registerTokens) registers)" : "") + (config.hasClassToken ? "" : " (no class token; attention pooling)"),
        ]
        if let t = config.text {
            lines.append("text: \(t.layers) layers, width \(t.width), \(t.heads) heads, context \(config.contextLength), vocabulary \(config.vocabSize)")
        } else {
            lines.append("text: none (image tower only)")
        }
        let logits = config.text == nil ? "" : ", logit scale \(String(format: "%.2f", logitScale))" + (logitBias.map { String(format: ", bias %.2f (sigmoid)", $0) } ?? "")
        lines.append("embedding \(config.embedDim), activation \(v.activation.rawValue) (\(config.activationSource))" + logits)
        lines.append("\(Self.formatCount(parameterCount)) parameters, \(Self.formatBytes(fileSize)) mapped")
        lines.append("computing with \(BLASRuntime.description)")
        return lines.joined(separator: "\n")
    }

    /// Summary fields as JSON (for tables and `application/json`).
    package var summaryJSON: JSON {
        var o: [String: JSON] = [
            "family": .string(config.family.rawValue),
            "architecture": .string(config.architectureName), "format": .string(config.format.rawValue),
            "layers": .int(config.vision.layers), "width": .int(config.vision.width), "heads": .int(config.vision.heads),
            "patch": .int(config.patchSize), "image_size": .int(config.imageSize), "tokens": .int(config.visionTokens),
            "embed_dim": .int(config.embedDim), "activation": .string(config.vision.activation.rawValue),
            "parameters": .int(parameterCount), "file_bytes": .int(fileSize), "path": .string(path),
            "logit_scale": .double(Double(logitScale)),
            "blas": .string(BLASRuntime.description),
        ]
        if let t = config.text {
            o["text_layers"] = .int(t.layers); o["text_width"] = .int(t.width); o["context_length"] = .int(config.contextLength)
        }
        return .object(o)
    }

    static func formatCount(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.1fM", Double(n) / 1e6) : (n >= 1000 ? String(format: "%.1fk", Double(n) / 1e3) : "\(n)")
    }

    static func formatBytes(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1048576) : String(format: "%.1f KiB", Double(n) / 1024)
    }
}
