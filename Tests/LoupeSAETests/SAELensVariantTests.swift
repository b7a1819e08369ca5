import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import XCTest

/// SAELens 6.54.12's newer architectures and options, in files written by
/// its own `save_model` (`dev/make_saelens_variant_fixtures.py`): those Loupe
/// runs exactly load and encode as SAELens's `load_from_disk` does; the
/// rest are refused under SAELens's name with the reason.
final class SAELensVariantTests: XCTestCase {
    let folder = fixturesPath() + "/saelens_variants"
    static let loaded = ["abstopk", "jumprelu_quadratic", "jumprelu_tanh", "whitening_folded"]
    static var largestDeviation: Float = 0

    func check(_ sae: SparseAutoencoder, against name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try SafetensorsFile(path: folder + "/" + name + "/expected.safetensors")
        let x = try expected.floats("x")
        func compare(_ got: [Float], _ want: [Float], _ what: String) {
            XCTAssertEqual(got.count, want.count, "\(name): \(what)", file: file, line: line)
            for (i, (a, b)) in zip(got, want).enumerated() {
                let deviation = abs(a - b) / max(1, abs(b))
                Self.largestDeviation = max(Self.largestDeviation, deviation)
                XCTAssertLessThanOrEqual(deviation, 1e-4, "\(name): \(what) \(i): \(a) against \(b)", file: file, line: line)
            }
        }
        compare(try sae.encode(x, width: sae.dIn).dense(), try expected.floats("acts"), "code")
        compare(try sae.reconstruct(x, width: sae.dIn), try expected.floats("out"), "reconstruction")
    }

    func testWhatLoupeRunsExactlyMatchesSAELens() throws {
        for name in Self.loaded {
            let sae = try SparseAutoencoder.load(from: folder + "/" + name)
            try check(sae, against: name)
            XCTAssertEqual(sae.hookPoint, HookPoint(model: "toy-clip", layer: 3, site: .residPost), name)
            // And again through Loupe's own save, as SAELens's layout.
            let saved = temporaryFolder("saelens-variant-" + name)
            try sae.save(to: saved)
            try check(try SparseAutoencoder.load(from: saved), against: name)
        }
        print("SAELens variants: largest deviation from SAELens's outputs \(Self.largestDeviation) (relative)")
    }

    /// AbsTopK keeps the k largest magnitudes with their signs; it is read, not trained.
    func testAbsTopKKeepsSignsAndIsNotATrainingKind() throws {
        let sae = try SparseAutoencoder.load(from: folder + "/abstopk")
        XCTAssertEqual("\(sae.architecture)", "AbsTopK (k = 4, signs kept)")
        let x = try SafetensorsFile(path: folder + "/abstopk/expected.safetensors").floats("x")
        let codes = try sae.encode(x, width: sae.dIn)
        XCTAssertTrue((0..<codes.rows).allSatisfy { codes.rowStart[$0 + 1] - codes.rowStart[$0] == 4 })
        XCTAssertTrue(codes.value.contains { $0 < 0 }, "some kept latents are negative")
        XCTAssertFalse(SAEArchitectures.kinds.contains { $0.name == "absTopK" })
        XCTAssertThrowsError(try AbsTopKArchitecture.fromArguments(ArchitectureArguments(kind: AbsTopKArchitecture.kind, [])))
    }

    /// JumpReLU's sparsity loss (step, tanh, quadratic) shapes training only;
    /// the threshold is what inference reads, so all load as JumpReLU.
    func testJumpReLULossModesLoadAsJumpReLU() throws {
        for name in ["jumprelu_quadratic", "jumprelu_tanh"] {
            XCTAssertTrue("\(try SparseAutoencoder.load(from: folder + "/" + name).architecture)".hasPrefix("JumpReLU"), name)
        }
    }

