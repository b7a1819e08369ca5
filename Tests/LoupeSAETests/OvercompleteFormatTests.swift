import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import XCTest

/// overcomplete's SAEs, checked against the package's own classes:
/// `dev/make_overcomplete_fixtures.py` builds each with overcomplete 0.3.0,
/// saves it whole (`module.pt`) and as a state dict with its class and
/// arguments beside it (`state_dict.pt` + `state_dict.json`), reloads the
/// module with torch and records its pre-codes, codes and reconstruction
/// of six inputs.
final class OvercompleteFormatTests: XCTestCase {
    let folder = fixturesPath() + "/overcomplete"
    static let saved = ["SAE", "TopKSAE", "BatchTopKSAE", "JumpSAE", "TopKSAE_max_l1_train_mode", "SAE_l1_train_mode"]
    static let moduleOnly = ["TopKSAE_untied_l1", "TopKSAE_tied"]

    /// The largest deviation seen, relative to max(1, |reference|).
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
        let pre = x.withUnsafeBufferPointer { sae.preActivations($0.baseAddress!, rows: x.count / sae.dIn) }
        compare(pre, try expected.floats("pre_codes"), "pre-code")
        compare(try sae.encode(x, width: sae.dIn).dense(), try expected.floats("codes"), "code")
        compare(try sae.reconstruct(x, width: sae.dIn), try expected.floats("reconstruction"), "reconstruction")
    }

    func testEveryClassMatchesThePackagesOwnEncodingBothWaysItIsSaved() throws {
        for name in Self.saved {
            let whole = try SparseAutoencoder.load(from: folder + "/" + name + "/module.pt")
            XCTAssertEqual([whole.dIn, whole.dSAE], [8, 24], name)
            XCTAssertEqual(whole.metadata.extra["overcomplete_class"], .string(String(name.prefix { $0 != "_" })))
            try check(whole, against: name)
            try check(try SparseAutoencoder.load(from: folder + "/" + name + "/state_dict.pt"), against: name)
        }
        for name in Self.moduleOnly { try check(try SparseAutoencoder.load(from: folder + "/" + name + "/module.pt"), against: name) }
        print("overcomplete: largest deviation from the package's outputs \(Self.largestDeviation) (relative)")
    }

    func testTheArchitecturesAreTheClassesRules() throws {
        func described(_ name: String) throws -> String { "\(try SparseAutoencoder.load(from: folder + "/" + name + "/module.pt").architecture)" }
        XCTAssertTrue(try described("SAE").contains("ReLU"))
        XCTAssertTrue(try described("TopKSAE").contains("TopK (k = 3)"))
        XCTAssertTrue(try described("BatchTopKSAE").contains("JumpReLU"))
        XCTAssertTrue(try described("JumpSAE").contains("JumpReLU"))
        // Pickled in training mode the atoms are raw, and normalised as eval() would; in eval mode the fused ones are read.
        let raw = try SparseAutoencoder.load(from: folder + "/TopKSAE_max_l1_train_mode/module.pt")
        XCTAssertEqual(raw.metadata.extra["dictionary_normalization"], .string("max_l1"))
        XCTAssertNil(try SparseAutoencoder.load(from: folder + "/TopKSAE/module.pt").metadata.extra["dictionary_normalization"])
        let batch = try SparseAutoencoder.load(from: folder + "/BatchTopKSAE/module.pt")
        XCTAssertEqual(Set(batch.threshold).count, 1, "one running threshold for every concept")
    }

    /// Its methods that are not SAEs Loupe runs are refused by name, with the reason.
    func testDictionaryMethodsThatAreNotSAEsAreRefusedByName() throws {
        for (name, phrase) in [("MpSAE", "matching pursuit"), ("OMPSAE", "orthogonal matching pursuit"), ("QSAE", "quantised"),
                               ("RATopKSAE", "archetypal"), ("NMF", "not an SAE"), ("TopKSAE_mlp_ln_1", "LayerNorm")] {
            let path = folder + "/refused/" + name + ".pt"
            XCTAssertThrowsError(try SparseAutoencoder.load(from: path), name) {
                let message = "\($0)"
                XCTAssertTrue(message.contains(path) && message.contains(phrase), message)
                if name != "TopKSAE_mlp_ln_1" { XCTAssertTrue(message.contains(name), message) } else {
                    XCTAssertTrue(message.contains("MLPEncoder") && message.contains("linear"), message)
                }
            }
        }
    }

    /// A state dict needs its JSON file; what that file says is checked.
    func testTheStateDictsJSONFileIsRequiredAndChecked() throws {
        let scratch = temporaryFolder("overcomplete-sidecar")
        let weights = scratch + "/sae.pt", sidecar = scratch + "/sae.json"
        try FileManager.default.copyItem(atPath: folder + "/BatchTopKSAE/state_dict.pt", toPath: weights)
        func refused(_ json: String?, _ phrase: String, line: UInt = #line) throws {
            try? FileManager.default.removeItem(atPath: sidecar)
            if let json { try Data(json.utf8).write(to: URL(fileURLWithPath: sidecar)) }
            XCTAssertThrowsError(try SparseAutoencoder.load(from: weights), line: line) { XCTAssertTrue("\($0)".contains(phrase), "\($0)", line: line) }
        }
        try refused(nil, "sae.json")
        try refused(#"{"class": "BatchTopKSAE", "top_k": 18}"#, "running threshold was never set")
        try refused(#"{"class": "MpSAE"}"#, "matching pursuit")
        try refused(#"{"class": "TopKSAE", "encoder_module": "mlp_ln_1"}"#, "mlp_ln_1")
        try refused(#"{"class": "TopKSAE", "dictionary_params": {"normalization": "cosine"}}"#, "cosine")
        try refused(#"{"class": "TopKSAE", "top_k": 100}"#, "outside 1...24")
        try refused(#"{"class": "TopKSAE", "top_k": -1}"#, "positive integer")
        try refused(#"{"top_k": 3}"#, "class")
        try refused(#"{"class": "TopKSAE", "top_k": "#, "not a JSON object")
        // With the running threshold it loads and encodes as the package does.
        try Data(#"{"class": "TopKSAE", "top_k": 3, "dictionary_params": {"normalization": "max_l2"}}"#.utf8)
            .write(to: URL(fileURLWithPath: sidecar))
        XCTAssertTrue("\(try SparseAutoencoder.load(from: weights).architecture)".contains("TopK (k = 3)"))
    }

    /// Saved in SAELens's layout, each loads back encoding as the package does.
    func testSavingInSAELensLayoutRoundTrips() throws {
        for name in Self.saved + Self.moduleOnly {
            let saved = temporaryFolder("overcomplete-saved-" + name)
            try SparseAutoencoder.load(from: folder + "/" + name + "/module.pt").save(to: saved)
            try check(try SparseAutoencoder.load(from: saved), against: name)
        }
    }

    /// Mangled files load or throw, naming the file; none crashes or hangs.
    func testMutatedFilesLoadOrThrowButNeverCrash() throws {
        let scratch = temporaryFolder("overcomplete-fuzz")
        var rng = SeededRandom(seed: 4242)
        var loaded = 0, refused = 0
        for (name, file) in [("JumpSAE", "module.pt"), ("TopKSAE_tied", "module.pt"), ("BatchTopKSAE", "state_dict.pt")] {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/" + name + "/" + file)))
            let path = scratch + "/" + file
            try? FileManager.default.removeItem(atPath: scratch + "/state_dict.json")
            if file == "state_dict.pt" {
                try FileManager.default.copyItem(atPath: folder + "/" + name + "/state_dict.json", toPath: scratch + "/state_dict.json")
            }
            for _ in 0..<300 {
                var bytes = original
                switch rng.nextIndex(3) {
                case 0: for _ in 0..<(1 + rng.nextIndex(4)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
                case 1: bytes = Array(bytes.prefix(rng.nextIndex(bytes.count)))
                default:
                    let at = rng.nextIndex(bytes.count), value = UInt8(rng.nextIndex(256))
                    for i in at..<min(bytes.count, at + 1 + rng.nextIndex(16)) { bytes[i] = value }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do { _ = try SparseAutoencoder.load(from: path); loaded += 1 } catch {
                    refused += 1
                    XCTAssertTrue("\(error)".contains(path), "\(error)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }

    /// Mutations of the pickle itself, re-zipped with valid CRCs so that they
    /// reach the reader of the module's attributes.
    func testMutatedModulePicklesLoadOrThrowButNeverCrash() throws {
        let scratch = temporaryFolder("overcomplete-pickle-fuzz")
        var rng = SeededRandom(seed: 515)
        var loaded = 0, refused = 0
        for name in ["BatchTopKSAE", "TopKSAE_tied"] {
            let source = folder + "/" + name + "/module.pt"
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: source)))
            let members = try ZipBuilder.members(of: original, prefix: 0, path: source)
            let pickleIndex = try XCTUnwrap(members.firstIndex { $0.name.hasSuffix("data.pkl") })
            for _ in 0..<300 {
                var bytes = members[pickleIndex].data
                for _ in 0..<(1 + rng.nextIndex(3)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
                var changed = members
                changed[pickleIndex].data = bytes
                let path = scratch + "/module.pt"
                try Data(ZipBuilder.archive(changed)).write(to: URL(fileURLWithPath: path))
                do { _ = try SparseAutoencoder.load(from: path); loaded += 1 } catch {
                    refused += 1
                    XCTAssertTrue("\(error)".contains(path), "\(error)")
                }
            }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(loaded, 0, "a changed number in the pickle still loads")
    }
}
