import Foundation
import LoupeJSON
import LoupeSafetensors

/// What Loupe needs of an overcomplete SAE, gathered from either way its
/// users save one (`OvercompleteFormat`): the class, a linear encoder, the
/// dictionary's atoms as decoding uses them, and the class's sparsity
/// setting. Reading stops at the first part Loupe cannot run, with the
/// reason, so nothing is guessed.
struct OvercompleteModel {
    /// The class's own name, without its module ("TopKSAE").
    var className: String
    /// The encoder's rows [dSAE, dIn]; nil for a tied encoder, which uses the atoms.
    var encoderWeight: (values: [Float], shape: [Int])?
    var encoderBias: [Float]?
    /// The atoms exactly as the module in eval mode decodes with them, or
    /// the raw ones with what eval mode does to them.
    var atoms: Atoms
    /// TopKSAE's k, BatchTopKSAE's k over a whole batch.
    var topK: Int?
    /// BatchTopKSAE's running threshold: nil when never trained.
    var runningThreshold: Float?
    /// JumpSAE's thresholds, stored as their logarithms.
    var logThresholds: [Float]?

    enum Atoms {
        /// `_fused_dictionary`, which an eval-mode module decodes with.
        case fused(values: [Float], shape: [Int])
        /// `_weights`, normalised and scaled by exp(multiplier) when eval mode fuses them.
        case raw(values: [Float], shape: [Int], normalization: String, multiplier: Float)
    }

    /// DictionaryLayer's normalisations by name; a custom function is refused.
    static let normalizations = ["l2", "max_l2", "l1", "max_l1", "identity"]

    /// The atoms [dSAE, dIn] as overcomplete's eval mode fuses them:
    /// normalise(W) · exp(multiplier), each norm taken over one atom.
    /// `fail` reports a dictionary that normalises to nothing.
    func decodingAtoms(fail: (String) -> SAEError) throws -> [Float] {
        switch atoms {
        case .fused(let values, _):
            return values
        case .raw(let values, let shape, let normalization, let multiplier):
            let (n, d) = (shape[0], shape[1])
            func norm(_ j: Int, _ p: Int) -> Double {
                var s = 0.0
                for t in 0..<d { let v = Double(values[j * d + t]); s += p == 1 ? abs(v) : v * v }
                return p == 1 ? s : s.squareRoot()
            }
            var divisor = [Double](repeating: 1, count: n)
            switch normalization {
            case "l2", "l1":
                // overcomplete adds 1e-8 to each atom's norm, so a zero atom stays zero.
                let p = normalization == "l1" ? 1 : 2
                for j in 0..<n { divisor[j] = norm(j, p) + 1e-8 }
            case "max_l2", "max_l1":
                let p = normalization == "max_l1" ? 1 : 2
                let largest = (0..<n).map { norm($0, p) }.max() ?? 0
                guard largest > 0, largest.isFinite else {
                    throw fail("has a dictionary whose atoms are all zero (or not finite), which \(normalization) normalisation divides by")
                }
                divisor = [Double](repeating: largest, count: n)
            default:
                break
            }
            let scale = exp(Double(multiplier))
            guard scale.isFinite else { throw fail("has a dictionary multiplier \(multiplier) whose exponential is not finite") }
            var out = [Float](repeating: 0, count: n * d)
            for j in 0..<n { for t in 0..<d { out[j * d + t] = Float(Double(values[j * d + t]) / divisor[j] * scale) } }
            return out
        }
    }
}

// MARK: - The whole module, pickled (torch.save(sae, path))

