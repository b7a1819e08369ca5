import ArgumentParser
import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDatasets
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeToyWorld

/// `loupe cache`: what `clip.activations(..., to:)` does in a notebook, from
/// the command line, so that a batch scheduler can run it as an array of
/// independent jobs (`--shard i/n`), each writing its share of one cache.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Write image-tower activations to a sharded cache on disk (resumable; one share per job with --shard).",
        discussion: """
            Every job of an array gets the same arguments and its own --shard i/n; each writes the shards of its share \
            of the image list. The job that finds every shard in place writes the complete index.json; \
            `loupe cache ... --merge` does so afterwards from the shards alone, checking each one's CRC-32. \
            Running the same command again skips the shards that are complete and verified.
            """)

    @Option(help: "A CLIP checkpoint (open_clip or Hugging Face, file or folder); the toy model if omitted.") var model: String?
    @Option(help: "A folder of PNG/JPEG files or of class sub-folders, as Dataset.folder reads it.") var images: String?
    @Option(help: "Toy-world scenes instead of a folder: how many.") var scenes: Int?
    @Option(help: "The seed of the scenes.") var seed = 0
    @Option(help: "The image-tower layer, from 0.") var layer: Int
    @Option(help: "resid_pre, resid_post, attn_out or mlp_out.") var site = "resid_post"
    @Option(help: "cls, spatial or all.") var tokens = "all"
    @Option(help: "The cache folder.") var to: String
    @Option(help: "Images per shard (default: about 128 MB a shard). Every job must use the same value.") var shardImages: Int?
    @Option(help: "This job's share, i/n with i from 0 (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT).") var shard: String?
    @Flag(help: "Write nothing new: check every shard's CRC-32 and write the complete index.json.") var merge = false

    func validate() throws {
        guard (images == nil) != (scenes == nil) else { throw ValidationError("give either --images FOLDER or --scenes COUNT") }
        if let scenes, !(1...1_000_000).contains(scenes) { throw ValidationError("--scenes must be between 1 and 1,000,000") }
        guard ActivationSite(rawValue: site) != nil else { throw ValidationError("--site must be resid_pre, resid_post, attn_out or mlp_out") }
        guard TokenSelection(rawValue: tokens) != nil else { throw ValidationError("--tokens must be cls, spatial or all") }
        if let shardImages, shardImages < 1 { throw ValidationError("--shard-images must be positive") }
        if shard != nil { _ = try job() }
        if merge && shard != nil { throw ValidationError("--merge checks the whole cache; leave out --shard") }
    }

    /// `--shard i/n` as (i, n).
    func job() throws -> (Int, Int) {
        let parts = (shard ?? "0/1").split(separator: "/").map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else {
            throw ValidationError("--shard takes i/n with 0 <= i < n, e.g. 3/16")
        }
        return (i, n)
    }

    func run() throws {
        let clip = try model.map { try CLIPModel(path: $0) } ?? CLIPModel.loadToy()
        let source: ImageSource = if let images {
            try FolderSource(root: images, limit: nil)
        } else {
            SceneSource(generator: SceneGenerator(seed: UInt64(seed), config: WorldConfig()))
        }
        let count = scenes ?? (source as! FolderSource).files.count
        guard count > 0 else { throw CacheCommandError.noImages(folder: images ?? "") }
        let caching = try ActivationCaching(
            model: clip, layer: layer, site: ActivationSite(rawValue: site)!, tokens: TokenSelection(rawValue: tokens)!,
            dataset: source.description, imageIDs: (0..<count).map(source.cacheID(at:)), shardImages: shardImages, folder: to,
            image: { DecodedImage(try source.image(at: $0)) })
        let plan = caching.plan
        try caching.prepare()
        if merge {
            let missing = try ActivationCacheFolder.finish(plan, in: to, checkingData: true)
            guard missing == 0 else {
                throw CacheCommandError.incomplete(missing: missing, of: plan.shardCount, folder: to)
            }
            print("\(to): all \(plan.shardCount) shards verified; index.json written (\(plan.rows) rows of \(plan.width))")
            return
        }
        let (i, n) = try job()
        let mine = plan.shards(job: i, of: n)
        let started = Date()
        let outcome = try caching.run(shards: mine) { done, total in
            FileHandle.standardError.write(Data("\rcaching shards \(mine.lowerBound)..<\(mine.upperBound): \(done)/\(total) images".utf8))
            return true
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("\(to): shards \(mine.lowerBound)..<\(mine.upperBound) of \(plan.shardCount): \(outcome.written) written, "
              + "\(outcome.skipped) already complete, in \(seconds)s; "
              + (outcome.missing == 0 ? "the cache is complete (index.json written)" : "\(outcome.missing) of \(plan.shardCount) shards still to come from other jobs"))
    }
}