    func testWhatLoupeCannotRunIsRefusedUnderSAELensName() throws {
        for (name, phrases) in [("matching_pursuit", ["\"matching_pursuit\"", "matching pursuit", "residual"]),
                                ("gated", ["\"gated\"", "gated SAE", "b_gate"]),
                                ("whitening_unfolded", ["covariance_whitening", "fold_activation_whitening"])] {
            let path = folder + "/" + name
            XCTAssertThrowsError(try SparseAutoencoder.load(from: path), name) { error in
                for phrase in phrases + [path] { XCTAssertTrue("\(error)".contains(phrase), "\(error)") }
            }
        }
        let dir = temporaryFolder("saelens-refused")
        for file in ["cfg.json", "sae_weights.safetensors"] {
            try FileManager.default.copyItem(atPath: folder + "/whitening_folded/" + file, toPath: dir + "/" + file)
        }
        for (architecture, phrase) in [("temporal", "attention over the earlier tokens"), ("transcoder", "hook_name_out"),
                                       ("jumprelu_skip_transcoder", "transcoder")] {
            try rewriteConfig(dir) { $0["architecture"] = .string(architecture) }
            XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) {
                XCTAssertTrue("\($0)".contains(phrase) && "\($0)".contains("abstopk"), "\($0)")
            }
        }
    }

    /// Loupe's training writes `l0` and `num_dead_features` into cfg.json's
    /// metadata as SAELens's trainer does: the mean L0 over the last
    /// sparsity window of 2,000 steps and the latents dead at the end.
    func testTrainedSAEsRecordL0AndDeadFeaturesAsSAELensDoes() throws {
        let width = 8
        let x = syntheticActivations(tokens: 256, width: width, directions: 6, seed: 3)
        var options = SAETrainingOptions(architecture: TopKArchitecture(k: 3), width: 16, steps: 2003)
        options.batchSize = 16
        options.historyEvery = 1
        options.deadWindowSteps = 5
        let result = try SAETrainer.train(source: try MatrixActivationSource(values: x, width: width), options: options)
        let dir = temporaryFolder("saelens-l0")
        try result.sae.save(to: dir)
        let cfg = try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: dir + "/cfg.json"))))
        let meta = try XCTUnwrap(cfg["metadata"])
        // The window restarted before step 2001 (2,000 steps done), so it holds the last three.
        let last = result.history.points.suffix(3).map(\.l0)
        XCTAssertEqual(try XCTUnwrap(meta["l0"]?.doubleValue), last.reduce(0, +) / 3, accuracy: 1e-12)
        let dead = try XCTUnwrap(meta["num_dead_features"]?.intValue)
        XCTAssertEqual(Double(dead), result.deadFraction * 16, accuracy: 1e-9)
        XCTAssertNil(cfg["l0"], "SAELens keeps them in metadata, not at the top level")
        // Without sae_lens_version SAELens would read the file as a pre-6.0 config and drop the metadata.
        XCTAssertEqual(meta["sae_lens_version"]?.stringValue, SAELensFormat.saeLensLayoutVersion)
        // They travel through a load and a save again.
        let again = temporaryFolder("saelens-l0-again")
        try SparseAutoencoder.load(from: dir).save(to: again)
        let reread = try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: again + "/cfg.json"))))
        XCTAssertEqual(reread["metadata"]?["l0"], meta["l0"])
        XCTAssertEqual(reread["metadata"]?["num_dead_features"], meta["num_dead_features"])
    }

    /// Names of TransformerLens v3's bridge, which SAELens attaches SAEs to.
    func testBridgeHookNamesPlaceAnSAE() throws {
        let cases: [(String, Int, HookPoint.Site)] = [
            ("blocks.4.hook_out", 4, .residPost), ("blocks.4.hook_in", 4, .residPre), ("blocks.2.mlp.hook_out", 2, .mlpOut),
            ("blocks.2.attn.hook_out", 2, .attnOut), ("vision_encoder.encoder_layers.8.hook_out", 8, .residPost),
            ("vision_encoder.encoder_layers.8.hook_resid_post", 8, .residPost), ("vision_encoder.encoder_layers.1.hook_mlp_out", 1, .mlpOut),
        ]
        for (name, layer, site) in cases {
            let place = try XCTUnwrap(HookName.place(name), name)
            XCTAssertEqual(place.layer, layer, name)
            XCTAssertEqual(place.site, site, name)
        }
        for name in ["blocks.4.ln2.hook_in", "blocks.4.hook_resid_mid", "vision_encoder.hook_vision_out", "blocks.4.mlp.hook_in"] {
            XCTAssertNil(HookName.place(name), name)
        }
    }
}
