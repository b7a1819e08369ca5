import Foundation
import LoupeBuiltins
import LoupeLanguage
import Testing

/// The figure builtins of the papers' analyses: sparsity by token type and
/// layer, feature pages, neuron monosemanticity with image grids, and the
/// spurious-correlation baselines and layer sweep.
@Suite struct AnalysisFiguresTests {
    /// A figure shows HTML (its table with the picture inlined), PNG and JSON.
    static func expectFigure(_ s: Session, _ code: String, _ sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .success(let bundle?, _) = s.run(code) else {
            Issue.record("\(code) failed: \(String(describing: failure(s, code)))", sourceLocation: sourceLocation); return
        }
        #expect(bundle.data["image/png"] != nil, sourceLocation: sourceLocation)
        #expect(bundle.data["text/html"]?.stringValue?.contains("data:image/png;base64,") == true, sourceLocation: sourceLocation)
        #expect(bundle.data[LoupeMIME.table]?["rows"]?.arrayValue != nil, sourceLocation: sourceLocation)
    }

    @Test func sparsityByTokenTypeAndByLayer() {
        let s = Session()
        prepare(s, model: "openclip_p16_gelu.safetensors", scenes: 8, seed: 5, layer: 1, k: 4, width: 32, steps: 10)
        _ = s.run("""
        let sae0 = SAE.train(clip.activations(scenes, layer: 0), kind: .batchTopK(k: 4), width: 32, steps: 10, batch: 64)
        let sp = sae.sparsity(scenes)
        """)
        Self.expectFigure(s, "sp")
        // A TopK SAE has L0 = k on every token.
        #expect(result(s, "sp.cls") == "4.0")
        #expect(result(s, "sp.spatial") == "4.0")
        #expect(result(s, "sp.map.count") == "\(result(s, "clip.activations(scenes[0], layer: 0, tokens: .spatial).shape[1]") ?? "?")")
        #expect(result(s, "sp.table.column(\"tokens\")") == "[\"CLS\", \"spatial\", \"spatial, centre patches\", \"spatial, border patches\"]")
        Self.expectFigure(s, "SAE.sparsityByLayer([sae, sae0], in: scenes)")
        #expect(result(s, "SAE.sparsityByLayer([sae, sae0], in: scenes).table.column(\"layer\")") == "[0, 1]")
        #expect(failure(s, "SAE.sparsityByLayer([], in: scenes)")?.message.contains("non-empty [SAE]") == true)
    }

    @Test func steerabilityOfLatentsAndNeuronsSideBySide() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 6, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star", "grass"]
        let latents = clip.steerability(sae, vocabulary: words, images: scenes, clamp: 20)
        let neurons = clip.steerability(neurons: 1, vocabulary: words, images: scenes, clamp: 20)
        let both = latents.compare(neurons)
        """)
        Self.expectFigure(s, "both")
        #expect(result(s, "both.table.column(\"count\")") == "[16, \(result(s, "clip.width") ?? "?")]")
        #expect(result(s, "both.table.column(\"mean S\")[0] == latents.meanScore") == "true")
        #expect(failure(s, "latents.compare(3)")?.message.contains("another steerability result") == true)
    }

    @Test func featurePageCombinesImagesDensityAndSteering() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 10, seed: 3, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star"]
        let busiest = sae.monosemanticity(scenes).top(1).column("latent")[0]
        let page = sae.feature(busiest, in: scenes, count: 4, vocabulary: words, clamp: 10, steerImages: 4)
        """)
        Self.expectFigure(s, "page")
        let measures = result(s, "page.table.column(\"measure\")") ?? ""
        #expect(measures.contains("density (fraction of tokens)"))
        #expect(measures.contains("steerability S (clamp 10, 4 images)"))
        #expect(measures.contains("monosemanticity"))
        // Without a vocabulary there is no steering.
        #expect(result(s, "sae.feature(busiest, in: scenes).table.column(\"measure\")")?.contains("steerability") == false)
        #expect(failure(s, "sae.feature(99, in: scenes)")?.message == "latent 99 does not exist: this SAE has latents 0..<16")
        #expect(failure(s, "sae.feature(busiest, in: scenes, vocabulary: [])")?.message == "give at least one word")
    }

    @Test func neuronMonosemanticityAndImageGrids() {
        let s = Session()
        prepare(s, model: "openclip_p16_gelu.safetensors", scenes: 12, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let neurons = clip.monosemanticity(neurons: 1, images: scenes)
        let ms = sae.monosemanticity(scenes)
        """)
        #expect(result(s, "neurons.scores.count") == result(s, "clip.width"))
        #expect(result(s, "neurons.top(2).columns") == "[\"neuron\", \"MS\"]")
        #expect(result(s, "ms.top(2).columns") == "[\"latent\", \"MS\"]")
        #expect(result(s, "ms.topGrid(2, images: 3)")?.hasPrefix("Image ") == true)
        #expect(result(s, "neurons.bottomGrid(2, images: 3)")?.hasPrefix("Image ") == true)
        #expect(failure(s, "clip.monosemanticity(neurons: 9, images: scenes)")?.message.hasPrefix("layer 9 does not exist") == true)
        #expect(failure(s, "ms.topGrid(2, images: 0)")?.message == "show 1 to 32 images per unit")
    }

    @Test func ablationBaselinesAndLayerSweep() {
        let s = Session()
        _ = s.run("""
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/hf_tiny_bf16")
        let train = Dataset.scenes(count: 24, seed: 11, agreement: 0.95)
        let test = Dataset.scenes(count: 12, seed: 12)
        let probe = clip.probe(train, label: "group", steps: 30)
        let sae0 = SAE.train(clip.activations(train, layer: 0), kind: .topK(k: 4), width: 16, steps: 10, batch: 64)
        let sae1 = SAE.train(clip.activations(train, layer: 1), kind: .topK(k: 4), width: 16, steps: 10, batch: 64)
        let water = train.filter(habitat: "water")
        let land = train.filter(habitat: "land")
        """)
        let call = "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], top: 3)"
        Self.expectFigure(s, call)
        #expect(result(s, "\(call).table.column(\"condition\")") == "[\"no ablation\", \"top SAE latents\", \"random latents\", \"top neurons\"]")
        #expect(result(s, "\(call).table.column(\"units\")") == "[0, 3, 3, 3]")
        #expect(result(s, "\(call).table.columns.contains(\"worst group\")") == "true")
        let sweep = "clip.ablationSweep([sae1, sae0], with: water, without: land, probe: probe, test: test, top: 2)"
        Self.expectFigure(s, sweep)
        #expect(result(s, "\(sweep).table.column(\"layer\")") == "[0, 1]")
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: test, top: 0)")?.message
                == "ablate at least one unit")
    }
}
