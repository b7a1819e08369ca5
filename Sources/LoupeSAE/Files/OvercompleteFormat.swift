import Foundation
import LoupeJSON
import LoupeSafetensors

/// overcomplete's SAEs (0.3.0). overcomplete has no file format: a model is
/// an nn.Module, saved by its user in one of two ways, both read here as
/// data (nothing in the pickle is run):
///
/// - the whole module, `torch.save(sae, "sae.pt")`: the pickle names the
///   classes (the SAE, its encoder, its DictionaryLayer, the normalisation
///   function) and holds their attributes, which is everything inference
///   needs: `top_k`, BatchTopKSAE's `running_threshold`, JumpSAE's
///   `thresholds`, and the atoms as eval mode fuses them;
/// - the state dict, `torch.save(sae.state_dict(), "sae.pt")`, beside a JSON
///   file of the same name (`sae.json`) giving what the state dict lacks: the
///   class and its constructor arguments as overcomplete names them,
///   `{"class": "TopKSAE", "top_k": 8, "dictionary_params": {"normalization": "l2"}}`,
///   and for BatchTopKSAE `"running_threshold"` (a plain attribute, not a
///   buffer, so absent from the state dict).
///
/// Loupe runs the model as overcomplete does in eval mode. The classes, all
/// with a linear encoder (the default, `encoder_module` None or "linear",
/// or `tied()` / `untied()`): pre = W x + b, codes = ReLU(pre), and
///
/// | class | codes | Loupe runs it as |
/// |---|---|---|
/// | SAE | ReLU(pre) | ReLU |
/// | TopKSAE | the top_k largest of ReLU(pre) per token | TopK |
/// | BatchTopKSAE | ReLU(pre) where ≥ the running threshold | JumpReLU, one threshold for all latents |
/// | JumpSAE | ReLU(pre) where ≥ exp(thresholds) | JumpReLU |
///
/// and x̂ = codes · D, with no decoder bias; D is the dictionary's
/// `_weights` normalised as its `normalization` says (l2, max_l2, l1,
/// max_l1 or identity) and scaled by exp(`multiplier`), or the fused
/// dictionary itself when a module was pickled in eval mode. MLP, attention
/// and ResNet encoders, custom normalisations and overcomplete's methods
/// that are not such SAEs are refused with the reason.
package enum OvercompleteFormat {
    /// The classes Loupe runs.
    package static let classes = ["SAE", "TopKSAE", "BatchTopKSAE", "JumpSAE"]
    /// overcomplete's other dictionary methods, and why Loupe does not run them.
    package static let refused: [String: String] = {
        let optimised = "a dictionary fitted by optimisation, not an SAE: its codes for an input are solved for, with no encoder to run"
        let sklearn = "a scikit-learn model wrapped by overcomplete, not an SAE"
        return [
            "MpSAE": "matching pursuit, not an SAE Loupe can run: its codes are chosen one atom at a time against the remaining residual, "
                + "not computed by an encoder and an activation",
            "OMPSAE": "orthogonal matching pursuit, not an SAE Loupe can run: its codes are refitted by least squares at each step, "
                + "not computed by an encoder and an activation",
            "QSAE": "a quantised SAE, which Loupe cannot run: each code is snapped to the nearest of its learned levels",
            "RATopKSAE": "a TopK SAE with a relaxed archetypal dictionary (atoms built from data points), which Loupe does not rebuild",
            "RAJumpSAE": "a JumpReLU SAE with a relaxed archetypal dictionary (atoms built from data points), which Loupe does not rebuild",
            "NMF": "non-negative matrix factorisation, " + optimised, "SemiNMF": "semi-NMF, " + optimised,
            "ConvexNMF": "convex NMF, " + optimised, "ArchetypalAnalysis": "archetypal analysis, " + optimised,
            "SkPCA": sklearn, "SkICA": sklearn, "SkNMF": sklearn, "SkKMeans": sklearn,
            "SkDictionaryLearning": sklearn, "SkSparsePCA": sklearn, "SkSVD": sklearn,
        ]
    }()
    static let encoderRule = "Loupe runs overcomplete SAEs whose encoder is one linear layer and a ReLU "
        + "(encoder_module None or \"linear\", or tied() / untied())"

    /// The JSON file that describes a state dict: `sae.pt` → `sae.json`.
    static func sidecarPath(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".json"
    }

    /// Whether `path` is an overcomplete model: a pickled module of one of
    /// its classes, a state dict holding a DictionaryLayer's atoms
    /// (`dictionary._weights`, a name of overcomplete's own), or a file with
    /// a JSON file beside it naming an overcomplete class.
    package static func recognises(_ path: String) -> Bool {
        if let bytes = FileManager.default.contents(atPath: sidecarPath(for: path)),
           let json = try? JSON.parse(Array(bytes)), json["class"]?.stringValue != nil {
            return true
        }
        guard let checkpoint = try? TorchCheckpoint(path: path) else { return false }
        switch checkpoint.root {
        case .call(let name, _, _): return name.hasPrefix("overcomplete.")
        case .dict: return checkpoint.root["dictionary._weights"] != nil
        default: return false
        }
    }

    /// Refuses a class that is not one Loupe runs, with the reason.
    static func checkRunnable(_ className: String, fail: (String) -> SAEError) throws {
        if classes.contains(className) { return }
        if let why = refused[className] { throw fail("is overcomplete's \(className): \(why)") }
        throw fail("is an overcomplete \(className), which Loupe does not know; it runs " + classes.joined(separator: ", "))
    }

    package static func load(from path: String) throws -> SparseAutoencoder {
        func fail(_ message: String) -> SAEError { .unreadableSAE(path: path, "'\(path)' \(message)") }
        let checkpoint: TorchCheckpoint
        do { checkpoint = try TorchCheckpoint(path: path) } catch { throw fail("cannot be read as a torch.save file: \(error)") }
        let model: OvercompleteModel
        if case .call = checkpoint.root {
            model = try OvercompleteModel(module: checkpoint.root, checkpoint: checkpoint, fail: fail)
        } else {
            let sidecar = sidecarPath(for: path)
            guard let bytes = FileManager.default.contents(atPath: sidecar) else {
                throw fail("holds a state dict but there is no \((sidecar as NSString).lastPathComponent) beside it naming the overcomplete class "
                    + "and its arguments ({\"class\": \"TopKSAE\", \"top_k\": 8}); write one, or save the whole module with torch.save(sae, path)")
            }
            guard let json = try? JSON.parse(Array(bytes)), json.objectValue != nil else {
                throw SAEError.unreadableSAE(path: sidecar, "'\(sidecar)' is not a JSON object; it should name the overcomplete class and its arguments")
            }
            model = try OvercompleteModel(stateDict: try checkpoint.stateDict(), sidecar: json, sidecarPath: sidecar,
                                          checkpoint: checkpoint, fail: fail)
        }
        return try sparseAutoencoder(model, path: path, fail: fail)
    }

    /// The SAE that computes what the model computes in eval mode.
    static func sparseAutoencoder(_ model: OvercompleteModel, path: String, fail: (String) -> SAEError) throws -> SparseAutoencoder {
        let atomShape: [Int]
        switch model.atoms {
        case .fused(_, let shape), .raw(_, let shape, _, _): atomShape = shape
        }
        guard atomShape.count == 2 else { throw fail("has a dictionary of shape \(atomShape); overcomplete's is [nb_concepts, dim]") }
        let dSAE = atomShape[0], dIn = atomShape[1]
        try SparseAutoencoder.checkSizes(dIn: dIn, dSAE: dSAE, path: path)
        let atoms = try model.decodingAtoms(fail: fail)
        // Tied: the encoder is x · Dᵀ with the same atoms, so its rows are theirs.
        let wEnc = model.encoderWeight?.values ?? atoms
        if let shape = model.encoderWeight?.shape, shape != [dSAE, dIn] {
            throw fail("has an encoder of shape \(shape) and a dictionary of \(atomShape), which do not fit each other")
        }
        let bEnc = model.encoderBias ?? [Float](repeating: 0, count: dSAE)
        guard bEnc.count == dSAE else { throw fail("has an encoder bias of \(bEnc.count) values for \(dSAE) concepts") }

        let architecture: any SAEArchitecture
        var threshold: [Float]? = nil
        var extra: [String: JSON] = ["source_format": "overcomplete", "overcomplete_class": .string(model.className)]
        switch model.className {
        case "SAE":
            architecture = ReLUArchitecture(l1Coefficient: nil)
        case "TopKSAE":
            // overcomplete's default k is a tenth of the concepts.
            let k = model.topK ?? max(dSAE / 10, 1)
            guard (1...dSAE).contains(k) else { throw fail("has top_k \(k) outside 1...\(dSAE)") }
            architecture = TopKArchitecture(k: k)
        case "BatchTopKSAE":
            guard let t = model.runningThreshold else {
                throw fail("is a BatchTopKSAE whose running threshold was never set (it is set by training batches), "
                    + "so overcomplete itself cannot encode with it in eval mode")
            }
            // Codes are ReLU outputs, so a threshold at or below zero keeps every positive one.
            threshold = [Float](repeating: max(t, 0), count: dSAE)
            architecture = JumpReLUArchitecture()
            if let k = model.topK { extra["batch_top_k"] = .int(k) }
        default:   // JumpSAE
            guard let logs = model.logThresholds, logs.count == dSAE, logs.allSatisfy(\.isFinite) else {
                throw fail("is a JumpSAE whose thresholds are missing, not finite, or not one per concept (\(dSAE))")
            }
            threshold = logs.map { Float(exp(Double($0))) }
            architecture = JumpReLUArchitecture()
        }
        if case .raw(_, _, let normalization, _) = model.atoms { extra["dictionary_normalization"] = .string(normalization) }
        return try SparseAutoencoder.fromFile(path, dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: bEnc,
                                              wDec: atoms, bDec: [Float](repeating: 0, count: dIn), threshold: threshold,
                                              metadata: SAEMetadata(extra: extra))
    }
}
