import Foundation
import LoupeBuiltins
import LoupeDisplay
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// DINOv2 and SigLIP in a session: `Model.load` reads either, what needs
/// only the image tower works (activations, SAE training, L0 maps, top
/// images, MS with a DINOv2 judge), and what needs text refuses a DINOv2
/// with one clear error while the session keeps its variables.
@Suite struct OtherTowersBuiltinsTests {
    static let towers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/towers").path

    @Test func aDINOv2DoesEverythingThatNeedsOnlyImages() throws {
        let s = Session()
        let setup = """
        let dino = Model.load("\(Self.towers)/dinov2_registers_tiny")
        let scenes = Dataset.scenes(count: 24, seed: 3)
        let acts = dino.activations(scenes, layer: 1)
        let sae = SAE.train(acts, kind: .topK(k: 4), width: 64, steps: 20, batch: 64)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        #expect(result(s, "dino.layers") == "2")
        // 2 registers after the class token; .spatial keeps the 36 patches only.
        #expect(result(s, "dino.activations(scenes, layer: 0, tokens: .spatial).shape") == "[24, 36, 32]")
        #expect(result(s, "dino.activations(scenes, layer: 0).shape") == "[24, 39, 32]")
        #expect(result(s, "sae.l0Map(scenes[0])")?.hasPrefix("Image ") == true)
        #expect(result(s, "sae.topImages(feature: 0, in: scenes, count: 4)")?.hasPrefix("Image ") == true)
        // The cache on disk holds the patches only, and a probe fits on the embeddings.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dino-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = s.run("let cached = dino.activations(scenes, layer: 1, tokens: .spatial, to: \"\(folder)\")")
        #expect(result(s, "Activations.load(\"\(folder)\").shape") == "[24, 36, 32]")
        #expect(result(s, "dino.probe(scenes, label: \"shape\", steps: 20)")?.isEmpty == false)
        guard case .success(let summary?, _) = s.run("dino") else { Issue.record("display failed"); return }
        #expect(summary.plainText.hasPrefix("DINOv2 "))
        #expect(summary.plainText.contains("2 registers"))
    }

    /// The explorer's patch buttons are the 36 patches, not the registers:
    /// a click on the last patch lists what fires on the last patch token.
    @Test func theExplorerClicksPatchesNotRegisters() throws {
        let front = FakeFrontEnd(), s = Session(comms: front)
        let setup = """
        let dino = Model.load("\(Self.towers)/dinov2_registers_tiny")
        let scenes = Dataset.scenes(count: 12, seed: 3)
        let sae = SAE.train(dino.activations(scenes, layer: 1, tokens: .spatial), kind: .topK(k: 4), width: 32, steps: 10, batch: 64)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        _ = s.run("sae.explore(scenes)")
        let patches = front.opened.filter { $0.state["_model_name"] == "ButtonModel" }
        #expect(patches.count == 36)
        let latents = try #require(front.model("ToggleButtonsModel"))
        patches[35].receive(["method": "custom", "content": ["event": "click"]], [])
        let labels = try #require(front.latest(latents, "_options_labels")?.arrayValue)
        // TopK with k = 4 on a patch token: exactly four latents.
        #expect(labels.count == 4)
    }

    @Test func textNeedsRefuseADINOv2AndTheSessionKeepsItsVariables() {
        let s = Session()
        _ = s.run("let dino = Model.load(\"\(Self.towers)/dinov2_tiny\")\nlet scenes = Dataset.scenes(count: 4, seed: 1)")
        let error = failure(s, "dino.classify(scenes[0], labels: [\"a red star\", \"water\"])")
        #expect(error?.message.contains("DINOv2 has no text tower") == true)
        #expect(failure(s, "dino.embed(text: [\"a cat\"])")?.message.contains("DINOv2 has no text tower") == true)
        #expect(result(s, "scenes.count") == "4")
    }

    @Test func aDINOv2JudgesMonosemanticity() {
        let s = Session()
        let setup = """
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        let dino = Model.load("\(Self.towers)/dinov2_tiny")
        let scenes = Dataset.scenes(count: 24, seed: 5)
        let sae = SAE.train(clip.activations(scenes, layer: 1), kind: .topK(k: 4), width: 32, steps: 10, batch: 64)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        guard case .success(let ms?, _) = s.run("sae.monosemanticity(scenes, encoder: dino)") else {
            Issue.record("MS failed: \(String(describing: failure(s, "sae.monosemanticity(scenes, encoder: dino)")))"); return
        }
        #expect(ms.plainText.contains("similarity: DINOv2"))
        #expect(!ms.plainText.contains("circular"))
    }

    @Test func aSigLIPClassifiesWithSigmoidsAndRefusesTheClassToken() throws {
        let s = Session()
        _ = s.run("let siglip = Model.load(\"\(Self.towers)/siglip_tiny\")\nlet scenes = Dataset.scenes(count: 3, seed: 2)")
        guard case .success(let table?, _) = s.run("siglip.classify(scenes[0], labels: [\"a red star\", \"a cat\", \"snow\"])") else {
            Issue.record("classify failed: \(String(describing: failure(s, "siglip.classify(scenes[0], labels: [\"a red star\"])")))"); return
        }
        let rows = try #require(table.data[LoupeMIME.table]?["rows"]?.arrayValue)
        let probabilities = rows.compactMap { $0[1]?.doubleValue }
        #expect(probabilities.count == 3)
        #expect(probabilities.allSatisfy { $0 > 0 && $0 < 1 })
        // Independent sigmoids, not a softmax over the labels.
        #expect(abs(probabilities.reduce(0, +) - 1) > 1e-3)
        #expect(failure(s, "siglip.activations(scenes, layer: 0, tokens: .cls)")?.message.contains("no class token") == true)
        #expect(result(s, "siglip.activations(scenes, layer: 0, tokens: .spatial).shape") == "[3, 36, 32]")
    }
}
