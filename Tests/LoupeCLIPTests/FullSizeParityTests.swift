import Foundation
import LoupeCLIP
import LoupeTensor
import XCTest
import LoupeSafetensors

/// Full-size ViT-B/32 and B/16 against open_clip, when the checkpoints built
/// by `dev/make_clip_fixtures.py --full` are present (they are too large to
/// commit): LOUPE_CLIP_FULL_DIR=dev/work swift test --filter FullSizeParity
final class FullSizeParityTests: XCTestCase {
    func check(_ arch: String) throws {
        guard let dir = ProcessInfo.processInfo.environment["LOUPE_CLIP_FULL_DIR"] else {
            throw XCTSkip("set LOUPE_CLIP_FULL_DIR to the folder with full-size checkpoints")
        }
        let model = try CLIPModel(path: "\(dir)/\(arch).safetensors")
        let ref = try SafetensorsFile(path: "\(dir)/\(arch).reference.safetensors")
        let pixels = try ref.tensor("pixels")
        let last = model.config.vision.layers - 1
        let keys = [ActivationKey(layer: 0, site: .residPre), ActivationKey(layer: last, site: .residPost)]
        let acts = try model.activations(pixels: pixels, keys: keys)
        assertClose(acts[keys[0]]!, try ref.tensor("resid_pre.0"), "\(arch) resid_pre 0")
        assertClose(acts[keys[1]]!, try ref.tensor("resid_post.\(last)"), rtol: 1e-4, "\(arch) resid_post \(last)")
        assertClose(model.encodeImages(pixels: pixels), try ref.tensor("image_embeds"), rtol: 1e-4, "\(arch) image embeddings")
        let ids = try ref.tensor("token_ids")
        let rows = (0..<ids.shape[0]).map { r in (0..<ids.shape[1]).map { Int32(ids[r, $0]) } }
        assertClose(try model.embed(tokenIDs: rows, normalize: false), try ref.tensor("text_embeds"), rtol: 1e-4, "\(arch) text")
    }

    /// Full-size random DINOv2 ViT-B/14 and SigLIP ViT-B/16 folders against
    /// transformers (`dev/make_tower_fixtures.py --full dev/work`): every
    /// block's output and the embedding within 1e-4 of each tensor's
    /// scale; each layer's relative deviation is printed for the record.
    func checkTower(_ name: String) throws {
        guard let dir = ProcessInfo.processInfo.environment["LOUPE_CLIP_FULL_DIR"] else {
            throw XCTSkip("set LOUPE_CLIP_FULL_DIR to the folder with full-size checkpoints")
        }
        let model = try CLIPModel(path: "\(dir)/\(name)")
        let ref = try SafetensorsFile(path: "\(dir)/\(name).reference.safetensors")
        let pixels = try ref.tensor("pixels")
        let keys = (0..<model.config.vision.layers).map { ActivationKey(layer: $0, site: .residPost) }
        let acts = try model.activations(pixels: pixels, keys: keys)
        var deviations: [String] = []
        for key in keys {
            let expected = try ref.tensor("resid_post.\(key.layer)")
            let (d, scale) = maxAbsDiff(acts[key]!, expected)
            deviations.append(String(format: "%d: %.1e", key.layer, d / scale))
            assertClose(acts[key]!, expected, rtol: 1e-4, "\(name) resid_post \(key.layer)")
        }
        let embeds = model.encodeImages(pixels: pixels), expected = try ref.tensor("image_embeds")
        let (d, scale) = maxAbsDiff(embeds, expected)
        deviations.append(String(format: "embedding: %.1e", d / scale))
        assertClose(embeds, expected, rtol: 1e-4, "\(name) image embeddings")
        if ref.has("token_ids") {
            let ids = try ref.tensor("token_ids")
            let rows = (0..<ids.shape[0]).map { r in (0..<ids.shape[1]).map { Int32(ids[r, $0]) } }
            let text = try model.embed(tokenIDs: rows, normalize: false), expectedText = try ref.tensor("text_embeds")
            let (dt, st) = maxAbsDiff(text, expectedText)
            deviations.append(String(format: "text: %.1e", dt / st))
            assertClose(text, expectedText, rtol: 1e-4, "\(name) text embeddings")
        }
        print("\(name) max |Loupe - transformers| / max |transformers| by layer: " + deviations.joined(separator: ", "))
    }

    func testDINOv2ViTB14() throws { try checkTower("dinov2_vitb14") }
    func testSigLIPViTB16() throws { try checkTower("siglip_vitb16") }

    func testViTB32() throws { try check("ViT-B-32") }
    func testViTB16() throws { try check("ViT-B-16") }
}
