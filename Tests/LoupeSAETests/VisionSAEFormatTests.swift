import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import XCTest

/// SAEs from the vision projects, checked against what their own code
/// computes: `dev/make_vision_sae_fixtures.py` writes each checkpoint in its
/// project's layout (saev 0.1's with saev itself) and records codes and
/// reconstructions of four inputs in `vision/expected.json`.
final class VisionSAEFormatTests: XCTestCase {
    let folder = fixturesPath() + "/vision"

    func expected() throws -> JSON {
        try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: folder + "/expected.json"))))
    }

    func rows(_ json: JSON?) -> [Float] { (json?.arrayValue ?? []).flatMap { ($0.arrayValue ?? []).map { Float($0.doubleValue!) } } }

    /// Loads `path` and checks its codes and reconstruction of the four inputs.
    func check(_ name: String, loading path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let all = try expected()
        let want = try XCTUnwrap(all["fixtures"]?[name], "no expectations for \(name)")
        let x = rows(all["x"])
        let sae = try SparseAutoencoder.load(from: path)
        XCTAssertEqual(sae.dIn, want["config"]?["d_in"]?.intValue, file: file, line: line)
        XCTAssertEqual(sae.dSAE, want["config"]?["d_sae"]?.intValue, file: file, line: line)
        let codes = try sae.encode(x, width: sae.dIn)
        var dense = [Float](repeating: 0, count: codes.rows * sae.dSAE)
        for r in 0..<codes.rows { for (latent, value) in codes.row(r) { dense[r * sae.dSAE + latent] = value } }
        let wantCodes = rows(want["codes"]), wantOut = rows(want["reconstruction"])
        XCTAssertEqual(dense.count, wantCodes.count, file: file, line: line)
        for (i, (a, b)) in zip(dense, wantCodes).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(name): code \(i)", file: file, line: line)
        }
        let out = try sae.reconstruct(x, width: sae.dIn)
        for (i, (a, b)) in zip(out, wantOut).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(name): reconstruction \(i)", file: file, line: line)
        }
    }

    func testSaevSchema5CheckpointsMatchSaev() throws {
        for name in ["saev_relu_schema5.pt", "saev_topk_schema5.pt", "saev_batchtopk_schema5.pt", "saev_topk_schema5_tied.pt"] {
            try check(name, loading: folder + "/" + name)
        }
        // saev's TopK keeps negative codes, and says so; SAELens's layout cannot hold it.
        let topK = try SparseAutoencoder.load(from: folder + "/saev_topk_schema5.pt")
        XCTAssertTrue(topK.summary.contains("negatives kept"), topK.summary)
        XCTAssertThrowsError(try topK.save(to: temporaryFolder("saev-topk"))) { XCTAssertTrue("\($0)".contains("keeps negative codes")) }
    }

    /// A ReLU SAE's L1 coefficient is the one its file records, or said to
    /// be unrecorded; a default (5) was shown as if read from the file.
    func testL1CoefficientIsTheFilesOrNotRecorded() throws {
        XCTAssertTrue(try SparseAutoencoder.load(from: folder + "/saev_relu_schema5.pt").summary.contains("coefficient 0.0004"))
        XCTAssertTrue(try SparseAutoencoder.load(from: folder + "/prisma_none").summary.contains("coefficient 0.0002"))
        let cfg: JSON = ["architecture": "standard", "d_in": 4, "d_sae": 8]
        XCTAssertEqual(try SAEArchitectures.fromConfig(cfg).description, "ReLU + L1 (coefficient not recorded)")
        for name in ["saev_relu_schema5.pt", "prisma_none"] {
            XCTAssertFalse(try SparseAutoencoder.load(from: folder + "/" + name).summary.contains("coefficient 5"), name)
        }
    }

    /// saev 0.1 scaled its training data by statistics the file lacks: the
    /// SAE loads only beside a config.json saying the scaling was off.
    func testSaev01LoadsOnlyWhenItsTrainingWasUnscaled() throws {
        let source = folder + "/saev_relu_v0.1.0.pt"
        XCTAssertThrowsError(try SparseAutoencoder.load(from: source)) {
            XCTAssertTrue("\($0)".contains("Put the run's config.json beside it"), "\($0)")
        }
        let run = temporaryFolder("saev01")
        try FileManager.default.copyItem(atPath: source, toPath: run + "/sae.pt")
        try Data(#"{"data": {"scale_mean": true, "scale_norm": true}}"#.utf8).write(to: URL(fileURLWithPath: run + "/config.json"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: run)) {
            XCTAssertTrue("\($0)".contains("centred and scaled"), "\($0)")
        }
        try Data(#"{"data": {"scale_mean": false, "scale_norm": false}}"#.utf8).write(to: URL(fileURLWithPath: run + "/config.json"))
        try check("saev_relu_v0.1.0.pt", loading: run)
    }

    func testPrismaCheckpointsMatchPrismaWithTheirNormalisation() throws {
        for variant in ["prisma_none", "prisma_layer_norm", "prisma_constant_norm_rescale"] {
            try check(variant + "/n_images_1000.pt", loading: folder + "/" + variant)
        }
        try check("prisma_weights_only/weights.pt", loading: folder + "/prisma_weights_only/weights.pt")
        let sae = try SparseAutoencoder.load(from: folder + "/prisma_layer_norm")
        XCTAssertEqual(sae.inputNormalization, .layerNorm(epsilon: 1e-5))
        XCTAssertEqual(sae.hookPoint, HookPoint(model: "open-clip:laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K", layer: 3, site: .residPost, tokens: .all))
    }

    /// Without config.json beside it, a Prisma folder is found and read
    /// with the config pickled in its checkpoint, as docs/sae.md says.
    func testPrismaFolderWithoutConfigUsesThePickledConfig() throws {
        let bare = temporaryFolder("prisma-bare")
        try FileManager.default.copyItem(atPath: folder + "/prisma_layer_norm/n_images_1000.pt", toPath: bare + "/n_images_1000.pt")
        let sae = try SparseAutoencoder.load(from: bare)
        XCTAssertEqual(sae.inputNormalization, .layerNorm(epsilon: 1e-5))
        XCTAssertEqual(sae.hookPoint.layer, 3)
        try check("prisma_layer_norm/n_images_1000.pt", loading: bare)
    }

    /// A normalising SAE saved in SAELens's layout keeps its normalisation,
    /// which SAELens applies the same way.
    func testNormalisationSurvivesSAELensRoundTrip() throws {
        let sae = try SparseAutoencoder.load(from: folder + "/prisma_layer_norm")
        let out = temporaryFolder("prisma-saelens")
        try sae.save(to: out)
        let back = try SparseAutoencoder.load(from: out)
        XCTAssertEqual(back.inputNormalization, .layerNorm(epsilon: 1e-5))
        let x = rows(try expected()["x"])
        XCTAssertEqual(try back.reconstruct(x, width: 8), try sae.reconstruct(x, width: 8))
        // One SAELens writes but Loupe cannot apply is refused, not ignored.
        let cfg = out + "/cfg.json"
        let text = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: cfg)), as: UTF8.self)
        try Data(text.replacingOccurrences(of: "\"layer_norm\"", with: "\"expected_average_only_in\"").utf8).write(to: URL(fileURLWithPath: cfg))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: out)) { XCTAssertTrue("\($0)".contains("which Loupe cannot apply"), "\($0)") }
    }

    func testDamagedTorchFilesGiveClearErrors() throws {
        let bad = temporaryFolder("torch-bad")
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/prisma_none/n_images_1000.pt")))
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: bad + "/cut.pt"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: bad + "/cut.pt")) { XCTAssertTrue("\($0)".contains("not a zip archive"), "\($0)") }
        // A pickle that calls something to build a value is read as data, never run.
        if let at = bytes.firstRange(of: Array("OrderedDict".utf8))?.lowerBound { bytes[at] = UInt8(ascii: "X") }
        try Data(bytes).write(to: URL(fileURLWithPath: bad + "/renamed.pt"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: bad + "/renamed.pt"))
    }
}