extension OvercompleteModel {
    /// Reads a pickled module as data: classes are the names GLOBAL gives,
    /// attributes the object's state, tensors references into the archive.
    init(module root: PickleValue, checkpoint: TorchCheckpoint, fail: (String) -> SAEError) throws {
        guard case .call(let qualified, _, _) = root, qualified.hasPrefix("overcomplete.") else {
            throw fail("does not hold a pickled overcomplete model")
        }
        className = Self.shortName(qualified)
        try OvercompleteFormat.checkRunnable(className, fail: fail)

        func tensor(_ value: PickleValue?, _ name: String) throws -> (values: [Float], shape: [Int])? {
            guard let value else { return nil }
            switch value {
            case .none: return nil
            case .tensor(let t): return (try checkpoint.floats(t, name: name), t.shape)
            // nn.Parameter: torch._utils._rebuild_parameter(tensor, requires_grad, hooks[, state])
            case .call(let f, let args, _) where f.hasPrefix("torch._utils._rebuild_parameter"):
                guard case .tensor(let t)? = args.first else { throw fail("has a parameter '\(name)' that is not a tensor") }
                return (try checkpoint.floats(t, name: name), t.shape)
            default: throw fail("has '\(name)' where a tensor is expected")
            }
        }
        func parameter(_ module: PickleValue?, _ key: String, _ name: String) throws -> (values: [Float], shape: [Int])? {
            try tensor(module?["_parameters"]?[key] ?? module?["_buffers"]?[key], name)
        }
        func submodule(_ module: PickleValue?, _ key: String) -> PickleValue? { module?["_modules"]?[key] }
        func classOf(_ module: PickleValue?) -> String? {
            if case .call(let name, _, _)? = module { return name }
            return nil
        }

        // The encoder: one linear layer and a ReLU, as overcomplete's default
        // ("linear") and its tied()/untied() encoders are.
        let encoder = submodule(root, "encoder")
        switch classOf(encoder) {
        case "overcomplete.sae.modules.MLPEncoder":
            let blocks = submodule(encoder, "mlp_blocks")?["_modules"]
            let hidden: Int
            if case .dict(let pairs)? = blocks { hidden = pairs.count } else { hidden = 0 }
            let final = submodule(encoder, "final_block")
            let norm = classOf(submodule(final, "1")).map(Self.shortName) ?? "nothing"
            let activation = classOf(submodule(encoder, "final_activation")).map(Self.shortName) ?? "nothing"
            guard hidden == 0, norm == "Identity", activation == "ReLU", classOf(submodule(final, "0")) == "torch.nn.modules.linear.Linear" else {
                throw fail("has an MLPEncoder with \(hidden) hidden block(s), \(norm) after its last linear layer and \(activation) "
                    + "as its activation; \(OvercompleteFormat.encoderRule)")
            }
            let linear = submodule(final, "0")
            encoderWeight = try parameter(linear, "weight", "encoder.final_block.0.weight")
            encoderBias = try parameter(linear, "bias", "encoder.final_block.0.bias")?.values
            guard encoderWeight != nil else { throw fail("has an encoder without its weight") }
        case "overcomplete.sae.modules.TieableEncoder":
            // Tied: the encoder reads with the decoding atoms themselves (x · Dᵀ).
            if case .call? = encoder?["tied_to"] ?? submodule(encoder, "tied_to") {
                encoderWeight = nil
            } else {
                encoderWeight = try parameter(encoder, "weight", "encoder.weight")
                guard encoderWeight != nil else { throw fail("has an untied encoder without its weight") }
            }
            encoderBias = try parameter(encoder, "bias", "encoder.bias")?.values
        case let other:
            throw fail("has \(other.map { "the encoder " + Self.shortName($0) } ?? "no encoder"); \(OvercompleteFormat.encoderRule)")
        }

        // The dictionary: DictionaryLayer; the archetypal one is refused by the class check above or here.
        let dictionary = submodule(root, "dictionary")
        guard classOf(dictionary) == "overcomplete.sae.dictionary.DictionaryLayer" else {
            throw fail("decodes with \(classOf(dictionary).map(Self.shortName) ?? "no dictionary"), not overcomplete's DictionaryLayer; "
                + "Loupe decodes with a fixed matrix of atoms only")
        }
        guard let weights = try parameter(dictionary, "_weights", "dictionary._weights") else {
            throw fail("has a dictionary without its _weights")
        }
        if dictionary?["training"]?.boolValue == false, let fused = try tensor(dictionary?["_fused_dictionary"], "dictionary._fused_dictionary") {
            atoms = .fused(values: fused.values, shape: fused.shape)
        } else {
            guard case .global(let function)? = dictionary?["normalization"] else {
                throw fail("has a dictionary whose normalisation is not a named function")
            }
            let prefix = "overcomplete.sae.dictionary.normalize_"
            let name = function.hasPrefix(prefix) ? String(function.dropFirst(prefix.count)) : ""
            guard Self.normalizations.contains(name) else {
                throw fail("normalises its dictionary with \(function), a function of its own; Loupe applies overcomplete's "
                    + Self.normalizations.joined(separator: ", ") + " (or load it in Python, call eval() and save it again: the fused atoms are then read)")
            }
            atoms = .raw(values: weights.values, shape: weights.shape, normalization: name,
                         multiplier: try Self.scalar(try parameter(dictionary, "multiplier", "dictionary.multiplier"), default: 0, "multiplier", fail: fail))
        }

        topK = root["top_k"]?.int
        if case .tensor? = root["running_threshold"] {
            runningThreshold = try Self.scalar(try tensor(root["running_threshold"], "running_threshold"), default: 0, "running_threshold", fail: fail)
        }
        logThresholds = try parameter(root, "thresholds", "thresholds")?.values
    }

