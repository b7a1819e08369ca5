import Foundation
import LoupeCLIP
import LoupeJSON
import LoupeSafetensors
import LoupeTensor
import XCTest

/// Mangled DINOv2 and SigLIP folders: every tensor dropped or given a wrong
/// shape, hostile config and processor values, and a cut or scrambled
/// spiece.model. Each is refused with an error naming the file, or loads
/// and runs; none traps or hangs.
final class TowerMutationTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "loupe-towers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A copy of fixture `name` in a fresh folder, with `edit` applied to its tensors.
    func folder(_ name: String, _ edit: (inout [NamedTensor]) -> Void) throws -> String {
        let source = TowerParityTests.path(name)
        let target = (dir as NSString).appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file != "model.safetensors" {
            try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: "\(target)/\(file)")
        }
        let weights = try SafetensorsFile(path: "\(source)/model.safetensors")
        var tensors = try weights.entries.keys.sorted().map { key in
            let t = try weights.tensor(key)
            return NamedTensor(key, shape: t.shape, t.toArray())
        }
        edit(&tensors)
        try SafetensorsWriter.write(tensors, to: "\(target)/model.safetensors")
        return target
    }

    /// Loads `path`; an error must name a file of the folder, a model that
    /// loads must run a forward pass.
    func loadOrRefuse(_ path: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let model = try CLIPModel(path: path)
            let size = model.config.imageSize
            _ = model.encodeImages(pixels: Tensor(zeros: [1, 3, size, size]))
        } catch {
            XCTAssertTrue("\(error)".contains(path), "\(what): the error does not name the file: \(error)", file: file, line: line)
        }
    }

    func testEveryTensorDroppedOrMisshapen() throws {
        for name in ["dinov2_registers_tiny", "siglip_tiny"] {
            let names = try SafetensorsFile(path: TowerParityTests.path("\(name)/model.safetensors")).entries.keys.sorted()
            for target in names {
                loadOrRefuse(try folder(name) { $0.removeAll { $0.name == target } }, "\(name) without \(target)")
                let reshapes: [(String, ([Int]) -> [Int])] = [
                    ("one more", { [$0[0] + 1] + $0.dropFirst() }),
                    ("flattened", { [$0.reduce(1, *)] }),
                    ("a scalar", { _ in [] }),
                    ("empty", { [0] + $0.dropFirst() }),
                ]
                for (how, reshape) in reshapes {
                    let path = try folder(name) { tensors in
                        guard let i = tensors.firstIndex(where: { $0.name == target }) else { return }
                        let shape = reshape(tensors[i].shape)
                        let count = shape.reduce(1, *)
                        tensors[i] = NamedTensor(target, shape: shape, (0..<count).map { Float($0 % 7) * 0.1 })
                    }
                    loadOrRefuse(path, "\(name) with \(target) \(how)")
                }
            }
        }
    }

    func testHostileConfigAndProcessorValues() throws {
        let configs: [(String, String, String)] = [
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "num_attention_heads": 0}"#),
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "num_attention_heads": 5}"#),
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "num_attention_heads": -4}"#),
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "hidden_act": "relu"}"#),
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "layer_norm_eps": "tiny"}"#),
            ("dinov2_tiny", "config.json", #"{"model_type": "dinov2", "use_swiglu_ffn": true}"#),
            ("dinov2_registers_tiny", "config.json", #"{"model_type": "dinov2_with_registers", "num_register_tokens": 9}"#),
            ("dinov2_tiny", "preprocessor_config.json", #"{"crop_size": {"height": 4000000000000000000, "width": 4000000000000000000}}"#),
            ("dinov2_tiny", "preprocessor_config.json", #"{"crop_size": {"height": 0, "width": 0}}"#),
            ("dinov2_tiny", "preprocessor_config.json", #"{"crop_size": {"height": 26, "width": 26}}"#),
            ("dinov2_tiny", "preprocessor_config.json", #"{"crop_size": {"height": 24, "width": 28}}"#),
            ("dinov2_tiny", "preprocessor_config.json", #"{"size": {"shortest_edge": 9000000000}}"#),
            ("siglip_tiny", "config.json", #"{"model_type": "siglip", "vision_config": {"image_size": 30}}"#),
            ("siglip_tiny", "config.json", #"{"model_type": "siglip", "text_config": {"num_attention_heads": 7}}"#),
            ("siglip_tiny", "preprocessor_config.json", #"{"size": {"height": 100000, "width": 100000}}"#),
            ("siglip_tiny", "preprocessor_config.json", #"{"resample": 0}"#),
        ]
        for (name, file, text) in configs {
            let path = try folder(name) { _ in }
            try? FileManager.default.removeItem(atPath: "\(path)/\(file)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(path)/\(file)"))
            loadOrRefuse(path, "\(name) with \(file) \(text)")
        }
    }

    /// Every prefix of spiece.model and many scrambled copies: an error
    /// naming the file, or a tokenizer that tokenizes.
    func testMangledSentencePieceModels() throws {
        let path = TowerParityTests.path("siglip_tiny/spiece.model")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func check(_ mangled: [UInt8], _ what: String) {
            do {
                let tokenizer = try SentencePieceTokenizer(model: mangled, name: "mangled.model")
                XCTAssertEqual(tokenizer.tokenize("a red star, twice", contextLength: 16).count, 16, what)
            } catch {
                XCTAssertTrue("\(error)".contains("mangled.model"), "\(what): \(error)")
            }
        }
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) { check(Array(bytes.prefix(length)), "cut at \(length)") }
        var random = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var copy = bytes
            for _ in 0..<(1 + round % 8) { copy[Int.random(in: 0..<copy.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            check(copy, "scrambled copy \(round)")
        }
    }
}