/// Checkpoint files come from anywhere: no byte pattern may crash the
/// reader (a crash loses the whole session). Seeded mutations of every
/// fixture must load or throw, and absurd nesting is refused up front.
final class TorchFileFuzzTests: XCTestCase {
    func testMutatedCheckpointsLoadOrThrowButNeverCrash() throws {
        let folder = fixturesPath() + "/vision"
        let files = ["saev_relu_schema5.pt", "saev_topk_schema5_tied.pt", "prisma_layer_norm/n_images_1000.pt", "prisma_weights_only/weights.pt"]
        let scratch = temporaryFolder("torch-fuzz")
        var rng = SeededRandom(seed: 77)
        var loaded = 0, refused = 0
        for name in files {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/" + name)))
            // Prisma files need their config.json beside them.
            if let config = FileManager.default.contents(atPath: (folder + "/" + name as NSString).deletingLastPathComponent + "/config.json") {
                try config.write(to: URL(fileURLWithPath: scratch + "/config.json"))
            } else {
                try? FileManager.default.removeItem(atPath: scratch + "/config.json")
            }
            for _ in 0..<400 {
                var bytes = original
                switch rng.nextIndex(3) {
                case 0:   // flip a few bytes
                    for _ in 0..<(1 + rng.nextIndex(4)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
                case 1:   // cut it short
                    bytes = Array(bytes.prefix(rng.nextIndex(bytes.count)))
                default:  // overwrite a run with one byte (large lengths, runs of opcodes)
                    let at = rng.nextIndex(bytes.count), value = UInt8(rng.nextIndex(256))
                    for i in at..<min(bytes.count, at + 1 + rng.nextIndex(16)) { bytes[i] = value }
                }
                let path = scratch + "/" + (name as NSString).lastPathComponent
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                if (try? SparseAutoencoder.load(from: path)) != nil { loaded += 1 } else { refused += 1 }
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(loaded, 0, "some mutations only touch numbers and must still load")
    }

    /// Each member of the zip is checked against the directory and its
    /// CRC-32: a local header whose extra field grew moved W_enc 64 KB on
    /// (here 64 bytes) and was read without an error; a changed byte of a
    /// tensor was read as a changed weight.
    func testZipEntriesAreCheckedAgainstTheirDirectoryAndCRC() throws {
        let source = fixturesPath() + "/vision/saev_relu_schema5.pt"
        let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: source)))
        let prefix = try XCTUnwrap(original.firstIndex(of: 0x0A)) + 1
        let scratch = temporaryFolder("zip-checks")
        // The largest member: a weight's storage.
        let members = try ZipBuilder.members(of: original, prefix: prefix, path: source)
        let largest = try XCTUnwrap(members.max { $0.data.count < $1.data.count })
        let name = Array(largest.name.utf8)
        let header = try XCTUnwrap((prefix..<(original.count - 30 - name.count)).first { at in
            original[at..<(at + 4)].elementsEqual([0x50, 0x4B, 0x03, 0x04]) && original[(at + 30)..<(at + 30 + name.count)].elementsEqual(name)
        })
        func refused(_ change: (inout [UInt8]) -> Void, _ phrase: String, line: UInt = #line) throws {
            var bytes = original
            change(&bytes)
            let path = scratch + "/sae.pt"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SparseAutoencoder.load(from: path), line: line) {
                XCTAssertTrue("\($0)".contains(path) && "\($0)".contains(phrase), "\($0)", line: line)
            }
        }
        try refused({ $0[header + 28] &+= 64 }, "'\(largest.name)'")
        let dataStart = header + 30 + name.count + Int(original[header + 28]) + Int(original[header + 29]) << 8
        try refused({ $0[dataStart + 5] ^= 0x10 }, "does not match its CRC-32")
        try refused({ $0[header + 30 + name.count - 1] ^= 0x01 }, "names another entry")
        // The same members, re-zipped with their CRCs, load as before.
        let rezipped = scratch + "/rezipped.pt"
        try Data(Array(original[..<prefix]) + ZipBuilder.archive(members)).write(to: URL(fileURLWithPath: rezipped))
        XCTAssertEqual(try SparseAutoencoder.load(from: rezipped).wDec, try SparseAutoencoder.load(from: source).wDec)
    }

    /// Mutations of the pickle itself, the archive re-zipped with valid
    /// CRCs so that they reach the unpickler: bytes changed, lengths set
    /// huge, a long string or many SETITEMs spliced in. Each loads or throws.
    func testMutatedPicklesLoadOrThrowButNeverCrash() throws {
        let folder = fixturesPath() + "/vision"
        var rng = SeededRandom(seed: 2727)
        var loaded = 0, refused = 0
        let scratch = temporaryFolder("pickle-fuzz")
        for name in ["saev_relu_schema5.pt", "saev_batchtopk_schema5.pt", "prisma_weights_only/weights.pt"] {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/" + name)))
            let prefix = original.first == UInt8(ascii: "{") ? try XCTUnwrap(original.firstIndex(of: 0x0A)) + 1 : 0
            let members = try ZipBuilder.members(of: original, prefix: prefix, path: name)
            let pickleIndex = try XCTUnwrap(members.firstIndex { $0.name.hasSuffix("data.pkl") })
            let pickle = members[pickleIndex].data
            if let config = FileManager.default.contents(atPath: (folder + "/" + name as NSString).deletingLastPathComponent + "/config.json"),
               name.hasPrefix("prisma") {
                try config.write(to: URL(fileURLWithPath: scratch + "/config.json"))
            }
            for _ in 0..<200 {
                var bytes = pickle
                let at = rng.nextIndex(bytes.count - 1)
                switch rng.nextIndex(4) {
                case 0:   // a few bytes changed
                    for _ in 0..<(1 + rng.nextIndex(3)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
                case 1:   // a length-sized window set to its largest values
                    for i in at..<min(bytes.count - 1, at + [1, 2, 4, 8][rng.nextIndex(4)]) { bytes[i] = [0xFF, 0x7F][rng.nextIndex(2)] }
                case 2:   // a BINUNICODE8 declaring 2^63 - 1 bytes
                    bytes.insert(contentsOf: [0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], at: at)
                default:  // an empty dict filled by many SETITEMs, then dropped
                    var dict: [UInt8] = [0x7D]
                    for i in 0..<(1 + rng.nextIndex(20_000)) { dict += [0x4B, UInt8(i & 0xFF), 0x4B, 0x00, 0x73] }
                    bytes.insert(contentsOf: dict + [0x30], at: at)
                }
                var changed = members
                changed[pickleIndex].data = bytes
                let path = scratch + "/" + (name as NSString).lastPathComponent
                try Data(Array(original[..<prefix]) + ZipBuilder.archive(changed)).write(to: URL(fileURLWithPath: path))
                do { _ = try SparseAutoencoder.load(from: path); loaded += 1 } catch {
                    refused += 1
                    XCTAssertTrue("\(error)".contains(path), "\(error)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(loaded, 0, "a dict spliced in and dropped, or a changed number, still loads")
    }

    func testDeeplyNestedPicklesAreRefused() {
        let bytes: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try Unpickler($0, path: "deep.pkl").load() }) {
            XCTAssertTrue("\($0)".contains("more than 100 deep"), "\($0)")
        }
        let shallow: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 50) + [0x2E]
        XCTAssertNoThrow(try shallow.withUnsafeBytes { try Unpickler($0, path: "ok.pkl").load() })
    }
}

/// Loupe's cache fed to SAELens's own trainer (`dev/saelens_from_cache.py`):
/// the SAE it saved loads here, and Loupe's metrics over the cache are the
/// script's NumPy metrics.
final class SAELensFromCacheTests: XCTestCase {
    func testSAELensTrainedOnALoupeCacheLoadsWithTheSameMetrics() throws {
        let root = fixturesPath() + "/saelens_from_cache"
        let want = try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: root + "/metrics.json"))))
        let sae = try SparseAutoencoder.load(from: root + "/sae")
        let cache = try ShardedActivationSource(folder: root + "/cache")
        let m = try sae.metrics(cache)
        XCTAssertEqual(m.tokens, want["tokens"]?.intValue)
        for (name, value) in [("mse", m.mse), ("explained_variance", m.explainedVariance), ("l0", m.l0),
                              ("dead_fraction", m.deadFraction), ("dense_fraction", m.denseFraction),
                              ("cosine_similarity", m.cosineSimilarity)] {
            XCTAssertEqual(value, try XCTUnwrap(want[name]?.doubleValue), accuracy: 1e-5, name)
        }
        XCTAssertEqual(sae.hookPoint.layer, cache.plan.layer)
    }
}
