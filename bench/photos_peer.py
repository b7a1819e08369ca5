"""open_clip side of the photo benchmark (`loupe bench photos`).

Reads the same photo files as Loupe, with open_clip's own evaluation
transform (PIL: resize shortest side, bicubic; centre crop; normalise), and
runs the image tower at fp32, batch 32, keeping the output of block
`--layer` for every token, as `clip.activations(photos, layer:)` does.
With `--workers 0` the photos are read in the main process, the way a
notebook loop does it; with `--workers N` a torch DataLoader decodes them
in N worker processes beside the model. Prints one JSON object.

    dev/.venv/bin/python bench/photos_peer.py dev/work/ViT-B-32.safetensors dev/work/photos --layer 11
"""
import argparse
import json
import os
import time

import open_clip
import torch
from PIL import Image
from safetensors.torch import load_file


class Photos(torch.utils.data.Dataset):
    def __init__(self, files, preprocess):
        self.files, self.preprocess = files, preprocess

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.preprocess(Image.open(self.files[i]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("folder")
    ap.add_argument("--arch", default="ViT-B-32")
    ap.add_argument("--layer", type=int, default=11)
    ap.add_argument("--limit", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    model, _, preprocess = open_clip.create_model_and_transforms(args.arch, pretrained=None)
    model.load_state_dict(load_file(args.checkpoint))
    model.eval()
    files = sorted(os.path.join(args.folder, f) for f in os.listdir(args.folder)
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))[: args.limit]
    captured = []
    model.visual.transformer.resblocks[args.layer].register_forward_hook(
        lambda m, a, out: captured.append(out.detach().clone()))

    loader = torch.utils.data.DataLoader(Photos(files, preprocess), batch_size=args.batch,
                                         num_workers=args.workers, persistent_workers=args.workers > 0)
    rates = []
    with torch.inference_mode():
        model.encode_image(torch.zeros(args.batch, 3, 224, 224))  # warm-up
        for _ in range(args.rounds):
            captured.clear()
            start = time.perf_counter()
            for pixels in loader:
                model.encode_image(pixels)
            rates.append(round(len(files) / (time.perf_counter() - start), 2))
    assert sum(c.shape[0] for c in captured) == len(files)
    print(json.dumps({
        "implementation": f"open_clip {open_clip.__version__} / torch {torch.__version__}",
        "photos": len(files), "layer": args.layer, "workers": args.workers,
        "threads": torch.get_num_threads(), "images_per_s": rates,
    }))


if __name__ == "__main__":
    main()
