import Foundation
import LoupeAnalysis
import LoupeCLIP
import LoupeDisplay
import LoupeImage
import LoupeJSON
import LoupeLanguage
import LoupeSAE
import LoupeSafetensors
import LoupeSites
import LoupeTensor

/// Image-tower activations with where they came from: held in memory, or
/// read from disk a block at a time (a sharded cache written with
/// `clip.activations(..., to:)`, or one safetensors file) so that a cache
/// larger than memory serves training and metrics all the same.
public final class ActivationsObject: HostObject {
    package enum Storage {
        case memory(Tensor)
        case cache(folder: String)
        case file(path: String)
        /// saev's shards (protocol 2.1): one layer, one token choice of them.
        case saev(SaevShards, layer: Int, tokens: TokenSelection)
    }

    package let storage: Storage
    /// [images, tokens, width], or [rows, width] for a file without images.
    public let shape: [Int]
    package let metadata: SAEMetadata
    /// The model that produced them, so SAEs trained on them can run it again.
    package let clip: CLIPModel?
    public var typeName: String { "Activations" }

    init(tensor: Tensor, layer: Int, site: ActivationSite, tokens: TokenSelection, model: String, clip: CLIPModel? = nil) {
        storage = .memory(tensor)
        shape = tensor.shape
        metadata = SAEMetadata(model: model, layer: layer, site: site.rawValue, tokens: tokens.rawValue)
        self.clip = clip
    }

    init(cache: ShardedActivationSource, clip: CLIPModel? = nil) {
        storage = .cache(folder: cache.folder)
        shape = [cache.plan.images, cache.plan.tokensPerImage, cache.plan.width]
        metadata = cache.plan.metadata
        self.clip = clip
    }

    init(file: CachedActivationSource, path: String) {
        storage = .file(path: path)
        shape = (file.imageShape ?? [file.rows]) + [file.width]
        metadata = file.metadata
        clip = nil
    }

    init(saev source: SaevShardsActivationSource) {
        storage = .saev(source.shards, layer: source.layer, tokens: source.tokens)
        shape = [source.shards.examples, source.rowsPerExample, source.width]
        metadata = source.metadata
        clip = nil
    }

    /// The tensor, when the activations are held in memory.
    package var inMemory: Tensor? {
        if case .memory(let tensor) = storage { return tensor }
        return nil
    }

    var width: Int { shape.last! }
    var rows: Int { shape.dropLast().reduce(1, *) }

    /// The rows, streamed: from memory, or from disk without loading them.
    /// `trainingSeed`: a cache's shards are interleaved (seeded), so the
    /// training buffer mixes rows of the whole cache, not of one shard.
    func source(trainingSeed: UInt64? = nil) throws -> ActivationSource {
        switch storage {
        case .memory(let tensor): try MatrixActivationSource(values: tensor.toArray(), width: width, metadata: metadata)
        case .cache(let folder):
            try ShardedActivationSource(folder: folder, order: trainingSeed.map { .interleaved(seed: $0) } ?? .stored)
        case .file(let path): try CachedActivationSource(path: path)
        case .saev(let shards, let layer, let tokens): try SaevShardsActivationSource(shards, layer: layer, tokens: tokens)
        }
    }

