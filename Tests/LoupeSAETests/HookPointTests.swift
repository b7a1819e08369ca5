import Foundation
import XCTest
import LoupeJSON
import LoupeSAE

/// The hook point is typed once, when an SAE is made, loaded or trained; an
/// unknown site or token choice is an error then, naming the key, the value
/// and the values Loupe knows.
final class HookPointTests: XCTestCase {
    func testKnownValuesAreTyped() throws {
        let hook = try HookPoint(metadata: SAEMetadata(model: "toy-clip", layer: 4, site: "mlp_out", tokens: "spatial"))
        XCTAssertEqual(hook, HookPoint(model: "toy-clip", layer: 4, site: .mlpOut, tokens: .spatial))
        XCTAssertEqual(HookPoint.Site.allCases.map(\.rawValue), ["resid_pre", "attn_out", "mlp_out", "resid_post", "post_projection"])
        XCTAssertEqual(HookPoint.Tokens.allCases.map(\.rawValue), ["cls", "spatial", "all"])
    }

    /// SAEs from other tools often record no site or tokens: the residual
    /// stream after the block and every token, as SAELens's ViT SAEs read.
    func testAbsentValuesTakeTheDefaults() throws {
        let hook = try HookPoint(metadata: SAEMetadata(layer: 2))
        XCTAssertEqual(hook.site, .residPost)
        XCTAssertEqual(hook.tokens, .all)
        XCTAssertNil(hook.model)
        XCTAssertNil(try HookPoint(metadata: SAEMetadata()).layer)
    }

    func testUnknownSiteIsAnErrorNamingKeyValueAndChoices() {
        XCTAssertThrowsError(try HookPoint(metadata: SAEMetadata(layer: 3, site: "resid_mid"))) { error in
            XCTAssertEqual(error as? HookPointError, .unknownSite("resid_mid"))
            XCTAssertEqual("\(error)", "metadata \"site\" is \"resid_mid\", which Loupe cannot hook; "
                           + "sites are resid_pre, attn_out, mlp_out, resid_post, post_projection")
        }
        XCTAssertThrowsError(try HookPoint(metadata: SAEMetadata(layer: 3, tokens: "patches"))) { error in
            XCTAssertEqual(error as? HookPointError, .unknownTokens("patches"))
            XCTAssertEqual("\(error)", "metadata \"tokens\" is \"patches\", which Loupe does not know; tokens are cls, spatial, all")
        }
        XCTAssertThrowsError(try HookPoint(metadata: SAEMetadata(layer: -1))) {
            XCTAssertEqual($0 as? HookPointError, .invalidLayer("-1"))
        }
    }

