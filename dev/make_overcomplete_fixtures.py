"""Writes Tests/LoupeSAETests/Fixtures/overcomplete/: SAEs made by
overcomplete 0.3.0's own classes, saved the two ways its users save them.

overcomplete has no file format of its own: a model is an nn.Module, and
people either pickle the whole module (`torch.save(sae, "sae.pt")`) or keep
its state dict (`torch.save(sae.state_dict(), "sae.pt")`). The state dict
alone does not say which class it was, what k is, how the dictionary is
normalised, nor (for BatchTopKSAE, whose running threshold is a plain
attribute, not a buffer) the threshold, so beside a state dict Loupe reads a
small JSON file with the class and its constructor arguments. For each SAE
class this writes, under <Class>/:

    module.pt          torch.save(sae) of the model in eval mode, or in
                       training mode for the *_train_mode ones (for the
                       tied and untied encoders of `tied()` / `untied()`,
                       only this)
    state_dict.pt      torch.save(sae.state_dict())
    state_dict.json    {"class": ..., constructor arguments ..., and for
                        BatchTopKSAE "running_threshold"}
    expected.safetensors  x, the pre-codes and codes `encode` gives and the
                        reconstruction `decode` gives on x, from the module
                        reloaded by torch.load (weights_only=False)

and under refused/ one whole-module file per dictionary method that is not
an SAE Loupe runs (matching pursuit, archetypal dictionary, quantised codes,
NMF, an MLP encoder), for the refusal tests.

overcomplete's package __init__ imports its plotting and vision-model
modules (overcomplete.visualization, overcomplete.models), which need
matplotlib, OpenCV, scikit-image and timm; the SAE classes use neither
module, so empty stand-ins for those two are put into sys.modules before
the import (each answers any name with None).

    dev/.venv-dl/bin/python dev/make_overcomplete_fixtures.py

(dev/requirements-overcomplete.txt says how to make dev/.venv-dl.)
"""
import importlib.machinery
import json
import pathlib
import sys
import types


