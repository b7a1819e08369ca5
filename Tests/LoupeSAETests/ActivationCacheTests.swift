import Foundation
import LoupeJSON
import LoupeSAE
import LoupeSafetensors
import LoupeTensor
import XCTest

/// The sharded cache on disk: how a plan cuts images into shards and jobs,
/// what a resumed run trusts, and what the reader gives back.
final class ActivationCacheTests: XCTestCase {
    func plan(images: Int = 10, shardImages: Int = 4, layer: Int = 2) throws -> ActivationCachePlan {
        try ActivationCachePlan(model: "toy", layer: layer, site: .residPost, tokens: .all, tokensPerImage: 3, width: 5,
                                dataset: "test images", imageIDs: (0..<images).map { "image \($0)" }, shardImages: shardImages)
    }

    /// Activations of a shard: image i, token t, unit u holds i * 100 + t * 10 + u.
    func activations(_ plan: ActivationCachePlan, shard: Int) -> Tensor {
        let images = plan.images(inShard: shard)
        var values: [Float] = []
        for i in images { for t in 0..<plan.tokensPerImage { for u in 0..<plan.width { values.append(Float(i * 100 + t * 10 + u)) } } }
        return Tensor(shape: [images.count, plan.tokensPerImage, plan.width], values: values)
    }

    func writeAll(_ plan: ActivationCachePlan, to folder: String, shards: Range<Int>? = nil) throws {
        try ActivationCacheFolder.prepare(plan, in: folder)
        for s in shards ?? 0..<plan.shardCount {
            try ActivationCacheFolder.writeShard(s, of: plan, in: folder, activations: activations(plan, shard: s))
        }
    }

    func testPlanCutsImagesIntoShardsAndJobsIntoContiguousShares() throws {
        let p = try plan(images: 10, shardImages: 4)
        XCTAssertEqual(p.shardCount, 3)
        XCTAssertEqual((0..<3).map(p.images(inShard:)), [0..<4, 4..<8, 8..<10])
        XCTAssertEqual(p.fileName(shard: 2), "shard-00002.safetensors")
        for jobs in 1...5 {
            let shares = (0..<jobs).map { p.shards(job: $0, of: jobs) }
            XCTAssertEqual(shares.flatMap { Array($0) }, [0, 1, 2], "\(jobs) jobs: \(shares)")
        }
        // The default shard holds about 128 MB.
        let big = try ActivationCachePlan(model: "m", layer: 11, site: .residPost, tokens: .all, tokensPerImage: 50, width: 768,
                                          dataset: "d", imageIDs: (0..<50_000).map(String.init))
        XCTAssertEqual(big.shardImages, (128 << 20) / (50 * 768 * 4))
        XCTAssertNotEqual(try plan(layer: 2).digest, try plan(layer: 3).digest)
    }

