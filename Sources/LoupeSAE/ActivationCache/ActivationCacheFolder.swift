import Foundation
import LoupeFiles
import LoupeJSON
import LoupeSafetensors
import LoupeTensor

/// A sharded activation cache on disk: a folder holding
///
/// - `index.json`: the plan (model, layer, site, tokens, shapes, the image
///   list, images per shard, format version), `"complete"`, and once every
///   shard is there, one entry per shard with its rows and CRC-32;
/// - `shard-00000.safetensors`, ...: one F32 tensor `activations`
///   [images, tokens, width] each, with the plan's digest, the shard's
///   number, first image and CRC-32 of its data in the metadata.
///
/// Every file is written atomically, so a shard that exists is whole; the
/// CRC catches damage after the fact. Python reads a shard with
/// `safetensors.numpy.load_file` and the index with `json`.
package enum ActivationCacheFolder {
    package static let format = "loupe-activation-cache"
    package static let formatVersion = 1
    package static let indexName = "index.json"
    static let shardFormat = "loupe-activation-shard"

    /// Readies `folder` for `plan`: creates it, or checks that it holds this
    /// very plan (a resumed run, or another job of the same cache), and
    /// records the plan in `index.json` if nothing has yet. A folder with
    /// another cache or other files in it is refused, never overwritten.
    package static func prepare(_ plan: ActivationCachePlan, in folder: String) throws {
        let indexPath = folder + "/" + indexName
        if FileManager.default.fileExists(atPath: indexPath) {
            let existing = try ActivationCachePlan(index: try readIndex(indexPath), path: indexPath)
            guard existing.digest == plan.digest else {
                throw SAEError.unusableFile(path: folder, "'\(folder)' already holds another activation cache (\(existing.summary)); "
                    + "write this one (\(plan.summary)) to a new folder, or delete that one first")
            }
            return
        }
        let strays = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasPrefix("shard-") }
        guard strays.isEmpty else {
            throw SAEError.unusableFile(path: folder, "'\(folder)' holds other files (\(strays.sorted().prefix(3).joined(separator: ", ")))"
                + " and no activation cache; give the cache a new or empty folder")
        }
        try AtomicFile.write(Array(JSON.object(indexFields(plan, shards: nil)).pretty().utf8), to: indexPath)
    }

    /// Writes shard `shard` of `plan`: `activations` is [images, tokens, width] for that shard's images.
    package static func writeShard(_ shard: Int, of plan: ActivationCachePlan, in folder: String, activations: Tensor) throws {
        let images = plan.images(inShard: shard)
        let shape = [images.count, plan.tokensPerImage, plan.width]
        precondition(activations.shape == shape, "shard \(shard) needs \(shape), got \(activations.shape)")
        let bytes = UnsafeRawBufferPointer(start: activations.pointer, count: activations.count * 4)
        var meta = shardFields(plan)
        meta["shard"] = String(shard)
        meta["first_image"] = String(images.lowerBound)
        meta["crc32"] = String(checksum(bytes))
        let header = SafetensorsWriter.header([("activations", shape)], metadata: meta)
        try AtomicFile.write(to: folder + "/" + plan.fileName(shard: shard)) { fd in
            try header.withUnsafeBytes { try AtomicFile.writeAll(fd, $0) }
            try AtomicFile.writeAll(fd, bytes)
        }
    }

    /// What a shard file is, once its header has been checked against the plan.
    package struct Shard: Sendable {
        package let path: String
        package let rows: Int
        package let crc: UInt32
        let entry: SafetensorsFile.Entry
    }

    /// Shard `shard` of `plan` if it is there and belongs to this plan; nil
    /// if it is missing. With `data`, its CRC-32 is recomputed too, reading
    /// it a block at a time, and a damaged shard counts as missing. A shard
    /// of another plan is an error: it is some other cache's work.
    package static func shard(_ shard: Int, of plan: ActivationCachePlan, in folder: String, checkingData data: Bool) throws -> Shard? {
        let path = folder + "/" + plan.fileName(shard: shard)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let file = try? SafetensorsFile(path: path), let entry = try? file.entry("activations") else { return nil }
        let m = file.metadata
        guard m["plan"] == plan.digest else {
            throw SAEError.unusableFile(path: path, "'\(path)' belongs to another activation cache than \(plan.summary); "
                + "write this cache to a new folder, or delete that file")
        }
        let images = plan.images(inShard: shard)
        guard m["shard"] == String(shard), entry.dtype == .f32, entry.shape == [images.count, plan.tokensPerImage, plan.width],
              let crc = m["crc32"].flatMap({ UInt32($0) }) else { return nil }
        let found = Shard(path: path, rows: images.count * plan.tokensPerImage, crc: crc, entry: entry)
        if data, try checksum(of: found) != crc { return nil }
        return found
    }

    /// Writes the complete index if every shard of `plan` is in `folder`;
    /// returns how many shards are still missing (0: the cache is complete).
    @discardableResult
    package static func finish(_ plan: ActivationCachePlan, in folder: String, checkingData data: Bool = false) throws -> Int {
        var found: [Shard] = []
        for s in 0..<plan.shardCount {
            if let shard = try shard(s, of: plan, in: folder, checkingData: data) { found.append(shard) }
        }
        let missing = plan.shardCount - found.count
        if missing == 0 { try writeIndex(plan, shards: found, in: folder) }
        return missing
    }

    /// The complete index, from every shard of `plan` in order.
    static func writeIndex(_ plan: ActivationCachePlan, shards: [Shard], in folder: String) throws {
        let entries: [JSON] = shards.enumerated().map { s, shard in
            .object(["file": .string(plan.fileName(shard: s)), "first_image": .int(plan.images(inShard: s).lowerBound),
                     "images": .int(plan.images(inShard: s).count), "rows": .int(shard.rows), "crc32": .int(Int(shard.crc))])
        }
        try AtomicFile.write(Array(JSON.object(indexFields(plan, shards: entries)).pretty().utf8), to: folder + "/" + indexName)
    }

    /// The plan and shards of a complete cache, checked shard by shard
    /// against the index (headers only; the data is read when used).
    package static func open(_ folder: String) throws -> (plan: ActivationCachePlan, shards: [Shard]) {
        let indexPath = folder + "/" + indexName
        guard FileManager.default.fileExists(atPath: indexPath) else {
            throw SAEError.unusableFile(path: folder, "'\(folder)' is not an activation cache: it has no \(indexName); "
                + "write one with clip.activations(..., to: \"\(folder)\")")
        }
        let index = try readIndex(indexPath)
        let plan = try ActivationCachePlan(index: index, path: indexPath)
        var shards: [Shard] = []
        for s in 0..<plan.shardCount {
            if let shard = try shard(s, of: plan, in: folder, checkingData: false) { shards.append(shard) }
        }
        guard shards.count == plan.shardCount else {
            throw SAEError.unusableFile(path: folder, "the activation cache in '\(folder)' is incomplete: \(shards.count) of \(plan.shardCount) shards are there; "
                + "run the same clip.activations(..., to:) or `loupe cache` again to write the rest")
        }
        // An index not yet marked complete stays as it is: reading a cache
        // never writes to it (it may be read-only, or shared with a job still
        // running); `finish`, run by the writers, completes it.
        return (plan, shards)
    }

    /// The CRC-32 of a shard's data, read a block at a time.
    package static func checksum(of shard: Shard) throws -> UInt32 {
        let reader = try TensorRowReader(path: shard.path, entry: shard.entry)
        let block = max(1, (4 << 20) / (reader.width * 4))
        var buffer = [Float](repeating: 0, count: block * reader.width)
        var crc: UInt32 = 0, row = 0
        while row < reader.rows {
            let n = min(block, reader.rows - row)
            try buffer.withUnsafeMutableBufferPointer { try reader.read(rows: row, count: n, into: $0.baseAddress!) }
            crc = buffer.withUnsafeBytes { checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(n * reader.width * 4)]), continuing: crc) }
            row += n
        }
        return crc
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        CRC32.checksum(bytes, continuing: crc)
    }

    static func readIndex(_ path: String) throws -> JSON {
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSON.parse(Array(data)) else {
            throw SAEError.unusableFile(path: path, "'\(path)' cannot be read as JSON; write the cache again")
        }
        return json
    }

    static func indexFields(_ plan: ActivationCachePlan, shards: [JSON]?) -> [String: JSON] {
        var fields = plan.identity
        fields["format"] = .string(format)
        fields["format_version"] = .int(formatVersion)
        fields["plan"] = .string(plan.digest)
        fields["rows"] = .int(plan.rows)
        fields["shard_count"] = .int(plan.shardCount)
        fields["complete"] = .bool(shards != nil)
        fields["shards"] = .array(shards ?? [])
        return fields
    }

    static func shardFields(_ plan: ActivationCachePlan) -> [String: String] {
        ["format": shardFormat, "format_version": String(formatVersion), "plan": plan.digest, "model": plan.model,
         "layer": String(plan.layer), "site": plan.site.rawValue, "tokens": plan.tokens.rawValue]
    }
}

