"""Builds the CLIP engine's test fixtures from the reference implementations.

Writes small random-initialised checkpoints (open_clip .safetensors and a
Hugging Face CLIP folder), reference activations and embeddings computed by
open_clip and transformers, test images of awkward kinds with the pixels
open_clip's preprocessing makes of them, and token ids for awkward strings.

    dev/.venv/bin/python dev/make_clip_fixtures.py            # Tests/Fixtures/clip
    dev/.venv/bin/python dev/make_clip_fixtures.py --full     # + ViT-B/32, B/16 in dev/work
"""
import argparse
import io
import json
import os
import struct
import zlib

import numpy as np
import open_clip
import torch
from PIL import Image, ImageDraw
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel

from openclip_capture import capture_openclip

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "clip")
SITES = ("resid_pre", "attn_out", "mlp_out", "resid_post")


def perturb(model, seed):
    """Random weights everywhere, layer norms included, so a swapped gamma and
    beta or a dropped bias shows up in the comparison."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                continue
            noise = torch.randn(p.shape, generator=g)
            if p.ndim == 1 and ("ln" in name or "norm" in name) and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif p.ndim == 1:
                p.copy_(0.1 * noise)
            else:
                fan_in = p.shape[-1] if p.ndim == 2 else int(np.prod(p.shape[1:]))
                p.copy_(noise / np.sqrt(fan_in))


def openclip_model(cfg, seed):
    torch.manual_seed(seed)
    model = open_clip.model.CLIP(cfg["embed_dim"], cfg["vision_cfg"], cfg["text_cfg"], quick_gelu=cfg["quick_gelu"])
    perturb(model, seed)
    return model.eval()


def capture_hf(model, pixels):
    acts, handles = {}, []
    for i, layer in enumerate(model.vision_model.encoder.layers):
        handles.append(layer.register_forward_pre_hook(
            lambda m, args, kwargs, i=i: acts.__setitem__(f"resid_pre.{i}", (args[0] if args else kwargs["hidden_states"]).detach().clone()),
            with_kwargs=True))
        handles.append(layer.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"resid_post.{i}", (out[0] if isinstance(out, tuple) else out).detach().clone())))
        handles.append(layer.self_attn.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"attn_out.{i}", out[0].detach().clone())))
        handles.append(layer.mlp.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"mlp_out.{i}", out.detach().clone())))
    with torch.no_grad():
        emb = model.get_image_features(pixel_values=pixels)
    for h in handles:
        h.remove()
    if not isinstance(emb, torch.Tensor):
        emb = emb.pooler_output
    return acts, emb


def small_vocab_ids(n, vocab, context, seed):
    """Token rows ending in the highest id (the pooled end token), zero padded."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(n, context, dtype=torch.long)
    for r in range(n):
        length = [5, 12, context][r % 3]
        ids[r, :length - 1] = torch.randint(1, vocab - 1, (length - 1,), generator=g)
        ids[r, length - 1] = vocab - 1
    return ids


def tensors_for_reference(acts, pixels, image_emb, ids, text_emb, logit_scale):
    out = {k: v.contiguous().float() for k, v in acts.items()}
    out["pixels"] = pixels.contiguous()
    out["image_embeds"] = image_emb.float().contiguous()
    if ids is not None:
        out["token_ids"] = ids.float().contiguous()
        out["text_embeds"] = text_emb.float().contiguous()
    out["logit_scale"] = torch.tensor([float(logit_scale)])
    return out


def build_openclip(name, cfg, seed, dtype=torch.float32):
    model = openclip_model(cfg, seed)
    if dtype != torch.float32:
        # Round the weights to the stored precision, then compute the
        # reference in float32 from exactly those values.
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(dtype).float())
    pixels = torch.randn(3, 3, cfg["vision_cfg"]["image_size"], cfg["vision_cfg"]["image_size"],
                         generator=torch.Generator().manual_seed(seed + 1))
    acts, emb = capture_openclip(model, pixels)
    ids = small_vocab_ids(3, cfg["text_cfg"]["vocab_size"], cfg["text_cfg"]["context_length"], seed + 2)
    with torch.no_grad():
        text_emb = model.encode_text(ids)
    state = {k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}
    meta = {"open_clip_config": json.dumps({"model_cfg": cfg,
                                            "preprocess_cfg": {"mean": list(open_clip.OPENAI_DATASET_MEAN),
                                                               "std": list(open_clip.OPENAI_DATASET_STD)}})}
    save_file(state, os.path.join(OUT, f"{name}.safetensors"), metadata=meta)
    save_file(tensors_for_reference(acts, pixels, emb, ids, text_emb, model.logit_scale.exp().item()),
              os.path.join(OUT, f"{name}.reference.safetensors"))