    /// "overcomplete.sae.topk_sae.TopKSAE" → "TopKSAE".
    static func shortName(_ qualified: String) -> String {
        String(qualified.split(separator: ".").last ?? Substring(qualified))
    }

    /// A tensor of one value (a multiplier, a threshold), or `value` when absent.
    static func scalar(_ tensor: (values: [Float], shape: [Int])?, default value: Float, _ name: String,
                       fail: (String) -> SAEError) throws -> Float {
        guard let tensor else { return value }
        guard tensor.values.count == 1, tensor.values[0].isFinite else {
            throw fail("has a \(name) of \(tensor.values.count) values (or not finite); overcomplete keeps one")
        }
        return tensor.values[0]
    }
}

private extension PickleValue {
    var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
}

// MARK: - The state dict, with the class and its arguments beside it

extension OvercompleteModel {
    /// Reads `torch.save(sae.state_dict())` with the JSON file naming its class
    /// and constructor arguments (`OvercompleteFormat` documents it). Every
    /// tensor must be one Loupe knows the meaning of.
    init(stateDict tensors: [String: TorchTensorReference], sidecar: JSON, sidecarPath: String, checkpoint: TorchCheckpoint,
         fail: (String) -> SAEError) throws {
        guard let name = sidecar["class"]?.stringValue else {
            throw SAEError.unreadableSAE(path: sidecarPath, "'\(sidecarPath)' does not name the model's class (\"class\": \"TopKSAE\", for instance)")
        }
        className = Self.shortName(name)
        try OvercompleteFormat.checkRunnable(className, fail: fail)
        func sidecarFail(_ message: String) -> SAEError { .unreadableSAE(path: sidecarPath, "'\(sidecarPath)' \(message)") }

        if let module = sidecar["encoder_module"], !module.isNull, module.stringValue != "linear" {
            throw fail("was built with encoder_module \(module.serialized()) (\(sidecarPath)); \(OvercompleteFormat.encoderRule)")
        }
        func read(_ key: String) throws -> (values: [Float], shape: [Int])? {
            guard let t = tensors[key] else { return nil }
            return (try checkpoint.floats(t, name: key), t.shape)
        }
        let known: Set<String> = ["encoder.final_block.0.weight", "encoder.final_block.0.bias", "encoder.weight", "encoder.bias",
                                  "dictionary._weights", "dictionary.multiplier", "thresholds"]
        let unknown = tensors.keys.filter { !known.contains($0) }.sorted()
        if let first = unknown.first {
            if first.hasPrefix("encoder.") {
                throw fail("has encoder tensors beyond one linear layer (\(unknown.joined(separator: ", "))); \(OvercompleteFormat.encoderRule)")
            }
            if first.hasPrefix("dictionary.") {
                throw fail("has dictionary tensors beyond _weights and multiplier (\(unknown.joined(separator: ", "))), as the relaxed "
                    + "archetypal dictionary has; Loupe decodes with a fixed matrix of atoms only")
            }
            throw fail("holds tensors an overcomplete \(className) does not have: \(unknown.joined(separator: ", "))")
        }
        encoderWeight = try read("encoder.final_block.0.weight") ?? read("encoder.weight")
        encoderBias = try (read("encoder.final_block.0.bias") ?? read("encoder.bias"))?.values
        guard encoderWeight != nil else {
            throw fail("has no encoder weight (encoder.final_block.0.weight); a tied encoder keeps none in its state dict, "
                + "so save the whole module (torch.save(sae, path)) instead")
        }
        guard let weights = try read("dictionary._weights") else { throw fail("has no dictionary._weights") }
        let parameters = sidecar["dictionary_params"]
        let normalization = parameters?["normalization"].flatMap { $0.isNull ? nil : $0 } ?? "l2"
        guard let normName = normalization.stringValue, Self.normalizations.contains(normName) else {
            throw sidecarFail("gives the dictionary normalization \(normalization.serialized()); Loupe applies overcomplete's "
                + Self.normalizations.joined(separator: ", "))
        }
        atoms = .raw(values: weights.values, shape: weights.shape, normalization: normName,
                     multiplier: try Self.scalar(try read("dictionary.multiplier"), default: 0, "multiplier", fail: fail))

        if let k = sidecar["top_k"], !k.isNull {
            guard let value = k.intValue, value > 0 else { throw sidecarFail("gives top_k \(k.serialized()), which is not a positive integer") }
            topK = value
        }
        if let t = sidecar["running_threshold"], !t.isNull {
            guard let value = t.doubleValue, value.isFinite, abs(value) < 1e30 else {
                throw sidecarFail("gives running_threshold \(t.serialized()), which is not a finite number")
            }
            runningThreshold = Float(value)
        }
        logThresholds = try read("thresholds")?.values
    }
}