    public func display() -> DisplayBundle {
        let m = metadata
        let layer = m.layer.map { "layer \($0)" } ?? "an unrecorded layer"
        let shapeText = shape.count == 3 ? "[\(shape[0]) images, \(shape[1]) tokens, \(shape[2]) wide]" : "[\(shape[0]) rows, \(shape[1]) wide]"
        let place = m.site == HookPoint.Site.embedding.rawValue ? "the image embedding (post_projection)"
            : "\(layer)\(m.site.map { " " + $0 } ?? "")"
        var text = "Activations \(shapeText) at \(place)"
            + "\(m.tokens.map { ", \($0) tokens" } ?? "")\(m.model.map { ", from \($0)" } ?? "")"
        var fields: [(String, Value)] = shape.count == 3
            ? [("images", .int(shape[0])), ("tokens per image", .int(shape[1])), ("width", .int(shape[2]))]
            : [("rows", .int(shape[0])), ("width", .int(shape[1]))]
        var json: [String: JSON] = ["shape": .array(shape.map(JSON.int))]
        for (key, value) in [("layer", m.layer.map(JSON.int)), ("site", m.site.map(JSON.string)),
                             ("tokens", m.tokens.map(JSON.string)), ("model", m.model.map(JSON.string))] {
            guard let value else { continue }
            json[key] = value
            fields.append((key, value.intValue.map(Value.int) ?? .string(value.stringValue ?? "")))
        }
        switch storage {
        case .memory: break
        case .cache(let folder), .file(let folder):
            text += ", on disk in \(folder)"
            fields.append(("on disk", .string(folder)))
            json["path"] = .string(folder)
        case .saev(let shards, _, _):
            text += ", saev's shards of \(shards.family) \(shards.checkpoint) in \(shards.folder)"
                + (shards.hasLabels ? ", with patch labels" : "")
            fields.append(("on disk", .string(shards.folder + " (saev shards)")))
            json["path"] = .string(shards.folder)
            json["format"] = "saev_shards"
        }
        return DisplayBundle.summary(title: "Activations", text: text, fields: fields, json: .object(json))
    }
}

extension CallContext {
    /// A `tokens:` argument (`.cls`, `.spatial` or `.all`; the registry checks the choice).
    func tokenSelection(_ key: String = "tokens") throws -> TokenSelection {
        let name = try option(key).name
        guard let tokens = TokenSelection(rawValue: name) else { throw valueError(key, "tokens must be .cls, .spatial or .all, got .\(name)") }
        return tokens
    }

    func activations(_ key: String) throws -> ActivationsObject {
        try object(key, as: ActivationsObject.self, named: "Activations (from clip.activations(...) or Activations.load(...))")
    }
}