    func testShardsReadBackInOrderAcrossShardBoundaries() throws {
        let folder = temporaryFolder("cache-read")
        let p = try plan()
        try writeAll(p, to: folder)
        XCTAssertEqual(try ActivationCacheFolder.finish(p, in: folder, checkingData: true), 0)
        let index = try JSON.parse(Array(try XCTUnwrap(FileManager.default.contents(atPath: folder + "/index.json"))))
        XCTAssertEqual(index["complete"], .bool(true))
        XCTAssertEqual(index["rows"], .int(30))
        XCTAssertEqual(index["shards"]?.arrayValue?.count, 3)
        XCTAssertEqual(index["shards"]?[2]?["first_image"], .int(8))

        let source = try ShardedActivationSource(folder: folder)
        XCTAssertEqual(source.rowCount, 30)
        XCTAssertEqual(source.metadata.layer, 2)
        var rows: [Float] = []
        var buffer = [Float](repeating: 0, count: 7 * 5)   // 7 rows: never a shard's 12
        while true {
            let n = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 7) }
            if n == 0 { break }
            rows += buffer[0..<(n * 5)]
        }
        let expected = (0..<3).flatMap { activations(p, shard: $0).toArray() }
        XCTAssertEqual(rows, expected)
        try source.rewind()
        XCTAssertEqual(try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 1) }, 1)
        XCTAssertEqual(buffer[0..<5], expected[0..<5])
    }

    /// Interleaved for training: every row once a pass, blocks from shards
    /// drawn at random, the same order for the same seed and pass.
    func testInterleavedReadingCoversEveryRowOnceInASeededOrder() throws {
        let folder = temporaryFolder("cache-interleave")
        let p = try plan(images: 10, shardImages: 2)
        try writeAll(p, to: folder)
        func pass(_ source: ShardedActivationSource) throws -> [Float] {
            var rows: [Float] = [], buffer = [Float](repeating: 0, count: 4 * 5)
            while true {
                let n = try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 4) }
                if n == 0 { return rows }
                for r in 0..<n { rows.append(buffer[r * 5]) }   // unit 0 names the row: image * 100 + token * 10
            }
        }
        let stored = try pass(ShardedActivationSource(folder: folder))
        let a = try ShardedActivationSource(folder: folder, order: .interleaved(seed: 3, blockRows: 2))
        let first = try pass(a)
        try a.rewind()
        let second = try pass(a)
        XCTAssertEqual(first.sorted(), stored.sorted())
        XCTAssertEqual(second.sorted(), stored.sorted())
        XCTAssertNotEqual(first, stored)
        XCTAssertNotEqual(first, second, "each pass draws its own order")
        XCTAssertEqual(try pass(ShardedActivationSource(folder: folder, order: .interleaved(seed: 3, blockRows: 2))), first)
    }

    /// A shard that is there is whole (files are renamed into place), but a
    /// damaged one fails its CRC and is written again by a resumed run.
    func testDamagedShardFailsItsChecksumAndCountsAsMissing() throws {
        let folder = temporaryFolder("cache-damage")
        let p = try plan()
        try writeAll(p, to: folder)
        let path = folder + "/" + p.fileName(shard: 1)
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertNotNil(try ActivationCacheFolder.shard(1, of: p, in: folder, checkingData: false))
        XCTAssertNil(try ActivationCacheFolder.shard(1, of: p, in: folder, checkingData: true))
        XCTAssertNotNil(try ActivationCacheFolder.shard(0, of: p, in: folder, checkingData: true))
        XCTAssertEqual(try ActivationCacheFolder.finish(p, in: folder, checkingData: true), 1)
        // A truncated shard is missing, not a crash.
        try Data(bytes.prefix(40)).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(try ActivationCacheFolder.shard(1, of: p, in: folder, checkingData: false))
    }

    func testIncompleteCacheIsRefusedWithWhatIsMissing() throws {
        let folder = temporaryFolder("cache-incomplete")
        let p = try plan()
        try writeAll(p, to: folder, shards: 0..<2)
        XCTAssertEqual(try ActivationCacheFolder.finish(p, in: folder), 1)
        XCTAssertThrowsError(try ShardedActivationSource(folder: folder)) {
            XCTAssertTrue("\($0)".contains("incomplete: 2 of 3 shards"), "\($0)")
        }
        // The last job's shard completes it: the reader reads it, and writes
        // nothing (the index stays as the jobs left it until `finish`).
        try ActivationCacheFolder.writeShard(2, of: p, in: folder, activations: activations(p, shard: 2))
        let index = folder + "/index.json"
        let before = try FileManager.default.attributesOfItem(atPath: index)
        let bytes = FileManager.default.contents(atPath: index)
        XCTAssertEqual(try ShardedActivationSource(folder: folder).rowCount, 30)
        XCTAssertEqual(FileManager.default.contents(atPath: index), bytes, "reading a cache rewrote its index")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: index)[.modificationDate] as? Date, before[.modificationDate] as? Date)
    }

    /// A shard's data is checked against its CRC-32 on every read, not only
    /// on resume: one flipped bit read as mse 1.65e34 with no error.
    func testDamagedShardIsAnErrorWhenRead() throws {
        let folder = temporaryFolder("cache-crc-read")
        let p = try plan()
        try writeAll(p, to: folder)
        XCTAssertEqual(try ActivationCacheFolder.finish(p, in: folder), 0)
        let path = folder + "/" + p.fileName(shard: 1)
        var bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        bytes[bytes.count - 7] ^= 0x40   // the exponent of one float: 2^32 times larger or smaller
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for order in [ShardedActivationSource.Order.stored, .interleaved(seed: 1, blockRows: 2)] {
            let source = try ShardedActivationSource(folder: folder, order: order)
            var buffer = [Float](repeating: 0, count: 5 * 5)
            XCTAssertThrowsError(try { while try buffer.withUnsafeMutableBufferPointer({ try source.read(into: $0.baseAddress!, maxRows: 5) }) > 0 {} }()) {
                XCTAssertTrue("\($0)".contains(path) && "\($0)".contains("CRC-32"), "\($0)")
            }
        }
        // Every pass is checked, not only the first.
        let clean = temporaryFolder("cache-crc-clean")
        try writeAll(p, to: clean)
        let source = try ShardedActivationSource(folder: clean)
        var buffer = [Float](repeating: 0, count: 30 * 5)
        XCTAssertEqual(try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 30) }, 30)
        try Data(bytes).write(to: URL(fileURLWithPath: clean + "/" + p.fileName(shard: 1)))
        try source.rewind()
        XCTAssertThrowsError(try buffer.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 30) })
    }

    /// Another cache's folder, or a folder of other files, is never written into.
    func testFolderOfAnotherCacheOrOtherFilesIsRefused() throws {
        let folder = temporaryFolder("cache-other")
        try writeAll(try plan(layer: 2), to: folder)
        XCTAssertNoThrow(try ActivationCacheFolder.prepare(try plan(layer: 2), in: folder))
        XCTAssertThrowsError(try ActivationCacheFolder.prepare(try plan(layer: 3), in: folder)) {
            XCTAssertTrue("\($0)".contains("already holds another activation cache (layer 2"), "\($0)")
        }
        let photos = temporaryFolder("cache-photos")
        FileManager.default.createFile(atPath: photos + "/cat.png", contents: Data([1, 2, 3]))
        XCTAssertThrowsError(try ActivationCacheFolder.prepare(try plan(), in: photos)) {
            XCTAssertTrue("\($0)".contains("holds other files (cat.png)"), "\($0)")
        }
        XCTAssertThrowsError(try ShardedActivationSource(folder: photos)) { XCTAssertTrue("\($0)".contains("no index.json"), "\($0)") }
    }

    /// A cache folder may be damaged in any way: opening and reading it must
    /// give its rows or an error, never a crash.
    func testMutatedCachesReadOrThrowButNeverCrash() throws {
        let good = temporaryFolder("cache-fuzz-good")
        let p = try plan()
        try writeAll(p, to: good)
        XCTAssertEqual(try ActivationCacheFolder.finish(p, in: good), 0)
        let files = ["index.json", p.fileName(shard: 0), p.fileName(shard: 2)]
        var rng = SeededRandom(seed: 5)
        var read = 0, refused = 0
        for round in 0..<300 {
            let folder = temporaryFolder("cache-fuzz-\(round)")
            for name in try FileManager.default.contentsOfDirectory(atPath: good) {
                try FileManager.default.copyItem(atPath: good + "/" + name, toPath: folder + "/" + name)
            }
            let victim = folder + "/" + files[rng.nextIndex(files.count)]
            let original = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: victim)))
            var bytes = original
            if rng.nextIndex(4) == 0 {
                bytes = Array(bytes.prefix(rng.nextIndex(bytes.count)))
            } else {
                for _ in 0..<(1 + rng.nextIndex(6)) { bytes[rng.nextIndex(bytes.count)] = UInt8(rng.nextIndex(256)) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: victim))
            // A shard whose rows changed must never read as if whole.
            let dataStart = victim.hasSuffix(".safetensors") ? 8 + Int(original[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) : Int.max
            let rowsChanged = bytes.count == original.count && bytes[min(dataStart, bytes.count)...] != original[min(dataStart, original.count)...]
            do {
                let source = try ShardedActivationSource(folder: folder)
                var buffer = [Float](repeating: 0, count: 16 * source.width)
                while try buffer.withUnsafeMutableBufferPointer({ try source.read(into: $0.baseAddress!, maxRows: 16) }) > 0 {}
                read += 1
                XCTAssertFalse(rowsChanged, "round \(round): changed rows of \(victim) were read without an error")
            } catch { refused += 1 }
            try? FileManager.default.removeItem(atPath: folder)
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(read, 0, "some changes (in the index's shard list, in unused metadata) leave the rows intact and read")
    }

    /// A file written by Python: one F16 tensor under any name, [rows, width].
    func testPythonFileWithOneHalfPrecisionTensorIsRead() throws {
        let folder = temporaryFolder("cache-python")
        let values: [Float] = [0.5, -1, 2, 0.25, 3, -0.125]
        let halves = values.map { $0.halfBits }
        let header = #"{"acts":{"dtype":"F16","shape":[3,2],"data_offsets":[0,12]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        for h in halves { bytes += withUnsafeBytes(of: h.littleEndian) { Array($0) } }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/acts.safetensors"))
        let source = try CachedActivationSource(path: folder + "/acts.safetensors")
        XCTAssertEqual(source.rows, 3)
        XCTAssertEqual(source.width, 2)
        XCTAssertNil(source.imageShape)
        var out = [Float](repeating: 0, count: 6)
        XCTAssertEqual(try out.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, maxRows: 10) }, 3)
        XCTAssertEqual(out, values)

        try SafetensorsWriter.write([NamedTensor("a", shape: [2, 2], [1, 2, 3, 4]), NamedTensor("b", shape: [4], [1, 2, 3, 4])],
                                    to: folder + "/two.safetensors")
        XCTAssertThrowsError(try CachedActivationSource(path: folder + "/two.safetensors")) {
            XCTAssertTrue("\($0)".contains("none is named 'activations'"), "\($0)")
        }
        try SafetensorsWriter.write([NamedTensor("activations", shape: [4], [1, 2, 3, 4])], to: folder + "/flat.safetensors")
        XCTAssertThrowsError(try CachedActivationSource(path: folder + "/flat.safetensors")) {
            XCTAssertTrue("\($0)".contains("expected [rows, width] or [images, tokens, width]"), "\($0)")
        }
    }
}

private extension Float {
    /// IEEE half-precision bits, for values that are exact in half precision.
    var halfBits: UInt16 { Float16(self).bitPattern }
}
