import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSites
import XCTest

/// saev's activation shards (protocol 2.1), written by saev's own
/// ShardWriter (`dev/make_saev_shards_fixture.py`): seven examples of a
/// [CLS] and four patches at layers 2 and 4, six channels, three shards
/// (3, 3, 1 examples). Example e, layer l, token t, channel c holds
/// e·1000 + l·100 + t·10 + c, so every row read can be checked by formula.
final class SaevShardsTests: XCTestCase {
    let folder = fixturesPath() + "/saev_shards"

    func value(example e: Int, layer l: Int, token t: Int, channel c: Int) -> Float { Float(e * 1000 + l * 100 + t * 10 + c) }

    /// Every row of `source`, read `chunk` rows at a time.
    func readAll(_ source: SaevShardsActivationSource, chunk: Int) throws -> [Float] {
        var all: [Float] = []
        var buffer = [Float](repeating: .nan, count: chunk * source.width)
        while true {
            let n = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: chunk) }
            if n == 0 { return all }
            all += buffer[0..<(n * source.width)]
        }
    }

    func testTheMetadataAndShardsAreReadAsSaevWroteThem() throws {
        let shards = try SaevShards(folder: folder)
        XCTAssertEqual(shards.layers, [2, 4])
        XCTAssertEqual([shards.patches, shards.tokensPerExample, shards.width, shards.examples], [4, 5, 6, 7])
        XCTAssertTrue(shards.hasCLS && shards.hasLabels)
        XCTAssertEqual(shards.shards.map(\.examples), [3, 3, 1])
        XCTAssertEqual(shards.family, "clip")
    }

    func testEveryRowOfEachLayerAndTokenChoiceIsTheStoredOne() throws {
        let shards = try SaevShards(folder: folder)
        for (tokens, kept) in [(TokenSelection.all, Array(0..<5)), (.spatial, Array(1..<5)), (.cls, [0])] {
            for layer in [2, 4] {
                for chunk in [1, 3, 64] {
                    let source = try SaevShardsActivationSource(shards, layer: layer, tokens: tokens)
                    XCTAssertEqual(source.rowCount, 7 * kept.count)
                    var want: [Float] = []
                    for e in 0..<7 { for t in kept { for c in 0..<6 { want.append(value(example: e, layer: layer, token: t, channel: c)) } } }
                    XCTAssertEqual(try readAll(source, chunk: chunk), want, "layer \(layer), \(tokens), \(chunk) rows at a time")
                    try source.rewind()
                    XCTAssertEqual(try readAll(source, chunk: chunk), want, "a second pass after rewind")
                }
            }
        }
        let source = try SaevShardsActivationSource(shards, layer: 4, tokens: .spatial)
        XCTAssertEqual(source.metadata.layer, 4)
        XCTAssertEqual(source.metadata.site, "resid_post")
        XCTAssertEqual(source.metadata.tokens, "spatial")
        XCTAssertThrowsError(try SaevShardsActivationSource(shards, layer: 3, tokens: .all)) { XCTAssertTrue("\($0)".contains("not layer 3")) }
    }

    /// An SAE trains on the shards as on Loupe's own cache.
    func testAnSAETrainsOnTheShards() throws {
        let source = try SaevShardsActivationSource(try SaevShards(folder: folder), layer: 2, tokens: .spatial)
        var options = SAETrainingOptions(architecture: TopKArchitecture(k: 2), width: 12, steps: 4)
        options.batchSize = 8
        options.initSampleRows = 16
        let sae = try SAETrainer.train(source: source, options: options).sae
        XCTAssertEqual(sae.dIn, 6)
        XCTAssertEqual(sae.metadata.layer, 2)
    }

    /// What the files declare is checked before anything is read.
    func testDamagedOrForeignShardsAreRefusedWithTheReason() throws {
        func refused(_ change: (String) throws -> Void, _ phrase: String, line: UInt = #line) throws {
            let copy = temporaryFolder("saev-shards-bad")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: folder, toPath: copy)
            try change(copy)
            XCTAssertThrowsError(try SaevShards(folder: copy), line: line) { XCTAssertTrue("\($0)".contains(phrase), "\($0)", line: line) }
        }
        func edit(_ name: String, _ folder: String, _ transform: (String) -> String) throws {
            let path = folder + "/" + name
            try transform(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try refused({ try edit("metadata.json", $0) { $0.replacingOccurrences(of: "\"2.1\"", with: "\"1.1\"") } }, "protocol 1.1")
        try refused({ try edit("metadata.json", $0) { $0.replacingOccurrences(of: "\"n_examples\": 7", with: "\"n_examples\": 8") } },
                    "holding 7 examples")
        try refused({ try edit("metadata.json", $0) { $0.replacingOccurrences(of: "\"d_model\": 6", with: "\"d_model\": 9223372036854775807") } },
                    "d_model")
        try refused({ try edit("shards.json", $0) { $0.replacingOccurrences(of: "acts000001.bin", with: "../acts000001.bin") } }, "names it acts000001.bin")
        try refused({ try edit("shards.json", $0) { $0.replacingOccurrences(of: "\"n_examples\": 1", with: "\"n_examples\": 4") } }, "a shard holds 0 to 3")
        try refused({ folder in
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: folder + "/acts000001.bin"))
            try handle.truncate(atOffset: 100)
            try handle.close()
        }, "cut short")
        try refused({ try Data([1, 2, 3]).write(to: URL(fileURLWithPath: $0 + "/labels.bin")) }, "labels.bin")
        try refused({ try edit("metadata.json", $0) { String($0.prefix(40)) } }, "not valid JSON")
    }

    /// Declared sizes each within bounds whose products are not: a shard of
    /// 10^11 examples of 10 GB each is refused, not multiplied into a trap.
    func testSizesWhoseProductOverflowsAreRefused() throws {
        let copy = temporaryFolder("saev-shards-huge")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        let md = copy + "/metadata.json", list = copy + "/shards.json"
        try (try String(contentsOfFile: md, encoding: .utf8))
            .replacingOccurrences(of: "\"d_model\": 6", with: "\"d_model\": 268435456")
            .replacingOccurrences(of: "\"max_tokens_per_shard\": 30", with: "\"max_tokens_per_shard\": 1099511627776")
            .write(toFile: md, atomically: true, encoding: .utf8)
        try (try String(contentsOfFile: list, encoding: .utf8))
            .replacingOccurrences(of: "\"n_examples\": 3", with: "\"n_examples\": 100000000000")
            .write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SaevShards(folder: copy)) { XCTAssertTrue("\($0)".contains("cut short"), "\($0)") }
    }

    /// Seeded mutations of both JSON files: each loads or throws, never crashes.
    func testMutatedMetadataLoadsOrThrowsButNeverCrashes() throws {
        var rng = SeededRandom(seed: 2121)
        let copy = temporaryFolder("saev-shards-fuzz")
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        var refused = 0
        for name in ["metadata.json", "shards.json"] {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: folder + "/" + name)))
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<(1 + rng.nextIndex(3)) { bytes[rng.nextIndex(bytes.count)] = [UInt8(ascii: "9"), UInt8(ascii: "-"), 0x22, 0x7D, 0x30][rng.nextIndex(5)] }
                try Data(bytes).write(to: URL(fileURLWithPath: copy + "/" + name))
                if let shards = try? SaevShards(folder: copy) {
                    // What loads reads within its files.
                    for layer in shards.layers {
                        let source = try SaevShardsActivationSource(shards, layer: layer, tokens: .all)
                        _ = try? readAll(source, chunk: 16)
                    }
                } else { refused += 1 }
            }
            try Data(original).write(to: URL(fileURLWithPath: copy + "/" + name))
        }
        XCTAssertGreaterThan(refused, 0)
    }
}
