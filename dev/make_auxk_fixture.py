"""Writes Tests/LoupeSAETests/Fixtures/saelens_topk_training.safetensors: a few
training steps of SAELens's own TopK training SAE, run by SAELens's own
trainer (`SAETrainer.step`: dead-latent mask, loss with AuxK, backward,
clip_grad_norm_ at 1.0, Adam, dead-latent counters), so that Loupe's training
step is checked against the reference rather than against itself.

    dev/.venv-sae/bin/python dev/make_auxk_fixture.py

The SAE is tiny (d_in 16, d_sae 64, k 4, 32 tokens a step, 3 steps) and set
up so that every rule that matters is exercised:

- some latents start dead (counter above the window) and some exactly at the
  window (alive: dead means *more* than the window), and most dead latents
  have negative pre-activations, so AuxK's raw top values (no ReLU) matter;
- step 1 has fewer dead latents than k_aux = d_in // 2 (scale below 1),
  step 2 more (scale 1, k_aux capped);
- one dead latent fires in step 1, so its counter resets;
- the gradient's norm is above 1 on every step, so clipping is active.

The SAE uses rescale_acts_by_decoder_norm=False so its decoder is the free
parameter Adam sees; with unit-norm decoder rows (as Loupe keeps them) the
default True gives the same loss and gradients, which is checked here.

Tensors (SAELens layout: W_enc [d_in, d_sae], W_dec [d_sae, d_in]):
  x                      [steps, batch, d_in]
  init.{W_enc,b_enc,W_dec,b_dec}, init.since_fired [d_sae]
  step<i>.dead           [d_sae] 1 where the latent counted as dead in step i
  step<i>.losses         [3] mse, auxk, total
  step<i>.grad_norm      [1] the gradient's global norm before clipping
  step<i>.grad.<param>   gradients after clipping
  step<i>.<param>        weights after the step
  step<i>.since_fired    [d_sae] the counters after the step
"""
from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens import __version__ as sae_lens_version
from sae_lens.config import LoggingConfig, SAETrainerConfig
from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
from sae_lens.training.sae_trainer import SAETrainer

OUT = Path(__file__).resolve().parent.parent / "Tests" / "LoupeSAETests" / "Fixtures" / "saelens_topk_training.safetensors"
D_IN, D_SAE, K, BATCH, STEPS = 16, 64, 4, 32, 3
WINDOW = 2          # dead_feature_window, in steps
LR = 3e-3
PARAMS = ["W_enc", "b_enc", "W_dec", "b_dec"]

# Latents 0..5 start dead; 6..11 sit exactly at the window (not yet dead).
STARTS_DEAD = list(range(0, 6))
AT_WINDOW = list(range(6, 12))
REVIVED = 2         # a dead latent given a large bias, so it fires in step 1


