"""Checks that SAEs saved by Loupe load in SAELens and encode/decode as in Loupe.

    .build/release/loupe export-saes /tmp/loupe-export
    dev/.venv-sae/bin/python dev/check_saelens_load.py /tmp/loupe-export

Loupe writes one folder per architecture (BatchTopK and Matryoshka are saved
as JumpReLU) and loupe_expected.safetensors with the inputs and Loupe's
codes and reconstructions; this loads each folder with SAE.load_from_disk
and prints the largest differences and the `l0` and `num_dead_features`
SAELens reads from the metadata. Exit status 1 on any mismatch.
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from sae_lens import SAE


def main():
    root = Path(sys.argv[1])
    expected = load_file(root / "loupe_expected.safetensors")
    x = expected["x"]
    ok = True
    for name in ["topk", "batchtopk", "matryoshka", "relu", "jumprelu"]:
        sae = SAE.load_from_disk(root / name, device="cpu")
        with torch.no_grad():
            acts = sae.encode(x)
            out = sae.decode(acts)
        da = (acts - expected[f"{name}.acts"]).abs().max().item()
        do = (out - expected[f"{name}.out"]).abs().max().item()
        l0 = (acts > 0).float().sum(-1).mean().item()
        # The training figures SAELens's own trainer leaves in metadata, as SAELens reads them back.
        meta = sae.cfg.metadata
        good = da < 1e-4 and do < 1e-4 and l0 > 0 and meta.l0 is not None and meta.num_dead_features is not None
        ok &= good
        print(f"{name:10s} -> {type(sae).__name__:12s} L0 {l0:5.2f}  max|acts diff| {da:.2e}  "
              f"max|out diff| {do:.2e}  metadata l0 {meta.l0}, dead {meta.num_dead_features}  {'ok' if good else 'MISMATCH'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
