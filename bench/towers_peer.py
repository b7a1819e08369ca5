"""transformers side of the image-tower benchmark for Hugging Face folders
(DINOv2, SigLIP, CLIP).

Loads the same folder the Swift side runs and times its image tower at
fp32 with every block's output captured (cloned) for all tokens, batch 32
by default. Prints one JSON object.

    dev/.venv/bin/python bench/towers_peer.py dev/work/dinov2_vitb14 [--batch 32] [--batches 3]
"""
import argparse
import json
import os

import torch
import transformers
from transformers import AutoConfig, AutoModel

from peer_timing import time_and_report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--batches", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    config = AutoConfig.from_pretrained(args.folder)
    model = AutoModel.from_pretrained(args.folder, attn_implementation="sdpa").eval()
    if config.model_type in ("siglip", "clip"):
        vision, size = model.vision_model, config.vision_config.image_size
        layers = vision.encoder.layers
        run = lambda x: model.get_image_features(pixel_values=x)
    else:
        vision, layers = model, model.encoder.layer
        with open(os.path.join(args.folder, "preprocessor_config.json")) as f:
            crop = json.load(f)["crop_size"]
        size = crop["height"] if isinstance(crop, dict) else crop
        run = lambda x: model(pixel_values=x).pooler_output
    pixels = torch.rand(args.batch, 3, size, size, generator=torch.Generator().manual_seed(42)) * 2 - 1

    captured = {}
    for i, block in enumerate(layers):
        block.register_forward_hook(
            lambda m, a, out, i=i: captured.__setitem__(i, (out[0] if isinstance(out, tuple) else out).detach().clone()))

    time_and_report(run, pixels, args.batches,
                    f"transformers {transformers.__version__} / torch {torch.__version__} ({config.model_type})")
    assert len(captured) == len(layers)

if __name__ == "__main__":
    main()
