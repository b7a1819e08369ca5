import Foundation
import LoupeBuiltins
import LoupeLanguage
import Testing

/// The papers' choices in the language: MS's encoder and tokens, and the two
/// counts of steerability's concept coverage.
@Suite struct PaperMetricsBuiltinsTests {
    @Test func monosemanticityTakesTheClassTokenAndSaysWhenTheEncoderIsTheScoredModel() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 16, seed: 3, layer: 0, k: 4, width: 32, steps: 10)
        _ = s.run("""
        let ms = sae.monosemanticity(scenes)
        let other = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        """)
        let text = result(s, "ms") ?? ""
        #expect(text.contains("activation per image: the class token"))
        #expect(text.contains("note: Pach et al. take the similarity from a separate encoder"))
        #expect(result(s, "ms.encoder")?.contains("the scored model itself") == true)
        // The class token is the default; the mean over all tokens is another measurement.
        #expect(result(s, "sae.monosemanticity(scenes, tokens: .cls).scores == ms.scores") == "true")
        #expect(result(s, "sae.monosemanticity(scenes, tokens: .all).scores == ms.scores") == "false")

        // A separate encoder: no note, another similarity, the same latents.
        #expect(result(s, "sae.monosemanticity(scenes, encoder: other)")?.contains("note: Pach") == false)
        #expect(result(s, "sae.monosemanticity(scenes, encoder: other).encoder")?.contains("openclip_p16_gelu") == true)
        #expect(result(s, "sae.monosemanticity(scenes, encoder: other).scores == ms.scores") == "false")
        #expect(result(s, "sae.monosemanticity(scenes, encoder: clip).encoder")?.contains("the scored model itself") == true)
    }

    @Test func attributesJudgeScenesAndOtherDatasetsAreRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-ms-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 12, seed: 5, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("scenes[0..<4].save(\"\(root.path)\")")
        let byAttributes = "sae.monosemanticity(scenes, encoder: .attributes)"
        #expect(result(s, "\(byAttributes).encoder") == "\"the scenes' ground-truth attributes\"")
        // A cosine of one-hot vectors is never negative, so MS lies in [0, 1] (up to float rounding).
        #expect(result(s, "\(byAttributes).scores.filter { $0 != nil }.map { $0 > -1e-6 && $0 < 1 + 1e-6 }.contains(false)") == "false")
        #expect(result(s, "clip.monosemanticity(neurons: 1, images: scenes, encoder: .attributes).scores.count")
                == result(s, "clip.width"))
        let refused = failure(s, "sae.monosemanticity(Dataset.folder(\"\(root.path)\"), encoder: .attributes)")
        #expect(refused?.message.hasPrefix("encoder: .attributes needs the toy world's scenes") == true)
        #expect(failure(s, "sae.monosemanticity(scenes, encoder: .dino)")?.message.contains("choices are .attributes") == true)
        #expect(failure(s, "sae.monosemanticity(scenes, encoder: 3)")?.message == "'encoder:' expects a CLIP or .attributes, got Int")
    }

    @Test func steerabilityReportsBothCoveragesAndCountsTheOneAskedFor() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 6, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star", "grass"]
        let byDelta = clip.steerability(sae, vocabulary: words, images: scenes, clamp: 40)
        let byImage = clip.steerability(sae, vocabulary: words, images: scenes, clamp: 40, coverage: .firstImage)
        """)
        #expect(result(s, "byDelta.coverage == byDelta.coverageMeanDelta") == "true")
        #expect(result(s, "byImage.coverage == byImage.coverageFirstImage") == "true")
        #expect(result(s, "byImage.coverageFirstImage == byDelta.coverageFirstImage") == "true")
        let summary = result(s, "byDelta") ?? ""
        #expect(summary.contains("by argmax of mean Δ"))
        #expect(summary.contains("by top steered word on image 0, the paper's count"))
        #expect(result(s, "byDelta.top(3).columns")?.contains("top word on image 0") == true)
        #expect(failure(s, "clip.steerability(sae, vocabulary: words, images: scenes, coverage: .first)")?.message
                .contains("choices are .meanDelta, .firstImage") == true)
    }
}
