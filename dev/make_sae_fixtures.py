"""Writes the SAE test fixtures with SAELens's own code (pinned in
dev/requirements-sae.txt), so Loupe's loader is checked against the real
writer rather than against itself.

    dev/.venv-sae/bin/python dev/make_sae_fixtures.py

Each fixture folder under Tests/LoupeSAETests/Fixtures/ holds an SAE as
SAELens saves it (cfg.json + sae_weights.safetensors). expected.safetensors
holds inputs `x` and, per SAE, its feature activations and reconstruction.
A sparsify-layout folder is written by hand from its documented key names.
"""
import json
import os
from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens import (JumpReLUSAE, JumpReLUSAEConfig, StandardSAE, StandardSAEConfig,
                      TopKSAE, TopKSAEConfig)

OUT = Path(__file__).resolve().parent.parent / "Tests" / "LoupeSAETests" / "Fixtures"
D_IN, D_SAE, TOKENS = 8, 24, 10


def randomise(sae, gen):
    # Fresh SAELens SAEs start with zero biases and tied weights; random
    # values everywhere make the comparison meaningful.
    with torch.no_grad():
        sae.W_enc.copy_(torch.randn(D_IN, D_SAE, generator=gen))
        sae.W_dec.copy_(torch.randn(D_SAE, D_IN, generator=gen) * 0.5)
        sae.b_enc.copy_(torch.randn(D_SAE, generator=gen) * 0.3)
        sae.b_dec.copy_(torch.randn(D_IN, generator=gen) * 0.2)
        if hasattr(sae, "threshold"):
            sae.threshold.copy_(torch.rand(D_SAE, generator=gen) * 1.5)


def main():
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(TOKENS, D_IN, generator=gen) * 2
    expected = {"x": x}
    saes = {
        "saelens_topk": TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4)),
        "saelens_standard": StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE)),
        "saelens_jumprelu": JumpReLUSAE(JumpReLUSAEConfig(d_in=D_IN, d_sae=D_SAE)),
    }
    for name, sae in saes.items():
        randomise(sae, gen)
        sae.cfg.metadata.model_name = "toy-clip"
        sae.cfg.metadata.hook_name = "blocks.3.hook_resid_post"
        sae.save_model(OUT / name)
        with torch.no_grad():
            acts = sae.encode(x)
            expected[f"{name}.acts"] = acts
            expected[f"{name}.out"] = sae.decode(acts)

    # sparsify layout: encoder.weight [d_sae, d_in], encoder.bias, W_dec, b_dec.
    folder = OUT / "sparsify_topk"
    folder.mkdir(parents=True, exist_ok=True)
    enc_w = torch.randn(D_SAE, D_IN, generator=gen)
    enc_b = torch.randn(D_SAE, generator=gen) * 0.3
    w_dec = torch.randn(D_SAE, D_IN, generator=gen) * 0.5
    b_dec = torch.randn(D_IN, generator=gen) * 0.2
    k = 5
    save_file({"encoder.weight": enc_w, "encoder.bias": enc_b, "W_dec": w_dec, "b_dec": b_dec},
              folder / "sae.safetensors")
    (folder / "cfg.json").write_text(json.dumps({"expansion_factor": D_SAE // D_IN, "normalize_decoder": True,
                                                 "num_latents": D_SAE, "k": k, "multi_topk": False,
                                                 "skip_connection": False, "d_in": D_IN}))
    pre = torch.relu((x - b_dec) @ enc_w.T + enc_b)
    top = pre.topk(k, dim=-1)
    acts = torch.zeros_like(pre).scatter(-1, top.indices, top.values)
    expected["sparsify_topk.acts"] = acts
    expected["sparsify_topk.out"] = acts @ w_dec + b_dec
    save_file({k2: v.contiguous() for k2, v in expected.items()}, OUT / "expected.safetensors")
    print("wrote fixtures to", OUT)


if __name__ == "__main__":
    main()
