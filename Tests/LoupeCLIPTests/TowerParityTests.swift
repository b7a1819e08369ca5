import Foundation
import LoupeCLIP
import LoupeImage
import LoupeJSON
import LoupeSafetensors
import LoupeSites
import LoupeTensor
import XCTest

/// DINOv2 (with and without registers) and SigLIP run as transformers
/// runs them: every block's residual stream and branches, the pooled
/// embedding, SigLIP's text embeddings, tokens and probabilities, and
/// each processor's pixels, against small random models written by
/// transformers itself (dev/make_tower_fixtures.py).
final class TowerParityTests: XCTestCase {
    static let towers: String = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.deletingLastPathComponent().appendingPathComponent("Fixtures/towers").path
    }()

    static func path(_ name: String) -> String { (towers as NSString).appendingPathComponent(name) }

    func reference(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: Self.path("\(name).reference.safetensors"))
    }

    /// Every site of every block, and the pooled embedding, at ≤ 1e-4 of each tensor's scale.
    func checkVision(_ name: String, family: ModelFamily, tokens: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try CLIPModel(path: Self.path(name))
        XCTAssertEqual(model.config.family, family, file: file, line: line)
        XCTAssertEqual(model.config.visionTokens, tokens, file: file, line: line)
        let ref = try reference(name)
        let pixels = try ref.tensor("pixels")
        let keys = (0..<model.config.vision.layers).flatMap { layer in
            [ActivationSite.residPre, .attnOut, .mlpOut, .residPost].map { ActivationKey(layer: layer, site: $0) }
        }
        let acts = try model.activations(pixels: pixels, keys: keys)
        for key in keys {
            assertClose(acts[key]!, try ref.tensor("\(key.site.rawValue).\(key.layer)"), rtol: 1e-4, "\(name) \(key)", file: file, line: line)
        }
        assertClose(model.encodeImages(pixels: pixels), try ref.tensor("image_embeds"), rtol: 1e-4, "\(name) embedding", file: file, line: line)
        // The processor's pixels for the awkward test images.
        let names = try JSON.parse(ref.metadata["images"] ?? "[]").arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertFalse(names.isEmpty, file: file, line: line)
        let processed = try ref.tensor("processed_images")
        for (i, image) in names.enumerated() {
            assertClose(model.pixels([try ImageFile.read(Fixtures.path("images/\(image)"))]), processed.rows(i..<(i + 1)), rtol: 1e-5,
                        "\(name) pixels of \(image)", file: file, line: line)
        }
    }

    func testDINOv2MatchesTransformersWithInterpolatedPositions() throws {
        // A 10×10 position grid run on 24-pixel crops (6×6 patches), as the
        // published weights' 37×37 grid runs on 224-pixel crops.
        try checkVision("dinov2_tiny", family: .dinov2, tokens: 1 + 36)
    }

    func testDINOv2WithRegistersMatchesTransformers() throws {
        try checkVision("dinov2_registers_tiny", family: .dinov2, tokens: 1 + 2 + 36)
        let model = try CLIPModel(path: Self.path("dinov2_registers_tiny"))
        XCTAssertEqual(model.config.registerTokens, 2)
        // Patches are the tokens after the class token and the registers.
        XCTAssertEqual(model.tokenRange(.spatial, site: .residPost), 3..<39)
        XCTAssertEqual(model.config.patchGrid(patches: model.tokenRange(.spatial, site: .residPost).count), 6)
    }

    func testSigLIPVisionTextAndProbabilitiesMatchTransformers() throws {
        try checkVision("siglip_tiny", family: .siglip, tokens: 36)
        let model = try CLIPModel(path: Self.path("siglip_tiny"))
        let ref = try reference("siglip_tiny")
        let ids = try ref.tensor("token_ids")
        let rows = (0..<ids.shape[0]).map { r in (0..<ids.shape[1]).map { Int32(ids[r, $0]) } }
        let text = try model.embed(tokenIDs: rows, normalize: false)
        assertClose(text, try ref.tensor("text_embeds"), rtol: 1e-4, "SigLIP text embeddings")
        let images = model.encodeImages(pixels: try ref.tensor("pixels"))
        CLIPModel.normalizeRows(images)
        let normalised = text.copy()
        CLIPModel.normalizeRows(normalised)
        assertClose(model.zeroShot(imageEmbeddings: images, textEmbeddings: normalised), try ref.tensor("probabilities"),
                    rtol: 1e-4, "SigLIP sigmoid probabilities")
        XCTAssertEqual(model.logitScale, 10, accuracy: 1e-4)
        XCTAssertEqual(model.logitBias ?? 0, -2.5, accuracy: 1e-6)
    }

    func testSigLIPTokenizerMatchesSiglipTokenizer() throws {
        let model = try CLIPModel(path: Self.path("siglip_tiny"))
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Self.path("siglip_tiny.texts.json")))
        let fixture = try JSON.parse([UInt8](data))
        let texts = fixture["texts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let expected = fixture["ids"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.intValue) ?? [] } ?? []
        let context = try XCTUnwrap(fixture["context"]?.intValue)
        XCTAssertEqual(texts.count, expected.count)
        let tokenizer = try model.tokenizer()
        for (text, ids) in zip(texts, expected) {
            XCTAssertEqual(tokenizer.tokenize(text, contextLength: context).map(Int.init), ids, "\(text.debugDescription)")
        }
    }

    func testWhatNeedsATokenOrATextTowerIsRefusedClearly() throws {
        let dino = try CLIPModel(path: Self.path("dinov2_tiny"))
        XCTAssertThrowsError(try dino.embed(texts: ["a cat"])) { error in
            XCTAssertTrue("\(error)".contains("DINOv2 has no text tower"), "\(error)")
        }
        let siglip = try CLIPModel(path: Self.path("siglip_tiny"))
        let pixels = try reference("siglip_tiny").tensor("pixels")
        XCTAssertThrowsError(try siglip.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .residPost)], tokens: .cls)) { error in
            XCTAssertTrue("\(error)".contains("no class token"), "\(error)")
        }
        // .spatial is every token for SigLIP.
        let spatial = try siglip.activations(pixels: pixels, keys: [ActivationKey(layer: 1, site: .residPost)], tokens: .spatial)
        XCTAssertEqual(spatial[ActivationKey(layer: 1, site: .residPost)]!.shape, [2, 36, 32])
        XCTAssertNil(siglip.imageHead)
        // A SigLIP 2 folder brings Gemma's tokenizer instead of spiece.model.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siglip2-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for file in ["config.json", "model.safetensors", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: Self.path("siglip_tiny/\(file)"), toPath: "\(folder)/\(file)")
        }
        try Data([0x0a, 0x00]).write(to: URL(fileURLWithPath: "\(folder)/tokenizer.model"))
        let gemma = try CLIPModel(path: folder)
        XCTAssertThrowsError(try gemma.embed(texts: ["a cat"])) { error in
            XCTAssertTrue("\(error)".contains("Gemma"), "\(error)")
        }
        XCTAssertEqual(gemma.encodeImages(pixels: pixels).shape, [2, 32])
    }

    /// The head alone, from the last block's output: what steering at the
    /// last layer reruns for SigLIP.
    func testHeadOnlyRerunEqualsTheFullPass() throws {
        for name in ["siglip_tiny", "dinov2_registers_tiny"] {
            let model = try CLIPModel(path: Self.path(name))
            let pixels = try reference(name).tensor("pixels")
            let last = ActivationKey(layer: model.config.vision.layers - 1, site: .residPost)
            let stream = try model.activations(pixels: pixels, keys: [last])[last]!
            assertClose(try model.encodeImages(residPre: stream, layer: model.config.vision.layers), model.encodeImages(pixels: pixels),
                        rtol: 1e-6, "\(name) head rerun")
        }
    }

    func testUnsupportedVariantsAreRefusedByName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("towers-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Self.path("siglip_tiny/model.safetensors"), toPath: "\(folder)/model.safetensors")
        for (type, phrase) in [("siglip2", "NaFlex"), ("dinov3_vit", "DINOv3")] {
            try? FileManager.default.removeItem(atPath: "\(folder)/config.json")
            try Data(#"{"model_type": "\#(type)"}"#.utf8).write(to: URL(fileURLWithPath: "\(folder)/config.json"))
            XCTAssertThrowsError(try CLIPModel(path: folder)) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(type): \(error)")
            }
        }
    }
}
