import Foundation
import XCTest
import LoupeJSON
import LoupeSAE

/// The registry is the only place that lists architectures, so these tests
/// walk it: an architecture added there without a working config, a valid
/// `kind:` example or a unique name fails here.
final class ArchitectureRegistryTests: XCTestCase {
    /// One configured instance per registered architecture, with settings
    /// away from every default so a field that is not saved or not read
    /// shows up as a difference.
    private let samples: [String: any SAEArchitecture] = [
        "standard": ReLUArchitecture(l1Coefficient: 0.25),
        "topk": TopKArchitecture(k: 3),
        "batchtopk": BatchTopKArchitecture(k: 5, thresholdRate: 0.125),
        "jumprelu": JumpReLUArchitecture(l0Coefficient: 0.5, bandwidth: 0.25, initialThreshold: 0.125),
        "matryoshka_batchtopk": MatryoshkaBatchTopKArchitecture(k: 2, widths: [4, 10, 16], thresholdRate: 0.25),
    ]

    private func sample(_ type: any SAEArchitecture.Type) throws -> any SAEArchitecture {
        try XCTUnwrap(samples[type.architectureName], "add a sample of \(type.architectureName) to ArchitectureRegistryTests")
    }

    /// The fields written for an architecture, as a trained SAE's metadata
    /// and a checkpoint record them, read back give the same architecture.
    func testEveryArchitectureRoundTripsItsConfig() throws {
        XCTAssertEqual(SAEArchitectures.all.count, samples.count)
        for type in SAEArchitectures.all {
            let original = try sample(type)
            var cfg = original.configFields
            cfg["architecture"] = .string(type.architectureName)
            let back = try SAEArchitectures.fromConfig(.object(cfg))
            XCTAssertTrue(Swift.type(of: back) == type, "\(type.architectureName) read back as \(Swift.type(of: back))")
            XCTAssertEqual(back.configFields, original.configFields, type.architectureName)
        }
    }

    /// JumpReLU saves no fields of its own (SAELens's JumpReLU config has
    /// none), but reads SAELens's training keys when a file has them.
    func testJumpReLUReadsSAELensTrainingKeys() throws {
        let cfg: JSON = ["architecture": "jumprelu", "l0_coefficient": 0.5, "jumprelu_bandwidth": 0.25, "jumprelu_init_threshold": 0.125]
        let back = try SAEArchitectures.fromConfig(cfg)
        XCTAssertEqual(back.description, try sample(JumpReLUArchitecture.self).description)
        XCTAssertEqual(back.initialThreshold, 0.125)
    }

    /// Saved and loaded through SAELens's layout, each architecture comes
    /// back as the rule it runs with, its cfg.json fields intact, and the
    /// trained architecture's own fields kept in the metadata.
    func testEverySavedArchitectureLoadsAsItsInferenceRule() throws {
        for type in SAEArchitectures.all {
            let original = try sample(type)
            let sae = try SparseAutoencoder(dIn: 4, dSAE: 16, architecture: original, seed: 1)
            let dir = temporaryFolder("registry-\(type.architectureName)")
            try sae.save(to: dir)
            let back = try SparseAutoencoder.load(from: dir)
            let inference = original.inferenceArchitecture
            XCTAssertEqual(back.architecture.architectureName, inference.architectureName, type.architectureName)
            XCTAssertEqual(back.architecture.configFields, inference.configFields, type.architectureName)
            XCTAssertEqual(back.metadata.extra["trained_architecture"]?.stringValue, type.architectureName)
            for (key, value) in original.configFields {
                XCTAssertEqual(back.metadata.extra["trained_" + key], value, "\(type.architectureName) \(key)")
            }
        }
    }

    /// Each kind's completion example is accepted by its own parser and
    /// names only labels its docs list; the labels are unique.
    func testEveryKindExampleBuildsItsArchitecture() throws {
        for type in SAEArchitectures.all {
            let kind = type.kind
            let (name, labelled) = try parseExample(kind.example)
            XCTAssertEqual(name, kind.name)
            XCTAssertEqual(labelled.map(\.label), kind.labels, "\(kind.name): the example should show every label, in order")
            let built = try SAEArchitectures.fromKind(name, labelled)
            XCTAssertTrue(Swift.type(of: built) == type, kind.name)
            XCTAssertNoThrow(try built.validate(dIn: 8, dSAE: 8192), kind.name)
        }
    }

