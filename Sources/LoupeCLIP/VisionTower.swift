import LoupeTensor

/// CLIP's image encoder: patch embedding, class token and positions,
/// ln_pre, residual blocks, ln_post on the class token, projection.
struct VisionTower {
    let config: CLIPConfig
    let weights: VisionWeights
    let workspaces = WorkspaceCache()

    /// Encodes preprocessed pixels [batch, 3, size, size]. Returns the
    /// projected (not normalised) embeddings [batch, embedDim], or nil when
    /// `stopAfter` ended the pass early (only the hooks saw activations).
    func forward(pixels: Tensor, hooks: HookSet, firstItem: Int = 0, stopAfter: Int? = nil) -> Tensor? {
        let s = config.imageSize, p = config.patchSize, g = config.gridSize
        precondition(pixels.rank == 4 && pixels.shape[1] == 3 && pixels.shape[2] == s && pixels.shape[3] == s,
                     "vision input must be [batch, 3, \(s), \(s)], got \(pixels.shape)")
        let batch = pixels.shape[0], tokens = config.visionTokens, width = config.vision.width
        let patchLen = 3 * p * p

        // Patches laid out as rows of (channel, ky, kx), the conv kernel's order,
        // so the convolution is one matrix product.
        let patches = Tensor(uninitialized: [batch * g * g, patchLen])
        Parallel.forEach(batch * g * g, grain: 16) { range in
            for row in range {
                let b = row / (g * g), py = (row % (g * g)) / g, px = row % g
                let dst = patches.pointer + row * patchLen
                for c in 0..<3 {
                    for ky in 0..<p {
                        let src = pixels.pointer + ((b * 3 + c) * s + py * p + ky) * s + px * p
                        (dst + (c * p + ky) * p).update(from: src, count: p)
                    }
                }
            }
        }
        let embedded = Tensor(uninitialized: [batch * g * g, width])
        BLAS.gemm(m: batch * g * g, n: width, k: patchLen, a: patches.pointer, lda: patchLen,
                  b: weights.patchWeight.pointer, ldb: patchLen, transB: true, c: embedded.pointer, ldc: width)
        if let bias = weights.patchBias {
            Kernels.addBias(embedded.pointer, rows: batch * g * g, width: width, bias: bias.pointer)
        }

        // Each image's sequence: the class token (with its position), the
        // registers (with none), then the patches (with theirs).
        let x = Tensor(uninitialized: [batch * tokens, width])
        let pos = weights.positional.pointer, patches0 = config.prefixTokens
        let classRows = config.hasClassToken ? 1 : 0, registers = config.registerTokens
        for b in 0..<batch {
            let row0 = x.pointer + b * tokens * width
            if let cls = weights.classEmbedding?.pointer {
                for d in 0..<width { row0[d] = cls[d] + pos[d] }
            }
            if let reg = weights.registers {
                (row0 + classRows * width).update(from: reg.pointer, count: registers * width)
            }
            for t in 0..<(g * g) {
                let dst = row0 + (patches0 + t) * width, src = embedded.pointer + (b * g * g + t) * width
                let pe = pos + (classRows + t) * width
                for d in 0..<width { dst[d] = src[d] + pe[d] }
            }
        }
        weights.lnPre?.apply(x.pointer, rows: batch * tokens, into: x.pointer)
        return run(x, batch: batch, from: 0, hooks: hooks, firstItem: firstItem, stopAfter: stopAfter)
    }

