import ArgumentParser
import Foundation
import LoupeSAE
import LoupeTensor

/// SAE training from an activation cache on disk at the papers' size: one
/// ViT-B/32 layer over 50,000 images, every token, is 2.5 M rows of 768
/// floats, 7.7 GB. The benchmark writes such a cache (synthetic rows with
/// structure, through the same shard writer as `clip.activations(..., to:)`),
/// drops it from the page cache and reads it once through, as training
/// does (and once more without the shards' CRC-32 check, to show what the
/// check costs), then (dropped again, so that training reads the disk)
/// trains a TopK SAE from it through the shuffle buffer, and reports the process's
/// peak resident memory and the throughput, beside the same training from
/// rows held in memory, in the same run.
struct CacheBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "SAE training from a 50,000-image activation cache on disk: peak memory and tokens/s beside memory.")

    @Option(help: "Images in the cache.") var images = 50_000
    @Option(help: "Tokens per image (ViT-B/32: 50).") var tokens = 50
    @Option(help: "Activation width (ViT-B/32: 768).") var width = 768
    @Option(help: "SAE latents.") var latents = 24_576
    @Option(help: "TopK's k.") var k = 32
    @Option(help: "Tokens per training step.") var batch = 4096
    @Option(help: "Timed training steps, each way.") var steps = 12
    @Option(help: "Where to write the cache (removed afterwards unless --keep).") var folder = NSTemporaryDirectory() + "loupe-cache-bench"
    @Flag(help: "Keep the cache folder.") var keep = false
    @Option(help: "Cold passes with and without the CRC-32 check, alternating (each round one of each).") var crcRounds = 1

    func run() throws {
        func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
        try? FileManager.default.removeItem(atPath: folder)
        let plan = try ActivationCachePlan(model: "synthetic", layer: 11, site: .residPost, tokens: .all, tokensPerImage: tokens,
                                           width: width, dataset: "benchmark rows", imageIDs: (0..<images).map(String.init))
        let gb = Double(plan.rows * width * 4) / 1e9
        log(String(format: "writing %d images x %d tokens x %d (%.1f GB) in %d shards to %@", images, tokens, width, gb, plan.shardCount, folder))

        // Two distinct shards of structured rows, each shard after that a
        // shifted copy: the content only has to be realistic, not unique.
        let started = Date()
        try ActivationCacheFolder.prepare(plan, in: folder)
        let shardRows = plan.shardImages * tokens
        var bases = (0..<2).map { SyntheticActivations.sparseSums(tokens: shardRows, width: width, directions: 4096, seed: UInt64($0 + 1)) }
        for s in 0..<plan.shardCount {
            let n = plan.images(inShard: s).count
            let shard = Tensor(shape: [n, tokens, width], values: Array(bases[s % 2][0..<(n * tokens * width)]))
            let shift = Float(s) * 1e-3
            for i in 0..<shard.count { shard.pointer[i] += shift }
            try ActivationCacheFolder.writeShard(s, of: plan, in: folder, activations: shard)
        }
        let missing = try ActivationCacheFolder.finish(plan, in: folder)
        guard missing == 0 else { throw ValidationError("the benchmark cache lacks \(missing) shards") }
        let writeSeconds = Date().timeIntervalSince(started)
        log(String(format: "written in %.1fs (%.2f GB/s, generation included)", writeSeconds, gb / writeSeconds))
        // The in-memory run holds one shard's rows: its speed does not depend on how many.
        let inMemory = bases[0]
        bases = []

        // Cold reads: ask the kernel to drop the shards from the page cache.
        func dropFromPageCache() {
            for s in 0..<plan.shardCount {
                let fd = open(folder + "/" + plan.fileName(shard: s), O_RDONLY)
                if fd >= 0 { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED)); close(fd) }
            }
        }
        // One whole pass, as training reads it: 4,096 rows at a time, each
        // shard checked against its CRC-32 as always. Passes without the
        // check, alternating with checked ones, measure what it costs.
        var block = [Float](repeating: 0, count: 4096 * width)
        var crcSeconds: [Double] = [], crcWaits: [Double] = []
        func coldPass(checked: Bool) throws -> Double {
            dropFromPageCache()
            let reader = try ShardedActivationSource(folder: folder, checksShards: checked)
            let start = Date()
            var rowsRead = 0
            while true {
                let n = try block.withUnsafeMutableBufferPointer { try reader.read(into: $0.baseAddress!, maxRows: 4096) }
                if n == 0 { break }
                rowsRead += n
            }
            let seconds = Date().timeIntervalSince(start)
            if checked { crcSeconds.append(reader.checkSeconds); crcWaits.append(reader.checkWaitSeconds) }
            log(String(format: "read %d rows in %.1fs (%.2f GB/s)%@", rowsRead, seconds, gb / seconds,
                       checked ? String(format: "; CRCs computed in %.2fs, %.2fs of which the reader waited for", reader.checkSeconds,
                                        reader.checkWaitSeconds) : " without the CRC-32 check"))
            return seconds
        }
        _ = try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        var checkedTimes: [Double] = [], uncheckedTimes: [Double] = []
        for round in 0..<max(1, crcRounds) {
            // Alternating which comes first, so neither always follows the other.
            for checked in round % 2 == 0 ? [false, true] : [true, false] {
                let t = try coldPass(checked: checked)
                if checked { checkedTimes.append(t) } else { uncheckedTimes.append(t) }
            }
        }
        let readSeconds = checkedTimes.reduce(0, +) / Double(checkedTimes.count), readPeak = ProcessMemory.peakResident()
        let uncheckedSeconds = uncheckedTimes.reduce(0, +) / Double(uncheckedTimes.count)
        let crcCost = 100 * (readSeconds / uncheckedSeconds - 1)
        // The CRC's own time, measured inside the checked passes, is steadier
        // than the difference of two disk-bound passes.
        let crcShare = 100 * crcSeconds.reduce(0, +) / checkedTimes.reduce(0, +)
        let crcWait = 100 * crcWaits.reduce(0, +) / checkedTimes.reduce(0, +)
        log(String(format: "one pass: %.1fs checked, %.1fs unchecked (%+.1f%%); computing the CRCs took %.1f%% of the checked passes' time, "
                   + "%.1f%% not overlapped with reading; peak RSS %.2f GB",
                   readSeconds, uncheckedSeconds, crcCost, crcShare, crcWait, Double(readPeak) / 1e9))
        dropFromPageCache()

        var options = SAETrainingOptions(architecture: TopKArchitecture(k: k), width: latents, steps: steps + 1)
        options.batchSize = batch
        options.initSampleRows = 4096
        func train(_ source: ActivationSource, _ name: String) throws -> (tokensPerSecond: Double, peak: Int) {
            _ = try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
            var marks: [Date] = []
            _ = try SAETrainer.train(source: source, options: options, progress: { p in
                marks.append(Date())
                log("\(name): step \(p.step)/\(p.totalSteps)")
            })
            let seconds = marks.last!.timeIntervalSince(marks[0])
            return (Double(steps * batch) / seconds, ProcessMemory.peakResident())
        }
        // As SAE.train reads a cache: blocks from shards drawn at random.
        let disk = try train(try ShardedActivationSource(folder: folder, order: .interleaved(seed: 0)), "from disk")
        let memory = try train(try MatrixActivationSource(values: inMemory, width: width), "from memory")
        print(String(format: "cache images=%d rows=%d width=%d cache=%.1f GB shards=%d write_s=%.1f · one pass read_s=%.1f (%.2f GB/s) unchecked_s=%.1f crc_cost=%.1f%% crc_time=%.1f%% crc_wait=%.1f%% peak_rss=%.2f GB · "
                     + "TopK SAE latents=%d k=%d batch=%d steps=%d · "
                     + "disk: tokens_per_s=%.0f peak_rss=%.2f GB · memory (%d rows): tokens_per_s=%.0f peak_rss=%.2f GB · disk/memory=%.2fx · "
                     + "cpu=\"%@\" blas_core=%@ threads=%d",
                     images, plan.rows, width, gb, plan.shardCount, writeSeconds, readSeconds, gb / readSeconds, uncheckedSeconds, crcCost, crcShare, crcWait,
                     Double(readPeak) / 1e9,
                     latents, k, batch, steps,
                     disk.tokensPerSecond, Double(disk.peak) / 1e9, inMemory.count / width, memory.tokensPerSecond,
                     Double(memory.peak) / 1e9, disk.tokensPerSecond / memory.tokensPerSecond,
                     BLASRuntime.cpuModel, BLASRuntime.core, Parallel.threads))
        if !keep { try? FileManager.default.removeItem(atPath: folder) }
    }
}