func registerActivations(_ r: Registry) {
    let clip = r.type("CLIP")
    clip.addMethod(BuiltinFunction("activations", [
        Parameter(nil, name: "images", type: "Image or Dataset"),
        Parameter("layer", type: "Int", default: .null, doc: "which image-tower layer, from 0 (none at site: .embedding)"),
        Parameter("tokens", type: "Option", default: .enumCase("all", []), doc: ".cls, .spatial or .all",
                  choices: Options.tokens),
        Parameter("site", type: "Option", default: .enumCase("residPost", []),
                  doc: ".residPre, .residPost, .attnOut or .mlpOut in a block, or .embedding: the projected image embedding "
                     + "after the last block, one vector per image (sae-for-vlm's post_projection, where Pach et al. train their SAEs)",
                  choices: Options.site),
        Parameter("to", type: "String", default: .null,
                  doc: "a folder: stream the activations to a sharded cache there instead of memory"),
        Parameter("shardImages", type: "Int", default: .null, doc: "images per shard of the cache (default: about 128 MB a shard)"),
    ], returns: "Activations", doc: "The image tower's activations at one layer: [images, tokens, width], with a progress display. "
       + "An interrupt keeps the images already done. With `to:` they go to disk, one shard at a time and each written atomically, "
       + "so memory holds one shard however many images there are; running the same call again after a kill or an interrupt "
       + "skips the shards already complete and verified.") { ctx in
        let model = ctx.clip()
        var tokens = try ctx.tokenSelection()
        let site: ActivationSite = ["residPre": .residPre, "residPost": .residPost, "attnOut": .attnOut, "mlpOut": .mlpOut,
                                    "embedding": .embedding][try ctx.option("site").name]!
        let layer: Int
        if site.isInBlock {
            guard ctx.has("layer") else { throw LoupeError(.argument, "give the layer to read, e.g. clip.activations(images, layer: 8)", at: ctx.span) }
            layer = try ctx.layer("layer")
        } else {
            guard !ctx.has("layer") else {
                throw ctx.valueError("layer", "the embedding comes after the last block and has no layer; leave layer: out with site: .embedding")
            }
            guard tokens != .spatial else {
                throw ctx.valueError("tokens", "the embedding is one vector per image, with no patch tokens; use tokens: .cls")
            }
            layer = model.embeddingLayer
            tokens = .cls   // the one vector per image is the class token's, as an SAE trained on it records
        }
        if ctx.has("to") { return try cacheActivations(ctx, model: model, layer: layer, site: site, tokens: tokens) }
        guard !ctx.has("shardImages") else { throw ctx.valueError("shardImages", "shardImages applies only to a cache on disk; add to: \"folder\"") }
        let stop = ctx.interpreter.interrupt
        try ctx.checkMemory(count: ctx.imageCount("images") * model.tokenCount(site) * model.siteWidth(site), of: 4,
                            for: "the activations of \(ctx.imageCount("images")) images (stream them to disk with to: \"folder\")")
        let images = try ctx.lazyImages("images")
        let progress = ProgressDisplay(output: ctx.interpreter.output, title: site.isInBlock ? "Activations at layer \(layer)" : "Image embeddings", total: images.count)
        var done = 0
        let tensor: Tensor
        do {
            tensor = try model.activations(count: images.count, image: { DecodedImage(try images.image($0)) },
                                           layer: layer, site: site, tokens: tokens) { finished in
                done = finished
                progress.update(done: finished)
                return !stop.isRequested
            }
        } catch { throw LoupeError(error, at: ctx.span) }
        progress.finish(done: done, interrupted: ctx.interrupted)
        try ctx.checkInterruptUnless(done > 0)
        return try ctx.finished(.object(ActivationsObject(tensor: tensor, layer: layer, site: site, tokens: tokens,
                                                          model: (model.path as NSString).lastPathComponent, clip: model)),
                                progress: "stopped after \(done) of \(images.count) images",
                                kept: "the activations of those \(done)")
    })

    r.add(BuiltinType("Activations", doc: "Image-tower activations [images, tokens, width] captured at one layer and site, "
                      + "in memory or on disk.", isGlobal: false))
    let activations = r.type("Activations")
    activations.addStatic(BuiltinFunction("load", [
        Parameter(nil, name: "path", type: "String", doc: "a cache folder, saev's shards folder, or one .safetensors file"),
        Parameter("layer", type: "Int", default: .null, doc: "for saev's shards: which recorded layer (needed when it holds several)"),
        Parameter("tokens", type: "Option", default: .null, doc: "for saev's shards: .cls, .spatial or .all (the default)",
                  choices: Options.tokens),
    ], returns: "Activations", doc: "Activations on disk, read a block at a time when used: a folder written by "
       + "`clip.activations(..., to:)` or `loupe cache`, a folder of saev's shards (protocol 2.1: metadata.json, shards.json, "
       + "acts*.bin; one layer and token choice of them), a file from `acts.save`, or a safetensors file written by Python "
       + "whose only tensor (or its `activations` tensor) is [rows, width] or [images, tokens, width] in F32, F16 or BF16.") { ctx in
        let path = try ctx.string("path")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ctx.valueError("path", "'\(path)' does not exist; give a cache folder or a .safetensors file")
        }
        ctx.noteLoad(path)
        if isFolder.boolValue && SaevShards.recognises(path) {
            let shards: SaevShards
            do { shards = try SaevShards(folder: path) } catch { throw LoupeError(.io, "\(error)", at: ctx.spanOf("path")) }
            let layer: Int
            if ctx.has("layer") {
                layer = try ctx.int("layer")
                guard shards.layers.contains(layer) else {
                    throw ctx.valueError("layer", "these shards hold layers \(shards.layers.map(String.init).joined(separator: ", ")), not \(layer)")
                }
            } else {
                guard shards.layers.count == 1 else {
                    throw ctx.valueError("layer", "these shards hold layers \(shards.layers.map(String.init).joined(separator: ", ")); say which with layer:")
                }
                layer = shards.layers[0]
            }
            let tokens = ctx.has("tokens") ? try ctx.tokenSelection() : .all
            do { return .object(ActivationsObject(saev: try SaevShardsActivationSource(shards, layer: layer, tokens: tokens))) }
            catch { throw ctx.valueError("tokens", "\(error)") }
        }
        for key in ["layer", "tokens"] where ctx.has(key) {
            throw ctx.valueError(key, "\(key): chooses among saev's shards; Loupe's own caches and files hold one layer and token choice")
        }
        do {
            if isFolder.boolValue { return .object(ActivationsObject(cache: try ShardedActivationSource(folder: path))) }
            return .object(ActivationsObject(file: try CachedActivationSource(path: path), path: path))
        } catch { throw LoupeError(.io, "\(error)", at: ctx.spanOf("path")) }
    })
    activations.addProperty(BuiltinProperty("shape", type: "[Int]", doc: "[images, tokens, width] ([rows, width] for a file without images).") { v in
        .array((v.objectValue as! ActivationsObject).shape.map { .int($0) })
    })
    activations.addMethod(BuiltinFunction("save", [Parameter(nil, name: "path", type: "String", doc: "a .safetensors file")],
                                          doc: "Writes the activations as one float32 tensor `activations` [images, tokens, width] "
                                          + "in a safetensors file, with model, layer, site and tokens in its metadata, atomically; "
                                          + "`safetensors.torch.load_file` reads it. Activations on disk are copied a block at a time.") { ctx in
        let acts = ctx.receiver.objectValue as! ActivationsObject
        let path = try ctx.string("path")
        do {
            try ActivationCache.write(try acts.source(), to: path, shape: acts.shape)
        } catch { throw LoupeError(.io, "could not write \(path): \(error)", at: ctx.spanOf("path")) }
        return .void
    })
}

