import Foundation
import LoupeSites
import LoupeTensor

/// Scratch memory for running residual blocks over [rows, width]
/// activations; allocated once per forward call and reused by every block.
final class BlockWorkspace {
    let normed: Tensor, qkv: Tensor, attention: Tensor, branch: Tensor, hidden: Tensor

    let rows: Int

    // Every buffer is fully written by a kernel before it is read.
    init(rows: Int, width: Int, mlpWidth: Int) {
        self.rows = rows
        normed = Tensor(uninitialized: [rows, width])
        qkv = Tensor(uninitialized: [rows, 3 * width])
        attention = Tensor(uninitialized: [rows, width])
        branch = Tensor(uninitialized: [rows, width])
        hidden = Tensor(uninitialized: [rows, mlpWidth])
    }
}

/// Keeps the last workspace so batch after batch of the same size reuses
/// memory that is already paged in.
final class WorkspaceCache: @unchecked Sendable {
    private var cached: BlockWorkspace?
    private let lock = NSLock()

    func take(rows: Int, width: Int, mlpWidth: Int) -> BlockWorkspace {
        lock.lock(); defer { lock.unlock() }
        if let ws = cached, ws.rows == rows, ws.normed.shape[1] == width, ws.hidden.shape[1] == mlpWidth {
            cached = nil
            return ws
        }
        return BlockWorkspace(rows: rows, width: width, mlpWidth: mlpWidth)
    }

    func give(_ ws: BlockWorkspace) {
        lock.lock(); cached = ws; lock.unlock()
    }
}

enum Transformer {
    /// Runs `blocks` over the residual stream `x` ([batch·tokens, width]) in
    /// place, calling hooks at each site of each block.
    static func run(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, config: TowerConfig,
                    blocks: ArraySlice<BlockWeights>, causal: Bool, hooks: HookSet, firstItem: Int,
                    prefixTokens: Int = 1, workspace ws: BlockWorkspace) {
        let rows = batch * tokens, width = config.width
        func hook(_ layer: Int, _ site: ActivationSite, _ p: UnsafeMutablePointer<Float>) {
            guard !hooks.isEmpty else { return }
            hooks.run(ActivationBuffer(layer: layer, site: site, batch: batch, tokens: tokens, width: width,
                                       firstItem: firstItem, pointer: p, prefixTokens: prefixTokens))
        }
        for (layer, block) in zip(blocks.indices, blocks) {
            hook(layer, .residPre, x)

            // Attention branch.
            block.ln1.apply(x, rows: rows, into: ws.normed.pointer)
            for part in block.qkvParts {
                part.weights.apply(ws.normed.pointer, rows: rows, into: ws.qkv.pointer + part.column, ldo: 3 * width)
            }
            Kernels.addBias(ws.qkv.pointer, rows: rows, width: 3 * width, bias: block.qkvBias.pointer)
            Attention.forward(qkv: ws.qkv.pointer, out: ws.attention.pointer, batch: batch, tokens: tokens,
                              width: width, heads: config.heads, causal: causal)
            block.outProj.apply(ws.attention.pointer, rows: rows, into: ws.branch.pointer)
            addBranch(ws.branch.pointer, bias: block.outProj.bias, scale: block.attentionScale, into: x, rows: rows, width: width,
                      hooked: hooks.has(layer: layer, site: .attnOut)) { hook(layer, .attnOut, ws.branch.pointer) }

            // MLP branch.
            block.ln2.apply(x, rows: rows, into: ws.normed.pointer)
            block.fc1.apply(ws.normed.pointer, rows: rows, into: ws.hidden.pointer)
            Kernels.biasActivation(ws.hidden.pointer, rows: rows, width: config.mlpWidth,
                                   bias: block.fc1.bias?.pointer, activation: config.activation)
            block.fc2.apply(ws.hidden.pointer, rows: rows, into: ws.branch.pointer)
            addBranch(ws.branch.pointer, bias: block.fc2.bias, scale: block.mlpScale, into: x, rows: rows, width: width,
                      hooked: hooks.has(layer: layer, site: .mlpOut)) { hook(layer, .mlpOut, ws.branch.pointer) }

            hook(layer, .residPost, x)
        }
    }

