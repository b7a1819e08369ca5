import Foundation
import LoupeJSON
import LoupeSafetensors

/// A training checkpoint: one safetensors file holding the SAE's parameters,
/// Adam's moments, the dead-latent counters, and (in its metadata) the step,
/// the input scale and the settings it was made with. One file written
/// atomically means a kill at any moment leaves either the previous
/// checkpoint or the new one.
enum TrainingCheckpoint {
    static let fileName = "checkpoint.safetensors"
    static let formatVersion = 1

    struct State {
        var sae: SparseAutoencoder
        var optimizer: AdamOptimizer
        var sinceFired: [Float]
        var scale: Float
        var step: Int
        /// The history up to `step` (nil in checkpoints from before histories).
        var history: TrainingHistory?
        /// The current sparsity window's sum of batch L0s and its steps (SAELens's end-of-training `l0`).
        var sparsityWindow: (l0Sum: Double, steps: Int)?
    }

    static func save(to dir: String, sae: SparseAutoencoder, optimizer: AdamOptimizer, sinceFired: [Float],
                     scale: Float, step: Int, options: SAETrainingOptions, dIn: Int, history: TrainingHistory? = nil,
                     sparsityWindow: (l0Sum: Double, steps: Int)? = nil) throws {
        let n = sae.dSAE
        var tensors = [
            NamedTensor("enc.weight", shape: [n, dIn], sae.wEnc), NamedTensor("enc.bias", shape: [n], sae.bEnc),
            NamedTensor("dec.weight", shape: [n, dIn], sae.wDec), NamedTensor("dec.bias", shape: [dIn], sae.bDec),
            NamedTensor("threshold", shape: [n], sae.threshold), NamedTensor("since_fired", shape: [n], sinceFired),
        ]
        for (name, values) in optimizer.state { tensors.append(NamedTensor("adam." + name, shape: [values.count], values)) }
        var info: [String: JSON] = ["format": "loupe-sae-checkpoint", "format_version": .int(formatVersion), "step": .int(step),
                          "adam_step": .int(optimizer.step), "input_scale_bits": .int(Int(scale.bitPattern)),
                          "settings": options.fingerprint(dIn: dIn)]
        if let window = sparsityWindow { info["sparsity_window"] = ["l0_sum": .double(window.l0Sum), "steps": .int(window.steps)] }
        var metadata = ["loupe_checkpoint": JSON.object(info).serialized()]
        if let history { metadata["loupe_history"] = history.json.serialized() }
        try SafetensorsWriter.write(tensors, metadata: metadata, to: dir + "/" + fileName)
    }

    /// The checkpoint in `dir`, or nil if there is none. A checkpoint made
    /// with other settings is refused rather than silently mixed in.
    static func load(from dir: String, dIn: Int, options: SAETrainingOptions) throws -> State? {
        let path = dir + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try SafetensorsFile(path: path)
        guard let text = file.metadata["loupe_checkpoint"], let info = try? JSON.parse(text),
              info["format"]?.stringValue == "loupe-sae-checkpoint" else {
            throw SAEError.unusableFile(path: path, "'\(path)' is not a Loupe training checkpoint; remove it or choose another checkpoint folder")
        }
        guard let version = info["format_version"]?.intValue, version <= formatVersion else {
            throw SAEError.unusableFile(path: path, "'\(path)' was written by a newer Loupe (format \(info["format_version"]?.serialized() ?? "?")); update Loupe to resume it")
        }
        let expected = options.fingerprint(dIn: dIn)
        guard info["settings"] == expected else {
            throw SAEError.unusableFile(path: dir, "the checkpoint in '\(dir)' was made with other settings (\(info["settings"]?.serialized() ?? "none")) "
                + "than this run (\(expected.serialized())); remove it or use another checkpoint folder")
        }
        let n = options.width
        let sae = try SparseAutoencoder(dIn: dIn, dSAE: n, architecture: options.architecture,
                                        wEnc: file.floats("enc.weight", shape: [n, dIn]), bEnc: file.floats("enc.bias", shape: [n]),
                                        wDec: file.floats("dec.weight", shape: [n, dIn]), bDec: file.floats("dec.bias", shape: [dIn]),
                                        threshold: file.floats("threshold", shape: [n]), metadata: options.metadata ?? SAEMetadata())
        let optimizer = AdamOptimizer(dIn: dIn, dSAE: n)
        try optimizer.restore { name, count in try file.floats("adam." + name, shape: [count]) }
        optimizer.step = info["adam_step"]?.intValue ?? 0
        let scale = Float(bitPattern: UInt32(info["input_scale_bits"]?.intValue ?? Int(Float(1).bitPattern)))
        return State(sae: sae, optimizer: optimizer, sinceFired: try file.floats("since_fired", shape: [n]),
                     scale: scale, step: info["step"]?.intValue ?? 0,
                     history: file.metadata["loupe_history"].flatMap { try? JSON.parse($0) }.flatMap(TrainingHistory.init(json:)),
                     sparsityWindow: sparsityWindow(info["sparsity_window"]))
    }

    /// The saved window, or nil when absent or not sensible (it is a record, not needed to resume).
    static func sparsityWindow(_ json: JSON?) -> (l0Sum: Double, steps: Int)? {
        guard let sum = json?["l0_sum"]?.doubleValue ?? json?["l0_sum"]?.intValue.map(Double.init), sum.isFinite, sum >= 0,
              let steps = json?["steps"]?.intValue, steps >= 0 else { return nil }
        return (sum, steps)
    }
}