    /// The SAE carries its hook point, and refuses metadata it cannot type.
    func testTheSAEHoldsItsHookPoint() throws {
        let sae = try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 2),
                                        metadata: SAEMetadata(layer: 5, site: "attn_out", tokens: "cls"))
        XCTAssertEqual(sae.hookPoint, HookPoint(layer: 5, site: .attnOut, tokens: .cls))
        XCTAssertThrowsError(try sae.setMetadata(SAEMetadata(layer: 5, site: "residual"))) {
            XCTAssertEqual($0 as? HookPointError, .unknownSite("residual"))
        }
        XCTAssertEqual(sae.hookPoint.site, .attnOut, "a refused change leaves the hook point as it was")
        XCTAssertEqual(sae.metadata.site, "attn_out")
        XCTAssertThrowsError(try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 2),
                                                   metadata: SAEMetadata(site: "resid_mid"))) {
            XCTAssertEqual($0 as? HookPointError, .unknownSite("resid_mid"))
        }
    }

    /// A file whose metadata names an unknown site or a layer that is not a
    /// number fails to load, instead of hooking resid_post or no layer.
    func testLoadingRefusesUnknownHookValues() throws {
        let dir = temporaryFolder("hook-load")
        try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 2),
                              metadata: SAEMetadata(model: "toy-clip", layer: 3, site: "resid_pre", tokens: "spatial")).save(to: dir)
        XCTAssertEqual(try SparseAutoencoder.load(from: dir).hookPoint, HookPoint(model: "toy-clip", layer: 3, site: .residPre, tokens: .spatial))

        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["layer": 3, "site": "resid_mid"] }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { error in
            XCTAssertEqual(error as? HookPointError, .unknownSite("resid_mid"))
            XCTAssertTrue("\(error)".contains("\"site\"") && "\(error)".contains("resid_post"), "\(error)")
        }
        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["layer": 3, "tokens": "image"] }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertEqual($0 as? HookPointError, .unknownTokens("image")) }
        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["layer": "3"] }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertEqual($0 as? HookPointError, .invalidLayer("\"3\"")) }
        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["site": 4] }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertEqual($0 as? HookPointError, .unknownSite("4")) }
        try rewriteConfig(dir) { cfg in cfg["metadata"] = nil }
        XCTAssertEqual(try SparseAutoencoder.load(from: dir).hookPoint, HookPoint(), "no metadata: no layer, the defaults")
    }

    /// A hook name places an SAE whose metadata gives no layer: SAELens's
    /// TransformerLens names and the Hugging Face module paths of its v3 bridge.
    func testHookNamesPlaceAnSAEWithoutALayer() throws {
        let cases: [(String, Int, HookPoint.Site)] = [
            ("blocks.8.hook_resid_post", 8, .residPost), ("blocks.0.hook_mlp_out", 0, .mlpOut),
            ("vision_model.encoder.layers.8", 8, .residPost), ("vision_model.encoder.layers.11.mlp", 11, .mlpOut),
            ("vision_model.encoder.layers.3.self_attn", 3, .attnOut), ("dinov2.encoder.layer.5", 5, .residPost),
            ("visual.transformer.resblocks.7", 7, .residPost), ("model.vision_tower.vision_model.encoder.layers.2", 2, .residPost),
        ]
        for (name, layer, site) in cases {
            let place = try XCTUnwrap(HookName.place(name), name)
            XCTAssertEqual(place.layer, layer, name)
            XCTAssertEqual(place.site, site, name)
        }
        for name in ["blocks.8.hook_resid_mid", "vision_model.post_layernorm", "vision_model.encoder.layers.8.mlp.fc1", "layers.-1"] {
            XCTAssertNil(HookName.place(name), name)
        }
        let dir = temporaryFolder("hook-name")
        try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 2), metadata: SAEMetadata(layer: 3)).save(to: dir)
        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["hook_name": "vision_model.encoder.layers.6.mlp"] }
        XCTAssertEqual(try SparseAutoencoder.load(from: dir).hookPoint, HookPoint(layer: 6, site: .mlpOut))
        try rewriteConfig(dir) { cfg in cfg["metadata"] = nil; cfg["hook_name"] = "blocks.2.hook_resid_pre" }
        XCTAssertEqual(try SparseAutoencoder.load(from: dir).hookPoint, HookPoint(layer: 2, site: .residPre), "older SAELens: at the top level")
        try rewriteConfig(dir) { cfg in cfg["metadata"] = ["hook_name": "vision_model.post_layernorm"]; cfg["hook_name"] = nil }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) { XCTAssertTrue("\($0)".contains("post_layernorm"), "\($0)") }
    }

    /// Training types the hook point of its activations before any step, so
    /// a cache recorded at an unknown site stops the run at once.
    func testTrainingRefusesUnknownHookValues() throws {
        let x = randomMatrix(64 * 4, seed: 1)
        let bad = try MatrixActivationSource(values: x, width: 4, metadata: SAEMetadata(layer: 1, site: "resid_mid"))
        var options = SAETrainingOptions(architecture: TopKArchitecture(k: 2), width: 8, steps: 2)
        options.batchSize = 16
        var steps = 0
        XCTAssertThrowsError(try SAETrainer.train(source: bad, options: options, progress: { _ in steps += 1 })) {
            XCTAssertEqual($0 as? HookPointError, .unknownSite("resid_mid"))
        }
        XCTAssertEqual(steps, 0)
        let good = try MatrixActivationSource(values: x, width: 4, metadata: SAEMetadata(layer: 1, site: "mlp_out", tokens: "cls"))
        let trained = try SAETrainer.train(source: good, options: options).sae
        XCTAssertEqual(trained.hookPoint, HookPoint(layer: 1, site: .mlpOut, tokens: .cls))
    }

    /// An activation cache whose layer is not a number is refused on opening.
    func testCacheWithMalformedLayerIsRefused() throws {
        let dir = temporaryFolder("hook-cache")
        let source = try MatrixActivationSource(values: randomMatrix(12, seed: 2), width: 3, metadata: SAEMetadata(layer: 2))
        try ActivationCache.write(source, to: dir + "/ok.safetensors")
        XCTAssertEqual(try CachedActivationSource(path: dir + "/ok.safetensors").metadata.layer, 2)
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/ok.safetensors")))
        // An edit of the same length inside the JSON header keeps the tensor data where it was.
        let headerEnd = 8 + Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: bytes[8..<headerEnd], as: UTF8.self)
        let edited = header.replacingOccurrences(of: #""layer":"2""#, with: #""layer":"x""#)
        XCTAssertNotEqual(edited, header, "the header should hold the layer: \(header)")
        bytes.replaceSubrange(8..<headerEnd, with: Array(edited.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/bad.safetensors"))
        XCTAssertThrowsError(try CachedActivationSource(path: dir + "/bad.safetensors")) {
            XCTAssertEqual($0 as? HookPointError, .invalidLayer("\"x\""))
        }
    }
}
