"""Writes Tests/LoupeSAETests/Fixtures/saelens_variants/: SAEs of SAELens
6.54.12's newer architectures and options, saved by its own `save_model`,
so Loupe's loader is checked against the real writer (pinned in
dev/requirements-sae.txt).

    dev/.venv-sae/bin/python dev/make_saelens_variant_fixtures.py

Each folder holds cfg.json + sae_weights.safetensors as SAELens writes them,
and those that Loupe loads also expected.safetensors: inputs `x` and the
feature activations and reconstruction of the SAE loaded back from the
folder by SAELens (`SAE.load_from_disk`):

    abstopk               AbsTopK: top k by magnitude, signs kept
    jumprelu_quadratic    a JumpReLU training SAE with the quadratic sparsity
                          loss (the loss does not change inference)
    jumprelu_tanh         the same with the tanh loss and a pre-activation loss
    whitening_folded      a standard SAE with a covariance whitening folded
                          in by `fold_activation_whitening`, as training
                          leaves it

and, for the refusal tests, with no expected outputs:

    whitening_unfolded    normalize_activations "covariance_whitening" kept
                          (the whitening's mean and matrix are not saved)
    matching_pursuit      MatchingPursuitSAE
    gated                 GatedSAE
"""
from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens import (SAE, AbsTopKSAE, AbsTopKSAEConfig, GatedSAE, GatedSAEConfig, JumpReLUTrainingSAE,
                      JumpReLUTrainingSAEConfig, MatchingPursuitSAE, MatchingPursuitSAEConfig, StandardSAE,
                      StandardSAEConfig)

OUT = Path(__file__).resolve().parent.parent / "Tests" / "LoupeSAETests" / "Fixtures" / "saelens_variants"
D_IN, D_SAE, TOKENS = 8, 24, 10


def randomise(sae, gen):
    with torch.no_grad():
        for name, p in sae.named_parameters():
            if name == "log_threshold":
                p.copy_(torch.log(torch.rand(p.shape, generator=gen) * 1.2 + 0.05))
            elif name == "threshold":
                p.copy_(torch.rand(p.shape, generator=gen) * 1.2)
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * (0.5 if p.dim() > 1 else 0.3))


def record(name, x):
    """The SAE as SAELens loads it back from disk, run on x."""
    loaded = SAE.load_from_disk(OUT / name)
    with torch.no_grad():
        acts = loaded.encode(x)
        out = loaded.decode(acts)
    save_file({"x": x.contiguous(), "acts": acts.contiguous(), "out": out.contiguous()}, OUT / name / "expected.safetensors")
    print(name, type(loaded).__name__, "active per token", (acts != 0).sum(-1).tolist())


def save(name, sae):
    sae.cfg.metadata.model_name = "toy-clip"
    sae.cfg.metadata.hook_name = "blocks.3.hook_resid_post"
    sae.save_model(OUT / name)


def main():
    gen = torch.Generator().manual_seed(2026)
    x = torch.randn(TOKENS, D_IN, generator=gen) * 2

    sae = AbsTopKSAE(AbsTopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4)); randomise(sae, gen)
    save("abstopk", sae); record("abstopk", x)

    sae = JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, jumprelu_sparsity_loss_mode="quadratic",
                                                        target_l0=4.0))
    randomise(sae, gen)
    save("jumprelu_quadratic", sae); record("jumprelu_quadratic", x)

    sae = JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, jumprelu_sparsity_loss_mode="tanh",
                                                        pre_act_loss_coefficient=3e-6, jumprelu_tanh_scale=4.0))
    randomise(sae, gen)
    save("jumprelu_tanh", sae); record("jumprelu_tanh", x)

    # A whitening z = (x - mean) @ M with M well conditioned, folded as SAELens's trainer folds it.
    sae = StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE)); randomise(sae, gen)
    mean = torch.randn(D_IN, generator=gen) * 0.5
    m = torch.eye(D_IN) + 0.2 * torch.randn(D_IN, D_IN, generator=gen)
    sae.fold_activation_whitening(mean=mean, whitening_matrix=m, unwhitening_matrix=torch.linalg.inv(m))
    assert sae.cfg.normalize_activations == "none"
    save("whitening_folded", sae); record("whitening_folded", x)

    sae = StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE, normalize_activations="covariance_whitening"))
    randomise(sae, gen)
    save("whitening_unfolded", sae)

    sae = MatchingPursuitSAE(MatchingPursuitSAEConfig(d_in=D_IN, d_sae=D_SAE)); randomise(sae, gen)
    save("matching_pursuit", sae)

    sae = GatedSAE(GatedSAEConfig(d_in=D_IN, d_sae=D_SAE)); randomise(sae, gen)
    save("gated", sae)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
