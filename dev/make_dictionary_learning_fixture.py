"""Writes Tests/LoupeSAETests/Fixtures/dictionary_learning_training.safetensors:
a few training steps of dictionary_learning's own BatchTopKTrainer and
MatryoshkaBatchTopKTrainer (the trainers Pach et al. train with), run by the
package itself, so that Loupe's `trainer: .dictionaryLearning` is checked
against the reference rather than against its reading of it.

    dev/.venv-dl/bin/python dev/make_dictionary_learning_fixture.py

(dev/requirements-dictionary-learning.txt says how to make dev/.venv-dl.)

The SAEs are tiny (d_in 16, d_sae 64, k 4, 32 tokens a step, 5 steps) and set
up so that every rule that differs from SAELens's trainer shows:

- AuxK: some latents start dead and most of them sit below zero, so the ReLU
  before the dead top-k matters; others are one batch short of the
  threshold, so whether this batch's firing is counted first matters; the
  loss is divided by the residual's spread;
- the threshold: it starts after step 1 (the package's default is 1,000; the
  rule is the same), so step 2 sets it and steps 3-5 average into it;
- the learning rate: warm-up over 2 steps from a rate of 0, then a decay
  from step 3;
- the gradient's norm is above 1 on every step, so clipping is active, after
  the decoder gradient's part along each row is removed;
- Matryoshka: three prefixes, each loss weighed 1/3 and then averaged.

The step numbers given to `update` start at 1 so that the trainer keeps the
b_dec set here (at step 0 it takes the batch's geometric median); that
median is recorded separately, from the trainer's own function.

Tensors, in Loupe's layout (W_enc and W_dec both [d_sae, d_in]), per trainer
prefix p in {batchtopk, matryoshka}:
  x                        [steps, batch, d_in]
  p.init.{W_enc,b_enc,W_dec,b_dec}, p.init.since_fired [d_sae] (tokens)
  p.step<i>.dead           [d_sae] 1 where AuxK counted the latent as dead
  p.step<i>.losses         [3] reconstruction (as the trainer weighs it), α·AuxK, total
  p.step<i>.grad_norm      [1] the norm clip_grad_norm_ measured
  p.step<i>.grad.<param>   gradients as Adam saw them
  p.step<i>.<param>        weights after the step
  p.step<i>.threshold      [1]
  p.step<i>.since_fired    [d_sae] tokens since each latent fired, after the step
  median                   [d_in] geometric_median(x[0])
  norm_factor              [1] get_norm_factor over the steps' batches
"""
import sys
import types
from pathlib import Path

# The package's __init__ imports its language-model buffer, which needs
# nnsight, and its training loop imports wandb; the trainers and the norm
# factor use neither. Empty modules stand in for them.
sys.modules.setdefault("nnsight", types.SimpleNamespace(LanguageModel=object))
sys.modules.setdefault("wandb", types.ModuleType("wandb"))

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from dictionary_learning.trainers.batch_top_k import BatchTopKTrainer  # noqa: E402
from dictionary_learning.trainers.matryoshka_batch_top_k import MatryoshkaBatchTopKTrainer  # noqa: E402
from dictionary_learning.training import get_norm_factor  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "Tests" / "LoupeSAETests" / "Fixtures" / "dictionary_learning_training.safetensors"
D_IN, D_SAE, K, BATCH, STEPS = 16, 64, 4, 32, 5
LR = 3e-3
WARMUP, DECAY_START, TOTAL = 2, 3, 6       # the schedule's total steps (> the 5 run)
DEAD_TOKENS = 2 * BATCH                    # dead after two silent batches
THRESHOLD_START = 1
GROUP_FRACTIONS = [0.25, 0.25, 0.5]

STARTS_DEAD = list(range(0, 6))            # since_fired already at the threshold
ONE_SHORT = list(range(6, 12))             # one silent batch from it
REVIVED = 2                                # a dead latent given a large bias: it fires in step 1


def set_up(trainer, gen):
    ae = trainer.ae
    w_dec = torch.randn(D_SAE, D_IN, generator=gen)
    w_dec /= w_dec.norm(dim=-1, keepdim=True)
    w_enc = w_dec + 0.3 * torch.randn(D_SAE, D_IN, generator=gen)
    b_enc = 0.1 * torch.randn(D_SAE, generator=gen)
    b_enc[STARTS_DEAD + ONE_SHORT] -= 2.0
    b_enc[REVIVED] = 6.0
    b_dec = 0.2 * torch.randn(D_IN, generator=gen)
    with torch.no_grad():
        if hasattr(ae, "encoder"):          # BatchTopKSAE: nn.Linear layers
            ae.encoder.weight.copy_(w_enc)
            ae.encoder.bias.copy_(b_enc)
            ae.decoder.weight.copy_(w_dec.T)
        else:                               # MatryoshkaBatchTopKSAE: W_enc [d_in, d_sae], W_dec [d_sae, d_in]
            ae.W_enc.copy_(w_enc.T)
            ae.b_enc.copy_(b_enc)
            ae.W_dec.copy_(w_dec)
        ae.b_dec.copy_(b_dec)
    since = torch.zeros(D_SAE, dtype=torch.long)
    since[STARTS_DEAD] = DEAD_TOKENS
    since[ONE_SHORT] = DEAD_TOKENS - BATCH
    trainer.num_tokens_since_fired = since.clone()
    trainer.dead_feature_threshold = DEAD_TOKENS


