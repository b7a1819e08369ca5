import LoupeSites

/// The layer and site a hook name points at, for SAE files whose metadata
/// gives a `hook_name` but no layer: TransformerLens's names
/// (`blocks.8.hook_resid_post`, SAELens's own) and the Hugging Face module
/// paths SAELens's TransformerLens v3 bridge writes (`vision_model.encoder.layers.8`,
/// `dinov2.encoder.layer.8.mlp`, open_clip's `visual.transformer.resblocks.8`):
/// a numbered layer of a stack is its output (resid_post); its attention or
/// MLP submodule is that branch's output.
package enum HookName {
    /// nil when the name points nowhere Loupe can place.
    package static func place(_ name: String) -> (layer: Int, site: ActivationSite)? {
        let parts = name.split(separator: ".").map(String.init)
        // TransformerLens: blocks.<L>.hook_<site>
        if parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), parts[2].hasPrefix("hook_"),
           let site = ActivationSite(rawValue: String(parts[2].dropFirst("hook_".count))), site.isInBlock {
            return (layer, site)
        }
        // A module path: the last "<stack>.<L>" and what follows it.
        let stacks: Set<String> = ["layers", "layer", "resblocks", "blocks", "h"]
        guard let at = parts.indices.last(where: { $0 + 1 < parts.count && stacks.contains(parts[$0]) && Int(parts[$0 + 1]) != nil }),
              let layer = Int(parts[at + 1]), layer >= 0 else { return nil }
        switch parts[(at + 2)...].joined(separator: ".") {
        case "": return (layer, .residPost)
        case "mlp", "ffn": return (layer, .mlpOut)
        case "attn", "self_attn", "attention", "attention.output": return (layer, .attnOut)
        default: return nil
        }
    }
}
