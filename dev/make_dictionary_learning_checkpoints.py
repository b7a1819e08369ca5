"""Writes Tests/LoupeSAETests/Fixtures/dictionary_learning/<class>/: SAE
checkpoints as dictionary_learning writes them (its trainers save
`ae.pt`, the dictionary's state dict, with `config.json` holding the
trainer's config beside it), one per dictionary class that is an SAE:

    AutoEncoder (standard, ReLU), AutoEncoderTopK, BatchTopKSAE,
    MatryoshkaBatchTopKSAE, JumpReluAutoEncoder

Each is made by the package's own class (dictionary-learning 0.1.0 from
PyPI) with random weights and non-zero biases, saved by torch.save, loaded
back by the class's own `from_pretrained` (which for AutoEncoder rescales the
decoder to unit norm, as users meet it), and run on a few inputs; the inputs,
the codes `encode` gives and the reconstruction `decode` gives are written to
`expected.safetensors` beside the checkpoint for Loupe's tests.

    dev/.venv-dl/bin/python dev/make_dictionary_learning_checkpoints.py

(dev/requirements-dictionary-learning.txt says how to make dev/.venv-dl.)
"""
import json
import pathlib
import sys
import types

# The package's __init__ imports its language-model buffer, which needs
# nnsight, and its training loop imports wandb; the dictionaries need neither.
sys.modules.setdefault("nnsight", types.SimpleNamespace(LanguageModel=object))
sys.modules.setdefault("wandb", types.ModuleType("wandb"))

import torch as t  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from dictionary_learning.dictionary import AutoEncoder, JumpReluAutoEncoder  # noqa: E402
from dictionary_learning.trainers.batch_top_k import BatchTopKSAE  # noqa: E402
from dictionary_learning.trainers.matryoshka_batch_top_k import MatryoshkaBatchTopKSAE  # noqa: E402
from dictionary_learning.trainers.top_k import AutoEncoderTopK  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "Tests/LoupeSAETests/Fixtures/dictionary_learning"
D, F, K, ROWS = 8, 24, 3, 6


def randomise(module, generator):
    with t.no_grad():
        for name, p in module.named_parameters():
            p.copy_(t.randn(p.shape, generator=generator) * (0.5 if p.dim() > 1 else 0.3))


def config(dict_class, trainer_class, **fields):
    trainer = {"trainer_class": trainer_class, "dict_class": dict_class, "activation_dim": D, "dict_size": F,
               "layer": 4, "lm_name": "toy-clip", "submodule_name": "resid_post_layer_4", "seed": 0}
    trainer.update(fields)
    return {"trainer": trainer, "buffer": {"d_submodule": D}}


def write(name, ae, cfg, load):
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    t.save(ae.state_dict(), folder / "ae.pt")
    (folder / "config.json").write_text(json.dumps(cfg, indent=4) + "\n")
    loaded = load(str(folder / "ae.pt"))
    x = t.randn(ROWS, D, generator=t.Generator().manual_seed(99)) * 2
    with t.no_grad():
        codes = loaded.encode(x)
        reconstruction = loaded.decode(codes)
    save_file({"x": x.contiguous(), "codes": codes.contiguous(), "reconstruction": reconstruction.contiguous()},
              str(folder / "expected.safetensors"))
    print(name, "active per row", (codes > 0).sum(1).tolist())


def main():
    g = t.Generator().manual_seed(0)
    ae = AutoEncoder(D, F); randomise(ae, g)
    write("AutoEncoder", ae, config("AutoEncoder", "StandardTrainer", l1_penalty=0.1), AutoEncoder.from_pretrained)

    ae = AutoEncoderTopK(D, F, K); randomise(ae, g)
    write("AutoEncoderTopK", ae, config("AutoEncoderTopK", "TopKTrainer", k=K), AutoEncoderTopK.from_pretrained)

    ae = BatchTopKSAE(D, F, K); randomise(ae, g)
    ae.threshold.fill_(0.4)   # as training leaves it: the EMA of the smallest kept value
    write("BatchTopKSAE", ae, config("BatchTopKSAE", "BatchTopKTrainer", k=K), BatchTopKSAE.from_pretrained)

    ae = MatryoshkaBatchTopKSAE(D, F, K, group_sizes=[4, 8, 12]); randomise(ae, g)
    ae.threshold.fill_(0.3)
    write("MatryoshkaBatchTopKSAE", ae, config("MatryoshkaBatchTopKSAE", "MatryoshkaBatchTopKTrainer", k=K,
                                               group_fractions=[4 / F, 8 / F, 12 / F], group_weights=[1 / 3] * 3,
                                               group_sizes=[4, 8, 12]),
          MatryoshkaBatchTopKSAE.from_pretrained)

    ae = JumpReluAutoEncoder(D, F); randomise(ae, g)
    with t.no_grad():
        ae.threshold.copy_(t.rand(F, generator=g) * 0.8)
    write("JumpReluAutoEncoder", ae, config("JumpReluAutoEncoder", "JumpReluTrainer", bandwidth=0.001, target_l0=3),
          JumpReluAutoEncoder.from_pretrained)


if __name__ == "__main__":
    main()