/// `clip.activations(..., to: folder)`: the sharded cache, then the cache as Activations.
private func cacheActivations(_ ctx: CallContext, model: CLIPModel, layer: Int, site: ActivationSite, tokens: TokenSelection) throws -> Value {
    let folder = try ctx.string("to")
    let shardImages = ctx.has("shardImages") ? try ctx.int("shardImages") : nil
    if let shardImages, shardImages <= 0 { throw ctx.valueError("shardImages", "shardImages must be positive, got \(shardImages)") }
    let (count, image) = try ctx.lazyImages("images")
    let ids = (0..<count).map { ctx.imageID("images", $0) }
    let caching: ActivationCaching
    do {
        caching = try ActivationCaching(model: model, layer: layer, site: site, tokens: tokens, dataset: ctx.datasetName("images"),
                                        imageIDs: ids, shardImages: shardImages, folder: folder, image: { DecodedImage(try image($0)) })
    } catch { throw LoupeError(error, at: ctx.span) }
    let plan = caching.plan
    do { try caching.prepare() } catch { throw LoupeError(error, at: ctx.spanOf("to")) }
    try ctx.checkMemory(count: plan.shardImages * plan.tokensPerImage * plan.width, of: 4, for: "one shard of \(plan.shardImages) images (use a smaller shardImages:)")
    let stop = ctx.interpreter.interrupt
    let progress = ProgressDisplay(output: ctx.interpreter.output, title: "Caching layer \(layer) to \(folder)", total: count)
    let outcome: ActivationCaching.Outcome
    do {
        outcome = try caching.run { done, total in
            progress.update(done: count - total + done)
            return !stop.isRequested
        }
    } catch { throw LoupeError(error, at: ctx.span) }
    let shardsDone = plan.shardCount - outcome.missing
    var details = [("shards", "\(shardsDone)/\(plan.shardCount)")]
    if outcome.skipped > 0 { details.append(("already complete", "\(outcome.skipped)")) }
    progress.finish(done: min(count, shardsDone * plan.shardImages), details: details, interrupted: outcome.stopped)
    guard outcome.missing == 0 else {
        throw LoupeError(.interrupted, "stopped with \(shardsDone) of \(plan.shardCount) shards in \(folder); "
                         + "they are kept, and running the same command again writes the rest", at: ctx.span)
    }
    do { return .object(ActivationsObject(cache: try ShardedActivationSource(folder: folder), clip: model)) }
    catch { throw LoupeError(error, at: ctx.span) }
}

extension CallContext {
    /// A name for image `i` of an Image-or-Dataset argument, for a cache's image list.
    func imageID(_ key: String, _ i: Int) -> String {
        if case .object(let d as DatasetObject) = value(key) { return d.source.cacheID(at: d.indices[i]) }
        return "0: image"
    }

    /// What the images of an Image-or-Dataset argument are.
    func datasetName(_ key: String) -> String {
        if case .object(let d as DatasetObject) = value(key) { return d.source.description }
        if case .object(let o as ImageObject) = value(key) { return "one image: \(o.caption ?? "untitled")" }
        return "images"
    }
}