def make_sae(rescale: bool, gen_seed: int = 2024) -> TopKTrainingSAE:
    gen = torch.Generator().manual_seed(gen_seed)
    sae = TopKTrainingSAE(TopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=K, rescale_acts_by_decoder_norm=rescale))
    with torch.no_grad():
        w_dec = torch.randn(D_SAE, D_IN, generator=gen)
        w_dec /= w_dec.norm(dim=-1, keepdim=True)      # unit rows, as Loupe keeps them
        sae.W_dec.copy_(w_dec)
        sae.W_enc.copy_(w_dec.T + 0.3 * torch.randn(D_IN, D_SAE, generator=gen))
        b_enc = 0.1 * torch.randn(D_SAE, generator=gen)
        # Latents meant to stay dead sit well below the others.
        b_enc[STARTS_DEAD + AT_WINDOW] -= 2.0
        b_enc[REVIVED] = 6.0
        sae.b_enc.copy_(b_enc)
        sae.b_dec.copy_(0.2 * torch.randn(D_IN, generator=gen))
    return sae


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(7)
    x = 1.5 * torch.randn(STEPS, BATCH, D_IN, generator=gen)

    sae = make_sae(rescale=False)
    trainer = SAETrainer(
        cfg=SAETrainerConfig(total_training_samples=STEPS * BATCH, train_batch_size_samples=BATCH, lr=LR, lr_end=LR,
                             dead_feature_window=WINDOW, logger=LoggingConfig(log_to_wandb=False)),
        sae=sae, data_provider=iter(x))
    since_fired = torch.zeros(D_SAE)
    since_fired[STARTS_DEAD] = WINDOW + 3
    since_fired[AT_WINDOW] = WINDOW
    trainer.n_forward_passes_since_fired = since_fired.clone()

    out = {"x": x.clone()}
    for p in PARAMS:
        out[f"init.{p}"] = getattr(sae, p).detach().clone()
    out["init.since_fired"] = since_fired.clone()

    # The trainer clears gradients after Adam; capture them as Adam sees them,
    # that is after clipping, and the norm clip_grad_norm_ measured.
    captured = {}
    adam_step = trainer.optimizer.step
    clip = torch.nn.utils.clip_grad_norm_

    def capturing_clip(parameters, max_norm, *args, **kwargs):
        norm = clip(parameters, max_norm, *args, **kwargs)
        captured["norm"] = float(norm)
        return norm

    def capturing_step(*args, **kwargs):
        captured["grads"] = {p: getattr(sae, p).grad.detach().clone() for p in PARAMS}
        return adam_step(*args, **kwargs)

    torch.nn.utils.clip_grad_norm_ = capturing_clip
    trainer.optimizer.step = capturing_step
    dead_counts = []
    try:
        for i in range(STEPS):
            dead = trainer.dead_neurons.clone()
            if i == 0:
                check_rescale_is_equivalent(x[0], dead)
            output = trainer.step(x[i])
            trainer.n_training_steps += 1
            mse = output.losses["mse_loss"].detach()
            aux = output.losses["auxiliary_reconstruction_loss"].detach()
            out[f"step{i}.dead"] = dead.float()
            out[f"step{i}.losses"] = torch.stack([mse, aux, output.loss.detach()]).float()
            out[f"step{i}.grad_norm"] = torch.tensor([captured["norm"]])
            for p in PARAMS:
                out[f"step{i}.grad.{p}"] = captured["grads"][p]
                out[f"step{i}.{p}"] = getattr(sae, p).detach().clone()
            out[f"step{i}.since_fired"] = trainer.n_forward_passes_since_fired.clone()
            dead_counts.append(int(dead.sum()))
            assert captured["norm"] > 1.0, f"step {i}: gradient norm {captured['norm']} would not be clipped"
            assert aux > 0, f"step {i}: AuxK is zero"
            print(f"step {i}: dead {int(dead.sum())}, mse {mse:.6f}, auxk {aux:.6f}, norm before clipping {captured['norm']:.4f}")
    finally:
        torch.nn.utils.clip_grad_norm_ = clip

    k_aux = D_IN // 2
    assert dead_counts[0] < k_aux < dead_counts[1], f"dead counts {dead_counts} do not straddle k_aux {k_aux}"
    assert out["step0.since_fired"][REVIVED] == 0, "the revived latent did not fire"
    assert not out["step0.dead"][AT_WINDOW].any(), "latents at the window must not count as dead"

    OUT.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: t.contiguous().float() for name, t in out.items()}
    save_file(tensors, str(OUT), metadata={
        "sae_lens": sae_lens_version, "torch": torch.__version__, "k": str(K), "steps": str(STEPS),
        "batch": str(BATCH), "dead_feature_window": str(WINDOW), "lr": repr(LR), "clip_grad_norm": "1.0"})
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT} "
          f"(SAELens {sae_lens_version}, torch {torch.__version__})")


def check_rescale_is_equivalent(x0: torch.Tensor, dead: torch.Tensor):
    """With unit-norm decoder rows, SAELens's default rescale_acts_by_decoder_norm
    gives the same losses and gradients as the free decoder used here."""
    from sae_lens.saes.sae import TrainStepInput
    results = []
    for rescale in (False, True):
        s = make_sae(rescale=rescale)
        step = s.training_forward_pass(TrainStepInput(sae_in=x0, coefficients={}, dead_neuron_mask=dead,
                                                      n_training_steps=0, is_logging_step=False))
        step.loss.backward()
        results.append((step.loss.detach(), [getattr(s, p).grad.clone() for p in PARAMS]))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert torch.allclose(loss_a, loss_b, rtol=1e-5), (loss_a, loss_b)
    for a, b in zip(grads_a, grads_b):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6), (a - b).abs().max()


if __name__ == "__main__":
    main()
