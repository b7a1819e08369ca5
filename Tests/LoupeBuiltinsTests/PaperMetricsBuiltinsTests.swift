import Foundation
import LoupeBuiltins
import LoupeLanguage
import LoupeSessionTestSupport
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
        #expect(failure(s, "sae.monosemanticity(scenes, encoder: 3)")?.message == "'encoder:' expects a loaded model (CLIP, DINOv2, SigLIP) or .attributes, got Int")
    }

    @Test func steerabilityReportsBothCoveragesAndCountsTheOneAskedFor() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 6, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star", "grass"]
        let byDelta = clip.steerability(sae, vocabulary: words, images: scenes, clamp: 40, coverage: .meanDelta)
        let byImage = clip.steerability(sae, vocabulary: words, images: scenes, clamp: 40)
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

    @Test func sweepsAgreeWithSingleMeasurementsPointByPoint() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 6, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star", "grass"]
        let other = SAE.train(clip.activations(scenes, layer: 0, tokens: .all), kind: .topK(k: 4), width: 16, steps: 10, batch: 64)
        let byLayer = clip.steerabilityByLayer([sae, other], clamp: 40, vocabulary: words, images: scenes, units: 8)
        let curve = clip.steerabilityCurve(sae, clamps: [10, 40], vocabulary: words, images: scenes, units: 8)
        """)
        // Rows come sorted by layer: layer 0 (other), then layer 1 (sae).
        #expect(result(s, "byLayer.table.column(\"layer\")") == "[0, 1]")
        #expect(result(s, "byLayer.table.column(\"latents: mean S\")[1] == clip.steerability(sae, vocabulary: words, images: scenes, clamp: 40, units: 0..<8).meanScore") == "true")
        #expect(result(s, "byLayer.table.column(\"neurons: steerable\")[0] == clip.steerability(neurons: 0, vocabulary: words, images: scenes, clamp: 40, units: 0..<8).fractionSteerable") == "true")
        #expect(result(s, "curve.table.column(\"clamp\")") == "[10, 40]")
        #expect(result(s, "curve.table.column(\"latents: mean S\")[0] == clip.steerability(sae, vocabulary: words, images: scenes, clamp: 10, units: 0..<8).meanScore") == "true")
        #expect(result(s, "curve.table.column(\"neurons: coverage (image 0)\")[1] == clip.steerability(neurons: 1, vocabulary: words, images: scenes, clamp: 40, units: 0..<8).coverage") == "true")
        #expect(failure(s, "clip.steerabilityCurve(sae, clamps: [], vocabulary: words, images: scenes)")?.message == "give at least one clamp value")
        #expect(failure(s, "clip.steerabilityByLayer([sae], vocabulary: words, images: scenes, units: 0)")?.message
                == "measure at least one unit per point, got 0")
    }

    @Test func namedVocabulariesAndPlotsAgainstX() {
        let s = Session()
        #expect(result(s, "vocabulary(.clipTokens).count") == "5000")
        // CLIP's merge order: the commonest first, suffix-like tokens that end a word included.
        #expect(result(s, "vocabulary(.clipTokens, count: 3)") == "[\"the\", \"ing\", \"and\"]")
        #expect(result(s, "vocabulary(.clipTokens).contains(\"dog\")") == "true")
        #expect(result(s, "vocabulary(.scenes).contains(\"circle\") && vocabulary(.scenes).contains(\"red\")") == "true")
        #expect(failure(s, "vocabulary(.clipTokens, count: 0)")?.message == "'count:' must be between 1 and 100,000 words, got 0")
        #expect(failure(s, "vocabulary(.wordnet)")?.message.contains("choices are .english, .clipTokens, .scenes") == true)
        #expect(failure(s, "plot([1.0, 2.0, 4.0], x: [10, 50, 150])") == nil)
        #expect(failure(s, "plot([1.0, 2.0], x: [10, 50, 150])")?.message == "give one x per value: 3 x for a series of 2")
    }

    @Test func tablesFromRows() {
        let s = Session()
        _ = s.run("let t = table(columns: [\"width\", \"MS\"], rows: [[256, 0.2], [1024, 0.25]], title: \"MS by width\")")
        #expect(result(s, "t.column(\"width\")") == "[256, 1024]")
        #expect(result(s, "t.column(\"MS\")[1]") == "0.25")
        #expect(failure(s, "table(columns: [\"a\", \"b\"], rows: [[1, 2], [3]])")?.message == "row 1 has 1 values for 2 columns")
    }

    /// The neuron baseline for ablations outside `ablationBaselines`: rank
    /// residual coordinates by contrast, then zero them in the forward.
    @Test func neuronsAreRankedAndAblatedLikeLatents() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 8, seed: 6, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let worded = scenes.typographic("star")
        let neurons = clip.contrast(worded, scenes, layer: 1, top: 4)
        let labels = ["a circle", "a star"]
        """)
        #expect(result(s, "neurons.count") == "4")
        // Ablating neurons changes the forward; ablating none leaves it alone.
        #expect(result(s, "clip.with(neurons: 1, ablate: neurons) { clip.classify(worded[0], labels: labels).column(\"probability\") } == clip.classify(worded[0], labels: labels).column(\"probability\")") == "false")
        // (A hooked forward may differ from the plain one in float rounding only.)
        #expect(result(s, "clip.with(neurons: 1, ablate: []) { clip.classify(worded[0], labels: labels).column(\"probability\") }.map { round($0 * 10000) } == clip.classify(worded[0], labels: labels).column(\"probability\").map { round($0 * 10000) }") == "true")
        #expect(failure(s, "clip.with(ablate: neurons) { 1 }")?.message.contains("give an SAE") == true)
        #expect(failure(s, "clip.with(neurons: 1, clamp: [3: 10]) { 1 }")?.message == "neurons can only be ablated here; clamp SAE latents instead")
        #expect(failure(s, "clip.with(neurons: 1, ablate: [100000]) { 1 }")?.message.contains("100000") == true)
        #expect(failure(s, "clip.contrast(worded, scenes, layer: 99)")?.message.contains("layer 99 does not exist") == true)
    }

    @Test func presetsApplyThePapersSettingsOrSayWhyNot() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 6, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        // The paper's clamp belongs to ViT-B/32 layer 11; elsewhere the preset asks for one.
        #expect(failure(s, "clip.steerability(sae, images: Dataset.scenes(count: 192, seed: 5), preset: .joseph2025)")?.message
                .contains("belongs to ViT-B/32 layer 11") == true)
        #expect(failure(s, "clip.steerability(sae, images: scenes, clamp: 40, preset: .joseph2025)")?.message
                == "preset .joseph2025 steers the first 192 images; this dataset has 6")
        #expect(failure(s, "clip.steerability(sae, images: scenes, clamp: 40)")?.message.hasPrefix("give the words to steer towards") == true)
        #expect(failure(s, "clip.steerability(sae, vocabulary: [\"red\"], images: scenes, units: [1e300])")?.message
                .hasPrefix("unit 1") == true)
        #expect(result(s, "clip.steerability(sae, vocabulary: [\"red\", \"blue\"], images: scenes, clamp: 40, sample: 0.25).scores.count") == "4")
        // calibrateWith: must be the paper's ViT-B/32, and goes with the preset alone.
        #expect(failure(s, "clip.steerability(sae, images: Dataset.scenes(count: 192, seed: 5), preset: .joseph2025, calibrateWith: clip)")?
                .message.contains("calibrateWith: must be that model") == true)
        #expect(failure(s, "clip.steerability(sae, vocabulary: [\"red\"], images: scenes, calibrateWith: clip)")?
                .message.contains("add preset: .joseph2025") == true)
        // Pach et al.'s protocol: the class token, judged by something other than the scored model.
        #expect(result(s, "sae.monosemanticity(scenes, preset: .pach2025)")?.contains("the scenes' ground-truth attributes") == true)
        #expect(failure(s, "sae.monosemanticity(scenes, encoder: clip, preset: .pach2025)")?.message
                .contains("circular") == true)
        #expect(failure(s, "sae.monosemanticity(scenes, tokens: .all, preset: .pach2025)")?.message
                .contains("leave tokens: out") == true)
        // The paper's SAEs: class tokens of the projected embedding, trained by dictionary_learning's rules.
        #expect(result(s, "sae.monosemanticity(scenes, preset: .pach2025)")?.contains("site: .embedding") == true)
        #expect(succeeds(s, "let emb = clip.activations(scenes, site: .embedding)"))
        #expect(failure(s, "clip.activations(scenes, layer: 1, site: .embedding)")?.message.contains("leave layer: out") == true)
        #expect(failure(s, "SAE.train(emb, kind: .batchTopK(k: 2), width: 16, steps: 20, trainer: .dictionaryLearning)")?.message
                .contains("thresholdStart:") == true)
        #expect(failure(s, "SAE.train(emb, kind: .topK(k: 2), width: 16, steps: 20, trainer: .dictionaryLearning)")?.message
                .contains("BatchTopK and Matryoshka") == true)
        #expect(failure(s, "SAE.train(emb, kind: .batchTopK(k: 2), width: 16, steps: 20, thresholdStart: 3)")?.message
                .contains("trainer: .dictionaryLearning") == true)
        #expect(succeeds(s, "let paper = SAE.train(emb, kind: .batchTopK(k: 2), width: 16, steps: 12, batch: 8, "
                    + "trainer: .dictionaryLearning, warmup: 2, thresholdStart: 4)"))
        #expect(result(s, "paper")?.contains("dictionary_learning's rules") == true)
        let scored = result(s, "paper.monosemanticity(scenes, preset: .pach2025)")
        #expect(scored?.contains("the projected image embedding") == true && scored?.contains("note: this SAE") == false)
    }
}
