import LoupeImage
import LoupeSites
import LoupeTensor

/// A (layer, site) pair naming one captured activation.
package struct ActivationKey: Hashable, Sendable, CustomStringConvertible {
    package let layer: Int
    package let site: ActivationSite
    package init(layer: Int, site: ActivationSite) { self.layer = layer; self.site = site }
    package var description: String { "layer \(layer) \(site.rawValue)" }
}

extension CLIPModel {
    /// Captures image-tower activations for every requested (layer, site),
    /// keeping the selected tokens: each result is [images, tokens, width].
    /// Layers past the deepest requested one are not computed. `progress`
    /// receives images done after each batch; returning false stops early
    /// and the results cover the images finished so far.
    package func activations(pixels: Tensor, keys: [ActivationKey], tokens: TokenSelection = .all,
                            hooks: HookSet = HookSet(), batchSize: Int = defaultBatchSize,
                            progress: ((Int) -> Bool)? = nil) throws -> [ActivationKey: Tensor] {
        try activations(count: pixels.shape[0], pixels: { pixels.rows($0) }, keys: keys, tokens: tokens,
                        hooks: hooks, batchSize: batchSize, progress: progress)
    }

    /// The same, with pixels made one batch at a time by `pixels(range)`
    /// ([range.count, 3, size, size]), so a large image set is never held
    /// preprocessed in memory all at once. The batches are made on a thread
    /// of their own, up to two ahead, while the model runs the current one
    /// (decoding photos overlaps the forward pass); an error `pixels` throws
    /// stops the run there.
    package func activations(count: Int, pixels: @escaping (Range<Int>) throws -> Tensor, keys: [ActivationKey],
                            tokens: TokenSelection = .all, hooks: HookSet = HookSet(),
                            batchSize: Int = defaultBatchSize,
                            progress: ((Int) -> Bool)? = nil) throws -> [ActivationKey: Tensor] {
        for key in keys { try checkSite(key, tokens: tokens) }
        var outputs: [ActivationKey: Tensor] = [:]
        for key in keys {
            outputs[key] = Tensor(zeros: [count, tokenRange(tokens, site: key.site).count, siteWidth(key.site)])
        }
        // Capture runs after any caller hooks at the same site, so it records
        // the activations as modified (e.g. with an SAE latent clamped).
        let hooks = self.hooks(adding: hooks)
        var all = hooks
        for key in Set(keys) {
            let out = outputs[key]!
            let selected = tokenRange(tokens, site: key.site), width = siteWidth(key.site)
            all.add(layer: key.layer, site: key.site) { buf in
                for b in 0..<buf.batch {
                    let dst = out.pointer + (buf.firstItem + b) * selected.count * width
                    dst.update(from: buf.pointer + (b * buf.tokens + selected.lowerBound) * width, count: selected.count * width)
                }
            }
        }
        let deepest = keys.map(\.layer).max() ?? 0
        let step = max(1, batchSize)
        let batches = Prefetcher(ranges: stride(from: 0, to: count, by: step).map { $0..<min(count, $0 + step) },
                                 make: pixels)
        defer { batches.cancel() }
        var start = 0
        while start < count, let batch = try batches.next() {
            let end = min(count, start + step)
            guard batch.rank == 4, batch.shape[0] == end - start else {
                throw CLIPError(file: "activations", problem: "the pixel provider returned \(batch.shape) for images \(start)..<\(end)",
                                fix: "Return [\(end - start), 3, \(config.imageSize), \(config.imageSize)].")
            }
            // Layers past the deepest one anybody watches cannot change what is captured.
            _ = vision.forward(pixels: batch, hooks: all, firstItem: start, stopAfter: hooks.deepestLayer.map { max($0, deepest) })
            start = end
            if let progress, !progress(start), start < count {
                // Keep only the finished images.
                for key in keys { outputs[key] = outputs[key]!.rows(0..<start) }
                break
            }
        }
        return outputs
    }

    /// The layer the embedding site counts as: one past the last block.
    package var embeddingLayer: Int { config.vision.layers }

