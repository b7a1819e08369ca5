import Foundation
import LoupeJSON
import LoupeSafetensors

/// ViT-Prisma's SAE checkpoints: a folder with `config.json` (the training
/// config's fields) beside `n_images_<N>.pt` — `torch.save` of {"cfg": the
/// config object, "state_dict": ...} — or beside `weights.pt`, a bare state
/// dict. Weights: `W_enc` [d_in, d_sae], `b_enc`, `W_dec` [d_sae, d_in],
/// `b_dec`; z = act(W_enc (N(x) − b_dec) + b_enc), x̂ = N⁻¹(W_dec z + b_dec)
/// with N its `normalize_activations` (default `layer_norm`), which Loupe
/// applies exactly. The `config.json` beside the weights is preferred to the
/// pickled config, as Prisma's own loader does when given one.
package enum PrismaFormat {
    package static let configFile = "config.json"

    /// The weights file in a Prisma folder: `weights.pt`, else the
    /// `n_images_<N>.pt` with the largest N (the last checkpoint).
    package static func weightsFile(in folder: String) -> String? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        if files.contains("weights.pt") { return folder + "/weights.pt" }
        let checkpoints = files.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("n_images_"), name.hasSuffix(".pt"),
                  let n = Int(name.dropFirst("n_images_".count).dropLast(".pt".count)) else { return nil }
            return (n, name)
        }
        return checkpoints.max { $0.0 < $1.0 }.map { folder + "/" + $0.1 }
    }

    /// `path`: the folder, or one `.pt` file in it.
    package static func load(from path: String) throws -> SparseAutoencoder {
        var isFolder: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let folder = isFolder.boolValue ? path : (path as NSString).deletingLastPathComponent
        guard let weightsPath = isFolder.boolValue ? weightsFile(in: path) : path else {
            throw SAEError.unreadableSAE(path: path, "'\(path)' has \(configFile) but no weights.pt or n_images_<N>.pt")
        }
        func fail(_ message: String) -> SAEError { .unreadableSAE(path: weightsPath, "'\(weightsPath)' \(message)") }
        let checkpoint: TorchCheckpoint
        do { checkpoint = try TorchCheckpoint(path: weightsPath) } catch { throw fail("cannot be read: \(error)") }
        let tensors = try checkpoint.stateDict(under: checkpoint.root["state_dict"] != nil ? "state_dict" : nil)

        let cfg: Config
        if let bytes = FileManager.default.contents(atPath: folder + "/" + configFile) {
            guard let json = try? JSON.parse(Array(bytes)) else { throw fail("sits beside a \(configFile) that is not valid JSON") }
            cfg = Config(json)
        } else if case .call(_, _, let state?) = checkpoint.root["cfg"] {
            cfg = Config(state)
        } else {
            throw fail("has no \(configFile) beside it and no config inside; Prisma's loader needs one of them too")
        }

        func weights(_ name: String) throws -> (values: [Float], shape: [Int]) {
            guard let t = tensors[name] else { throw fail("has no tensor '\(name)' (it holds \(tensors.keys.sorted().joined(separator: ", ")))") }
            return (try checkpoint.floats(t, name: name), t.shape)
        }
        guard cfg.architecture == "standard" else {
            throw fail("is a \(cfg.architecture) SAE; Loupe reads Prisma's standard architecture (its gated and JumpReLU variants are not modelled)")
        }
        let enc = try weights("W_enc"), dec = try weights("W_dec")
        guard enc.shape.count == 2, dec.shape == [enc.shape[1], enc.shape[0]] else {
            throw fail("has W_enc \(enc.shape) and W_dec \(dec.shape); Prisma writes [d_in, d_sae] and [d_sae, d_in]")
        }
        let dIn = enc.shape[0], dSAE = enc.shape[1]
        try SparseAutoencoder.checkSizes(dIn: dIn, dSAE: dSAE, path: weightsPath)
        if let d = cfg.dIn, d != dIn { throw fail("has d_in \(d) in its config but W_enc is \(enc.shape)") }
        let wEnc = SparseAutoencoder.encoderRows(enc.values, dIn: dIn, dSAE: dSAE)

        let architecture: any SAEArchitecture
        switch cfg.activation {
        case "relu": architecture = ReLUArchitecture(l1Coefficient: cfg.l1.map(Float.init))
        case "topk":
            guard let k = cfg.k, k >= 1 else { throw fail("is a TopK SAE whose config gives no k in activation_fn_kwargs") }
            architecture = TopKArchitecture(k: k)   // Prisma applies ReLU to the k values, as Loupe's TopK does
        default:
            throw fail("uses the activation \"\(cfg.activation)\"; Loupe reads Prisma's relu and topk")
        }
        let sae = try SparseAutoencoder.fromFile(weightsPath, dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: try weights("b_enc").values,
                                        wDec: dec.values, bDec: try weights("b_dec").values,
                                        metadata: SAEMetadata(model: cfg.model, layer: cfg.layer, site: cfg.site, tokens: cfg.tokens,
                                                              extra: ["source_format": "vit_prisma"]))
        // Prisma normalises with layer_norm or constant_norm_rescale and treats any other value as none.
        sae.inputNormalization = InputNormalization(configValue: cfg.normalization) ?? .none
        return sae
    }

    /// The fields Loupe needs, from config.json or the pickled config's attributes.
    struct Config {
        var dIn: Int?, activation = "relu", k: Int?, normalization = "layer_norm", architecture = "standard", l1: Double?
        var model: String?, layer: Int?, site: String?, tokens: String?

        init(_ json: JSON) {
            self.init { key in
                guard let v = json[key] else { return nil }
                if let s = v.stringValue { return .string(s) }
                if let b = v.boolValue { return .bool(b) }
                if let i = v.intValue { return .int(i) }
                if let d = v.doubleValue { return .float(d) }
                if let k = v["k"]?.intValue { return .dict([(key: .string("k"), value: .int(k))]) }
                return nil
            }
        }

        init(_ state: PickleValue) { self.init { state[$0] } }

        private init(_ field: (String) -> PickleValue?) {
            func string(_ key: String) -> String? { field(key)?.string }
            func bool(_ key: String) -> Bool { if case .bool(true)? = field(key) { return true }; return false }
            dIn = field("d_in")?.int
            switch field("l1_coefficient") {
            case .float(let d)?: l1 = d
            case .int(let i)?: l1 = Double(i)
            default: l1 = nil
            }
            activation = string("activation_fn_str") ?? activation
            k = field("activation_fn_kwargs")?["k"]?.int
            normalization = string("normalize_activations") ?? normalization
            architecture = string("architecture") ?? architecture
            model = string("model_name")
            layer = field("hook_point_layer")?.int
            // "hook_resid_post" names the site Loupe calls resid_post.
            site = string("layer_subtype").map { $0.hasPrefix("hook_") ? String($0.dropFirst(5)) : $0 }
            tokens = bool("cls_token_only") ? "cls" : bool("use_patches_only") ? "spatial" : "all"
        }
    }
}
