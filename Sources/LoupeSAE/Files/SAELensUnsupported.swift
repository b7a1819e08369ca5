import LoupeJSON

/// SAELens architectures and input transforms (as of SAELens 6.54) that
/// Loupe cannot run exactly, each under SAELens's own name with the reason,
/// so a file is refused in one sentence rather than loaded as something else.
enum SAELensUnsupported {
    /// `architecture` values of cfg.json, and why Loupe does not run them.
    static let architectures: [String: String] = {
        let transcoder = "a transcoder: it reads one hook (hook_name) and writes another (hook_name_out), "
            + "so it does not reconstruct the activations it reads, which is what Loupe's SAEs do"
        return [
            "gated": "a gated SAE: one path (b_gate) decides which latents fire and a second (r_mag, b_mag) sets their values, "
                + "where Loupe's SAEs have one encoder",
            "matching_pursuit": "a matching pursuit SAE: its codes are picked one latent at a time against the remaining residual "
                + "until it falls below residual_threshold, not computed by one pass of an encoder",
            "temporal": "a temporal SAE: part of each token's codes is predicted by attention over the earlier tokens of its context",
            "transcoder": transcoder, "skip_transcoder": transcoder,
            "jumprelu_transcoder": transcoder, "jumprelu_skip_transcoder": transcoder,
        ]
    }()

    /// Refuses an architecture in the table above, naming it as SAELens does.
    static func checkArchitecture(_ cfg: JSON, path: String) throws {
        guard let name = cfg["architecture"]?.stringValue, let why = architectures[name.lowercased()] else { return }
        throw SAEError.unreadableSAE(path: path, "'\(path)' holds a SAELens \"\(name)\" SAE, \(why); Loupe runs "
            + SAEArchitectures.names.joined(separator: ", "))
    }

    /// Why a `normalize_activations` value Loupe does not apply cannot be
    /// run from these files, and what makes the SAE loadable.
    static func normalization(_ value: String) -> String {
        switch value {
        case "covariance_whitening":
            return "expects activations whitened as (x − mean)·M, and that mean and matrix are kept by SAELens's trainer, "
                + "not in these files; SAELens folds them into the weights at the end of training "
                + "(fold_activation_whitening, which sets normalize_activations to \"none\"), so load the final SAE"
        case "expected_average_only_in":
            return "scales activations by a factor estimated during training; fold it into the weights "
                + "(SAELens: fold_activation_norm_scaling_factor) and save again"
        default:
            return "Loupe applies none, layer_norm and constant_norm_rescale; fold the scaling into the weights and save again"
        }
    }
}
