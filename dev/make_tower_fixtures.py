"""Builds the DINOv2 and SigLIP fixtures from transformers itself.

Writes small random Hugging Face folders (config.json, model.safetensors,
preprocessor_config.json) for Dinov2Model, Dinov2WithRegistersModel and
SiglipModel, and beside each a reference file with what transformers
computes: every block's residual stream in and out, both branch outputs,
the pooled image embedding, and for SigLIP the text embeddings and
logits. The positional grid is larger than the crop's, so DINOv2's bicubic
interpolation is exercised as it is with the published weights (a 37x37
grid run on 224-pixel crops). Also records what each folder's image
processor makes of the CLIP fixtures' test images.

    dev/.venv-dl/bin/pip install -r dev/requirements-towers.txt
    dev/.venv-dl/bin/python dev/make_tower_fixtures.py            # Tests/Fixtures/towers
    dev/.venv-dl/bin/python dev/make_tower_fixtures.py --full DIR # ViT-B/14 and B/16 random, for the benchmark
"""
import argparse
import glob
import json
import os

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import (BitImageProcessor, SiglipTokenizer, Dinov2Config, Dinov2Model,
                          Dinov2WithRegistersConfig, Dinov2WithRegistersModel, SiglipConfig,
                          SiglipImageProcessor, SiglipModel)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "towers")
IMAGES = os.path.join(ROOT, "Tests", "Fixtures", "clip", "images")


def perturb(model, seed):
    """Random weights everywhere (norms, layer scales and biases included),
    so a dropped scale or a swapped gamma and beta shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("logit_scale", "logit_bias"):
                continue
            noise = torch.randn(p.shape, generator=g)
            if p.ndim == 1 and ("norm" in name or "lambda" in name) and not name.endswith("bias"):
                p.copy_(1 + 0.2 * noise)
            elif p.ndim == 1:
                p.copy_(0.1 * noise)
            else:
                fan_in = p.shape[-1] if p.ndim == 2 else int(np.prod(p.shape[1:]))
                p.copy_(noise / np.sqrt(max(fan_in, 1)))


def capture(layers, attn, mlp, run):
    """Each block's input and output and its two branches as added."""
    acts, handles = {}, []
    for i, layer in enumerate(layers):
        handles.append(layer.register_forward_pre_hook(
            lambda m, args, kwargs, i=i: acts.__setitem__(
                f"resid_pre.{i}", (args[0] if args else kwargs["hidden_states"]).detach().clone()),
            with_kwargs=True))
        handles.append(layer.register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(
                f"resid_post.{i}", (out[0] if isinstance(out, tuple) else out).detach().clone())))
        handles.append(attn(layer).register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(
                f"attn_out.{i}", (out[0] if isinstance(out, tuple) else out).detach().clone())))
        handles.append(mlp(layer).register_forward_hook(
            lambda m, args, out, i=i: acts.__setitem__(f"mlp_out.{i}", out.detach().clone())))
    with torch.no_grad():
        result = run()
    for h in handles:
        h.remove()
    return acts, result


def processed_images(processor):
    """The test images as the folder's processor makes them."""
    paths = sorted(glob.glob(os.path.join(IMAGES, "*.png")) + glob.glob(os.path.join(IMAGES, "*.jpg")))
    names, pixels = [], []
    for p in paths:
        im = Image.open(p)
        im.load()
        if im.mode == "I;16":
            # PIL clips 16-bit gray to 255 when converting to RGB; Loupe keeps
            # the high byte instead (documented), as the CLIP fixtures do.
            im = Image.fromarray((np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8), "L")
        pixels.append(processor(images=im, return_tensors="pt")["pixel_values"][0])
        names.append(os.path.basename(p))
    return names, torch.stack(pixels)


