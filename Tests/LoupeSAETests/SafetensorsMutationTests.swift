import Foundation
import LoupeSAE
import LoupeSafetensors
import XCTest

/// Safetensors files from strangers: a header Python's `safetensors` refuses
/// is refused here too (naming the file and the problem), and no mutation
/// of a real file crashes the readers behind SAE.load, activation files and
/// cache shards.
final class SafetensorsMutationTests: XCTestCase {
    /// A file as Python's writer lays it out: header padded with spaces to
    /// 8 bytes, tensors back to back from offset 0.
    static func file(_ header: String, data: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
        var h = Array(header.utf8)
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        return withUnsafeBytes(of: UInt64(declaredLength ?? h.count).littleEndian) { Array($0) } + h + data
    }

    func write(_ bytes: [UInt8], _ name: String = "t.safetensors") throws -> String {
        let path = temporaryFolder("st") + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertRefused(_ bytes: [UInt8], _ phrase: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(bytes, "case.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(path: path), file: file, line: line) {
            XCTAssertTrue("\($0)".contains("case.safetensors") && "\($0)".contains(phrase), "\($0)", file: file, line: line)
        }
    }

    let two = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    let twelve = [UInt8](repeating: 0, count: 12)

    func testWellFormedFilesLoad() throws {
        XCTAssertNoThrow(try SafetensorsFile(path: try write(Self.file(two, data: twelve))))
        // Tensors in any order in the header, an empty tensor, no tensors at all.
        let shuffled = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[12,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(try SafetensorsFile(path: try write(Self.file(shuffled, data: twelve))).entries.count, 3)
        XCTAssertEqual(try SafetensorsFile(path: try write(Self.file(#"{"__metadata__":{"format":"pt"}}"#, data: []))).metadata, ["format": "pt"])
    }

    /// What Python's `read_metadata` and `Metadata::validate` refuse.
    func testHeadersPythonRefusesAreRefused() throws {
        // Each size under 2^40, the product 2^78 bytes: an overflow, not a crash.
        let huge = #"{"a":{"dtype":"F32","shape":[549755813888,549755813888],"data_offsets":[0,8]}}"#
        try assertRefused(Self.file(huge, data: [UInt8](repeating: 0, count: 8)), "overflows")
        // The declared length one short: the padding would be read as data, every tensor one byte off.
        let padded = Self.file(two, data: twelve)
        let length = Int(padded[0])
        try assertRefused(Self.file(two, data: twelve, declaredLength: length - 1), "cover 12 bytes of data but 13")
        try assertRefused(Self.file(two, data: twelve, declaredLength: length + 1), "not valid JSON")
        // Bytes after the last tensor, a gap between tensors, tensors sharing bytes.
        try assertRefused(Self.file(two, data: twelve + [0]), "cover 12 bytes of data but 13")
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        try assertRefused(Self.file(gap, data: twelve), "leaving bytes 4..<8")
        let late = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertRefused(Self.file(late, data: [UInt8](repeating: 0, count: 8)), "leaving bytes 0..<4")
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try assertRefused(Self.file(overlap, data: twelve), "overlap")
        // Sizes that are not whole numbers, metadata that is not strings.
        try assertRefused(Self.file(#"{"a":{"dtype":"F32","shape":[3.0],"data_offsets":[0,12]}}"#, data: twelve), "not a list of sizes")
        try assertRefused(Self.file(#"{"__metadata__":{"n":3},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#, data: twelve), "not a string")
        try assertRefused(Self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12.0]}}"#, data: twelve), "data_offsets")
    }

    /// The overflowing shape through each reader that met it: SAE.load of a
    /// SAELens folder, an activation file, a cache shard.
    func testOverflowingShapeIsAnErrorInEveryReader() throws {
        let folder = temporaryFolder("overflow-sae")
        for name in ["cfg.json", "sae_weights.safetensors"] {
            try FileManager.default.copyItem(atPath: fixturesPath() + "/saelens_topk/" + name, toPath: folder + "/" + name)
        }
        try rewriteShape(of: "W_enc", in: folder + "/sae_weights.safetensors")
        XCTAssertThrowsError(try SparseAutoencoder.load(from: folder)) { XCTAssertTrue("\($0)".contains("overflows"), "\($0)") }

        let acts = temporaryFolder("overflow-acts") + "/acts.safetensors"
        try ActivationCache.write(try MatrixActivationSource(values: randomMatrix(12, seed: 1), width: 3), to: acts)
        try rewriteShape(of: "activations", in: acts)
        XCTAssertThrowsError(try CachedActivationSource(path: acts)) { XCTAssertTrue("\($0)".contains("overflows"), "\($0)") }

        let cache = temporaryFolder("overflow-cache")
        let plan = try ActivationCachePlan(model: "toy", layer: 1, site: .residPost, tokens: .all, tokensPerImage: 2, width: 3,
                                           dataset: "d", imageIDs: ["a", "b"], shardImages: 1)
        try ActivationCacheFolder.prepare(plan, in: cache)
        for s in 0..<2 {
            try ActivationCacheFolder.writeShard(s, of: plan, in: cache, activations: .init(shape: [1, 2, 3], values: randomMatrix(6, seed: 2)))
        }
        try rewriteShape(of: "activations", in: cache + "/" + plan.fileName(shard: 1))
        XCTAssertThrowsError(try ShardedActivationSource(folder: cache)) { XCTAssertTrue("\($0)".contains("incomplete: 1 of 2"), "\($0)") }
    }

    /// Gives tensor `name` the shape [2^39, 2^39], keeping the file's layout
    /// (same header length, padded with spaces).
    func rewriteShape(of name: String, in path: String) throws {
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        var header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let key = "\"\(name)\":"
        let at = try XCTUnwrap(header.range(of: key))
        let shape = try XCTUnwrap(header.range(of: #""shape":\[[0-9,]*\]"#, options: .regularExpression, range: at.upperBound..<header.endIndex))
        header.replaceSubrange(shape, with: #""shape":[549755813888,549755813888]"#)
        header = header.trimmingCharacters(in: .whitespaces)
        var h = Array(header.utf8)
        // Room for the longer shape: only the header grows, so offsets stay valid.
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + bytes[(8 + length)...]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Seeded mutations of a SAELens folder's weights and of an activation
    /// file, aimed at the header: its numbers set to extremes, its length
    /// moved, bytes added or cut. Every variant loads or throws; one whose
    /// length or size changed must throw (reading it would shift tensors).
    func testMutatedSafetensorsLoadOrThrowButNeverCrash() throws {
        let sae = temporaryFolder("st-fuzz-sae")
        for name in ["cfg.json", "sae_weights.safetensors"] {
            try FileManager.default.copyItem(atPath: fixturesPath() + "/saelens_topk/" + name, toPath: sae + "/" + name)
        }
        let actsFolder = temporaryFolder("st-fuzz-acts")
        try ActivationCache.write(try MatrixActivationSource(values: randomMatrix(40 * 6, seed: 3), width: 6), to: actsFolder + "/acts.safetensors")
        let targets: [(path: String, load: () throws -> Void)] = [
            (sae + "/sae_weights.safetensors", { _ = try SparseAutoencoder.load(from: sae) }),
            (actsFolder + "/acts.safetensors", {
                let source = try CachedActivationSource(path: actsFolder + "/acts.safetensors")
                var buffer = [Float](repeating: 0, count: 16 * source.width)
                while try buffer.withUnsafeMutableBufferPointer({ try source.read(into: $0.baseAddress!, maxRows: 16) }) > 0 {}
            }),
        ]
        let extremes = ["549755813888", "9223372036854775807", "-1", "0", "4294967296", "1e300", "2.5", "18446744073709551616"]
        var rng = SeededRandom(seed: 27)
        var loaded = 0, refused = 0
        for (path, load) in targets {
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
            let length = Int(original[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            for round in 0..<300 {
                var bytes = original, mustRefuse = false
                switch rng.nextIndex(5) {
                case 0:   // one number of the header set to an extreme
                    let digits = (8..<(8 + length)).filter { (0x30...0x39).contains(bytes[$0]) && !(0x30...0x39).contains(bytes[$0 - 1]) }
                    let at = digits[rng.nextIndex(digits.count)]
                    var end = at
                    while end < 8 + length, (0x30...0x39).contains(bytes[end]) { end += 1 }
                    bytes.replaceSubrange(at..<end, with: Array(extremes[rng.nextIndex(extremes.count)].utf8))
                    let newLength = length + bytes.count - original.count
                    bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(newLength).littleEndian) { Array($0) })
                case 1:   // the declared length moved by a few bytes
                    let delta = [-8, -2, -1, 1, 2, 8][rng.nextIndex(6)]
                    bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(length + delta).littleEndian) { Array($0) })
                    mustRefuse = true
                case 2:   // bytes added at the end
                    bytes += [UInt8](repeating: 0, count: 1 + rng.nextIndex(8))
                    mustRefuse = true
                case 3:   // cut short
                    bytes = Array(bytes.prefix(rng.nextIndex(bytes.count)))
                    mustRefuse = true
                default:  // a few header bytes replaced
                    for _ in 0..<(1 + rng.nextIndex(3)) { bytes[8 + rng.nextIndex(length)] = UInt8(rng.nextIndex(256)) }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do {
                    try load()
                    loaded += 1
                    XCTAssertFalse(mustRefuse, "\(path) round \(round): a file of moved length or size was read")
                } catch {
                    refused += 1
                    XCTAssertTrue("\(error)".contains((path as NSString).lastPathComponent) || "\(error)".contains(sae), "\(error)")
                }
            }
            try Data(original).write(to: URL(fileURLWithPath: path))
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(loaded, 0, "some header changes (a digit of a metadata value) still load")
    }
}
