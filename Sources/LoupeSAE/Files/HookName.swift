import LoupeSites

/// The layer and site a hook name points at, for SAE files whose metadata
/// gives a `hook_name` but no layer:
/// - TransformerLens's names (`blocks.8.hook_resid_post`, SAELens's own);
/// - the names of TransformerLens v3's bridge, which SAELens 6.5x attaches
///   SAEs to: a block's `hook_in` (resid_pre) and `hook_out` (resid_post),
///   `attn.hook_out` and `mlp.hook_out`, under `blocks.<L>` or a Hugging Face
///   stack (`vision_encoder.encoder_layers.8.hook_out` for a CLIP tower),
///   and its aliases (`….encoder_layers.8.hook_resid_post`);
/// - Hugging Face module paths (`vision_model.encoder.layers.8`,
///   `dinov2.encoder.layer.8.mlp`, open_clip's `visual.transformer.resblocks.8`):
///   a numbered layer of a stack is its output (resid_post); its attention
///   or MLP submodule is that branch's output.
package enum HookName {
    /// Stack names whose next part is a layer number.
    static let stacks: Set<String> = ["layers", "layer", "resblocks", "blocks", "h", "encoder_layers"]

    /// nil when the name points nowhere Loupe can place.
    package static func place(_ name: String) -> (layer: Int, site: ActivationSite)? {
        let parts = name.split(separator: ".").map(String.init)
        // The last "<stack>.<L>" and what follows it.
        guard let at = parts.indices.last(where: { $0 + 1 < parts.count && stacks.contains(parts[$0]) && Int(parts[$0 + 1]) != nil }),
              let layer = Int(parts[at + 1]), layer >= 0 else { return nil }
        let tail = parts[(at + 2)...].joined(separator: ".")
        // TransformerLens's hook_<site>, directly after the layer.
        if tail.hasPrefix("hook_"), let site = ActivationSite(rawValue: String(tail.dropFirst("hook_".count))), site.isInBlock {
            return (layer, site)
        }
        switch tail {
        case "", "hook_out": return (layer, .residPost)
        case "hook_in": return (layer, .residPre)
        case "mlp", "ffn", "mlp.hook_out": return (layer, .mlpOut)
        case "attn", "self_attn", "attention", "attention.output", "attn.hook_out", "self_attn.hook_out": return (layer, .attnOut)
        default: return nil
        }
    }
}