def save_folder(name, model, processor, reference, extra=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    processor.save_pretrained(folder)
    names, pixels = processed_images(processor)
    reference["processed_images"] = pixels.contiguous()
    save_file({k: v.contiguous().float() for k, v in reference.items()},
              os.path.join(OUT, f"{name}.reference.safetensors"),
              metadata={"images": json.dumps(names), **(extra or {})})
    # A reload by transformers must give the same numbers (the saved names round-trip).
    return folder


def save_full(name, model, processor, layers, run, pixels, extra=None):
    """A full-size folder for the benchmark, and beside it every block's
    output and the embedding for two random inputs (FullSizeParityTests)."""
    folder = os.path.join(OUT, name)
    model.save_pretrained(folder, safe_serialization=True)
    processor.save_pretrained(folder)
    outputs, handles = {}, []
    for i, layer in enumerate(layers):
        handles.append(layer.register_forward_hook(lambda m, a, out, i=i: outputs.__setitem__(
            f"resid_post.{i}", (out[0] if isinstance(out, tuple) else out).detach().clone())))
    with torch.no_grad():
        embeds = run()
    for h in handles:
        h.remove()
    ref = {**outputs, "pixels": pixels, "image_embeds": embeds, **(extra or {})}
    save_file({k: v.contiguous().float() for k, v in ref.items()}, os.path.join(OUT, f"{name}.reference.safetensors"))


def dinov2(name, registers, seed, full=False):
    torch.manual_seed(seed)
    common = dict(hidden_size=768 if full else 32, num_hidden_layers=12 if full else 2,
                  num_attention_heads=12 if full else 4, patch_size=14 if full else 4,
                  image_size=518 if full else 40, mlp_ratio=4, layer_norm_eps=1e-6,
                  layerscale_value=1.0, hidden_act="gelu")
    if registers:
        model = Dinov2WithRegistersModel(Dinov2WithRegistersConfig(num_register_tokens=registers, **common))
    else:
        model = Dinov2Model(Dinov2Config(**common))
    perturb(model, seed)
    model.eval()
    crop = 224 if full else 24
    processor = BitImageProcessor(size={"shortest_edge": 256 if full else 28}, crop_size={"height": crop, "width": crop},
                                  do_center_crop=True, resample=3, image_mean=[0.485, 0.456, 0.406],
                                  image_std=[0.229, 0.224, 0.225], do_convert_rgb=True)
    g = torch.Generator().manual_seed(seed + 1)
    pixels = torch.randn(2, 3, crop, crop, generator=g)
    layers = model.encoder.layer
    if full:
        save_full(name, model, processor, layers, lambda: model(pixel_values=pixels).pooler_output, pixels)
        return
    acts, out = capture(layers, lambda l: l.layer_scale1, lambda l: l.layer_scale2,
                        lambda: model(pixel_values=pixels))
    # The MLP's output as added is after layer_scale2; the hook above sees exactly that.
    ref = {**acts, "pixels": pixels, "image_embeds": out.pooler_output, "last_hidden_state": out.last_hidden_state}
    folder = save_folder(name, model, processor, ref)
    again = type(model).from_pretrained(folder).eval()
    with torch.no_grad():
        assert torch.allclose(again(pixel_values=pixels).pooler_output, out.pooler_output, atol=1e-6)
    print(name, "tokens", out.last_hidden_state.shape, "keys", sorted(model.state_dict().keys())[:6])


TEXTS = ["a photo of a cat", "A Red STAR!", "two  dogs,\tplaying   in the snow...", "", "zebra-crossing (night)",
         "an über café", "the the the the the the the the the the the the the the the the the the"]


def train_tokenizer(folder, vocab):
    """A tiny SentencePiece unigram model laid out as SigLIP's (pad 0, end 1,
    unknown 2), saved by SiglipTokenizer; returns the ids its processor's
    padding gives the test texts."""
    import sentencepiece as spm
    corpus = os.path.join(folder, "corpus.txt")
    words = ("a photo of the cat dog star red blue green two dogs playing in snow night crossing "
             "zebra an image picture small large bright dark").split()
    rng = np.random.default_rng(0)
    with open(corpus, "w") as f:
        for _ in range(400):
            f.write(" ".join(rng.choice(words, size=6)) + "\n")
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(folder, "spiece"), vocab_size=vocab,
                                   model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                                   pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>", hard_vocab_limit=False,
                                   minloglevel=2)
    os.remove(corpus)
    os.remove(os.path.join(folder, "spiece.vocab"))
    tok = SiglipTokenizer(vocab_file=os.path.join(folder, "spiece.model"))
    tok.save_pretrained(folder)
    return tok


