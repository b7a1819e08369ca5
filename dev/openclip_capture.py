"""Per-layer activations of an open_clip image tower, captured with forward
hooks in the names Loupe's parity tests use (resid_pre.N, resid_post.N,
attn_out.N, mlp_out.N). Shared by the fixture and toy-model export scripts."""
import torch


def capture_openclip(model, pixels):
    """Returns (activations by name, image embeddings) for one forward pass."""
    acts, handles = {}, []
    for i, block in enumerate(model.visual.transformer.resblocks):
        handles.append(block.register_forward_pre_hook(
            lambda m, args, i=i: acts.__setitem__(f"resid_pre.{i}", args[0].detach().clone())))
        handles.append(block.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"resid_post.{i}", out.detach().clone())))
        handles.append(block.attn.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"attn_out.{i}", out[0].detach().clone())))
        handles.append(block.mlp.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"mlp_out.{i}", out.detach().clone())))
    with torch.no_grad():
        emb = model.encode_image(pixels)
    for h in handles:
        h.remove()
    return acts, emb