    /// Runs blocks `first`... over `x` ([batch·tokens, width], block
    /// `first`'s resid_pre, overwritten), then the head. When no hook
    /// watches the last block and the head reads the class token alone,
    /// only the class token is carried through it: the embedding depends on
    /// nothing else there.
    func run(_ x: Tensor, batch: Int, from first: Int, hooks: HookSet, firstItem: Int, stopAfter: Int?) -> Tensor? {
        let tokens = config.visionTokens, width = config.vision.width, lastBlock = weights.blocks.count - 1
        let last = min(stopAfter ?? lastBlock, lastBlock)
        let pruneLast = last == lastBlock && first <= lastBlock && config.hasClassToken
            && !HookSet.Probe(hooks).watches(layer: lastBlock)
        let fullUntil = pruneLast ? last - 1 : last
        let ws = workspaces.take(rows: batch * tokens, width: width, mlpWidth: config.vision.mlpWidth)
        if first <= fullUntil {
            Transformer.run(x.pointer, batch: batch, tokens: tokens, config: config.vision,
                            blocks: weights.blocks[first...fullUntil], causal: false, hooks: hooks, firstItem: firstItem,
                            prefixTokens: config.prefixTokens, workspace: ws)
        }
        if pruneLast {
            Transformer.runClassToken(x.pointer, batch: batch, tokens: tokens, config: config.vision,
                                      block: weights.blocks[lastBlock], workspace: ws)
        }
        workspaces.give(ws)
        if last < lastBlock { return nil }

        let embedded: Tensor
        switch weights.head {
        case .classToken:
            // ln_post is per token, so normalising only the class tokens is exact.
            let pooled = Tensor(uninitialized: [batch, width])
            for b in 0..<batch { (pooled.pointer + b * width).update(from: x.pointer + b * tokens * width, count: width) }
            embedded = head(pooled)
        case .attentionPool(let ln, let pool):
            ln.apply(x.pointer, rows: batch * tokens, into: x.pointer)
            embedded = pool.apply(x, batch: batch, tokens: tokens, heads: config.vision.heads, activation: config.vision.activation)
        }
        // The embedding is a site too (one token per image), after every block.
        let embeddingLayer = weights.blocks.count
        if hooks.has(layer: embeddingLayer, site: .embedding) {
            hooks.run(ActivationBuffer(layer: embeddingLayer, site: .embedding, batch: batch, tokens: 1,
                                       width: embedded.shape[1], firstItem: firstItem, pointer: embedded.pointer))
        }
        return embedded
    }

    /// ln_post and the projection applied to class tokens [rows, width]
    /// taken from the last block's output (overwritten).
    func head(_ pooled: Tensor) -> Tensor {
        guard case .classToken(let ln, let projection) = weights.head else {
            preconditionFailure("the class-token head of a model that pools by attention")
        }
        let rows = pooled.shape[0]
        ln.apply(pooled.pointer, rows: rows, into: pooled.pointer)
        guard let proj = projection else { return pooled }
        let out = Tensor(uninitialized: [rows, proj.outFeatures])
        proj.apply(pooled.pointer, rows: rows, into: out.pointer)
        return out
    }
}

/// The text encoder: CLIP's is causal and pooled at the end-of-text
/// token (the highest id); SigLIP's attends both ways over the whole
/// padded context and is pooled at its last position.
struct TextTower {
    let config: TowerConfig
    let weights: TextWeights
    let contextLength: Int
    /// Causal attention, pooled at the end token (CLIP); otherwise SigLIP's.
    var causal = true

    /// Encodes token ids [batch][context] into projected embeddings [batch, embedDim].
    func forward(tokens: [[Int32]]) -> Tensor {
        let batch = tokens.count, width = config.width
        // CLIP pools the end token; with causal attention nothing after it
        // can change it, so later positions are skipped. SigLIP needs all.
        let pooledAt = causal
            ? tokens.map { ids in ids.indices.max { ids[$0] < ids[$1] || (ids[$0] == ids[$1] && $0 > $1) } ?? 0 }
            : Array(repeating: contextLength - 1, count: batch)
        let length = min(contextLength, (pooledAt.max() ?? 0) + 1)
        let x = Tensor(zeros: [batch * length, width])
        let emb = weights.tokenEmbedding.pointer, pos = weights.positional.pointer
        for b in 0..<batch {
            for t in 0..<length {
                let id = Int(tokens[b][t])
                let dst = x.pointer + (b * length + t) * width
                for d in 0..<width { dst[d] = emb[id * width + d] + pos[t * width + d] }
            }
        }
        let ws = BlockWorkspace(rows: batch * length, width: width, mlpWidth: config.mlpWidth)
        Transformer.run(x.pointer, batch: batch, tokens: length, config: config, blocks: weights.blocks[...],
                        causal: causal, hooks: HookSet(), firstItem: 0, workspace: ws)
        let pooled = Tensor(zeros: [batch, width])
        for b in 0..<batch { (pooled.pointer + b * width).update(from: x.pointer + (b * length + pooledAt[b]) * width, count: width) }
        weights.lnFinal.apply(pooled.pointer, rows: batch, into: pooled.pointer)
        guard let proj = weights.projection else { return pooled }
        let out = Tensor(zeros: [batch, proj.outFeatures])
        proj.apply(pooled.pointer, rows: batch, into: out.pointer)
        if let bias = proj.bias { Kernels.addBias(out.pointer, rows: batch, width: proj.outFeatures, bias: bias.pointer) }
        return out
    }
}
