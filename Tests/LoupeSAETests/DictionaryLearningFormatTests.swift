import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import XCTest

/// dictionary_learning's checkpoints (`ae.pt` + `config.json`), checked
/// against the package's own classes: `dev/make_dictionary_learning_checkpoints.py`
/// saves one of each SAE class with dictionary-learning 0.1.0, loads it back
/// with the class's `from_pretrained`, and records its codes and
/// reconstruction of six inputs.
final class DictionaryLearningFormatTests: XCTestCase {
    let folder = fixturesPath() + "/dictionary_learning"
    static let classes = ["AutoEncoder", "AutoEncoderTopK", "BatchTopKSAE", "MatryoshkaBatchTopKSAE", "JumpReluAutoEncoder"]

    /// The codes and reconstruction `sae` gives the fixture's inputs, against the package's.
    func check(_ sae: SparseAutoencoder, against name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try SafetensorsFile(path: folder + "/" + name + "/expected.safetensors")
        let x = try expected.floats("x"), wantCodes = try expected.floats("codes"), wantOut = try expected.floats("reconstruction")
        let codes = try sae.encode(x, width: sae.dIn)
        var dense = [Float](repeating: 0, count: codes.rows * sae.dSAE)
        for r in 0..<codes.rows { for (latent, value) in codes.row(r) { dense[r * sae.dSAE + latent] = value } }
        XCTAssertEqual(dense.count, wantCodes.count, name, file: file, line: line)
        for (i, (a, b)) in zip(dense, wantCodes).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(name): code \(i)", file: file, line: line)
        }
        for (i, (a, b)) in zip(try sae.reconstruct(x, width: sae.dIn), wantOut).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(name): reconstruction \(i)", file: file, line: line)
        }
    }

    func testEveryClassMatchesThePackagesOwnEncoding() throws {
        for name in Self.classes {
            let sae = try SparseAutoencoder.load(from: folder + "/" + name)
            XCTAssertEqual([sae.dIn, sae.dSAE], [8, 24], name)
            try check(sae, against: name)
            // The file itself loads too, with its config.json beside it.
            try check(try SparseAutoencoder.load(from: folder + "/" + name + "/ae.pt"), against: name)
            XCTAssertEqual(sae.metadata.layer, 4, name)
            XCTAssertEqual(sae.metadata.model, "toy-clip", name)
            XCTAssertEqual(sae.metadata.extra["dict_class"], .string(name))
        }
    }

    func testTheArchitecturesAreThePackagesClasses() throws {
        func described(_ name: String) throws -> String { "\(try SparseAutoencoder.load(from: folder + "/" + name).architecture)" }
        XCTAssertTrue(try described("AutoEncoder").contains("ReLU"))
        XCTAssertTrue(try described("AutoEncoderTopK").contains("TopK (k = 3)"))
        XCTAssertTrue(try described("BatchTopKSAE").contains("BatchTopK (k = 3)"))
        let matryoshka = try XCTUnwrap(try SparseAutoencoder.load(from: folder + "/MatryoshkaBatchTopKSAE").architecture
                                       as? MatryoshkaBatchTopKArchitecture)
        XCTAssertEqual(matryoshka.widths, [4, 12, 24], "group_sizes 4, 8, 12 end at 4, 12 and 24")
        XCTAssertTrue(try described("JumpReluAutoEncoder").contains("JumpReLU"))
    }

    /// Without config.json the tensors tell most classes apart; TopK and
    /// BatchTopK hold the same tensors and encode differently, so they need it.
    func testWithoutItsConfigTheClassIsInferredOrTheConfigAskedFor() throws {
        let scratch = temporaryFolder("dl-no-config")
        for name in ["AutoEncoder", "MatryoshkaBatchTopKSAE", "JumpReluAutoEncoder"] {
            try? FileManager.default.removeItem(atPath: scratch + "/ae.pt")
            try FileManager.default.copyItem(atPath: folder + "/" + name + "/ae.pt", toPath: scratch + "/ae.pt")
            try check(try SparseAutoencoder.load(from: scratch), against: name)
        }
        for name in ["AutoEncoderTopK", "BatchTopKSAE"] {
            try? FileManager.default.removeItem(atPath: scratch + "/ae.pt")
            try FileManager.default.copyItem(atPath: folder + "/" + name + "/ae.pt", toPath: scratch + "/ae.pt")
            XCTAssertThrowsError(try SparseAutoencoder.load(from: scratch)) {
                XCTAssertTrue("\($0)".contains("config.json") && "\($0)".contains("dict_class"), "\($0)")
            }
        }
    }

    func testClassesThatAreNotSAEsOrThatLoupeDoesNotModelAreRefusedByName() throws {
        let scratch = temporaryFolder("dl-refused")
        try FileManager.default.copyItem(atPath: folder + "/AutoEncoder/ae.pt", toPath: scratch + "/ae.pt")
        for (dictClass, phrase) in [("GatedAutoEncoder", "gated"), ("IdentityDict", "not an SAE"), ("CrossCoder", "does not know")] {
            try Data(#"{"trainer": {"dict_class": "\#(dictClass)"}}"#.utf8).write(to: URL(fileURLWithPath: scratch + "/config.json"))
            XCTAssertThrowsError(try SparseAutoencoder.load(from: scratch)) { XCTAssertTrue("\($0)".contains(phrase), "\($0)") }
        }
        try Data(#"{"trainer": {"dict_class": "AutoEncoder", "activation_dim": 16}}"#.utf8).write(to: URL(fileURLWithPath: scratch + "/config.json"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: scratch)) { XCTAssertTrue("\($0)".contains("different runs"), "\($0)") }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: scratch + "/config.json"))
        XCTAssertThrowsError(try SparseAutoencoder.load(from: scratch)) { XCTAssertTrue("\($0)".contains("not valid JSON"), "\($0)") }
    }

    /// Saved in SAELens's layout, each loads back encoding as the package does.
    func testSavingInSAELensLayoutRoundTrips() throws {
        for name in Self.classes {
            let saved = temporaryFolder("dl-saved-" + name)
            try SparseAutoencoder.load(from: folder + "/" + name).save(to: saved)
            try check(try SparseAutoencoder.load(from: saved), against: name)
        }
    }

    /// Mangled checkpoints load or throw, naming the file; none crashes.
    func testMutatedCheckpointsLoadOrThrowButNeverCrash() throws {
        let scratch = temporaryFolder("dl-fuzz")
        var rng = SeededRandom(seed: 91)
        var loaded = 0, refused = 0
        for name in ["BatchTopKSAE", "MatryoshkaBatchTopKSAE"] {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/" + name + "/ae.pt")))
            try? FileManager.default.removeItem(atPath: scratch + "/config.json")
            try FileManager.default.copyItem(atPath: folder + "/" + name + "/config.json", toPath: scratch + "/config.json")
            for _ in 0..<300 {
                var bytes = original
                if rng.nextIndex(2) == 0 {
                    for _ in 0..<(1 + rng.nextIndex(4)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
                } else {
                    bytes = Array(bytes.prefix(rng.nextIndex(bytes.count)))
                }
                try Data(bytes).write(to: URL(fileURLWithPath: scratch + "/ae.pt"))
                do { _ = try SparseAutoencoder.load(from: scratch); loaded += 1 } catch {
                    refused += 1
                    XCTAssertTrue("\(error)".contains("ae.pt") || "\(error)".contains(scratch), "\(error)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }
}