def _stub(name):
    """A stand-in module that answers any name with None, enough for the
    package's `from .visualization import (...)` to succeed."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__path__ = []

    def attribute(key):
        # Dunder names stay missing: inspect and importlib probe them on every module.
        if key.startswith("__"):
            raise AttributeError(key)
        return None

    module.__getattr__ = attribute
    sys.modules[name] = module


for _name in ["overcomplete.visualization", "overcomplete.models"]:
    _stub(_name)

import torch as t  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
import overcomplete  # noqa: E402
from overcomplete.sae import SAE, TopKSAE, BatchTopKSAE, JumpSAE, MpSAE, OMPSAE, QSAE, RATopKSAE  # noqa: E402
from overcomplete.optimization import NMF  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "Tests/LoupeSAETests/Fixtures/overcomplete"
D, F, K, ROWS = 8, 24, 3, 6


def randomise(module, generator):
    """Random weights and biases, and dictionary atoms of uneven norms, so
    the normalisation applied at decode time matters."""
    with t.no_grad():
        for name, p in module.named_parameters():
            if name == "thresholds" or name.endswith("multiplier"):
                continue
            p.copy_(t.randn(p.shape, generator=generator) * (0.6 if p.dim() > 1 else 0.3))


def inputs():
    return t.randn(ROWS, D, generator=t.Generator().manual_seed(99)) * 2


def write(name, sae, arguments, state_dict=True, train_mode=False):
    """Saves `sae` (both ways unless told otherwise; in eval mode unless
    told otherwise, when the atoms are pickled raw and eval() normalises
    them after loading) and records what the reloaded module computes."""
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    sae.train(train_mode)
    t.save(sae, folder / "module.pt")
    loaded = t.load(folder / "module.pt", weights_only=False)
    loaded.eval()
    x = inputs()
    with t.no_grad():
        pre, codes = loaded.encode(x)
        reconstruction = loaded.decode(codes)
    save_file({"x": x.contiguous(), "pre_codes": pre.contiguous(), "codes": codes.contiguous(),
               "reconstruction": reconstruction.contiguous()}, str(folder / "expected.safetensors"))
    print(name, "active per row", (codes > 0).sum(1).tolist())
    if not state_dict:
        return

    t.save(sae.state_dict(), folder / "state_dict.pt")
    (folder / "state_dict.json").write_text(json.dumps({"class": type(sae).__name__, **arguments}, indent=2) + "\n")
    # The state dict must rebuild the same model with the recorded arguments.
    rebuilt = type(sae)(D, F, **{k: v for k, v in arguments.items() if k != "running_threshold"})
    rebuilt.load_state_dict(t.load(folder / "state_dict.pt"))
    if "running_threshold" in arguments:
        rebuilt.running_threshold = t.tensor(arguments["running_threshold"])
    rebuilt.eval()
    with t.no_grad():
        _, codes2 = rebuilt.encode(x)
        # eval() normalises the atoms again, which moves them by an ulp or so.
        assert t.allclose(codes, codes2, atol=1e-5) and t.allclose(reconstruction, rebuilt.decode(codes2), atol=1e-5), name


def refused(name, model):
    folder = OUT / "refused"
    folder.mkdir(parents=True, exist_ok=True)
    t.save(model, folder / f"{name}.pt")
    t.load(folder / f"{name}.pt", weights_only=False)


def main():
    g = t.Generator().manual_seed(0)

    sae = SAE(D, F); randomise(sae, g)
    write("SAE", sae, {})

    sae = TopKSAE(D, F, top_k=K); randomise(sae, g)
    write("TopKSAE", sae, {"top_k": K})

    sae = BatchTopKSAE(D, F, top_k=K * ROWS, dictionary_params={"normalization": "max_l2"}); randomise(sae, g)
    sae.train()
    with t.no_grad():
        for _ in range(3):   # a few training batches set the running threshold
            sae.encode(t.randn(ROWS, D, generator=g) * 2)
    write("BatchTopKSAE", sae, {"top_k": K * ROWS, "dictionary_params": {"normalization": "max_l2"},
                                "running_threshold": float(sae.running_threshold)})

    sae = JumpSAE(D, F, dictionary_params={"normalization": "identity", "use_multiplier": True}); randomise(sae, g)
    with t.no_grad():
        sae.thresholds.copy_(t.log(t.rand(F, generator=g) * 1.2 + 0.05))
        sae.dictionary.multiplier.fill_(0.4)
    write("JumpSAE", sae, {"dictionary_params": {"normalization": "identity", "use_multiplier": True}})

    sae = TopKSAE(D, F, top_k=K, dictionary_params={"normalization": "l1"}).untied(bias=True); randomise(sae, g)
    write("TopKSAE_untied_l1", sae, {}, state_dict=False)

    sae = TopKSAE(D, F, top_k=K).tied(bias=True); randomise(sae, g)
    write("TopKSAE_tied", sae, {}, state_dict=False)

    sae = TopKSAE(D, F, top_k=K, dictionary_params={"normalization": "max_l1"}); randomise(sae, g)
    write("TopKSAE_max_l1_train_mode", sae, {"top_k": K, "dictionary_params": {"normalization": "max_l1"}}, train_mode=True)

    sae = SAE(D, F, dictionary_params={"normalization": "l1"}); randomise(sae, g)
    write("SAE_l1_train_mode", sae, {"dictionary_params": {"normalization": "l1"}}, train_mode=True)

    refused("MpSAE", MpSAE(D, F, k=2).eval())
    refused("OMPSAE", OMPSAE(D, F, k=2).eval())
    refused("QSAE", QSAE(D, F).eval())
    refused("RATopKSAE", RATopKSAE(D, F, points=t.randn(10, D, generator=g), top_k=K).eval())
    refused("NMF", NMF(F))
    refused("TopKSAE_mlp_ln_1", TopKSAE(D, F, top_k=K, encoder_module="mlp_ln_1").eval())
    print("overcomplete", overcomplete.__version__, "torch", t.__version__)


if __name__ == "__main__":
    main()
