import Foundation
import LoupeCLIP
import LoupeImage
import LoupeSAE
import LoupeSites
import LoupeTensor

/// Runs images through CLIP into a sharded activation cache, one shard at a
/// time: memory holds one shard's activations (128 MB by default) however
/// many images there are, each shard is written atomically as soon as it is
/// done, and shards already complete and verified are skipped, so a run that
/// was killed or interrupted resumes where it stopped.
package struct ActivationCaching {
    package let model: CLIPModel
    package let plan: ActivationCachePlan
    package let folder: String
    /// Image `i` of the plan's image list; called from the prefetch thread.
    package let image: (Int) throws -> DecodedImage

    package init(model: CLIPModel, layer: Int, site: ActivationSite, tokens: TokenSelection, dataset: String, imageIDs: [String],
                 shardImages: Int? = nil, folder: String, image: @escaping (Int) throws -> DecodedImage) throws {
        self.model = model; self.folder = folder; self.image = image
        try model.checkSite(ActivationKey(layer: layer, site: site), tokens: tokens)
        plan = try ActivationCachePlan(
            model: (model.path as NSString).lastPathComponent, layer: layer, site: site,
            tokens: tokens, tokensPerImage: model.tokenRange(tokens, site: site).count,
            width: model.siteWidth(site), dataset: dataset, imageIDs: imageIDs, shardImages: shardImages)
    }

    package struct Outcome: Sendable {
        /// Shards written now, and those found complete from an earlier run.
        package var written = 0, skipped = 0
        /// Shards of the whole cache still missing (0: the index is written).
        package var missing = 0
        package var stopped = false
    }

    /// Readies the folder for this plan (`ActivationCacheFolder.prepare`):
    /// call it before `run`, so that a folder holding something else is
    /// refused before any progress is shown.
    package func prepare() throws { try ActivationCacheFolder.prepare(plan, in: folder) }

    /// Writes the shards in `shards` (all by default), once `prepare` has
    /// passed. `progress(done, total)` counts images of the shards that need
    /// work; returning false stops after the shards already finished, and
    /// the one under way is dropped.
    package func run(shards: Range<Int>? = nil, progress: (Int, Int) -> Bool = { _, _ in true }) throws -> Outcome {
        var outcome = Outcome()
        var todo: [Int] = []
        for s in shards ?? 0..<plan.shardCount {
            if try ActivationCacheFolder.shard(s, of: plan, in: folder, checkingData: true) != nil { outcome.skipped += 1 } else { todo.append(s) }
        }
        let total = todo.reduce(0) { $0 + plan.images(inShard: $1).count }
        var done = 0
        let site = plan.site, tokens = plan.tokens
        for s in todo {
            guard progress(done, total) else { outcome.stopped = true; break }
            let images = plan.images(inShard: s)
            var finished = 0
            let acts = try withoutActuallyEscaping(progress) { progress in
                try model.activations(count: images.count, image: { [image] in try image(images.lowerBound + $0) },
                                      layer: plan.layer, site: site, tokens: tokens) { n in
                    finished = n
                    return progress(done + n, total)
                }
            }
            guard finished == images.count else { outcome.stopped = true; break }
            try ActivationCacheFolder.writeShard(s, of: plan, in: folder, activations: acts)
            done += images.count
            outcome.written += 1
        }
        outcome.missing = try ActivationCacheFolder.finish(plan, in: folder)
        return outcome
    }
}
