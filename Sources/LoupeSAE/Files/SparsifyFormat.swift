import LoupeJSON
import Foundation
import LoupeSafetensors

/// EleutherAI sparsify's layout: `sae.safetensors` with `encoder.weight`
/// [d_sae, d_in], `encoder.bias`, `W_dec` [d_sae, d_in], `b_dec`, beside a
/// `cfg.json` with `k` and `d_in`. Always TopK.
package enum SparsifyFormat {
    package static let weightsFile = "sae.safetensors"

    package static func load(from path: String) throws -> SparseAutoencoder {
        let cfgPath = path + "/cfg.json"
        guard let bytes = FileManager.default.contents(atPath: cfgPath) else {
            throw SAEError.unreadableSAE(path: path, "no cfg.json in '\(path)'; a sparsify SAE folder holds cfg.json and \(weightsFile)")
        }
        let cfg: JSON
        do { cfg = try JSON.parse(Array(bytes)) } catch { throw SAEError.unreadableSAE(path: cfgPath, "'\(cfgPath)' is not valid JSON: \(error)") }
        if cfg["skip_connection"]?.boolValue == true {
            throw SAEError.unreadableSAE(path: path, "'\(path)' has a skip connection (W_skip), which Loupe's SAEs do not model")
        }
        let file = try SafetensorsFile(path: path + "/" + weightsFile)
        let shape = try file.shape("encoder.weight")
        guard shape.count == 2 else { throw SAEError.unreadableSAE(path: path, "'\(path)': encoder.weight has shape \(shape), expected [d_sae, d_in]") }
        let dSAE = shape[0], dIn = shape[1]
        try SparseAutoencoder.checkSizes(dIn: dIn, dSAE: dSAE, path: path)
        if let d = cfg["d_in"]?.intValue, d != dIn {
            throw SAEError.unreadableSAE(path: path, "'\(path)': cfg.json says d_in \(d) but encoder.weight is \(shape)")
        }
        // sparsify trains TopK SAEs only; its cfg.json has `k` but no architecture name.
        let architecture = try SAEArchitectures.named("topk").fromConfig(cfg)
        return try SparseAutoencoder.fromFile(path, dIn: dIn, dSAE: dSAE, architecture: architecture,
                                     wEnc: file.floats("encoder.weight", shape: [dSAE, dIn]),
                                     bEnc: file.floats("encoder.bias", shape: [dSAE]),
                                     wDec: file.floats("W_dec", shape: [dSAE, dIn]),
                                     bDec: file.floats("b_dec", shape: [dIn]),
                                     metadata: SAEMetadata(extra: ["source_format": "sparsify"]))
    }
}
