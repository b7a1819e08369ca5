import LoupeSites
import LoupeTensor

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
    /// Tokens before the patches (class token, registers).
    package var prefixTokens: Int = 1

    /// One activation value, readable and writable.
    package subscript(item: Int, token: Int, channel: Int) -> Float {
        get { pointer[(item * tokens + token) * width + channel] }
        nonmutating set { pointer[(item * tokens + token) * width + channel] = newValue }
    }

    /// The selected tokens copied out as [batch, selected, width].
    package func copy(_ selection: TokenSelection) -> Tensor {
        let range = selection.range(tokens: tokens, prefix: prefixTokens)
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

    /// Adds `body` for `site` at `layer`, called once per image of each
    /// batch with that image's `tokens`: a pointer to their first
    /// activation and their count, rows of `width` floats, writable.
    package mutating func add(layer: Int, site: ActivationSite, tokens: TokenSelection,
                              _ body: @escaping (_ rows: UnsafeMutablePointer<Float>, _ count: Int, _ width: Int) -> Void) {
        add(layer: layer, site: site) { buffer in
            let range = tokens.range(tokens: buffer.tokens, prefix: buffer.prefixTokens)
            for item in 0..<buffer.batch {
                body(buffer.pointer + (item * buffer.tokens + range.lowerBound) * buffer.width, range.count, buffer.width)
            }
        }
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
