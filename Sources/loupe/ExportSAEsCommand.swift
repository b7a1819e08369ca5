import Foundation
import XCTest
import LoupeSAE
import LoupeSafetensors

/// Not a unit test: with LOUPE_SAE_EXPORT=<folder>, trains small SAEs of
/// each saved architecture and writes them (SAELens layout) with inputs and
/// Loupe's own codes and reconstructions, for dev/check_saelens_load.py to
/// load in SAELens and compare.
final class ExportForPeer: XCTestCase {
    func testExportWhenAsked() throws {
        guard let root = ProcessInfo.processInfo.environment["LOUPE_SAE_EXPORT"] else {
            throw XCTSkip("set LOUPE_SAE_EXPORT to a folder to export SAEs for the SAELens check")
        }
        let width = 16
        let x = syntheticActivations(tokens: 256, width: width, directions: 20, seed: 11)
        let source = try MatrixActivationSource(values: x, width: width,
                                                metadata: SAEMetadata(model: "toy-clip", layer: 3, site: "resid_post", tokens: "all"))
        let kinds: [(String, any SAEArchitecture)] = [
            ("topk", TopKArchitecture(k: 4)), ("batchtopk", BatchTopKArchitecture(k: 4)),
            ("matryoshka", MatryoshkaBatchTopKArchitecture(k: 4, widths: [16, 64])),
            ("relu", ReLUArchitecture(l1Coefficient: 0.05)), ("jumprelu", JumpReLUArchitecture(l0Coefficient: 0.01)),
        ]
        var tensors = [NamedTensor("x", shape: [256, width], x)]
        for (name, arch) in kinds {
            var o = SAETrainingOptions(architecture: arch, width: 64, steps: 60)
            o.batchSize = 64; o.learningRate = 3e-3; o.initSampleRows = 256; o.normalizeInputs = true
            let sae = try SAETrainer.train(source: source, options: o).sae
            try sae.save(to: root + "/" + name)
            let reloaded = try SparseAutoencoder.load(from: root + "/" + name)
            let codes = try reloaded.encode(x, width: width)
            tensors.append(NamedTensor(name + ".acts", shape: [256, 64], codes.dense()))
            tensors.append(NamedTensor(name + ".out", shape: [256, width], reloaded.decode(codes)))
        }
        try SafetensorsWriter.write(tensors, to: root + "/loupe_expected.safetensors")
    }
}
