"""PyTorch/open_clip side of the CLIP image-tower benchmark.

Loads the same open_clip .safetensors file the Swift side runs, and times
the image tower at fp32 with resid_post captured (cloned) at every layer for
all tokens, batch 32 by default. Prints one JSON object.

    dev/.venv/bin/python bench/clip_peer.py dev/work/ViT-B-32.safetensors [--batch 32] [--batches 3]
"""
import argparse
import os

import open_clip
import torch
from safetensors.torch import load_file

from peer_timing import time_and_report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--arch", default="ViT-B-32")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--batches", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    model = open_clip.create_model(args.arch, pretrained=None)
    model.load_state_dict(load_file(args.checkpoint))
    model.eval()
    size = model.visual.image_size[0] if isinstance(model.visual.image_size, tuple) else model.visual.image_size
    pixels = torch.rand(args.batch, 3, size, size, generator=torch.Generator().manual_seed(42)) * 2 - 1

    captured = {}
    for i, block in enumerate(model.visual.transformer.resblocks):
        block.register_forward_hook(lambda m, a, out, i=i: captured.__setitem__(i, out.detach().clone()))

    time_and_report(model.encode_image, pixels, args.batches,
                    f"open_clip {open_clip.__version__} / torch {torch.__version__}")
    assert len(captured) == len(model.visual.transformer.resblocks)


if __name__ == "__main__":
    main()