    /// Tokens per image at `site`: the whole sequence inside a block, one at the embedding.
    package func tokenCount(_ site: ActivationSite) -> Int { site.isInBlock ? config.visionTokens : 1 }

    /// The tokens `selection` keeps at `site`, out of this model's sequence.
    package func tokenRange(_ selection: TokenSelection, site: ActivationSite) -> Range<Int> {
        selection.range(tokens: tokenCount(site), prefix: site.isInBlock ? config.prefixTokens : 0)
    }

    /// Channels at `site`: the tower's width inside a block, the embedding's size after the projection.
    package func siteWidth(_ site: ActivationSite) -> Int { site.isInBlock ? config.vision.width : config.embedDim }

    /// Refuses a (layer, site) this model does not have, or tokens the site lacks.
    package func checkSite(_ key: ActivationKey, tokens: TokenSelection) throws {
        if tokens == .cls, key.site.isInBlock, !config.hasClassToken {
            throw CLIPError(file: path, problem: "\(config.family.rawValue) has no class token: its image embedding pools every patch by attention",
                            fix: "Use tokens: .spatial (every patch, the same as .all here), or the embedding site for one vector per image.")
        }
        if key.site.isInBlock {
            guard (0..<config.vision.layers).contains(key.layer) else {
                throw CLIPError(file: path, problem: "layer \(key.layer) does not exist",
                                fix: "This model has layers 0...\(config.vision.layers - 1).")
            }
        } else {
            guard key.layer == embeddingLayer else {
                throw CLIPError(file: path, problem: "the embedding comes after the last block, so it has no layer \(key.layer)",
                                fix: "Leave the layer out for the embedding (it counts as layer \(embeddingLayer)).")
            }
            guard tokens != .spatial else {
                throw CLIPError(file: path, problem: "the embedding has one vector per image and no patch tokens",
                                fix: "Use tokens: .cls (or .all, the same one vector) at the embedding.")
            }
        }
    }

    /// Activations at one layer and site for decoded images: [images, tokens, width].
    package func activations(images: [DecodedImage], layer: Int, site: ActivationSite = .residPost,
                            tokens: TokenSelection = .all, hooks: HookSet = HookSet(),
                            batchSize: Int = defaultBatchSize, progress: ((Int) -> Bool)? = nil) throws -> Tensor {
        try activations(count: images.count, image: { images[$0] }, layer: layer, site: site, tokens: tokens,
                        hooks: hooks, batchSize: batchSize, progress: progress)
    }

    /// Activations at one layer and site for `count` images made on demand
    /// by `image(i)` (read from disk, say): each batch is decoded and
    /// preprocessed on the prefetch thread while the previous one runs, so
    /// photos flow at nearly the rate of ready tensors and only a few
    /// batches are ever held decoded. `image` may be called from any thread.
    package func activations(count: Int, image: @escaping (Int) throws -> DecodedImage, layer: Int,
                            site: ActivationSite = .residPost, tokens: TokenSelection = .all,
                            hooks: HookSet = HookSet(), batchSize: Int = defaultBatchSize,
                            progress: ((Int) -> Bool)? = nil) throws -> Tensor {
        let key = ActivationKey(layer: layer, site: site), preprocessor = self.preprocessor
        return try activations(count: count, pixels: { try preprocessor.batch(range: $0, image: image) }, keys: [key],
                               tokens: tokens, hooks: hooks, batchSize: batchSize, progress: progress)[key]!
    }

    /// Activations at one layer and site for RGB pictures: [images, tokens, width].
    package func activations(images: [RGBImage], layer: Int, site: ActivationSite = .residPost,
                            tokens: TokenSelection = .all, hooks: HookSet = HookSet(),
                            batchSize: Int = defaultBatchSize, progress: ((Int) -> Bool)? = nil) throws -> Tensor {
        try activations(images: images.map(DecodedImage.init), layer: layer, site: site, tokens: tokens, hooks: hooks,
                        batchSize: batchSize, progress: progress)
    }
}
