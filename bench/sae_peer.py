"""SAELens peer for Loupe's SAE training benchmark.

Trains SAELens's TopK SAE on the CPU with the same shapes Loupe's benchmark
uses and prints tokens per second as JSON. Each step does what SAELens's own
trainer does per batch: the SAE's training forward pass (with the AuxK loss
and dead-latent mask), backward, gradient clipping, Adam, and the
dead-latent bookkeeping. Inputs are random activations already in memory, so
only the SAE's work is timed, as on Loupe's side.

    dev/.venv-sae/bin/python bench/sae_peer.py --widths 12288 49152 --steps 3
"""
import argparse
import json
import os
import platform
import sys
import time

import torch
import sae_lens
from sae_lens.saes.sae import TrainStepInput
from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig


def measure(d_in, width, k, batch, steps, warmup, sparse):
    torch.manual_seed(0)
    cfg = TopKTrainingSAEConfig(d_in=d_in, d_sae=width, k=k, use_sparse_activations=sparse)
    sae = TopKTrainingSAE(cfg)
    optimizer = torch.optim.Adam(sae.parameters(), lr=3e-4, betas=(0.9, 0.999))
    since_fired = torch.zeros(width)
    batches = [torch.randn(batch, d_in) for _ in range(2)]
    times = []
    for step in range(warmup + steps):
        x = batches[step % 2]
        start = time.perf_counter()
        out = sae.training_forward_pass(TrainStepInput(
            sae_in=x, coefficients={}, dead_neuron_mask=since_fired > 1000,
            n_training_steps=step, is_logging_step=False))
        with torch.no_grad():
            acts = out.feature_acts
            fired = (acts.to_dense() if acts.is_sparse else acts).bool().any(0)
            since_fired += 1
            since_fired[fired] = 0
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(sae.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    seconds = sum(times) / len(times)
    return {"width": width, "sparse_activations": sparse, "seconds_per_step": seconds,
            "tokens_per_second": batch / seconds, "steps": steps}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d-in", type=int, default=768)
    p.add_argument("--widths", type=int, nargs="+", default=[12288, 49152])
    p.add_argument("--k", type=int, default=32)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for width in args.widths:
        # SAELens's default dense activations: its sparse option
        # (use_sparse_activations) fails in backward on the CPU with this torch.
        r = measure(args.d_in, width, args.k, args.batch, args.steps, args.warmup, sparse=False)
        print(f"# SAELens width {width}: {r['tokens_per_second']:.0f} tokens/s", file=sys.stderr)
        results.append(r)
    print(json.dumps({"tool": "sae_lens", "version": sae_lens.__version__, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "machine": platform.machine(),
                      "d_in": args.d_in, "k": args.k, "batch": args.batch, "results": results}))


if __name__ == "__main__":
    main()
