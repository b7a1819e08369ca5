import Foundation
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
                    workspace ws: BlockWorkspace) {
        let rows = batch * tokens, width = config.width
        func hook(_ layer: Int, _ site: ActivationSite, _ p: UnsafeMutablePointer<Float>) {
            guard !hooks.isEmpty else { return }
            hooks.run(ActivationBuffer(layer: layer, site: site, batch: batch, tokens: tokens, width: width,
                                       firstItem: firstItem, pointer: p))
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
            addBranch(ws.branch.pointer, bias: block.outProj.bias, into: x, rows: rows, width: width,
                      hooked: hooks.has(layer: layer, site: .attnOut)) { hook(layer, .attnOut, ws.branch.pointer) }

            // MLP branch.
            block.ln2.apply(x, rows: rows, into: ws.normed.pointer)
            block.fc1.apply(ws.normed.pointer, rows: rows, into: ws.hidden.pointer)
            Kernels.biasActivation(ws.hidden.pointer, rows: rows, width: config.mlpWidth,
                                   bias: block.fc1.bias?.pointer, activation: config.activation)
            block.fc2.apply(ws.hidden.pointer, rows: rows, into: ws.branch.pointer)
            addBranch(ws.branch.pointer, bias: block.fc2.bias, into: x, rows: rows, width: width,
                      hooked: hooks.has(layer: layer, site: .mlpOut)) { hook(layer, .mlpOut, ws.branch.pointer) }

            hook(layer, .residPost, x)
        }
    }

    /// x += branch + bias. When a hook watches the branch, the bias is added
    /// first so the hook sees the branch's true output; otherwise both adds
    /// happen in one pass over memory.
    static func addBranch(_ branch: UnsafeMutablePointer<Float>, bias: Tensor?, into x: UnsafeMutablePointer<Float>,
                          rows: Int, width: Int, hooked: Bool, _ callHook: () -> Void) {
        if hooked {
            if let bias { Kernels.addBias(branch, rows: rows, width: width, bias: bias.pointer) }
            callHook()
            Kernels.add(branch, into: x, count: rows * width)
        } else {
            Kernels.addWithBias(branch, bias: bias?.pointer, into: x, rows: rows, width: width)
        }
    }
}
