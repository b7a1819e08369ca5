"""PyTorch/open_clip side of the steerability sweep benchmark.

The same sweep as `loupe bench steer`: a TopK SAE on the last layer's
resid_post, every latent clamped in turn on every token, the SAE error
added back, p(v|x) = softmax(100 <e(x), t_v>) over the vocabulary, and
S(f) = sum_v (mean_x p_steered - p)^2. At the last layer only the class
token reaches the embedding, so the peer re-runs just the head (ln_post and
the projection) for each latent, batched over images and latents: the
efficient way to do it in PyTorch without deriving a closed form. It times
a sample of latents and extrapolates to all of them; the image forward and
the text tower are timed in full. Images are random pixels (the cost does
not depend on content); words are CLIP's most frequent whole-word tokens.
Prints one JSON object.

    dev/.venv/bin/python bench/steer_peer.py dev/work/ViT-B-32.safetensors --latents 49152 --words 5000 --images 192
"""
import argparse
import json
import os
import time

import open_clip
import torch
import torch.nn.functional as F
from safetensors.torch import load_file


def common_words(count):
    tok = open_clip.tokenizer.SimpleTokenizer()
    words = []
    for merged in tok.bpe_ranks:  # merge order, as Loupe's CLIPTokenizer.commonWords
        w = "".join(merged)
        if w.endswith("</w>") and len(w) >= 7 and w[:-4].isascii() and w[:-4].isalpha() and w[:-4].islower():
            words.append(w[:-4])
    return words[:count]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--arch", default="ViT-B-32")
    ap.add_argument("--latents", type=int, default=49152)
    ap.add_argument("--words", type=int, default=5000)
    ap.add_argument("--images", type=int, default=192)
    ap.add_argument("--sample", type=int, default=128, help="latents timed before extrapolating")
    ap.add_argument("--per-batch", type=int, default=8, help="latents per batched head pass")
    ap.add_argument("--clamp", type=float, default=150.0)
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    model = open_clip.create_model(args.arch, pretrained=None)
    model.load_state_dict(load_file(args.checkpoint))
    model.eval()
    visual = model.visual
    width = visual.transformer.width
    tokenizer = open_clip.get_tokenizer(args.arch)

    with torch.inference_mode():
        start = time.perf_counter()
        parts = []
        # open_clip's blocks are batch-first: [images, tokens, width]; token 0 is the class token.
        visual.transformer.resblocks[-1].register_forward_hook(lambda m, a, out: parts.append(out[:, 0].clone()))
        pixels = torch.rand(args.images, 3, 224, 224) * 2 - 1
        for i in range(0, args.images, 32):
            model.encode_image(pixels[i:i + 32])
        cls = torch.cat(parts)                                  # [images, width]
        images_s = time.perf_counter() - start

        start = time.perf_counter()
        words = common_words(args.words)
        text = torch.cat([model.encode_text(tokenizer(words[i:i + 500])) for i in range(0, len(words), 500)])
        text = F.normalize(text, dim=-1)
        text_s = time.perf_counter() - start

        # A TopK SAE (k = 32) with random weights, as on Loupe's side.
        w_enc = torch.randn(width, args.latents) / width ** 0.5
        w_dec = F.normalize(torch.randn(args.latents, width), dim=-1)
        b_dec = torch.zeros(width)
        pre = (cls - b_dec) @ w_enc
        top = pre.topk(32, dim=1)
        codes = torch.zeros_like(pre).scatter_(1, top.indices, top.values.clamp(min=0))

        def head(x):
            return F.normalize(visual.ln_post(x) @ visual.proj, dim=-1)

        base = torch.softmax(100 * head(cls) @ text.T, dim=1).mean(0)
        start = time.perf_counter()
        scores = []
        for f0 in range(0, args.sample, args.per_batch):
            fs = torch.arange(f0, min(args.sample, f0 + args.per_batch))
            shift = (args.clamp - codes[:, fs]).T                # [latents, images]
            steered = cls[None] + shift[..., None] * w_dec[fs][:, None, :]
            p = torch.softmax(100 * head(steered.reshape(-1, width)) @ text.T, dim=1)
            delta = p.reshape(len(fs), args.images, -1).mean(1) - base
            scores.append((delta ** 2).sum(1))
        sweep_sample_s = time.perf_counter() - start
    sweep_s = sweep_sample_s / args.sample * args.latents
    print(json.dumps({
        "implementation": f"open_clip {open_clip.__version__} / torch {torch.__version__}",
        "threads": torch.get_num_threads(), "latents": args.latents, "words": len(words), "images": args.images,
        "images_s": round(images_s, 2), "text_s": round(text_s, 2),
        "sweep_sample_latents": args.sample, "sweep_sample_s": round(sweep_sample_s, 2),
        "sweep_s": round(sweep_s, 1), "total_s": round(images_s + text_s + sweep_s, 1),
    }))


if __name__ == "__main__":
    main()
