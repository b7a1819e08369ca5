import Foundation
import LoupeJSON
import LoupeSafetensors

/// saev's checkpoint (`sae.pt`): one line of JSON describing the SAE, then
/// `torch.save` of its state dict — `W_enc` [d_model, d_sae], `b_enc`,
/// `W_dec` [d_sae, d_model], `b_dec`, and for BatchTopK a scalar
/// `activation.threshold`. The header has changed over saev's versions:
///
/// - no `schema` (saev 0.1): the config's fields at the top level, ReLU,
///   and encoding subtracts b_dec first;
/// - `schema` 1: `cfg` plus the activation's class in `cls` (or in
///   `cfg.activation`), b_dec subtracted;
/// - `schema` 2 and later: `cfg.activation` = {cls, params}, and encoding is
///   act(x W_enc + b_enc), without subtracting b_dec (folded into b_enc here).
///
/// saev 0.1 trained on activations centred and scaled by statistics it does
/// not store in `sae.pt`; such a file loads only beside a training
/// `config.json` that says the scaling was off, and is refused otherwise.
package enum SaevFormat {
    package static let fileName = "sae.pt"

    /// Whether `path` looks like a saev checkpoint: a file starting with a JSON object line.
    package static func recognises(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return handle.readData(ofLength: 1).first == UInt8(ascii: "{")
    }

    package static func load(from path: String) throws -> SparseAutoencoder {
        func fail(_ message: String) -> SAEError { .unreadableSAE(path: path, "'\(path)' \(message)") }
        let checkpoint: TorchCheckpoint
        do { checkpoint = try TorchCheckpoint(path: path, afterFirstLine: true) } catch { throw fail("cannot be read as a saev checkpoint: \(error)") }
        guard let header = try? JSON.parse(checkpoint.prefix) , header.objectValue != nil else {
            throw fail("does not start with saev's JSON header line")
        }
        let schema = header["schema"]?.intValue
        let cfg = schema == nil ? header : (header["cfg"] ?? [:])
        if let schema, schema > 5 { throw fail("has saev header schema \(schema); this Loupe reads schemas up to 5, so update Loupe") }

        // The activation: saev 0.1 is ReLU; schema 1 names it in `cls` (or like 2+), 2+ in cfg.activation.
        var kind = "Relu", k: Int? = nil
        if let activation = cfg["activation"]?.objectValue {
            kind = activation["cls"]?.stringValue ?? kind
            k = activation["params"]?["top_k"]?.intValue
        } else if schema == 1, let cls = header["cls"]?.stringValue, ["Relu", "TopK", "BatchTopK"].contains(cls) {
            kind = cls
            k = cfg["top_k"]?.intValue
        }

        let tensors = try checkpoint.stateDict()
        func weights(_ name: String) throws -> (values: [Float], shape: [Int]) {
            guard let t = tensors[name] else { throw fail("has no tensor '\(name)' (it holds \(tensors.keys.sorted().joined(separator: ", ")))") }
            return (try checkpoint.floats(t, name: name), t.shape)
        }
        let enc = try weights("W_enc"), dec = try weights("W_dec")
        guard enc.shape.count == 2, dec.shape == [enc.shape[1], enc.shape[0]] else {
            throw fail("has W_enc \(enc.shape) and W_dec \(dec.shape); saev writes [d_model, d_sae] and [d_sae, d_model]")
        }
        let dIn = enc.shape[0], dSAE = enc.shape[1]
        try SparseAutoencoder.checkSizes(dIn: dIn, dSAE: dSAE, path: path)
        let bDec = try weights("b_dec").values, bEncRaw = try weights("b_enc").values
        guard bDec.count == dIn, bEncRaw.count == dSAE else { throw fail("has biases that do not fit d_model \(dIn), d_sae \(dSAE)") }
        let wEnc = SparseAutoencoder.encoderRows(enc.values, dIn: dIn, dSAE: dSAE)
        var bEnc = bEncRaw
        if let schema, schema >= 2 { SparseAutoencoder.foldDecoderBiasIntoEncoder(wEnc: wEnc, bEnc: &bEnc, bDec: bDec) }

        let architecture: any SAEArchitecture
        var threshold: [Float]? = nil
        switch kind {
        case "Relu":
            // The L1 coefficient as saev records it: schema 2 and later under the activation's
            // sparsity, earlier as sparsity_coeff; otherwise it is not known.
            let sparsity = cfg["activation"]?["params"]?["sparsity"]
            let coefficient = sparsity?["cls"]?.stringValue == "L1Sparsity" ? sparsity?["params"]?["coeff"]?.doubleValue
                : cfg["sparsity_coeff"]?.doubleValue
            architecture = ReLUArchitecture(l1Coefficient: coefficient.map(Float.init))
        case "TopK", "BatchTopK":
            guard let k, k >= 1 else { throw fail("is a \(kind) SAE whose header gives no top_k") }
            if kind == "BatchTopK", tensors["activation.threshold"] != nil {
                // At inference saev keeps what exceeds the learned threshold (ReLU when it is not positive).
                let t = try weights("activation.threshold").values
                guard t.count == 1 else { throw fail("has an activation.threshold of \(t.count) values; saev writes one") }
                architecture = JumpReLUArchitecture()
                threshold = [Float](repeating: max(t[0], 0), count: dSAE)
            } else {
                // saev's TopK keeps the k largest pre-activations as they are, negative ones too.
                var topK = TopKArchitecture(k: k)
                topK.keepsNegative = true
                architecture = topK
            }
        default:
            throw fail("uses saev's \(kind) activation, which Loupe does not model (it reads Relu, TopK and BatchTopK)")
        }
        if schema == nil { try checkUnscaledTraining(path) }
        let sae = try SparseAutoencoder.fromFile(path, dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: bEnc,
                                        wDec: dec.values, bDec: bDec, threshold: threshold,
                                        metadata: SAEMetadata(extra: ["source_format": "saev", "saev_schema": schema.map(JSON.int) ?? .null]))
        return sae
    }

    /// saev 0.1 scales its training activations by default (`scale_mean`,
    /// `scale_norm`) with a mean and a constant that `sae.pt` does not keep;
    /// the SAE is usable as is only if that scaling was off, which the run's
    /// `config.json` (beside the file or one folder up) records.
    static func checkUnscaledTraining(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        for candidate in [folder + "/config.json", (folder as NSString).deletingLastPathComponent + "/config.json"] {
            guard let bytes = FileManager.default.contents(atPath: candidate), let config = try? JSON.parse(Array(bytes)) else { continue }
            let data = config["data"] ?? config
            let scaled = ["scale_mean", "scale_norm"].map { key -> Bool in
                guard let v = data[key] else { return true }    // saev 0.1's default is on
                return v.boolValue ?? true                      // a path to saved statistics is scaling too
            }
            if !scaled.contains(true) { return }
            throw SAEError.unreadableSAE(path: path, "'\(path)' was trained by saev 0.1 on activations centred and scaled "
                + "(\(candidate) has scale_mean or scale_norm on), and sae.pt does not keep that mean and scale; "
                + "Loupe would feed it activations of the wrong scale, so it does not load it. Train it again with scaling off, or with a newer saev")
        }
        throw SAEError.unreadableSAE(path: path, "'\(path)' is a saev 0.1 checkpoint; saev 0.1 centres and scales training activations by default "
            + "with statistics sae.pt does not keep. Put the run's config.json beside it: Loupe loads the SAE if scale_mean and scale_norm were off")
    }
}
