import Foundation
import LoupeJSON
import LoupeSafetensors

/// dictionary_learning's checkpoints: `ae.pt`, `torch.save` of the
/// dictionary's state dict, with the trainer's `config.json` beside it
/// (`{"trainer": {"dict_class": ..., "activation_dim", "dict_size", "k", ...}}`).
/// The MS paper's released SAEs (sae-for-vlm) are written this way. The
/// dictionary classes that are SAEs, as dictionary-learning 0.1.0 defines them:
///
/// | dict_class | tensors | encode |
/// |---|---|---|
/// | AutoEncoder | `encoder.weight` [F, D], `encoder.bias`, `decoder.weight` [D, F], `bias` (b_dec) | ReLU(W_e (x − b_dec) + b_e) |
/// | AutoEncoderTopK | the same with `b_dec`, and buffers `k`, `threshold` | ReLU, then the k largest per token |
/// | BatchTopKSAE | as AutoEncoderTopK | ReLU, kept above the scalar `threshold` |
/// | MatryoshkaBatchTopKSAE | `W_enc` [D, F], `b_enc`, `W_dec` [F, D], `b_dec`, `k`, `threshold`, `group_sizes` | as BatchTopKSAE |
/// | JumpReluAutoEncoder | `W_enc` [D, F], `b_enc`, `W_dec` [F, D], `b_dec`, `threshold` [F] | ReLU(pre · (pre > θ)), pre = x W_enc + b_enc |
///
/// `AutoEncoder.from_pretrained` rescales the decoder's columns to unit norm
/// and the encoder to match (the reconstruction is unchanged, the codes are
/// scaled); Loupe does the same, so its codes are the ones users of the
/// package see. The gated SAE and the identity dictionary are refused.
package enum DictionaryLearningFormat {
    package static let weightsFile = "ae.pt"
    package static let configFile = "config.json"

    /// The dictionary classes Loupe reads, and those it knows but does not model.
    package static let classes = ["AutoEncoder", "AutoEncoderTopK", "BatchTopKSAE", "MatryoshkaBatchTopKSAE", "JumpReluAutoEncoder"]
    static let refused = [
        "GatedAutoEncoder": "a gated SAE (separate gate and magnitude paths), which Loupe does not model",
        "AutoEncoderNew": "the April-update SAE with a decoder bias inside the decoder, which Loupe does not model",
        "IdentityDict": "the identity dictionary, which is not an SAE",
    ]

    /// Loads `ae.pt` (the file, or the folder holding it and its config.json).
    package static func load(from path: String) throws -> SparseAutoencoder {
        let weights = path.hasSuffix(".pt") ? path : path + "/" + weightsFile
        let folder = (weights as NSString).deletingLastPathComponent
        func fail(_ message: String) -> SAEError { .unreadableSAE(path: weights, "'\(weights)' \(message)") }

        var trainer: JSON = [:]
        let configPath = folder + "/" + configFile
        if let bytes = FileManager.default.contents(atPath: configPath) {
            guard let config = try? JSON.parse(Array(bytes)), config.objectValue != nil else {
                throw SAEError.unreadableSAE(path: configPath, "'\(configPath)' is not valid JSON; dictionary_learning writes the trainer's config there")
            }
            trainer = config["trainer"] ?? [:]
        }
        let checkpoint: TorchCheckpoint
        do { checkpoint = try TorchCheckpoint(path: weights) } catch { throw fail("cannot be read as a torch.save state dict: \(error)") }
        let tensors = try checkpoint.stateDict()
        func tensor(_ name: String) throws -> (values: [Float], shape: [Int]) {
            guard let t = tensors[name] else { throw fail("has no tensor '\(name)' (it holds \(tensors.keys.sorted().joined(separator: ", ")))") }
            return (try checkpoint.floats(t, name: name), t.shape)
        }
        func integers(_ name: String) throws -> [Int]? {
            guard let t = tensors[name] else { return nil }
            return try checkpoint.integers(t, name: name)
        }

        let dictClass = try dictionaryClass(trainer["dict_class"]?.stringValue, keys: Set(tensors.keys), fail: fail)
        // Both layouts, told apart by the class: nn.Linear weights [out, in] or raw parameters [in, out].
        let linear = ["AutoEncoder", "AutoEncoderTopK", "BatchTopKSAE"].contains(dictClass)
        let enc = try tensor(linear ? "encoder.weight" : "W_enc"), dec = try tensor(linear ? "decoder.weight" : "W_dec")
        guard enc.shape.count == 2, dec.shape == [enc.shape[1], enc.shape[0]] else {
            throw fail("has an encoder of shape \(enc.shape) and a decoder of shape \(dec.shape), which do not fit each other")
        }
        let (dSAE, dIn) = linear ? (enc.shape[0], enc.shape[1]) : (enc.shape[1], enc.shape[0])
        try SparseAutoencoder.checkSizes(dIn: dIn, dSAE: dSAE, path: weights)
        for (field, value) in [("activation_dim", dIn), ("dict_size", dSAE)] {
            if let recorded = trainer[field]?.intValue, recorded != value {
                throw fail("holds \(field) \(value), but \(configPath) records \(recorded); the two are from different runs")
            }
        }
        // Loupe keeps W_enc and W_dec both [dSAE, dIn].
        var wEnc = linear ? enc.values : SparseAutoencoder.encoderRows(enc.values, dIn: dIn, dSAE: dSAE)
        var wDec = linear ? SparseAutoencoder.encoderRows(dec.values, dIn: dIn, dSAE: dSAE) : dec.values
        var bEnc = try tensor(linear ? "encoder.bias" : "b_enc").values
        let bDec = try tensor(dictClass == "AutoEncoder" ? "bias" : "b_dec").values
        guard bEnc.count == dSAE, bDec.count == dIn else { throw fail("has biases that do not fit \(dIn) inputs and \(dSAE) latents") }

        let k = try integers("k").map { values -> Int in
            guard values.count == 1, values[0] >= 1, values[0] <= dSAE else { throw fail("has a k buffer \(values) outside 1...\(dSAE)") }
            return values[0]
        }
        func scalarThreshold() throws -> Float {
            let t = try tensor("threshold").values
            guard t.count == 1, t[0].isFinite else { throw fail("has a threshold of \(t.count) values; this class keeps one") }
            // Below zero means never set: the codes are then the ReLU's, as a threshold of 0 keeps them.
            return max(t[0], 0)
        }
        let architecture: any SAEArchitecture
        var threshold: [Float]? = nil
        switch dictClass {
        case "AutoEncoder":
            normalizeDecoder(wEnc: &wEnc, bEnc: &bEnc, wDec: &wDec, dIn: dIn)
            architecture = ReLUArchitecture(l1Coefficient: trainer["l1_penalty"]?.doubleValue.map(Float.init))
        case "AutoEncoderTopK":
            guard let k else { throw fail("is an AutoEncoderTopK without its k buffer") }
            architecture = TopKArchitecture(k: k)
        case "BatchTopKSAE":
            guard let k else { throw fail("is a BatchTopKSAE without its k buffer") }
            architecture = BatchTopKArchitecture(k: k)
            threshold = [Float](repeating: try scalarThreshold(), count: dSAE)
        case "MatryoshkaBatchTopKSAE":
            // Each size is bounded by d_sae before they are added, so the sum cannot overflow.
            guard let k, let sizes = try integers("group_sizes"), !sizes.isEmpty, sizes.allSatisfy({ (1...dSAE).contains($0) }),
                  sizes.reduce(0, +) == dSAE else {
                throw fail("is a MatryoshkaBatchTopKSAE whose k or group_sizes are missing, or whose groups do not add up to \(dSAE) latents")
            }
            architecture = MatryoshkaBatchTopKArchitecture(k: k, groupSizes: sizes)
            threshold = [Float](repeating: try scalarThreshold(), count: dSAE)
        default:   // JumpReluAutoEncoder; dictionary_learning does not subtract b_dec from its input
            let t = try tensor("threshold").values
            guard t.count == dSAE, t.allSatisfy(\.isFinite) else { throw fail("has a threshold of \(t.count) values for \(dSAE) latents") }
            SparseAutoencoder.foldDecoderBiasIntoEncoder(wEnc: wEnc, bEnc: &bEnc, bDec: bDec)
            architecture = JumpReLUArchitecture()
            threshold = t
        }
        var extra: [String: JSON] = ["source_format": "dictionary_learning", "dict_class": .string(dictClass)]
        if let trainerClass = trainer["trainer_class"]?.stringValue { extra["trainer_class"] = .string(trainerClass) }
        if let hook = trainer["submodule_name"]?.stringValue { extra["submodule_name"] = .string(hook) }
        let metadata = SAEMetadata(model: trainer["lm_name"]?.stringValue, layer: trainer["layer"]?.intValue, extra: extra)
        return try SparseAutoencoder.fromFile(weights, dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: bEnc,
                                              wDec: wDec, bDec: bDec, threshold: threshold, metadata: metadata)
    }

    /// The class from config.json, or from the tensors when there is none.
    static func dictionaryClass(_ recorded: String?, keys: Set<String>, fail: (String) -> SAEError) throws -> String {
        if let recorded {
            if classes.contains(recorded) { return recorded }
            if let why = refused[recorded] { throw fail("is \(why)") }
            throw fail("is a dictionary_learning \(recorded), which Loupe does not know; it reads " + classes.joined(separator: ", "))
        }
        if keys.contains("group_sizes") { return "MatryoshkaBatchTopKSAE" }
        if keys.contains("W_enc") && !keys.contains("k") { return "JumpReluAutoEncoder" }
        if keys.contains("bias") && keys.contains("encoder.weight") { return "AutoEncoder" }
        if keys.contains("k") {
            throw fail("holds k and a threshold, as both AutoEncoderTopK and BatchTopKSAE do, and they encode differently; "
                + "put the run's config.json beside it (its trainer.dict_class tells them apart)")
        }
        if keys.contains("gate_bias") { throw fail("is \(refused["GatedAutoEncoder"]!)") }
        throw fail("does not hold a dictionary_learning SAE that Loupe knows (its tensors: \(keys.sorted().joined(separator: ", ")))")
    }

    /// `AutoEncoder.from_pretrained`'s default: each latent's decoder column
    /// to unit norm, its encoder row and bias scaled up to match.
    static func normalizeDecoder(wEnc: inout [Float], bEnc: inout [Float], wDec: inout [Float], dIn: Int) {
        for (j, norm) in SparseAutoencoder.decoderNorms(wDec, dIn: dIn).enumerated() where norm > 0 {
            for t in 0..<dIn { wDec[j * dIn + t] /= norm; wEnc[j * dIn + t] *= norm }
            bEnc[j] *= norm
        }
    }
}
