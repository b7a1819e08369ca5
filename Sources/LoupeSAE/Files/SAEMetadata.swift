import LoupeJSON

/// Where an SAE's training activations came from, as its file or activation
/// source records it; written to `cfg.json`'s metadata so an SAE is never
/// silently used on the wrong layer. `HookPoint` is its typed reading.
package struct SAEMetadata: Sendable, Equatable {
    package var model: String?
    package var layer: Int?
    /// Hook site as written, e.g. "resid_post".
    package var site: String?
    /// Token choice as written: "cls", "spatial" or "all".
    package var tokens: String?
    /// Anything else worth keeping (training options, peer tool fields).
    package var extra: [String: JSON]

    package init(model: String? = nil, layer: Int? = nil, site: String? = nil, tokens: String? = nil, extra: [String: JSON] = [:]) {
        self.model = model; self.layer = layer; self.site = site; self.tokens = tokens; self.extra = extra
    }

    /// The keys of `cfg.json`'s `metadata` object that become fields; the rest stay in `extra`.
    static let cfgKeys = ["model_name", "layer", "site", "tokens"]

    /// Reads `cfg.json`'s `metadata` object. A hook field of the wrong type
    /// (a layer "4" in quotes, a site that is a number) is an error here,
    /// where its key is known, not a field quietly dropped.
    init(cfgMetadata meta: [String: JSON]) throws {
        var extra = meta
        for key in Self.cfgKeys { extra.removeValue(forKey: key) }
        func text(_ key: String, _ error: (String) -> HookPointError) throws -> String? {
            guard let v = meta[key], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw error(v.serialized()) }
            return s
        }
        var layer: Int? = nil
        if let v = meta["layer"], !v.isNull {
            guard let l = v.intValue else { throw HookPointError.invalidLayer(v.serialized()) }
            layer = l
        }
        self.init(model: meta["model_name"]?.stringValue, layer: layer, site: try text("site", HookPointError.unknownSite),
                  tokens: try text("tokens", HookPointError.unknownTokens), extra: extra)
    }

    /// Reads the string metadata of an activation cache (`model`, `layer`, `site`, `tokens`).
    init(cacheFields m: [String: String]) throws {
        var layer: Int? = nil
        if let text = m["layer"] {
            guard let l = Int(text) else { throw HookPointError.invalidLayer("\"\(text)\"") }
            layer = l
        }
        self.init(model: m["model"], layer: layer, site: m["site"], tokens: m["tokens"])
    }
}