def build_hf(name, seed, tokenizer, texts):
    cfg = CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=8, intermediate_size=24, num_attention_heads=2,
                         num_hidden_layers=2, max_position_embeddings=77),
        vision_config=dict(hidden_size=64, intermediate_size=256, num_attention_heads=4, num_hidden_layers=2,
                           image_size=64, patch_size=16),
        projection_dim=24)
    torch.manual_seed(seed)
    model = CLIPModel(cfg)
    perturb(model, seed)
    folder = os.path.join(OUT, name)
    model.to(torch.bfloat16).save_pretrained(folder, safe_serialization=True)
    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()
    pixels = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(seed + 1))
    acts, emb = capture_hf(model, pixels)
    ids = tokenizer(texts)
    with torch.no_grad():
        text_emb = model.get_text_features(input_ids=ids)
    if not isinstance(text_emb, torch.Tensor):
        text_emb = text_emb.pooler_output
    save_file(tensors_for_reference(acts, pixels, emb, ids, text_emb, model.logit_scale.exp().item()),
              os.path.join(OUT, f"{name}.reference.safetensors"))


# ---------------------------------------------------------------- images

def scene(w, h, seed):
    """A picture with gradients, hard edges and noise: every resampling
    detail (ringing, rounding, borders) shows up in it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 / max(w - 1, 1))
    g = (y * 255 / max(h - 1, 1))
    b = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 5.0)
    img = np.stack([r, g, b], -1) + rng.normal(0, 12, (h, w, 3))
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([w // 5, h // 4, w // 2, h * 3 // 4], fill=(250, 20, 30))
    d.rectangle([w // 2, h // 8, w - 3, h // 3], fill=(10, 10, 240))
    return im


def png16(path, arr, color):
    """Writes a 16-bit PNG (PIL cannot write 16-bit RGB)."""
    h, w = arr.shape[:2]
    ctype = 2 if color else 0
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def build_images():
    folder = os.path.join(OUT, "images")
    os.makedirs(folder, exist_ok=True)
    base = scene(97, 71, 1)
    files = {}
    base.save(os.path.join(folder, "rgb.png")); files["rgb.png"] = None
    scene(30, 20, 2).save(os.path.join(folder, "small_upscale.png")); files["small_upscale.png"] = None
    scene(64, 90, 3).save(os.path.join(folder, "tall.png")); files["tall.png"] = None
    base.convert("L").save(os.path.join(folder, "gray.png")); files["gray.png"] = None
    base.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(os.path.join(folder, "palette.png")); files["palette.png"] = None
    base.convert("1").save(os.path.join(folder, "onebit.png")); files["onebit.png"] = None
    rgba = base.convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, rgba.width).astype(np.uint8), (rgba.height, 1))
    alpha[:, :10] = 0
    rgba.putalpha(Image.fromarray(alpha, "L"))
    rgba.save(os.path.join(folder, "rgba.png")); files["rgba.png"] = None
    la = base.convert("L").convert("LA"); la.putalpha(Image.fromarray(alpha, "L"))
    la.save(os.path.join(folder, "gray_alpha.png")); files["gray_alpha.png"] = None
    arr16 = np.minimum(np.asarray(base).astype(np.uint32) * 257 + np.random.default_rng(4).integers(0, 257, (71, 97, 3)), 65535)
    png16(os.path.join(folder, "rgb16.png"), arr16, True); files["rgb16.png"] = None
    png16(os.path.join(folder, "gray16.png"), arr16[..., 1], False)
    # PIL reads 16-bit gray as mode I;16 and clips it to 255 when converting
    # to RGB; Loupe keeps the high byte instead (documented), so the reference
    # is computed from the high byte.
    files["gray16.png"] = Image.fromarray((arr16[..., 1] >> 8).astype(np.uint8), "L")
    base.save(os.path.join(folder, "rgb.jpg"), quality=90); files["rgb.jpg"] = None
    base.convert("L").save(os.path.join(folder, "gray.jpg"), quality=90); files["gray.jpg"] = None
    base.convert("CMYK").save(os.path.join(folder, "cmyk.jpg"), quality=92); files["cmyk.jpg"] = None

    size = 64
    preprocess = open_clip.image_transform(size, is_train=False)
    # The same transform without ToTensor/Normalize, to compare 8-bit pixels.
    crop = type(preprocess)(preprocess.transforms[:3])
    ref = {}
    for name, override in files.items():
        im = override if override is not None else Image.open(os.path.join(folder, name))
        decoded = Image.open(os.path.join(folder, name)) if override is None else override
        ref[f"{name}.decoded"] = torch.from_numpy(np.asarray(decoded.convert("RGB")).copy())
        ref[f"{name}.cropped"] = torch.from_numpy(np.asarray(crop(im).convert("RGB")).copy())
        if name in ("rgb.png", "rgba.png", "cmyk.jpg"):
            ref[f"{name}.pixels"] = preprocess(im).contiguous()
    # Real-size check on one image at CLIP's 224.
    big = open_clip.image_transform(224, is_train=False)
    big_crop = type(big)(big.transforms[:3])
    ref["rgb.png.cropped224"] = torch.from_numpy(np.asarray(big_crop(Image.open(os.path.join(folder, "rgb.png")))).copy())
    save_file(ref, os.path.join(OUT, "images.reference.safetensors"))


TEXTS = [
    "a photo of a cat",
    "A large RED star on water, with the word 'cat'!!!",
    "Café crème brûlée à la française — naïve coöperation",
    "emoji 🐱🐶🚀 and flags 🇫🇷 mixed in👍🏽",
    "punctuation runs ?!?!... ---- ((( ))) '''quotes''' it's we're they'll I'd",
    "   lots\tof\n\nwhitespace\u3000and\u00a0nbsp   ",
    "HTML &amp; entities &lt;b&gt; &#39;x&#39; &quot;y&quot; &amp;amp;",
    "“curly quotes” and ‘single’ ﬁne ligatures ＦＵＬＬＷＩＤＴＨ",
    "数字 12345 and 漢字かなカナ 한국어 العربية русский",
    "<end_of_text> inside text",
    "numbers 3.14159 and 1,000,000 and ½ ² Ⅻ",
    " ".join(["a very long caption that keeps going"] * 20),
    "",
]


def build_tokens():
    tok = open_clip.get_tokenizer("ViT-B-32")
    rows = [{"text": t, "ids": tok([t])[0].tolist()} for t in TEXTS]
    with open(os.path.join(OUT, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=1)
    return tok


def build_full(tokenizer):
    """Full-size random ViT-B/32 and B/16 with reference outputs, for local
    checks of the real shapes (not committed: hundreds of MB)."""
    work = os.path.join(ROOT, "dev", "work")
    os.makedirs(work, exist_ok=True)
    for arch in ("ViT-B-32", "ViT-B-16"):
        model = open_clip.create_model(arch, pretrained=None).eval()
        cfg = open_clip.get_model_config(arch)
        meta = {"open_clip_config": json.dumps({"model_cfg": cfg})}
        save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                  os.path.join(work, f"{arch}.safetensors"), metadata=meta)
        pixels = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(5))
        acts, emb = capture_openclip(model, pixels)
        last = len(model.visual.transformer.resblocks) - 1
        ids = tokenizer(TEXTS[:4])
        with torch.no_grad():
            text_emb = model.encode_text(ids)
        save_file({"pixels": pixels, "image_embeds": emb, f"resid_post.{last}": acts[f"resid_post.{last}"],
                   "resid_pre.0": acts["resid_pre.0"], "token_ids": ids.float(), "text_embeds": text_emb},
                  os.path.join(work, f"{arch}.reference.safetensors"))
        print("wrote", os.path.join(work, f"{arch}.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also build full-size ViT-B/32 and B/16 in dev/work")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    tok = build_tokens()
    build_openclip("openclip_p16_gelu", {
        "embed_dim": 32, "quick_gelu": False,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 1000, "width": 32, "heads": 4, "layers": 2},
    }, seed=11)
    build_openclip("openclip_p32_quickgelu_fp16", {
        "embed_dim": 32, "quick_gelu": True,
        "vision_cfg": {"image_size": 64, "layers": 3, "width": 64, "patch_size": 32, "head_width": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 1000, "width": 32, "heads": 2, "layers": 2},
    }, seed=21, dtype=torch.float16)
    build_hf("hf_tiny_bf16", seed=31, tokenizer=tok, texts=TEXTS[:6])
    build_images()
    if args.full:
        build_full(tok)


if __name__ == "__main__":
    main()
