import ArgumentParser
import Foundation
import LoupeSAE
import LoupeSafetensors

/// Trains small SAEs of every saved architecture and writes them in
/// SAELens's layout, with their inputs and Loupe's own codes and
/// reconstructions, for dev/check_saelens_load.py to load in SAELens and
/// compare. A development tool, hidden from the help.
struct ExportSAEsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-saes", abstract: "Write small trained SAEs for the SAELens load check (dev/check_saelens_load.py).",
        shouldDisplay: false)

    @ArgumentParser.Argument(help: "The folder to write (one sub-folder per architecture).") var folder: String

    func run() throws {
        let width = 16, tokens = 256
        let x = SyntheticActivations.sparseSums(tokens: tokens, width: width, directions: 20, seed: 11)
        let source = try MatrixActivationSource(values: x, width: width,
                                                metadata: SAEMetadata(model: "toy-clip", layer: 3, site: "resid_post", tokens: "all"))
        let kinds: [(String, any SAEArchitecture)] = [
            ("topk", TopKArchitecture(k: 4)), ("batchtopk", BatchTopKArchitecture(k: 4)),
            ("matryoshka", MatryoshkaBatchTopKArchitecture(k: 4, widths: [16, 64])),
            ("relu", ReLUArchitecture(l1Coefficient: 0.05)), ("jumprelu", JumpReLUArchitecture(l0Coefficient: 0.01)),
        ]
        var tensors = [NamedTensor("x", shape: [tokens, width], x)]
        for (name, architecture) in kinds {
            var o = SAETrainingOptions(architecture: architecture, width: 64, steps: 60)
            o.batchSize = 64; o.learningRate = 3e-3; o.initSampleRows = 256; o.normalizeInputs = true
            let sae = try SAETrainer.train(source: source, options: o).sae
            let path = (folder as NSString).appendingPathComponent(name)
            try sae.save(to: path)
            let reloaded = try SparseAutoencoder.load(from: path)
            let codes = try reloaded.encode(x, width: width)
            tensors.append(NamedTensor(name + ".acts", shape: [tokens, 64], codes.dense()))
            tensors.append(NamedTensor(name + ".out", shape: [tokens, width], reloaded.decode(codes)))
        }
        try SafetensorsWriter.write(tensors, to: (folder as NSString).appendingPathComponent("loupe_expected.safetensors"))
        print("wrote \(kinds.count) SAEs and loupe_expected.safetensors to \(folder)")
    }
}