    func testNamesAliasesAndKindsAreUnique() {
        let names = SAEArchitectures.all.flatMap { [$0.architectureName] + $0.aliases }
        XCTAssertEqual(Set(names).count, names.count, "\(names)")
        XCTAssertEqual(names, names.map { $0.lowercased() }, "names are matched in lower case")
        let kinds = SAEArchitectures.kinds.map(\.name)
        XCTAssertEqual(Set(kinds).count, kinds.count, "\(kinds)")
    }

    func testUnknownArchitectureInAFileIsAClearError() throws {
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": "gated", "d_in": 4])) { error in
            XCTAssertEqual(error as? ArchitectureLookupError, .unknownName("gated", known: SAEArchitectures.names))
            XCTAssertEqual("\(error)", "unknown SAE architecture 'gated'; Loupe reads: standard, topk, batchtopk, jumprelu, matryoshka_batchtopk, abstopk")
        }
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["d_in": 4])) {
            XCTAssertEqual($0 as? ArchitectureLookupError, .noArchitectureField(known: SAEArchitectures.names))
        }
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": 7])) {
            XCTAssertEqual($0 as? ArchitectureLookupError, .unknownName("7", known: SAEArchitectures.names))
        }
        let dir = temporaryFolder("unknown-architecture")
        try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: TopKArchitecture(k: 2)).save(to: dir)
        try rewriteConfig(dir) { $0["architecture"] = "bilinear" }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: dir)) {
            XCTAssertEqual($0 as? ArchitectureLookupError, .unknownName("bilinear", known: SAEArchitectures.names))
        }
    }

    /// A malformed field is refused, not replaced by its default.
    func testMalformedConfigFieldsAreErrors() {
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": "topk", "k": "8"])) {
            XCTAssertEqual($0 as? ConfigFieldError, .notAPositiveInteger(key: "k", got: "8"))
        }
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": "standard", "l1_coefficient": "high"])) {
            XCTAssertEqual($0 as? ConfigFieldError, .notANumber(key: "l1_coefficient", got: "high"))
        }
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": "matryoshka_batchtopk", "k": 2,
                                                              "matryoshka_widths": [4, "x", 16]])) {
            XCTAssertEqual($0 as? ConfigFieldError, .notAListOfIntegers(key: "matryoshka_widths", got: [4, "x", 16]))
        }
        XCTAssertThrowsError(try SAEArchitectures.fromConfig(["architecture": "batchtopk"])) {
            XCTAssertEqual($0 as? ConfigFieldError, .missing(key: "k"))
        }
    }

    func testKindArgumentsAreCheckedByTheArchitecture() throws {
        let relu = try SAEArchitectures.fromKind("relu", [])
        XCTAssertEqual(relu.sparsityCoefficient, 5, "l1 defaults to 5")
        let jump = try SAEArchitectures.fromKind("jumpReLU", [("l0", .real(0.5))])
        XCTAssertEqual(jump.sparsityCoefficient, 0.5)
        XCTAssertEqual(jump.initialThreshold, 0.01)
        let topK = try SAEArchitectures.fromKind("topK", [("k", .real(7.9))])
        XCTAssertEqual(topK.configFields["k"], 7, "a fractional k is truncated, as it always was")
        let matryoshka = try SAEArchitectures.fromKind("matryoshka", [("k", .integer(2)), ("groups", .list([.integer(4), .integer(16)]))])
        XCTAssertEqual(matryoshka.lossGroupEnds(dSAE: 16), [4, 16], "groups are the prefix widths")

        func message(_ name: String, _ labelled: [(label: String, value: ArchitectureArgument)]) -> String {
            do { _ = try SAEArchitectures.fromKind(name, labelled); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("topK", []), ".topK needs 'k:', e.g. .topK(k: 32)")
        XCTAssertEqual(message("topK", [("k", .other(typeName: "String"))]), "'k:' of .topK must be a number, got String")
        XCTAssertEqual(message("topK", [("k", .real(.infinity))]), "'k:' of .topK must be a whole number of a sensible size, got inf")
        XCTAssertEqual(message("topK", [("k", .integer(4)), ("l1", .integer(2))]), "'l1:' is not an argument of .topK, which takes 'k:'")
        XCTAssertEqual(message("matryoshka", [("k", .integer(4))]),
                       ".matryoshka needs 'groups:', the nested widths, e.g. .matryoshka(k: 32, groups: [512, 2048, 8192])")
        XCTAssertEqual(message("matryoshka", [("k", .integer(4)), ("groups", .list([.real(1.5)]))]), "'groups:' of .matryoshka takes whole numbers")
        XCTAssertEqual(message("gated", []), "'.gated' is not an SAE kind; kinds are .relu, .topK, .batchTopK, .jumpReLU, .matryoshka")
    }

    /// Training specifics come from the architecture, not from tests of its type.
    func testTrainingSpecificsComeFromTheArchitecture() throws {
        XCTAssertEqual(try sample(ReLUArchitecture.self).sparsityCoefficient, 0.25)
        XCTAssertEqual(try sample(JumpReLUArchitecture.self).sparsityCoefficient, 0.5)
        XCTAssertEqual(try sample(TopKArchitecture.self).sparsityCoefficient, 0)
        let jump = try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: try sample(JumpReLUArchitecture.self))
        XCTAssertEqual(jump.threshold, [Float](repeating: 0.125, count: 8), "a fresh JumpReLU SAE starts at its initial threshold")
        let batch = try SparseAutoencoder(dIn: 4, dSAE: 8, architecture: try sample(BatchTopKArchitecture.self))
        XCTAssertEqual(batch.threshold, [Float](repeating: 0, count: 8))
    }

    /// `name(label: value, ...)` with numbers and lists of whole numbers, as kind examples are written.
    private func parseExample(_ text: String) throws -> (String, [(label: String, value: ArchitectureArgument)]) {
        let open = try XCTUnwrap(text.firstIndex(of: "("))
        XCTAssertEqual(text.last, ")")
        let name = String(text[..<open])
        var body = Substring(text[text.index(after: open)..<text.index(before: text.endIndex)])
        var labelled: [(label: String, value: ArchitectureArgument)] = []
        while !body.isEmpty {
            let colon = try XCTUnwrap(body.firstIndex(of: ":"))
            let label = body[..<colon].trimmingCharacters(in: .whitespaces)
            body = body[body.index(after: colon)...].drop { $0 == " " }
            let value: ArchitectureArgument
            if body.first == "[" {
                let close = try XCTUnwrap(body.firstIndex(of: "]"))
                let items = body[body.index(after: body.startIndex)..<close].split(separator: ",")
                value = .list(try items.map { .integer(try XCTUnwrap(Int($0.trimmingCharacters(in: .whitespaces)))) })
                body = body[body.index(after: close)...]
            } else {
                let end = body.firstIndex(of: ",") ?? body.endIndex
                let token = body[..<end].trimmingCharacters(in: .whitespaces)
                if let i = Int(token) { value = .integer(i) } else { value = .real(try XCTUnwrap(Double(token))) }
                body = body[end...]
            }
            labelled.append((label, value))
            body = body.drop { $0 == "," || $0 == " " }
        }
        return (name, labelled)
    }
}

/// Edits a saved SAE's cfg.json in place.
func rewriteConfig(_ dir: String, _ change: (inout [String: JSON]) -> Void) throws {
    let path = dir + "/cfg.json"
    var cfg = try XCTUnwrap(try JSON.parse(Array(XCTUnwrap(FileManager.default.contents(atPath: path)))).objectValue)
    change(&cfg)
    try Data(JSON.object(cfg).pretty().utf8).write(to: URL(fileURLWithPath: path))
}
