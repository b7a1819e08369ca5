import Foundation
import LoupeBuiltins
import LoupeDisplay
import LoupeLanguage
import LoupeSessionTestSupport
import Testing

/// The figure builtins of the papers' analyses: sparsity by token type and
/// layer, feature pages, neuron monosemanticity with image grids, and the
/// spurious-correlation baselines and layer sweep.
@Suite struct AnalysisFiguresTests {
    /// A figure shows HTML (its table with the picture inlined) and JSON; the
    /// picture's bytes travel once, in the HTML.
    static func expectFigure(_ s: Session, _ code: String, _ sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .success(let bundle?, _) = s.run(code) else {
            Issue.record("\(code) failed: \(String(describing: failure(s, code)))", sourceLocation: sourceLocation); return
        }
        #expect(bundle.data["image/png"] == nil, "the picture is carried once, in the HTML", sourceLocation: sourceLocation)
        let html = bundle.data["text/html"]?.stringValue ?? ""
        #expect(html.components(separatedBy: "data:image/png;base64,").count == 2, sourceLocation: sourceLocation)
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
        #expect(result(s, "both.table.column(\"n\")") == "[16, \(result(s, "clip.width") ?? "?")]")
        #expect(result(s, "both.table.column(\"mean S\")[0] == latents.meanScore") == "true")
        #expect(failure(s, "latents.compare(3)")?.message.contains("another steerability result") == true)
    }

    @Test func featurePageCombinesImagesDensityAndSteering() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 20, seed: 3, layer: 1, k: 4, width: 16, steps: 10)
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
        #expect(result(s, "neurons.top(2).columns") == "[\"neuron\", \"MS\", \"MS − chance\", \"firing images\"]")
        #expect(result(s, "ms.top(2).columns") == "[\"latent\", \"MS\", \"MS − chance\", \"firing images\"]")
        // The chance level is the judge's mean pairwise similarity: between -1 and 1, and what aboveChance subtracts.
        #expect(result(s, "ms.mean - ms.chance == ms.aboveChance") == "true")
        #expect(result(s, "ms.low <= ms.mean && ms.mean <= ms.high") == "true")
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
        #expect(result(s, "\(call).table.columns.contains(\"low\")") == "true")
        let sweep = "clip.ablationSweep([sae1, sae0], with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], top: 2)"
        Self.expectFigure(s, sweep)
        #expect(result(s, "\(sweep).table.column(\"layer\")") == "[0, 1]")
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], top: 0)")?.message
                == "ablate between 1 and 100,000 units, got 0")
        // Worst-group accuracy is over class × spurious attribute: groups: is required and must hold both.
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: test, top: 3)")?.message
                .hasPrefix("worst-group accuracy needs its groups") == true)
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: test, groups: [\"habitat\"])")?.message
                .hasPrefix("give the class 'group' and at least one spurious attribute") == true)
        // Units selected on the images that evaluate them are refused, typographic copies included.
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: train, groups: [\"group\", \"habitat\"])")?.message
                .hasPrefix("'with:' and 'test:' share") == true)
        #expect(failure(s, "clip.ablationBaselines(sae0, with: water, without: land, probe: probe, test: train.typographic(\"cat\"), groups: [\"group\", \"habitat\"])")?.message
                .contains("share") == true)
        // Several SAEs are seeds: the worst group's interval is then across them, and a validation split chooses the layer.
        _ = s.run("let seeds = SAE.train(clip.activations(train, layer: 0), kind: .topK(k: 4), width: 16, steps: 10, batch: 64, seeds: 2)")
        #expect(result(s, "seeds.count") == "2")
        #expect(result(s, "clip.ablationBaselines(seeds, with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], top: 3).table.column(\"n\")[1]")?.hasPrefix("\"2 seeds × ") == true)
        let chosen = "clip.ablationSweep([sae1, sae0], with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], top: 2, validation: Dataset.scenes(count: 12, seed: 13))"
        #expect(result(s, "\(chosen).table.column(\"chosen\").filter { $0 == \"yes\" }.count") == "1")
        #expect(failure(s, "clip.ablationSweep([sae0], with: water, without: land, probe: probe, test: test, groups: [\"group\", \"habitat\"], validation: test)")?.message
                .hasPrefix("'validation:' and 'test:' share") == true)
    }

    @Test func typographicDefenceSelectsOnOtherWordsAndScenes() {
        let s = Session()
        _ = s.run("""
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/hf_tiny_bf16")
        let select = Dataset.scenes(count: 12, seed: 21, words: 0, pairs: 0)
        let test = Dataset.scenes(count: 12, seed: 22, words: 0, pairs: 0)
        let seeds = SAE.train(clip.activations(select, layer: 1), kind: .topK(k: 4), width: 16, steps: 10, batch: 64, seeds: 2)
        """)
        let call = "clip.typographicDefence(seeds, select: select, selectWords: [\"cat\", \"dog\"], test: test, attackWords: [\"star\"], top: 3, maxWithout: nil)"
        Self.expectFigure(s, call)
        #expect(result(s, "\(call).table.column(\"condition\")") == "[\"as is\", \"text latents\", \"random latents\", \"text neurons\"]")
        #expect(result(s, "\(call).table.column(\"n\")") == "[\"12 images\", \"2 seeds × 12 images\", \"2 seeds × 12 images\", \"12 images\"]")
        // The attack word may not be a selection word, and the scenes that select may not be judged.
        #expect(failure(s, "clip.typographicDefence(seeds, select: select, selectWords: [\"Star\"], test: test, attackWords: [\"star\"])")?.message
                .hasPrefix("'star' is also a selection word") == true)
        #expect(failure(s, "clip.typographicDefence(seeds, select: test, selectWords: [\"cat\"], test: test, attackWords: [\"star\"])")?.message
                .hasPrefix("'select:' and 'test:' share 12 images") == true)
        #expect(failure(s, "clip.typographicDefence(seeds, select: select, selectWords: [\"cat\", \"cat\"], test: test, attackWords: [\"star\"])")?.message
                == "a word appears twice")
    }

    @Test func compareSaysResolvedOnlyWhenSeedsAgree() {
        let s = Session()
        #expect(result(s, "compare([0.30, 0.31, 0.32], [0.15, 0.16, 0.15], names: [\"latents\", \"random\"])")?
                .hasPrefix("\"latents above random by 15.7 points (paired t-test over 3 seeds") == true)
        #expect(result(s, "compare([0.30, 0.10, 0.32], [0.15, 0.26, 0.15])")?.contains("not resolved") == true)
        #expect(failure(s, "compare([0.3], [0.1])")?.message.hasPrefix("give one figure per seed") == true)
        #expect(failure(s, "compare([0.3, 1e308 * 10], [0.1, 0.2])")?.message == "every figure must be a finite number")
    }
}
