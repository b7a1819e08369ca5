import Foundation
import LoupeBuiltins
import LoupeDisplay
import LoupeJSON
import LoupeLanguage
import LoupeSAE
import LoupeSessionTestSupport
import Testing

@Suite struct SAEBuiltinsTests {
    @Test func trainMeasureSaveLoadAndMap() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-sae-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = RecordingSink()
        let s = Session(output: sink)
        let setup = """
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        let scenes = Dataset.scenes(count: 32, seed: 7)
        let acts = clip.activations(scenes, layer: 1)
        let sae = SAE.train(acts, kind: .topK(k: 4), width: 128, steps: 40, batch: 128)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        #expect(sink.displays.contains { $0.bundle.plainText.hasPrefix("Training TopK") && $0.update })
        guard case .success(let metrics?, _) = s.run("sae.metrics(acts)") else { Issue.record("metrics failed"); return }
        let rows = try #require(metrics.data[LoupeMIME.table]?["rows"]?.arrayValue)
        #expect(rows.first { $0[0] == "L0" }?[1]?.doubleValue == 4)
        _ = s.run("sae.save(\"\(folder)\")")
        #expect(FileManager.default.fileExists(atPath: folder + "/sae_weights.safetensors"))
        #expect(FileManager.default.fileExists(atPath: folder + "/cfg.json"))
        #expect(result(s, "SAE.load(\"\(folder)\", clip: clip).l0Map(scenes[0])")?.hasPrefix("Image ") == true)
        #expect(result(s, "sae.density(acts)") == "Image 640×400: feature density")
    }

    /// Held-out validation, the live curves drawn in one display updated in
    /// place, and `sae.history`, which travels with the SAE through a save.
    @Test func historyValidationAndLiveCurves() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-history-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = RecordingSink()
        let s = Session(output: sink)
        let setup = """
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        let acts = clip.activations(Dataset.scenes(count: 24, seed: 7), layer: 1)
        let held = clip.activations(Dataset.scenes(count: 8, seed: 8), layer: 1)
        let sae = SAE.train(acts, kind: .topK(k: 4), width: 64, steps: 30, batch: 64, validation: held, every: 10)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        // One curves display, first shown and then only updated, its last state the whole run's.
        let curves = sink.displays.filter { $0.id?.hasPrefix("loupe-curves-") == true }
        #expect(!curves.isEmpty && !curves[0].update && curves.dropFirst().allSatisfy(\.update) && Set(curves.map(\.id)).count == 1)
        #expect(curves.last?.bundle.data["image/png"] != nil)
        #expect(curves.last?.bundle.plainText.contains("held out at step 30: explained variance") == true)
        #expect(result(s, "sae.history.validation")?.contains("30 ") == true)
        #expect(result(s, "sae.history.table")?.hasPrefix("Training history: every 1 step") == true)
        #expect(result(s, "sae.history.plot()")?.hasPrefix("Image ") == true)
        #expect(result(s, "sae")?.contains("held out at step 30") == true)
        _ = s.run("sae.save(\"\(folder)\")")
        #expect(result(s, "SAE.load(\"\(folder)\").history.validation") == result(s, "sae.history.validation"))
        // Held-out activations from elsewhere, and every: without them, are refused with the fix.
        #expect(failure(s, "SAE.train(acts, width: 16, steps: 2, batch: 16, validation: clip.activations(Dataset.scenes(count: 2, seed: 9), layer: 0))")?
                .message.contains("hold out other images at the same place") == true)
        #expect(failure(s, "SAE.train(acts, width: 16, steps: 2, batch: 16, every: 5)")?.message.contains("add validation:") == true)
        #expect(failure(s, "SAE.train(acts, width: 16, steps: 2, batch: 16, validation: held, every: 0)")?.message.contains("every 1 step") == true)
    }

    @Test func sweepTrainsEveryKindAtEveryWidth() throws {
        let s = Session()
        let setup = """
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        let acts = clip.activations(Dataset.scenes(count: 16, seed: 7), layer: 1)
        let sweep = SAE.sweep(acts, kinds: [.topK(k: 4), .batchTopK(k: 4)], widths: [32, 64], steps: 12, batch: 64)
        let alone = SAE.train(acts, kind: .batchTopK(k: 4), width: 64, steps: 12, batch: 64)
        """
        guard case .success = s.run(setup) else { Issue.record("setup failed: \(String(describing: failure(s, setup)))"); return }
        #expect(result(s, "sweep.saes.count") == "4")
        #expect(result(s, "sweep")?.hasPrefix("Sweep: 4 SAEs trained on the same batches") == true)
        #expect(result(s, "sweep.table")?.contains("BatchTopK (k = 4)  64") == true)
        #expect(result(s, "sweep.saes[3].metrics(acts)") == result(s, "alone.metrics(acts)"))
        #expect(failure(s, "SAE.sweep(acts, kinds: [], widths: [8])")?.message.contains("at least one architecture") == true)
        #expect(failure(s, "SAE.sweep(acts, kinds: [.topK(k: 4)], widths: [0.5])")?.message.contains("whole numbers") == true)
        #expect(failure(s, "SAE.sweep(acts, kinds: [.topK(k: 4)], widths: [1e12])") != nil)
        #expect(failure(s, "SAE.sweep(acts, kinds: [\"topK\"], widths: [8])")?.message.contains("architectures such as") == true)
    }

    @Test func kindsAreCheckedWithExamples() {
        let s = Session()
        _ = s.run("""
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/openclip_p16_gelu.safetensors")
        let acts = clip.activations(Dataset.scenes(count: 4), layer: 0)
        """)
        #expect(failure(s, "SAE.train(acts, kind: .topK(32))")?.message == "arguments of .topK need labels, e.g. .topK(k: 32)")
        #expect(failure(s, "SAE.train(acts, kind: .matryoshka(k: 4))")?.message
                == ".matryoshka needs 'groups:', the nested widths, e.g. .matryoshka(k: 32, groups: [512, 2048, 8192])")
        #expect(failure(s, "SAE.train(acts, kind: .topk(k: 4))")?.message
                == "'.topk' is not a choice for 'kind:' (did you mean '.topK'?); choices are .relu, .topK, .batchTopK, .jumpReLU, .matryoshka")
        #expect(failure(s, "SAE.train(scenes, width: 8)")?.kind == .name)
        // The architecture checks its own arguments; an unknown label is refused, not ignored.
        #expect(failure(s, "SAE.train(acts, kind: .relu(5))")?.message == "arguments of .relu need labels, e.g. .relu(l1: 5)")
        #expect(failure(s, "SAE.train(acts, kind: .topK(k: 4, l1: 2))")?.message
                == "'l1:' is not an argument of .topK, which takes 'k:'")
        #expect(failure(s, "SAE.train(acts, kind: .matryoshka(k: 4, groups: [2.5]))")?.message
                == "'groups:' of .matryoshka takes whole numbers")
        #expect(failure(s, "SAE.train(acts, kind: .batchTopK(k: \"4\"))")?.message == "'k:' of .batchTopK must be a number, got String")
    }

    /// The `kind:` choices, their completions and their hover text are the registry's.
    @Test func kindChoicesComeFromTheArchitectureRegistry() {
        let s = Session()
        let code = "SAE.train(acts, kind: ."
        #expect(s.complete(code, cursor: code.unicodeScalars.count).matches == SAEArchitectures.kinds.map { "." + $0.example })
        for kind in SAEArchitectures.kinds {
            let call = "SAE.train(acts, kind: .\(kind.name))"
            let text = s.inspect(call, cursor: call.unicodeScalars.count - 3)?.plainText ?? ""
            #expect(text.contains(kind.doc), "\(kind.name): \(text)")
        }
    }

    /// An SAE is typed where it sits (layer, site, tokens) once, when loaded:
    /// an unknown site in its file is refused then, and analyses that need
    /// its CLIP say how to give it one.
    @Test func hookPointIsCheckedAtLoadAndNeededByAnalyses() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-sae-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 4, seed: 3, layer: 1, k: 4, width: 16, steps: 5)
        _ = s.run("sae.save(\"\(folder)\")")
        #expect(failure(s, "SAE.load(\"\(folder)\").topImages(feature: 0, in: scenes)")?.message
                == "this SAE does not know its CLIP; load it with SAE.load(path, clip: clip)")
        #expect(result(s, "SAE.load(\"\(folder)\", clip: clip).monosemanticity(scenes).scores.count") == "16")

        let cfgPath = folder + "/cfg.json"
        let bytes = try #require(FileManager.default.contents(atPath: cfgPath))
        var cfg = try #require(try JSON.parse(Array(bytes)).objectValue)
        var meta = try #require(cfg["metadata"]?.objectValue)
        #expect(meta["site"] == "resid_post" && meta["layer"] == 1)
        meta["site"] = "resid_mid"
        cfg["metadata"] = .object(meta)
        try Data(JSON.object(cfg).pretty().utf8).write(to: URL(fileURLWithPath: cfgPath))
        #expect(failure(s, "SAE.load(\"\(folder)\", clip: clip)")?.message
                == "metadata \"site\" is \"resid_mid\", which Loupe cannot hook; sites are resid_pre, attn_out, mlp_out, resid_post, post_projection")

        // Without a layer the hook name places it (SAELens's own convention) ...
        meta["site"] = nil
        meta["layer"] = nil
        cfg["metadata"] = .object(meta)
        try Data(JSON.object(cfg).pretty().utf8).write(to: URL(fileURLWithPath: cfgPath))
        #expect(result(s, "SAE.load(\"\(folder)\", clip: clip).monosemanticity(scenes).scores.count") == "16")
        // ... and with neither, analyses that must place it refuse.
        meta["hook_name"] = nil
        cfg["metadata"] = .object(meta)
        try Data(JSON.object(cfg).pretty().utf8).write(to: URL(fileURLWithPath: cfgPath))
        #expect(failure(s, "clip.with(SAE.load(\"\(folder)\", clip: clip), ablate: [1]) { 1 }")?.message
                == "this SAE's metadata has no layer, so it cannot be placed in a model")
    }

    @Test func zeroShotWithTheSAESplicedIn() throws {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 12, seed: 3, layer: 0, k: 8, width: 64, steps: 20)
        guard case .success(let table?, _) = s.run("sae.zeroShot(scenes, attribute: \"colour\")") else {
            Issue.record("zeroShot failed: \(String(describing: failure(s, "sae.zeroShot(scenes, attribute: \"colour\")")))"); return
        }
        let rows = try #require(table.data[LoupeMIME.table]?["rows"]?.arrayValue)
        #expect(rows.map { $0[0]?.stringValue } == ["without SAE", "with SAE spliced in", "recovered fraction"])
        #expect(failure(s, "sae.zeroShot(scenes, attribute: \"word\")")?.message
                == "'word' has no fixed classes to classify; try shape, colour or background")
    }

    @Test func withClampsAndAblatesInsideTheClosureOnly() throws {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 8, seed: 3, layer: 0, k: 4, width: 32, steps: 10)
        _ = s.run("""
        let labels = ["a red shape", "a blue shape"]
        """)
        let clean = result(s, "clip.classify(scenes[0], labels: labels).column(\"probability\")")
        #expect(result(s, "clip.with(sae, ablate: []) { clip.classify(scenes[0], labels: labels) }.column(\"probability\")") == clean)
        #expect(result(s, "clip.with(sae, clamp: [3: 500]) { clip.classify(scenes[0], labels: labels) }.column(\"probability\")") != clean)
        #expect(result(s, "clip.classify(scenes[0], labels: labels).column(\"probability\")") == clean)
        #expect(failure(s, "clip.with(sae, clamp: [99: 1]) { 1 }")?.message == "latent 99 does not exist: this SAE has latents 0..<32")
    }

    @Test func monosemanticityScoresEveryLatent() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 16, seed: 3, layer: 0, k: 4, width: 32, steps: 10)
        _ = s.run("""
        let ms = sae.monosemanticity(scenes)
        """)
        #expect(result(s, "ms.scores.count") == "32")
        #expect(result(s, "ms.scores.filter { $0 != nil }.map { $0 >= -1 && $0 <= 1 }.contains(false)") == "false")
        // Only latents firing on 10 or more of the images are listed: MS from fewer is noise.
        #expect(result(s, "ms.top(32).count") == result(s, "ms.top(32).column(\"firing images\").filter { $0 >= 10 }.count"))
        #expect(result(s, "ms.top(32).count") != "0")
        #expect(failure(s, "sae.monosemanticity(scenes[0..<1])")?.message == "monosemanticity needs at least 2 images, got 1")
    }

    @Test func steerabilityOfLatentsAndNeurons() {
        let s = Session()
        prepare(s, model: "hf_tiny_bf16", scenes: 8, seed: 3, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let words = ["red", "blue", "water", "star"]
        """)
        #expect(result(s, "clip.steerability(sae, vocabulary: words, images: scenes, clamp: 10).scores.count") == "16")
        #expect(result(s, "clip.steerability(sae, vocabulary: words, images: scenes, units: 0..<3).top(2).count") == "2")
        #expect(result(s, "clip.steerability(neurons: 0, vocabulary: words, images: scenes, units: [1, 2]).scores.count") == "2")
        #expect(failure(s, "clip.steerability(vocabulary: words, images: scenes)")?.message
                == "give an SAE (clip.steerability(sae, ...)) or a layer of neurons (neurons: 11)")
    }

    @Test func probeContrastAndAblation() {
        let s = Session()
        _ = s.run("""
        let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/hf_tiny_bf16")
        let train = Dataset.scenes(count: 24, seed: 11, agreement: 0.95)
        let probe = clip.probe(train, label: "habitat", steps: 50)
        let sae = SAE.train(clip.activations(train, layer: 0), kind: .topK(k: 4), width: 16, steps: 10, batch: 64)
        let spurious = sae.contrast(train.filter(habitat: "water"), train.filter(habitat: "land"), top: 3)
        """)
        #expect(result(s, "spurious.count") == "3")
        #expect(result(s, "sae.contrast(train, train, top: 3, by: .frequency).count") == "3")
        // No latent fires on a negative fraction of tokens, so nothing passes the filter.
        #expect(result(s, "sae.contrast(train, train, by: .frequency, maxWithout: -1)") == "[]")
        #expect(failure(s, "sae.contrast(train, train, by: .median)")?.message
                == "'.median' is not a choice for 'by:' (did you mean '.mean'?); choices are .mean, .frequency")
        #expect(result(s, "probe.evaluate(train, groups: [\"group\", \"habitat\"]).column(\"group\").last")?.hasPrefix("\"worst group (") == true)
        #expect(result(s, "probe.evaluate(train, groups: [\"habitat\", \"group\"]).columns") == "[\"group\", \"n\", \"accuracy\", \"low\", \"high\"]")
        #expect(result(s, "clip.with(sae, ablate: spurious) { probe.evaluate(train, groups: [\"habitat\", \"colour\"]) }.count")
                .map { Int($0)! >= 4 } == true)
        #expect(failure(s, "probe.evaluate(train)")?.message.hasPrefix("worst-group accuracy needs its groups") == true)
        #expect(failure(s, "clip.probe(train.filter(habitat: \"water\"), label: \"habitat\")")?.message
                == "'habitat' takes only one value in these images; a probe needs two or more")
    }

    @Test func topImagesShowWhereALatentFires() {
        let s = Session()
        prepare(s, model: "openclip_p16_gelu.safetensors", scenes: 12, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        _ = s.run("""
        let busiest = sae.monosemanticity(scenes).top(1).column("latent")[0]
        """)
        #expect(result(s, "sae.topImages(feature: busiest, in: scenes, count: 4)")?.hasPrefix("Image ") == true)
        #expect(failure(s, "sae.topImages(feature: 99, in: scenes)")?.message == "latent 99 does not exist: this SAE has latents 0..<16")
    }

    /// saev's shards load as Activations, one layer and token choice, and train an SAE.
    @Test func saevShardsLoadAndTrain() {
        let s = Session()
        let folder = CLIPBuiltinsTests.fixtures + "/../../LoupeSAETests/Fixtures/saev_shards"
        #expect(succeeds(s, "let acts = Activations.load(\"\(folder)\", layer: 4, tokens: .spatial)"))
        #expect(result(s, "acts.shape") == "[7, 4, 6]")
        #expect(succeeds(s, "let sae = SAE.train(acts, kind: .topK(k: 2), width: 12, steps: 3, batch: 8)"))
        #expect(failure(s, "Activations.load(\"\(folder)\")")?.message == "these shards hold layers 2, 4; say which with layer:")
        #expect(failure(s, "Activations.load(\"\(folder)\", layer: 3)")?.message == "these shards hold layers 2, 4, not 3")
    }

    /// The latents of one image, strongest first; the first one's peak is the
    /// largest activation its feature page finds on that image alone.
    @Test func activeLatentsRankOneImagesLatentsByPeak() {
        let s = Session()
        prepare(s, model: "openclip_p16_gelu.safetensors", scenes: 4, seed: 4, layer: 1, k: 4, width: 16, steps: 10)
        #expect(succeeds(s, "let active = sae.activeLatents(scenes[0], top: 3)"))
        #expect(result(s, "active.count") == "3")
        #expect(result(s, "let p = active.column(\"peak activation\")\np[0] >= p[1] && p[1] >= p[2]") == "true")
        #expect(result(s, "active.column(\"tokens\")[0] <= 17") == "true")
        let first = result(s, "active.column(\"peak activation\")[0]")
        #expect(first != nil && first == result(s, "sae.feature(active.column(\"latent\")[0], in: scenes[0..<1]).table.column(\"value\")[4]"))
        #expect(failure(s, "sae.activeLatents(scenes[0], top: 0)")?.message == "list at least one latent")
    }
}

/// A session with a fixture CLIP, `scenes`, and a small TopK `sae` trained on them.
func prepare(_ s: Session, model: String, scenes: Int, seed: Int, layer: Int, k: Int, width: Int, steps: Int) {
    let setup = """
    let clip = CLIP.load("\(CLIPBuiltinsTests.fixtures)/\(model)")
    let scenes = Dataset.scenes(count: \(scenes), seed: \(seed))
    let sae = SAE.train(clip.activations(scenes, layer: \(layer)), kind: .topK(k: \(k)), width: \(width), steps: \(steps), batch: 64)
    """
    if case .failure(let error, _, _) = s.run(setup) { Issue.record("setup failed: \(error)") }
}
