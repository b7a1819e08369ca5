"""Builds the fixture for Hugging Face preprocessing: a tiny CLIP folder
with a preprocessor_config.json, real non-square photographs (crops of
scikit-image's NASA astronaut, cat and coffee pictures) and images of
awkward kinds, with what transformers' own CLIPImageProcessor and
CLIPModel make of them: pixel values, every layer's hidden states and the
image embeddings.

    dev/.venv/bin/python dev/make_hf_preprocess_fixture.py     # Tests/Fixtures/clip/hf_photos*
"""
import json
import os
import shutil

import numpy as np
import skimage.data
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import AutoImageProcessor, CLIPConfig, CLIPModel

from make_clip_fixtures import OUT, capture_hf, perturb

NAME = "hf_photos"
# Odd margins after the resize, so transformers' truncated crop offset and
# open_clip's rounded one differ by a pixel.
PHOTOS = {"astronaut.jpg": ("astronaut", (97, 71)), "cat.jpg": ("chelsea", (113, 75)), "coffee.png": ("coffee", (75, 101))}
AWKWARD = ["rgba.png", "cmyk.jpg", "palette.png", "gray.png", "small_upscale.png"]


def main():
    torch.set_num_threads(1)
    folder = os.path.join(OUT, NAME)
    shutil.rmtree(folder, ignore_errors=True)
    cfg = CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=8, intermediate_size=24, num_attention_heads=2,
                         num_hidden_layers=1, max_position_embeddings=77),
        vision_config=dict(hidden_size=64, intermediate_size=256, num_attention_heads=4, num_hidden_layers=2,
                           image_size=64, patch_size=16),
        projection_dim=24)
    torch.manual_seed(41)
    model = CLIPModel(cfg)
    perturb(model, 41)
    model.to(torch.bfloat16).save_pretrained(folder, safe_serialization=True)
    preprocessor = {
        "crop_size": {"height": 64, "width": 64}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
        "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
        "size": {"shortest_edge": 64},
    }
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor, f, indent=2)

    images = os.path.join(OUT, f"{NAME}_images")
    shutil.rmtree(images, ignore_errors=True)
    os.makedirs(images)
    for name, (source, size) in PHOTOS.items():
        picture = Image.fromarray(getattr(skimage.data, source)()).convert("RGB").resize(size, Image.Resampling.LANCZOS)
        picture.save(os.path.join(images, name), **({"quality": 92} if name.endswith(".jpg") else {}))
    for name in AWKWARD:
        shutil.copy(os.path.join(OUT, "images", name), os.path.join(images, name))

    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()
    processor = AutoImageProcessor.from_pretrained(folder)
    reference = {}
    for name in sorted(os.listdir(images)):
        pixels = processor(images=Image.open(os.path.join(images, name)), return_tensors="pt")["pixel_values"]
        acts, emb = capture_hf(model, pixels)
        reference[f"{name}.pixels"] = pixels[0].contiguous()
        for layer in range(cfg.vision_config.num_hidden_layers):
            reference[f"{name}.resid_post.{layer}"] = acts[f"resid_post.{layer}"][0].contiguous()
        reference[f"{name}.resid_pre.0"] = acts["resid_pre.0"][0].contiguous()
        reference[f"{name}.image_embedding"] = emb[0].contiguous()
    save_file(reference, os.path.join(OUT, f"{NAME}.reference.safetensors"),
              metadata={"processor": type(processor).__name__})
    print(f"wrote {folder}, {images} and {NAME}.reference.safetensors with {type(processor).__name__}")


if __name__ == "__main__":
    main()
