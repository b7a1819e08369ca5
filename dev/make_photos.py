"""Writes a folder of real photographs at the sizes photo datasets hold, for
the benchmarks of decoding and preprocessing (`make bench`).

The pictures are the colour photographs that scikit-image ships (NASA's
astronaut and Hubble deep field, a cat, coffee, a rocket launch, a
motorcycle, a retina and a tissue stain), each cut into seeded random crops
and saved as JPEG at ImageNet-like sizes (about 500 pixels on the long side,
landscape and portrait) with quality 90, so every file is a real photo that
must be decoded, resized and cropped.

    dev/.venv/bin/python dev/make_photos.py --count 256 --out dev/work/photos
"""
import argparse
import os

import numpy as np
import skimage.data
from PIL import Image

SOURCES = ["astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle",
           "hubble_deep_field", "retina", "immunohistochemistry"]
SIZES = [(500, 375), (375, 500), (500, 333), (333, 500), (500, 400), (640, 480), (480, 640), (500, 500)]


def photo(name):
    image = getattr(skimage.data, name)()
    return image[0] if isinstance(image, tuple) else image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=256)
    ap.add_argument("--out", default="dev/work/photos")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    pictures = [Image.fromarray(photo(n)).convert("RGB") for n in SOURCES]
    for i in range(args.count):
        source = pictures[i % len(pictures)]
        w, h = SIZES[rng.integers(len(SIZES))]
        # A random crop of 60-100% of the picture, with the target's aspect.
        scale = rng.uniform(0.6, 1.0)
        cw = min(source.width, int(source.width * scale))
        ch = min(source.height, int(cw * h / w))
        cw = int(ch * w / h)
        left = int(rng.integers(0, source.width - cw + 1))
        top = int(rng.integers(0, source.height - ch + 1))
        crop = source.crop((left, top, left + cw, top + ch)).resize((w, h), Image.Resampling.LANCZOS)
        crop.save(os.path.join(args.out, f"photo_{i:05d}.jpg"), quality=90)
    print(f"wrote {args.count} photos to {args.out}")


if __name__ == "__main__":
    main()
