import LoupeCLIP
import LoupeImage
import LoupeSites
import LoupeTensor
import XCTest

final class HookTests: XCTestCase {
    func model() throws -> (CLIPModel, Tensor) {
        let m = try CLIPModel(path: Fixtures.path("openclip_p16_gelu.safetensors"))
        return (m, try Fixtures.reference("openclip_p16_gelu").tensor("pixels"))
    }

    func testHooksSeeEveryLayerAndSiteInOrder() throws {
        let (m, pixels) = try model()
        var seen: [String] = []
        var hooks = HookSet()
        for site in ActivationSite.allCases {
            hooks.add(layer: nil, site: site) { buf in
                seen.append("\(buf.layer).\(buf.site.rawValue)")
                // Inside a block every token at the tower's width; the embedding one vector per image.
                XCTAssertEqual([buf.batch, buf.tokens, buf.width], site.isInBlock ? [3, 17, 64] : [3, 1, m.config.embedDim])
            }
        }
        _ = m.encodeImages(pixels: pixels, hooks: hooks)
        XCTAssertEqual(seen, ["0.resid_pre", "0.attn_out", "0.mlp_out", "0.resid_post",
                              "1.resid_pre", "1.attn_out", "1.mlp_out", "1.resid_post", "2.post_projection"])
    }