/// The rows of a complete sharded cache, read with `pread` so that memory
/// holds only the caller's buffer. Each shard's data is checked against
/// its CRC-32 as it is read, on every pass: a shard whose last rows are
/// read with a CRC that differs is an error naming it, so a flipped bit
/// on disk stops a run rather than skewing its numbers. In stored order, shard after shard (for
/// metrics, copies, anything that reads a pass once). Interleaved, for
/// training: each read takes a block from a shard drawn at random among
/// those with rows left, so a shuffle buffer of a few batches mixes rows of
/// the whole cache rather than of one shard (a folder sorted by class gives
/// shards of a few classes each). Every row still comes exactly once a pass,
/// and the order is a function of the seed and the pass, so a resumed
/// training run reads what the uninterrupted one would have.
package final class ShardedActivationSource: ActivationSource {
    package enum Order: Sendable, Equatable {
        case stored
        case interleaved(seed: UInt64, blockRows: Int = 256)
    }

    package let folder: String
    package let plan: ActivationCachePlan
    package let order: Order
    /// Whether each shard's data is checked against its CRC-32 as it is
    /// read (always, but for measuring what the check costs).
    package let checksShards: Bool
    /// Seconds spent computing CRCs since the source was opened, and the
    /// part of them the reader waited for (the rest ran while it read).
    package var checkSeconds: Double { checksums.summingSeconds }
    package var checkWaitSeconds: Double { checksums.waitingSeconds }
    private let checksums = ChecksummedReader()
    private let shards: [ActivationCacheFolder.Shard]
    private var current: (index: Int, reader: TensorRowReader)?
    /// Rows already read from each shard this pass, the CRC-32 of those
    /// rows, the shards with rows left (in stored order until one runs
    /// out), and the pass number.
    private var done: [Int]
    private var crcs: [UInt32]
    private var open: [Int]
    private var pass = 0
    private var rng = SeededRandom(seed: 0)

    package init(folder: String, order: Order = .stored, checksShards: Bool = true) throws {
        (plan, shards) = try ActivationCacheFolder.open(folder)
        self.folder = folder; self.order = order; self.checksShards = checksShards
        done = [Int](repeating: 0, count: shards.count)
        crcs = [UInt32](repeating: 0, count: shards.count)
        open = Array(shards.indices)
        resetRandom()
    }

    package var width: Int { plan.width }
    package var rowCount: Int? { plan.rows }
    package var metadata: SAEMetadata { plan.metadata }

    private func resetRandom() {
        if case .interleaved(let seed, _) = order { rng = SeededRandom(seed: seed ^ (UInt64(pass) &* 0x9E37_79B9_7F4A_7C15)) }
    }

    /// Where in `open` the next block comes from: the first shard with rows
    /// left, or a random one.
    private func nextShard() -> Int? {
        guard !open.isEmpty else { return nil }
        if case .interleaved = order { return rng.nextIndex(open.count) }
        return 0
    }

    package func read(into buffer: UnsafeMutablePointer<Float>, maxRows: Int) throws -> Int {
        var written = 0
        let block: Int
        if case .interleaved(_, let rows) = order { block = max(1, rows) } else { block = Int.max }
        while written < maxRows, let slot = nextShard() {
            let s = open[slot], shard = shards[s]
            if current?.index != s { current = (s, try TensorRowReader(path: shard.path, entry: shard.entry)) }
            let reader = current!.reader
            let n = min(maxRows - written, shard.rows - done[s], block)
            let rows = buffer + written * plan.width
            if checksShards {
                crcs[s] = try checksums.read(reader, rows: done[s], count: n, into: rows, continuing: crcs[s])
            } else {
                try reader.read(rows: done[s], count: n, into: rows)
            }
            written += n; done[s] += n
            if checksShards {
                if done[s] == shard.rows, crcs[s] != shard.crc {
                    throw SAEError.unusableFile(path: shard.path, "'\(shard.path)' is damaged: its data does not match the CRC-32 it was written with "
                        + String(format: "(%08x, read %08x)", shard.crc, crcs[s]) + "; run the same clip.activations(..., to:) or `loupe cache` "
                        + "again, which writes damaged shards anew")
                }
            }
            if done[s] == shard.rows { open.remove(at: slot) }
        }
        return written
    }

    package func rewind() throws {
        for i in done.indices { done[i] = 0; crcs[i] = 0 }
        open = Array(shards.indices)
        pass += 1
        resetRandom()
    }
}
