import Foundation
import LoupeFiles
import LoupeJSON
import LoupeSafetensors

/// SAELens's folder layout: `sae_weights.safetensors` (`W_enc` [d_in, d_sae],
/// `W_dec` [d_sae, d_in], `b_enc`, `b_dec`, and `threshold` for JumpReLU)
/// beside `cfg.json` (`architecture`, `d_in`, `d_sae`, architecture fields,
/// and `metadata`). SAEs saved here load in SAELens and the other way round.
package enum SAELensFormat {
    package static let weightsFile = "sae_weights.safetensors"
    package static let configFile = "cfg.json"
    /// Loupe's training history, beside SAELens's files (which SAELens reads without it).
    package static let historyFile = "training_history.json"
    /// Version of what Loupe writes into `metadata`; bumped on any change of meaning.
    package static let formatVersion = 1
    /// The SAELens release whose `cfg.json` layout Loupe writes, recorded as
    /// `metadata.sae_lens_version` when the SAE has none of its own: SAELens
    /// reads a `cfg.json` without it as a pre-6.0 config and drops its
    /// metadata (hook name, model, `l0`, `num_dead_features`).
    package static let saeLensLayoutVersion = "6.54.12"
    /// SAELens's `feature_sampling_window` default: its trainer's `l0` in
    /// `metadata` is the mean L0 over the last window of this many steps.
    package static let sparsityWindowSteps = 2000

    /// Writes `sae` into folder `path` (created if needed). Both files are
    /// written and flushed under temporary names before either is renamed,
    /// and cfg.json records the weights' CRC-32, so a kill at any point
    /// leaves the old pair or the new one (`SAELensPair`).
    package static func save(_ sae: SparseAutoencoder, to path: String) throws {
        let inference = sae.architecture.inferenceArchitecture
        if let topK = inference as? TopKArchitecture, topK.keepsNegative {
            throw SAEError.invalidSetting("this TopK SAE keeps negative codes (saev's TopK), which SAELens's TopK would turn to zero; "
                + "keep using it from its saev file rather than saving it in SAELens's layout")
        }
        let n = sae.dSAE, d = sae.dIn
        var encT = [Float](repeating: 0, count: n * d)
        for j in 0..<n { for t in 0..<d { encT[t * n + j] = sae.wEnc[j * d + t] } }
        var tensors = [NamedTensor("W_enc", shape: [d, n], encT), NamedTensor("W_dec", shape: [n, d], sae.wDec),
                       NamedTensor("b_enc", shape: [n], sae.bEnc), NamedTensor("b_dec", shape: [d], sae.bDec)]
        if inference.usesThreshold { tensors.append(NamedTensor("threshold", shape: [n], sae.threshold)) }
        SAELensPair.completeInterruptedSave(in: path)
        let (weights, crc) = try SafetensorsWriter.prepare(tensors, metadata: ["format": "pt"], to: path + "/" + weightsFile)
        if let history = sae.history {
            // Beside SAELens's two files, tied to these weights by their CRC: a history
            // left by an earlier save into the folder does not match and is not read.
            guard case .object(var fields) = history.json else { preconditionFailure("a history is a JSON object") }
            fields["weights_crc32"] = .int(Int(crc))
            do {
                try AtomicFile.prepare(to: path + "/" + historyFile) { fd in
                    try Array(JSON.object(fields).serialized().utf8).withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
                }.commit()
            } catch { weights.discard(); throw error }
        }

        var meta: [String: JSON] = sae.metadata.extra
        meta["loupe_format_version"] = .int(formatVersion)
        if meta["sae_lens_version"] == nil { meta["sae_lens_version"] = .string(saeLensLayoutVersion) }
        meta[SAELensPair.crcKey] = .int(Int(crc))
        meta["trained_architecture"] = .string(sae.architecture.architectureName)
        for (k, v) in sae.architecture.configFields { meta["trained_" + k] = v }
        if let v = sae.metadata.model { meta["model_name"] = .string(v) }
        if let v = sae.metadata.layer { meta["layer"] = .int(v) }
        if let v = sae.metadata.site { meta["site"] = .string(v) }
        if let v = sae.metadata.tokens { meta["tokens"] = .string(v) }
        if let layer = sae.metadata.layer, let site = sae.metadata.site { meta["hook_name"] = .string("blocks.\(layer).hook_\(site)") }
        var cfg: [String: JSON] = inference.configFields
        cfg["architecture"] = .string(inference.architectureName)
        cfg["d_in"] = .int(d); cfg["d_sae"] = .int(n)
        cfg["dtype"] = "float32"; cfg["device"] = "cpu"
        cfg["apply_b_dec_to_input"] = true
        cfg["normalize_activations"] = .string(sae.inputNormalization.configValue)
        cfg["reshape_activations"] = "none"
        for (k, v) in inference.fixedConfigFields { cfg[k] = v }
        cfg["metadata"] = .object(meta)
        let config: AtomicFile.Pending
        do {
            config = try AtomicFile.prepare(to: path + "/" + configFile) { fd in
                try Array(JSON.object(cfg).pretty().utf8).withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            }
        } catch { weights.discard(); throw error }
        do { try weights.commit() } catch { config.discard(); throw error }
        // Between these two renames the folder holds the new weights, the
        // old cfg.json and the new one under its temporary name.
        try config.commit()
    }

    /// Reads an SAE from a SAELens folder.
    package static func load(from path: String) throws -> SparseAutoencoder {
        let file = try SafetensorsFile(path: path + "/" + weightsFile)
        let cfg = try SAELensPair.config(in: path, weights: file).json
        let dIn = try ConfigFields.positiveInt(cfg, "d_in"), dSAE = try ConfigFields.positiveInt(cfg, "d_sae")
        try SAELensUnsupported.checkArchitecture(cfg, path: path)
        let trained = try SAEArchitectures.fromConfig(cfg)
        let normalization = try inputNormalization(cfg["normalize_activations"]?.stringValue, path: path)
        if let reshape = cfg["reshape_activations"]?.stringValue, reshape != "none" {
            throw SAEError.unreadableSAE(path: path, "'\(path)' reshapes activations (\"\(reshape)\"); Loupe reads SAEs on the residual stream only")
        }
        let wEnc = SparseAutoencoder.encoderRows(try file.floats("W_enc", shape: [dIn, dSAE]), dIn: dIn, dSAE: dSAE)
        let wDec = try file.floats("W_dec", shape: [dSAE, dIn])
        var bEnc = try file.floats("b_enc", shape: [dSAE])
        let bDec = try file.floats("b_dec", shape: [dIn])
        var threshold: [Float]? = nil
        if file.has("threshold") {
            threshold = try file.floats("threshold", shape: [dSAE])
        } else if file.has("log_threshold") {
            threshold = try file.floats("log_threshold", shape: [dSAE]).map { Float(exp(Double($0))) }
        } else if file.has("topk_threshold") {
            // A BatchTopK saved mid-training: its running threshold, one value for all latents.
            let t = try file.floats("topk_threshold")
            guard t.count == 1 else { throw SAEError.unreadableSAE(path: path, "'\(path)': topk_threshold should hold one value, has \(t.count)") }
            threshold = [Float](repeating: t[0], count: dSAE)
        }
        if trained.usesThreshold && threshold == nil {
            throw SAEError.unreadableSAE(path: path, "'\(path)' is a \(trained.architectureName) SAE but its weights have no threshold tensor")
        }
        // Rescaling codes by the decoder norms is the identity once the norms
        // are 1, which is how SAELens saves an inference SAE (it folds them in
        // but keeps the flag); other norms would need the rescaling at run time.
        if cfg["rescale_acts_by_decoder_norm"]?.boolValue == true,
           let off = SparseAutoencoder.decoderNorms(wDec, dIn: dIn).first(where: { abs($0 - 1) > 1e-3 }) {
            throw SAEError.unreadableSAE(path: path, "'\(path)' rescales activations by decoder norm and its decoder rows are not unit-norm "
                + "(one has norm \(off)); fold the decoder norms in SAELens (fold_W_dec_norm) and save again")
        }
        if cfg["apply_b_dec_to_input"]?.boolValue == false { SparseAutoencoder.foldDecoderBiasIntoEncoder(wEnc: wEnc, bEnc: &bEnc, bDec: bDec) }
        var meta = cfg["metadata"]?.objectValue ?? [:]
        let weightsCRC = meta[SAELensPair.crcKey]?.intValue
        meta.removeValue(forKey: SAELensPair.crcKey)   // of these weights only; a save records its own
        if let v = meta["loupe_format_version"]?.intValue, v > formatVersion {
            throw SAEError.unreadableSAE(path: path, "'\(path)' was saved by a newer Loupe (format \(v)); update Loupe to read it")
        }
        var metadata = try SAEMetadata(cfgMetadata: meta)
        // No layer recorded: place it by its hook name (in the metadata, or at the top level as older SAELens wrote it).
        if metadata.layer == nil, let hook = meta["hook_name"]?.stringValue ?? cfg["hook_name"]?.stringValue {
            guard let place = HookName.place(hook) else {
                throw SAEError.unreadableSAE(path: path, "'\(path)' records hook_name \"\(hook)\" and no layer; Loupe places a TransformerLens "
                    + "name (blocks.8.hook_resid_post, or its v3 bridge's blocks.8.hook_out) or a module path ending in a numbered layer (vision_model.encoder.layers.8, "
                    + "optionally .mlp or .self_attn); add \"layer\" and \"site\" to cfg.json's metadata")
            }
            metadata.layer = place.layer
            if metadata.site == nil { metadata.site = place.site.rawValue }
        }
        // A BatchTopK-family file (SAELens saves one mid-training) runs as JumpReLU with its threshold.
        let sae = try SparseAutoencoder.fromFile(path, dIn: dIn, dSAE: dSAE, architecture: trained.inferenceArchitecture, wEnc: wEnc, bEnc: bEnc,
                                        wDec: wDec, bDec: bDec, threshold: threshold, metadata: metadata)
        sae.inputNormalization = normalization
        sae.history = history(in: path, weightsCRC: weightsCRC)
        return sae
    }

    /// The history saved with these weights, or nil: none, unreadable, or
    /// left by an earlier save (its CRC is of other weights). A history is
    /// a record of the run, not part of the SAE, so a bad one is skipped.
    static func history(in path: String, weightsCRC: Int?) -> TrainingHistory? {
        guard let crc = weightsCRC, let bytes = FileManager.default.contents(atPath: path + "/" + historyFile),
              let json = try? JSON.parse(Array(bytes)), json["weights_crc32"]?.intValue == crc else { return nil }
        return TrainingHistory(json: json)
    }

    /// `normalize_activations` as Loupe applies it; one it cannot apply
    /// exactly is refused, never ignored.
    package static func inputNormalization(_ value: String?, path: String) throws -> InputNormalization {
        if let normalization = InputNormalization(configValue: value) { return normalization }
        throw SAEError.unreadableSAE(path: path, "'\(path)' normalises activations at run time as \"\(value ?? "")\", which Loupe cannot apply: "
            + SAELensUnsupported.normalization(value ?? ""))
    }
}