def siglip(name, seed, full=False):
    torch.manual_seed(seed)
    width = 768 if full else 32
    vision = dict(hidden_size=width, intermediate_size=3072 if full else 64, num_hidden_layers=12 if full else 2,
                  num_attention_heads=12 if full else 4, patch_size=16 if full else 4, image_size=224 if full else 24,
                  layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
    text = dict(hidden_size=width, intermediate_size=3072 if full else 64, num_hidden_layers=12 if full else 2,
                num_attention_heads=12 if full else 4, vocab_size=32000 if full else 100,
                max_position_embeddings=64 if full else 16, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
    model = SiglipModel(SiglipConfig(vision_config=vision, text_config=text))
    perturb(model, seed)
    with torch.no_grad():
        model.logit_scale.fill_(float(np.log(10.0)))
        model.logit_bias.fill_(-2.5)
    model.eval()
    size = vision["image_size"]
    processor = SiglipImageProcessor(size={"height": size, "width": size}, resample=2, image_mean=[0.5, 0.5, 0.5],
                                     image_std=[0.5, 0.5, 0.5], do_convert_rgb=True)
    g = torch.Generator().manual_seed(seed + 1)
    pixels = torch.randn(2, 3, size, size, generator=g)
    context = text["max_position_embeddings"]
    ids = torch.randint(0, text["vocab_size"], (3, context), generator=g)
    if full:
        with torch.no_grad():
            text_embeds = model.text_model(input_ids=ids).pooler_output
        save_full(name, model, processor, model.vision_model.encoder.layers,
                  lambda: model.vision_model(pixel_values=pixels).pooler_output, pixels,
                  {"token_ids": ids.float(), "text_embeds": text_embeds})
        return
    ids[0, 5:] = 1   # padded, as SigLIP's processor pads to max_length
    layers = model.vision_model.encoder.layers
    acts, image = capture(layers, lambda l: l.self_attn, lambda l: l.mlp,
                          lambda: model.vision_model(pixel_values=pixels))
    with torch.no_grad():
        text_embeds = model.text_model(input_ids=ids).pooler_output
        both = model(input_ids=ids, pixel_values=pixels)
    ref = {**acts, "pixels": pixels, "image_embeds": image.pooler_output,
           "last_hidden_state": image.last_hidden_state, "token_ids": ids.float(), "text_embeds": text_embeds,
           "logits_per_image": both.logits_per_image, "probabilities": torch.sigmoid(both.logits_per_image)}
    folder = save_folder(name, model, processor, ref)
    tok = train_tokenizer(folder, text["vocab_size"])
    texts = tok(TEXTS, padding="max_length", max_length=context, truncation=True)["input_ids"]
    assert max(max(r) for r in texts) < text["vocab_size"]
    with open(os.path.join(OUT, f"{name}.texts.json"), "w") as f:
        json.dump({"texts": TEXTS, "context": context, "ids": texts}, f, ensure_ascii=False, indent=1)
    again = SiglipModel.from_pretrained(folder).eval()
    with torch.no_grad():
        assert torch.allclose(again(input_ids=ids, pixel_values=pixels).logits_per_image, both.logits_per_image, atol=1e-5)
    print(name, "keys", [k for k in model.state_dict().keys() if "head" in k][:12])


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", metavar="DIR", help="write full-size random ViT-B folders into DIR instead")
    args = ap.parse_args()
    if args.full:
        OUT = args.full
        dinov2("dinov2_vitb14", 0, seed=1, full=True)
        siglip("siglip_vitb16", seed=2, full=True)
        return
    dinov2("dinov2_tiny", 0, seed=11)
    dinov2("dinov2_registers_tiny", 2, seed=12)
    siglip("siglip_tiny", seed=13)


if __name__ == "__main__":
    main()