def params(ae):
    """W_enc, b_enc, W_dec, b_dec in Loupe's layout, and the same for gradients."""
    if hasattr(ae, "encoder"):
        pairs = [ae.encoder.weight, ae.encoder.bias, ae.decoder.weight, ae.b_dec]
        layout = [lambda t: t, lambda t: t, lambda t: t.T, lambda t: t]
    else:
        pairs = [ae.W_enc, ae.b_enc, ae.W_dec, ae.b_dec]
        layout = [lambda t: t.T, lambda t: t, lambda t: t, lambda t: t]
    return pairs, layout


NAMES = ["W_enc", "b_enc", "W_dec", "b_dec"]


def run(prefix, trainer, x, out):
    gen = torch.Generator().manual_seed(2024)
    set_up(trainer, gen)
    ae = trainer.ae
    tensors, layout = params(ae)
    for name, t, f in zip(NAMES, tensors, layout):
        out[f"{prefix}.init.{name}"] = f(t.detach()).clone()
    out[f"{prefix}.init.since_fired"] = trainer.num_tokens_since_fired.float().clone()

    captured = {}
    aux_fn = trainer.get_auxiliary_loss

    def capturing_aux(residual, post_relu):
        captured["dead"] = (trainer.num_tokens_since_fired >= trainer.dead_feature_threshold).float().clone()
        value = aux_fn(residual, post_relu)
        captured["aux"] = float(value)
        return value

    loss_fn = trainer.loss

    def capturing_loss(x, step=None, logging=False):
        value = loss_fn(x, step=step, logging=logging)
        captured["loss"] = float(value)
        return value

    clip = torch.nn.utils.clip_grad_norm_

    def capturing_clip(parameters, max_norm, *args, **kwargs):
        norm = clip(parameters, max_norm, *args, **kwargs)
        captured["norm"] = float(norm)
        return norm

    adam_step = trainer.optimizer.step

    def capturing_step(*args, **kwargs):
        captured["grads"] = [f(t.grad.detach()).clone() for t, f in zip(tensors, layout)]
        return adam_step(*args, **kwargs)

    trainer.get_auxiliary_loss = capturing_aux
    trainer.loss = capturing_loss
    trainer.optimizer.step = capturing_step
    torch.nn.utils.clip_grad_norm_ = capturing_clip
    try:
        for i in range(STEPS):
            trainer.update(i + 1, x[i])
            aux = trainer.auxk_alpha * captured["aux"]
            out[f"{prefix}.step{i}.dead"] = captured["dead"]
            out[f"{prefix}.step{i}.losses"] = torch.tensor([captured["loss"] - aux, aux, captured["loss"]])
            out[f"{prefix}.step{i}.grad_norm"] = torch.tensor([captured["norm"]])
            for name, g in zip(NAMES, captured["grads"]):
                out[f"{prefix}.step{i}.grad.{name}"] = g
            for name, t, f in zip(NAMES, tensors, layout):
                out[f"{prefix}.step{i}.{name}"] = f(t.detach()).clone()
            out[f"{prefix}.step{i}.threshold"] = ae.threshold.detach().reshape(1).clone()
            out[f"{prefix}.step{i}.since_fired"] = trainer.num_tokens_since_fired.float().clone()
            assert captured["norm"] > 1.0, f"{prefix} step {i}: gradient norm {captured['norm']} would not be clipped"
            print(f"{prefix} step {i}: dead {int(captured['dead'].sum())}, loss {captured['loss']:.6f}, "
                  f"alpha*aux {aux:.6f}, norm {captured['norm']:.4f}, threshold {float(ae.threshold):.5f}")
    finally:
        torch.nn.utils.clip_grad_norm_ = clip
    dead_steps = [int(out[f"{prefix}.step{i}.dead"].sum()) for i in range(STEPS)]
    assert all(d > 0 for d in dead_steps), f"{prefix}: AuxK idle in some step: {dead_steps}"
    assert float(out[f"{prefix}.step0.threshold"]) < 0 and float(out[f"{prefix}.step1.threshold"]) > 0


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(7)
    x = 1.5 * torch.randn(STEPS, BATCH, D_IN, generator=gen) + 0.5
    out = {"x": x.clone()}
    common = dict(steps=TOTAL, activation_dim=D_IN, dict_size=D_SAE, k=K, layer=0, lm_name="fixture", lr=LR,
                  warmup_steps=WARMUP, decay_start=DECAY_START, threshold_start_step=THRESHOLD_START, seed=0, device="cpu")
    run("batchtopk", BatchTopKTrainer(**common), x, out)
    run("matryoshka", MatryoshkaBatchTopKTrainer(group_fractions=GROUP_FRACTIONS, **common), x, out)
    out["median"] = BatchTopKTrainer.geometric_median(x[0])
    out["norm_factor"] = torch.tensor([get_norm_factor(list(x), steps=STEPS)])

    OUT.parent.mkdir(parents=True, exist_ok=True)
    import dictionary_learning
    save_file({k: v.contiguous().float() for k, v in out.items()}, str(OUT), metadata={
        "dictionary_learning": dictionary_learning.__version__, "torch": torch.__version__,
        "k": str(K), "steps": str(STEPS), "batch": str(BATCH), "lr": repr(LR), "warmup_steps": str(WARMUP),
        "decay_start": str(DECAY_START), "total_steps": str(TOTAL), "dead_feature_threshold": str(DEAD_TOKENS),
        "threshold_start_step": str(THRESHOLD_START), "threshold_beta": "0.999", "auxk_alpha": repr(1 / 32),
        "group_sizes": ",".join(str(int(f * D_SAE)) for f in GROUP_FRACTIONS)})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