    /// The last block for the class tokens only (rows b·tokens of `x`): keys
    /// and values still come from every token, but queries, the output
    /// projection and the MLP run for one row per image. Only the class
    /// rows of `x` hold the block's output afterwards.
    static func runClassToken(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, config: TowerConfig,
                              block: BlockWeights, workspace ws: BlockWorkspace) {
        let rows = batch * tokens, width = config.width, ld = 3 * width
        block.ln1.apply(x, rows: rows, into: ws.normed.pointer)
        for part in block.qkvParts {
            let w = part.weights, out = w.outFeatures
            // Keys and values (packed columns width..<3·width) for every token.
            let kv = overlap(part.column..<(part.column + out), width..<(3 * width))
            if !kv.isEmpty {
                BLAS.gemm(m: rows, n: kv.count, k: width, a: ws.normed.pointer, lda: width,
                          b: w.weight.pointer + (kv.lowerBound - part.column) * width, ldb: width, transB: true,
                          c: ws.qkv.pointer + kv.lowerBound, ldc: ld)
            }
            // Queries (columns 0..<width) for the class rows: a stride of one image.
            let q = overlap(part.column..<(part.column + out), 0..<width)
            if !q.isEmpty {
                BLAS.gemm(m: batch, n: q.count, k: width, a: ws.normed.pointer, lda: tokens * width,
                          b: w.weight.pointer, ldb: width, transB: true,
                          c: ws.qkv.pointer + q.lowerBound, ldc: tokens * ld)
            }
        }
        // Bias on every row; query columns of non-class rows are never read.
        Kernels.addBias(ws.qkv.pointer, rows: rows, width: ld, bias: block.qkvBias.pointer)
        let attended = ws.attention.pointer            // [batch, width] used compactly
        Attention.classQuery(qkv: ws.qkv.pointer, out: attended, batch: batch, tokens: tokens, width: width, heads: config.heads)
        let branch = ws.branch.pointer                 // [batch, width]
        block.outProj.apply(attended, rows: batch, into: branch)
        let cls = ws.normed.pointer                    // [batch, width]: the class rows, compact
        scaleBranch(branch, bias: block.outProj.bias, scale: block.attentionScale, rows: batch, width: width)
        for b in 0..<batch {
            let xr = x + b * tokens * width, br = branch + b * width
            for d in 0..<width { xr[d] += br[d] }
            (cls + b * width).update(from: xr, count: width)
        }
        let normed = ws.qkv.pointer                    // reused as [batch, width]
        block.ln2.apply(cls, rows: batch, into: normed)
        block.fc1.apply(normed, rows: batch, into: ws.hidden.pointer)
        Kernels.biasActivation(ws.hidden.pointer, rows: batch, width: config.mlpWidth,
                               bias: block.fc1.bias?.pointer, activation: config.activation)
        block.fc2.apply(ws.hidden.pointer, rows: batch, into: branch)
        scaleBranch(branch, bias: block.fc2.bias, scale: block.mlpScale, rows: batch, width: width)
        for b in 0..<batch {
            let xr = x + b * tokens * width, br = branch + b * width
            for d in 0..<width { xr[d] += br[d] }
        }
    }

    /// branch = (branch + bias) · scale, channel by channel; either may be absent.
    static func scaleBranch(_ branch: UnsafeMutablePointer<Float>, bias: Tensor?, scale: Tensor?, rows: Int, width: Int) {
        if let bias { Kernels.addBias(branch, rows: rows, width: width, bias: bias.pointer) }
        guard let scale else { return }
        let s = scale.pointer
        Parallel.forEach(rows, grain: 64) { range in
            for r in range {
                let row = branch + r * width
                for d in 0..<width { row[d] *= s[d] }
            }
        }
    }

    /// The columns two ranges share (empty when they do not meet).
    static func overlap(_ a: Range<Int>, _ b: Range<Int>) -> Range<Int> {
        let lo = max(a.lowerBound, b.lowerBound)
        return lo..<max(lo, min(a.upperBound, b.upperBound))
    }

    /// x += (branch + bias) · scale. When a hook watches the branch, or a
    /// layer scale multiplies it, the bias (and scale) are applied first so
    /// the hook sees what is really added; otherwise both adds happen in one
    /// pass over memory.
    static func addBranch(_ branch: UnsafeMutablePointer<Float>, bias: Tensor?, scale: Tensor?, into x: UnsafeMutablePointer<Float>,
                          rows: Int, width: Int, hooked: Bool, _ callHook: () -> Void) {
        if !hooked, let scale {
            Kernels.addScaled(branch, bias: bias?.pointer, scale: scale.pointer, into: x, rows: rows, width: width)
        } else if hooked {
            scaleBranch(branch, bias: bias, scale: scale, rows: rows, width: width)
            callHook()
            Kernels.add(branch, into: x, count: rows * width)
        } else {
            Kernels.addWithBias(branch, bias: bias?.pointer, into: x, rows: rows, width: width)
        }
    }
}
