import Foundation
import LoupeCLIP
import LoupeJSON
import LoupeSites
import LoupeTensor
import XCTest

/// Compares every layer's activations and both embeddings with the values
/// open_clip and transformers computed for the same random weights.
final class ModelParityTests: XCTestCase {
    func check(model name: String, path: String) throws {
        let model = try CLIPModel(path: path)
        let ref = try Fixtures.reference(name)
        let pixels = try ref.tensor("pixels")
        var keys: [ActivationKey] = []
        for layer in 0..<model.config.vision.layers {
            for site in ActivationSite.blockSites { keys.append(ActivationKey(layer: layer, site: site)) }
        }
        let acts = try model.activations(pixels: pixels, keys: keys, tokens: .all, batchSize: 2)
        for key in keys {
            let expected = try ref.tensor("\(key.site.rawValue).\(key.layer)")
            assertClose(acts[key]!, expected, "\(name) \(key)")
        }
        let images = model.encodeImages(pixels: pixels, batchSize: 2)
        assertClose(images, try ref.tensor("image_embeds"), "\(name) image embeddings")

        let ids = try ref.tensor("token_ids")
        let rows = (0..<ids.shape[0]).map { r in (0..<ids.shape[1]).map { Int32(ids[r, $0]) } }
        let texts = try model.embed(tokenIDs: rows, normalize: false)
        assertClose(texts, try ref.tensor("text_embeds"), "\(name) text embeddings")
        XCTAssertEqual(model.logitScale, try ref.tensor("logit_scale").pointer[0], accuracy: 1e-3)
    }

    func testOpenCLIPFloat32GELU() throws {
        try check(model: "openclip_p16_gelu", path: Fixtures.path("openclip_p16_gelu.safetensors"))
    }

    func testOpenCLIPFloat16QuickGELU() throws {
        try check(model: "openclip_p32_quickgelu_fp16", path: Fixtures.path("openclip_p32_quickgelu_fp16.safetensors"))
    }

    func testHuggingFaceBFloat16Folder() throws {
        try check(model: "hf_tiny_bf16", path: Fixtures.path("hf_tiny_bf16"))
    }

    func testHuggingFaceTextFromStrings() throws {
        // Token ids in this reference came from open_clip's tokenizer on real
        // strings; tokenizing them here must reach the same embeddings.
        let model = try CLIPModel(path: Fixtures.path("hf_tiny_bf16"))
        let ref = try Fixtures.reference("hf_tiny_bf16")
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokens.json")))
        let rows = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        let texts = rows.prefix(6).map { $0["text"] as! String }
        let emb = try model.embed(texts: texts, normalize: false)
        assertClose(emb, try ref.tensor("text_embeds"), "text embeddings from strings")
    }

    func testArchitectureIsReadFromTensorsAndConfig() throws {
        let a = try CLIPModel(path: Fixtures.path("openclip_p16_gelu.safetensors")).config
        XCTAssertEqual(a.format, .openCLIP)
        XCTAssertEqual([a.vision.width, a.vision.layers, a.vision.heads, a.patchSize, a.imageSize, a.visionTokens], [64, 2, 4, 16, 64, 17])
        XCTAssertEqual(a.vision.activation, .gelu)
        XCTAssertEqual(a.text?.heads, 4)
        XCTAssertEqual(a.embedDim, 32)
        let b = try CLIPModel(path: Fixtures.path("openclip_p32_quickgelu_fp16.safetensors")).config
        XCTAssertEqual([b.vision.layers, b.vision.heads, b.patchSize, b.visionTokens], [3, 2, 32, 5])
        XCTAssertEqual(b.vision.activation, .quickGelu)
        let c = try CLIPModel(path: Fixtures.path("hf_tiny_bf16")).config
        XCTAssertEqual(c.format, .huggingFace)
        XCTAssertEqual([c.vision.width, c.vision.heads, c.patchSize, c.embedDim, c.text!.width, c.vocabSize], [64, 4, 16, 24, 8, 49408])
        XCTAssertEqual(c.vision.activation, .quickGelu)
    }

    func testActivationOverrideChangesTheResult() throws {
        // The option must really reach the MLP: forcing the wrong activation
        // moves the embedding away from the reference.
        let path = Fixtures.path("openclip_p16_gelu.safetensors")
        let forced = try CLIPModel(path: path, options: CLIPLoadOptions(activation: .quickGelu))
        XCTAssertEqual(forced.config.vision.activation, .quickGelu)
        let ref = try Fixtures.reference("openclip_p16_gelu")
        let (d, _) = maxAbsDiff(forced.encodeImages(pixels: try ref.tensor("pixels")), try ref.tensor("image_embeds"))
        XCTAssertGreaterThan(d, 1e-3)
    }

    func testSummaryNamesTheArchitecture() throws {
        let model = try CLIPModel(path: Fixtures.path("hf_tiny_bf16"))
        XCTAssertTrue(model.summary.contains("2 layers, width 64, 4 heads, patch 16"), model.summary)
        XCTAssertEqual(model.summaryJSON["layers"]?.intValue, 2)
        XCTAssertGreaterThan(model.parameterCount, 100_000)
    }
}