    /// The embedding site holds what encodeImages returns (before L2
    /// normalisation), and a hook writing there changes that output.
    func testEmbeddingSiteIsTheProjectedEmbedding() throws {
        let (m, pixels) = try model()
        let clean = m.encodeImages(pixels: pixels)
        let captured = try m.activations(pixels: pixels, keys: [ActivationKey(layer: m.embeddingLayer, site: .embedding)],
                                         tokens: .cls)[ActivationKey(layer: m.embeddingLayer, site: .embedding)]!
        XCTAssertEqual(captured.shape, [3, 1, m.config.embedDim])
        XCTAssertEqual(captured.toArray(), clean.toArray())
        var zero = HookSet()
        zero.add(layer: m.embeddingLayer, site: .embedding) { buf in buf[0, 0, 1] = 0 }
        let changed = m.encodeImages(pixels: pixels, hooks: zero).toArray()
        XCTAssertEqual(changed[1], 0)
        XCTAssertEqual(Array(changed[m.config.embedDim...]), Array(clean.toArray()[m.config.embedDim...]))
        // The embedding has no other layer and no patch tokens: both are refused with the fix.
        XCTAssertThrowsError(try m.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .embedding)])) {
            XCTAssertTrue("\($0)".contains("Leave the layer out"))
        }
        XCTAssertThrowsError(try m.activations(pixels: pixels, keys: [ActivationKey(layer: m.embeddingLayer, site: .embedding)],
                                               tokens: .spatial)) { XCTAssertTrue("\($0)".contains("tokens: .cls")) }
    }

    func testReplacingTheResidualStreamChangesLaterLayers() throws {
        let (m, pixels) = try model()
        let clean = m.encodeImages(pixels: pixels)
        // Rewriting a value with itself must change nothing.
        var identity = HookSet()
        identity.add(layer: 0, site: .residPost) { buf in buf[0, 3, 5] = buf[0, 3, 5] }
        XCTAssertEqual(m.encodeImages(pixels: pixels, hooks: identity).toArray(), clean.toArray())

        // Zeroing image 0's stream after layer 0 changes image 0 only.
        var ablate = HookSet()
        ablate.add(layer: 0, site: .residPost) { buf in
            for t in 0..<buf.tokens { for d in 0..<buf.width where buf.firstItem == 0 { buf[0, t, d] = 0 } }
        }
        let changed = m.encodeImages(pixels: pixels, hooks: ablate, batchSize: 3)
        let w = m.config.embedDim
        XCTAssertGreaterThan(zip(changed.toArray().prefix(w), clean.toArray().prefix(w)).map { abs($0 - $1) }.max()!, 1e-3)
        XCTAssertEqual(Array(changed.toArray()[w...]), Array(clean.toArray()[w...]))

        // Capture after the hook sees the ablated stream.
        let acts = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 1, site: .residPre)], hooks: ablate)
        let reference = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 1, site: .residPre)])
        let first = acts.values.first!
        XCTAssertEqual(first.toArray().prefix(17 * 64).allSatisfy { $0 == 0 }, true)
        XCTAssertNotEqual(reference.values.first!.toArray().prefix(10), first.toArray().prefix(10))
    }

    func testBranchHookChangesWhatIsAdded() throws {
        let (m, pixels) = try model()
        let key = ActivationKey(layer: 1, site: .residPre)
        let base = try m.activations(pixels: pixels, keys: [key, ActivationKey(layer: 0, site: .residPost)])
        var zeroMLP = HookSet()
        zeroMLP.add(layer: 0, site: .mlpOut) { buf in
            for i in 0..<(buf.batch * buf.tokens * buf.width) { buf.pointer[i] = 0 }
        }
        let noMLP = try m.activations(pixels: pixels, keys: [key, ActivationKey(layer: 0, site: .mlpOut)], hooks: zeroMLP)
        // resid_post(0) - mlp_out(0) is what remains when the MLP adds nothing.
        let withMLP = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .mlpOut)])
        let expected = Tensor(zeros: base[key]!.shape)
        for i in 0..<expected.count { expected.pointer[i] = base[key]!.pointer[i] - withMLP.values.first!.pointer[i] }
        assertClose(noMLP[key]!, expected, rtol: 1e-5, "stream without the MLP branch")
    }

    func testTokenSelectionAndEarlyStop() throws {
        let (m, pixels) = try model()
        let all = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .residPost)], tokens: .all).values.first!
        let cls = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .residPost)], tokens: .cls).values.first!
        let spatial = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 0, site: .residPost)], tokens: .spatial).values.first!
        XCTAssertEqual(cls.shape, [3, 1, 64])
        XCTAssertEqual(spatial.shape, [3, 16, 64])
        XCTAssertEqual(cls[2, 0, 7], all[2, 0, 7])
        XCTAssertEqual(spatial[1, 4, 9], all[1, 5, 9])
        var calls = 0
        let partial = try m.activations(pixels: pixels, keys: [ActivationKey(layer: 1, site: .residPost)], batchSize: 1) { done in
            calls += 1
            return done < 2
        }
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(partial.values.first!.shape, [2, 17, 64])
        XCTAssertThrowsError(try m.activations(pixels: pixels, keys: [ActivationKey(layer: 5, site: .residPost)])) { error in
            XCTAssertTrue("\(error)".contains("layers 0...1"), "\(error)")
        }
    }

    func testZeroShotProbabilities() throws {
        let m = try CLIPModel(path: Fixtures.path("hf_tiny_bf16"))
        let ref = try Fixtures.reference("hf_tiny_bf16")
        let img = m.encodeImages(pixels: try ref.tensor("pixels"))
        CLIPModel.normalizeRows(img)
        let txt = try ref.tensor("text_embeds").copy()
        CLIPModel.normalizeRows(txt)
        let probs = m.zeroShot(imageEmbeddings: img, textEmbeddings: txt)
        XCTAssertEqual(probs.shape, [2, 6])
        for r in 0..<2 {
            var logits: [Double] = []
            for c in 0..<6 {
                var dot: Double = 0
                for d in 0..<m.config.embedDim { dot += Double(img[r, d]) * Double(txt[c, d]) }
                logits.append(Double(m.logitScale) * dot)
            }
            let mx = logits.max()!
            let z = logits.map { Foundation.exp($0 - mx) }.reduce(0, +)
            for c in 0..<6 { XCTAssertEqual(Double(probs[r, c]), Foundation.exp(logits[c] - mx) / z, accuracy: 1e-5) }
        }
        let table = try m.classify(images: [DecodedImage](), labels: ["a"])
        XCTAssertEqual(table.shape, [0, 1])
        XCTAssertThrowsError(try m.classify(images: [DecodedImage](), labels: []))
    }
}

