import LoupeTensor

/// Points in a residual block where activations can be read or replaced.
package enum ActivationSite: String, CaseIterable, Sendable {
    /// The residual stream entering the block (after ln_pre for block 0).
    case residPre = "resid_pre"
    /// The attention branch's output (after out-projection and bias), before it is added.
    case attnOut = "attn_out"
    /// The MLP branch's output, before it is added.
    case mlpOut = "mlp_out"
    /// The residual stream leaving the block.
    case residPost = "resid_post"
    /// The projected image embedding: the class token after ln_post and the
    /// projection, before L2 normalisation; one token per image, embedDim
    /// wide. What sae-for-vlm hooks as `post_projection` (its layer -1).
    /// It comes after every block, so its layer is the block count
    /// (`CLIPModel.embeddingLayer`).
    case embedding = "post_projection"

    /// Sites inside a residual block, where every layer has one.
    package var isInBlock: Bool { self != .embedding }

    /// The sites every block has, in the order a forward pass meets them.
    package static var blockSites: [ActivationSite] { allCases.filter(\.isInBlock) }
}

/// Which tokens of a sequence to keep.
package enum TokenSelection: String, Sendable {
    /// The class token only (token 0).
    case cls
    /// The patch tokens (1..<tokens), in raster order.
    case spatial
    /// Every token.
    case all

    /// The token indices this selection keeps out of `tokens`.
    package func range(tokens: Int) -> Range<Int> {
        switch self {
        case .cls: return 0..<1
        case .spatial: return 1..<tokens
        case .all: return 0..<tokens
        }
    }
}

/// The activations at one (layer, site) for one batch: [batch, tokens, width],
/// row-major and writable. Writing changes what the rest of the forward pass
/// sees. The memory is valid only during the hook call.
package struct ActivationBuffer {
    package let layer: Int
    package let site: ActivationSite
    package let batch: Int
    package let tokens: Int
    package let width: Int
    /// Index of this batch's first image among all images of the call.
    package let firstItem: Int
    package let pointer: UnsafeMutablePointer<Float>

    /// One activation value, readable and writable.
    package subscript(item: Int, token: Int, channel: Int) -> Float {
        get { pointer[(item * tokens + token) * width + channel] }
        nonmutating set { pointer[(item * tokens + token) * width + channel] = newValue }
    }

    /// The selected tokens copied out as [batch, selected, width].
    package func copy(_ selection: TokenSelection) -> Tensor {
        let range = selection.range(tokens: tokens)
        let out = Tensor(zeros: [batch, range.count, width])
        for b in 0..<batch {
            (out.pointer + b * range.count * width)
                .update(from: pointer + (b * tokens + range.lowerBound) * width, count: range.count * width)
        }
        return out
    }
}

/// A function called at a (layer, site) during a forward pass.
package typealias ActivationHook = (ActivationBuffer) -> Void

/// Hooks registered for a forward pass: each runs when its layer (nil: any)
/// and site match, in registration order.
package struct HookSet {
    struct Entry { let layer: Int?; let site: ActivationSite; let body: ActivationHook }
    var entries: [Entry] = []

    /// An empty set: a plain forward pass.
    package init() {}

    /// Adds `body` for `site` at `layer` (or every layer when nil).
    package mutating func add(layer: Int?, site: ActivationSite, _ body: @escaping ActivationHook) {
        entries.append(Entry(layer: layer, site: site, body: body))
    }

    package var isEmpty: Bool { entries.isEmpty }

    /// Adds all of `other`'s hooks after this set's own.
    package mutating func append(contentsOf other: HookSet) { entries += other.entries }

    func has(layer: Int, site: ActivationSite) -> Bool {
        entries.contains { $0.site == site && ($0.layer == nil || $0.layer == layer) }
    }

    func run(_ buffer: ActivationBuffer) {
        for e in entries where e.site == buffer.site && (e.layer == nil || e.layer == buffer.layer) { e.body(buffer) }
    }

    /// Asks which layers a hook set touches (internal planning of a pass).
    struct Probe {
        let set: HookSet
        init(_ set: HookSet) { self.set = set }
        func watches(layer: Int) -> Bool { set.entries.contains { $0.layer == nil || $0.layer == layer } }
    }

    /// The deepest layer any hook needs, or nil when a hook spans every layer.
    var deepestLayer: Int? {
        var deepest = -1
        for e in entries { guard let l = e.layer else { return nil }; deepest = max(deepest, l) }
        return deepest
    }
}
