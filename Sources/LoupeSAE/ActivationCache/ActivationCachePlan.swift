import CZlib
import Foundation
import LoupeJSON

/// What a sharded activation cache holds and how it is cut: which model,
/// layer, site and tokens, which images in which order, and how many images
/// go in each shard. The same plan always names the same shard files with
/// the same contents, which is what lets a killed run resume and lets
/// independent jobs each write their share of one cache.
package struct ActivationCachePlan: Sendable, Equatable {
    package let model: String
    package let layer: Int
    package let site: HookPoint.Site
    package let tokens: HookPoint.Tokens
    package let tokensPerImage: Int
    package let width: Int
    /// What the images are (a dataset's description), and one name per image.
    package let dataset: String
    package let imageIDs: [String]
    package let shardImages: Int

    /// Shards of about this many bytes unless asked otherwise: large enough
    /// that a cache of a million images is a few thousand files, small
    /// enough that one shard in memory costs little.
    package static let defaultShardBytes = 128 << 20

    package init(model: String, layer: Int, site: HookPoint.Site, tokens: HookPoint.Tokens, tokensPerImage: Int, width: Int,
                 dataset: String, imageIDs: [String], shardImages: Int? = nil) throws {
        guard !imageIDs.isEmpty else { throw SAEError.empty("there are no images to cache") }
        guard (1...(1 << 20)).contains(tokensPerImage), (1...(1 << 20)).contains(width) else {
            throw SAEError.invalidSetting("an activation cache needs 1 to 1,048,576 tokens per image and as wide a row, got \(tokensPerImage) and \(width)")
        }
        let perImage = tokensPerImage * width * 4
        guard imageIDs.count <= 1 << 30 else { throw SAEError.invalidSetting("an activation cache holds at most 2^30 images") }
        let shard = shardImages ?? max(1, Self.defaultShardBytes / perImage)
        guard shard > 0 else { throw SAEError.invalidSetting("shardImages must be positive, got \(shard)") }
        self.model = model; self.layer = layer; self.site = site; self.tokens = tokens
        self.tokensPerImage = tokensPerImage; self.width = width
        self.dataset = dataset; self.imageIDs = imageIDs; self.shardImages = min(shard, imageIDs.count)
    }

    package var images: Int { imageIDs.count }
    package var rows: Int { images * tokensPerImage }
    package var shardCount: Int { (images + shardImages - 1) / shardImages }

    package func images(inShard shard: Int) -> Range<Int> {
        (shard * shardImages)..<min(images, (shard + 1) * shardImages)
    }

    package func fileName(shard: Int) -> String { "shard-" + String(format: "%05d", shard) + ".safetensors" }

    /// The shards that job `job` of `jobs` writes: a contiguous share of
    /// the image list, so each array job reads a contiguous run of images.
    package func shards(job: Int, of jobs: Int) -> Range<Int> {
        (job * shardCount / jobs)..<((job + 1) * shardCount / jobs)
    }

    package var metadata: SAEMetadata {
        SAEMetadata(model: model, layer: layer, site: site.rawValue, tokens: tokens.rawValue)
    }

    /// The fields that identify the cache; the digest of their JSON names it
    /// in every shard, so a shard of another plan is never taken for one of this.
    var identity: [String: JSON] {
        ["model": .string(model), "layer": .int(layer), "site": .string(site.rawValue), "tokens": .string(tokens.rawValue),
         "tokens_per_image": .int(tokensPerImage), "width": .int(width), "dtype": "F32", "dataset": .string(dataset),
         "images": .int(images), "image_ids": .array(imageIDs.map(JSON.string)), "shard_images": .int(shardImages)]
    }

    package var digest: String {
        let bytes = JSON.object(identity).serializedBytes()
        let crc = bytes.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return String(format: "%08x", UInt32(crc)) + "-" + String(bytes.count)
    }

    /// A one-line description for errors: "layer 11 resid_post, all tokens of 50000 images from model".
    package var summary: String {
        "layer \(layer) \(site.rawValue), \(tokens.rawValue) tokens of \(images) images from \(model)"
    }

    /// Reads the plan back from an index.
    init(index: JSON, path: String) throws {
        func bad(_ field: String) -> SAEError {
            .unusableFile(path: path, "'\(path)' is not a Loupe activation-cache index: its '\(field)' is missing or malformed; write the cache again")
        }
        guard index["format"]?.stringValue == ActivationCacheFolder.format else { throw bad("format") }
        guard let version = index["format_version"]?.intValue else { throw bad("format_version") }
        guard version <= ActivationCacheFolder.formatVersion else {
            throw SAEError.unusableFile(path: path, "'\(path)' is an activation cache of format version \(version); this Loupe reads up to \(ActivationCacheFolder.formatVersion), so update Loupe")
        }
        guard let model = index["model"]?.stringValue else { throw bad("model") }
        guard let layer = index["layer"]?.intValue else { throw bad("layer") }
        guard let site = index["site"]?.stringValue.flatMap(HookPoint.Site.init(rawValue:)) else { throw bad("site") }
        guard let tokens = index["tokens"]?.stringValue.flatMap(HookPoint.Tokens.init(rawValue:)) else { throw bad("tokens") }
        guard let perImage = index["tokens_per_image"]?.intValue else { throw bad("tokens_per_image") }
        guard let width = index["width"]?.intValue else { throw bad("width") }
        guard index["dtype"]?.stringValue == "F32" else { throw bad("dtype") }
        guard let dataset = index["dataset"]?.stringValue else { throw bad("dataset") }
        guard let ids = index["image_ids"]?.arrayValue?.compactMap(\.stringValue), ids.count == index["images"]?.intValue else { throw bad("image_ids") }
        guard let shard = index["shard_images"]?.intValue, shard > 0 else { throw bad("shard_images") }
        try self.init(model: model, layer: layer, site: site, tokens: tokens, tokensPerImage: perImage, width: width,
                      dataset: dataset, imageIDs: ids, shardImages: shard)
    }
}