final class BatchedInputTests: XCTestCase {
    func testDecodedImagesFlowThroughInBatches() throws {
        let m = try CLIPModel(path: Fixtures.path("openclip_p16_gelu.safetensors"))
        let names = ["rgb.png", "gray.jpg", "cmyk.jpg", "palette.png", "rgba.png"]
        let images = try names.map { try ImageFile.read(Fixtures.path("images/\($0)")) }
        let all = try m.activations(images: images, layer: 1, tokens: .cls, batchSize: 5)
        let small = try m.activations(images: images, layer: 1, tokens: .cls, batchSize: 2)
        XCTAssertEqual(all.shape, [5, 1, 64])
        assertClose(small, all, rtol: 1e-5, "batch size must not change results")
        // Embeddings agree with the activations path's preprocessing.
        let emb = m.embed(images: images, normalize: false)
        let direct = m.encodeImages(pixels: m.pixels(images))
        assertClose(emb, direct, rtol: 1e-6, "embed(images:) vs encodeImages(pixels:)")
    }
}

final class ScopedHookTests: XCTestCase {
    func testWithHooksAppliesToEveryForwardInside() throws {
        let m = try CLIPModel(path: Fixtures.path("openclip_p16_gelu.safetensors"))
        let pixels = try Fixtures.reference("openclip_p16_gelu").tensor("pixels")
        var ablate = HookSet()
        ablate.add(layer: 0, site: .residPost) { buf in
            for i in 0..<(buf.batch * buf.tokens * buf.width) { buf.pointer[i] = 0 }
        }
        let clean = m.encodeImages(pixels: pixels)
        let inside = m.withHooks(ablate) { m.encodeImages(pixels: pixels) }
        let explicit = m.encodeImages(pixels: pixels, hooks: ablate)
        XCTAssertEqual(inside.toArray(), explicit.toArray())
        XCTAssertNotEqual(inside.toArray(), clean.toArray())
        XCTAssertEqual(m.encodeImages(pixels: pixels).toArray(), clean.toArray(), "hooks must not outlive the scope")
        let key = ActivationKey(layer: 1, site: .residPre)
        let captured = try m.withHooks(ablate) { try m.activations(pixels: pixels, keys: [key]) }[key]!
        XCTAssertTrue(captured.toArray().allSatisfy { $0 == 0 }, "capture sees the scoped edit")
    }
}

final class PartialForwardTests: XCTestCase {
    func testContinuingFromACapturedStreamMatchesTheFullPass() throws {
        for name in ["openclip_p32_quickgelu_fp16", "hf_tiny_bf16"] {
            let path = Fixtures.path(name.hasPrefix("hf") ? name : "\(name).safetensors")
            let m = try CLIPModel(path: path)
            let ref = try Fixtures.reference(name)
            let pixels = try ref.tensor("pixels")
            let full = m.encodeImages(pixels: pixels)
            assertClose(full, try ref.tensor("image_embeds"), "\(name) pruned last block")
            for layer in 0..<m.config.vision.layers {
                let key = ActivationKey(layer: layer, site: .residPre)
                let stream = try m.activations(pixels: pixels, keys: [key])[key]!
                let resumed = try m.encodeImages(residPre: stream, layer: layer, batchSize: 2)
                assertClose(resumed, full, rtol: 1e-5, "\(name) resumed at \(layer)")
            }
            // A hook on the last layer forces the full-width last block; same result.
            var watch = HookSet()
            var seen = 0
            watch.add(layer: m.config.vision.layers - 1, site: .mlpOut) { _ in seen += 1 }
            assertClose(m.encodeImages(pixels: pixels, hooks: watch), full, rtol: 1e-5, "\(name) hooked last block")
            XCTAssertEqual(seen, 1)
        }
    }
}
