"""Writes Tests/LoupeSAETests/Fixtures/saev_shards/: an activation cache in
saev's sharded format (protocol 2.1: metadata.json, shards.json,
acts%06d.bin, labels.bin), written by saev's own ShardWriter.

saev's PyPI release predates the protocol, so the writer is imported from
saev's source tree (a checkout at the commit named in the fixture's README):

    dev/.venv-dl/bin/pip install beartype jaxtyping orjson pillow
    dev/.venv-dl/bin/python dev/make_saev_shards_fixture.py /path/to/saev

The activations are made so a reader can be checked without a second file:
example e, layer l (a ViT block index), token t, channel d holds
e·1000 + l·100 + t·10 + d. Seven examples of one [CLS] and four patch
tokens at layers 2 and 4, six channels; at most 30 tokens a shard, so three
examples a shard and three shards, the last one holding one example.
Patch labels: example e's patch p is labelled (e + p) mod 3.
"""
import importlib
import pathlib
import shutil
import sys
import tempfile
import types

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parents[1] / "Tests/LoupeSAETests/Fixtures/saev_shards"


def import_shards(source: pathlib.Path):
    """saev.data.shards alone: the package's __init__ files load every model family."""
    package = types.ModuleType("saev")
    package.__path__ = [str(source / "src/saev")]
    sys.modules["saev"] = package
    data = types.ModuleType("saev.data")
    data.__path__ = [str(source / "src/saev/data")]
    sys.modules["saev.data"] = data
    # The dataset module subclasses torchvision's ImageFolder; the writer needs none of it.
    vision = types.ModuleType("torchvision")
    vision.datasets = types.SimpleNamespace(ImageFolder=object, folder=types.SimpleNamespace(IMG_EXTENSIONS=(".png",)))
    sys.modules["torchvision"] = vision
    sys.modules["torchvision.datasets"] = vision.datasets
    return importlib.import_module("saev.data.shards")


def main():
    shards = import_shards(pathlib.Path(sys.argv[1]).resolve())
    layers, cls, patches, d, n = (2, 4), True, 4, 6, 7
    tokens = patches + int(cls)
    md = shards.Metadata(family="clip", ckpt="toy-clip", layers=layers, content_tokens_per_example=patches, cls_token=cls,
                         d_model=d, n_examples=n, max_tokens_per_shard=30, data="", dataset=pathlib.Path("/data/toy"))
    acts = np.zeros((n, len(layers), tokens, d), dtype=np.float32)
    for e in range(n):
        for li, layer in enumerate(layers):
            for t in range(tokens):
                for c in range(d):
                    acts[e, li, t, c] = e * 1000 + layer * 100 + t * 10 + c
    labels = np.array([[(e + p) % 3 for p in range(patches)] for e in range(n)], dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "saev" / "shards"
        root.mkdir(parents=True)
        md.dump(root)
        with shards.ShardWriter(root, md) as writer:
            writer.write_batch(torch.from_numpy(acts[:5]), 0, patch_labels=torch.from_numpy(labels[:5]))
            writer.write_batch(torch.from_numpy(acts[5:]), 5, patch_labels=torch.from_numpy(labels[5:]))
        written = root / md.hash
        if OUT.exists():
            shutil.rmtree(OUT)
        shutil.copytree(written, OUT)
    print("wrote", sorted(p.name for p in OUT.iterdir()))
    print((OUT / "shards.json").read_text())


if __name__ == "__main__":
    main()
