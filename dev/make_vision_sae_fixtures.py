"""Writes the vision-SAE checkpoint fixtures (saev and ViT-Prisma layouts) that
Loupe's loaders are tested against, with the expected codes and
reconstructions for a few input rows.

    dev/.venv-vision/bin/python dev/make_vision_sae_fixtures.py

Environment: dev/requirements-vision-sae.txt (saev 0.1.0 from PyPI, installed
with --no-deps, plus the few packages its nn module imports).

Output: Tests/LoupeSAETests/Fixtures/vision/

Which files come from which code:

* saev_relu_v0.1.0.pt -- written by saev 0.1.0's own ``saev.nn.dump`` and
  evaluated with that release's own ``SparseAutoencoder.forward``. This is
  the only saev release on PyPI; it knows ReLU only and writes the
  pre-schema header (the config's fields as one JSON line).
* saev_*_schema5.pt -- the layout of saev's current repository code
  (header ``{"schema": 5, ...}``, compact JSON on one line, then
  ``torch.save(state_dict)``). That code is not on PyPI, so these files are
  written here by hand in exactly that layout, and their outputs come from
  the math that code documents (no b_dec subtraction before encoding;
  TopK keeps the k largest pre-activations as they are, with no ReLU;
  BatchTopK at inference keeps pre-activations above the stored threshold).
  saev_topk_schema5_tied.pt stores W_enc as a transposed view of W_dec's
  storage, as the releases that made W_enc from ``W_dec.data.T`` without a
  copy did: one storage shared by two tensors, W_enc with strides (1, d_model).
* prisma_*/ -- ViT-Prisma's ``vit_prisma.sae`` is not in the vit_prisma
  wheel on PyPI (0.1.4 has no ``sae`` package), so these folders are written
  here by hand in the layout its trainer leaves: ``config.json`` (its
  ``save_config`` format) beside ``n_images_<N>.pt``, which holds
  ``torch.save({"cfg": <VisionModelSAERunnerConfig object>, "state_dict":
  <OrderedDict>})``; prisma_weights_only/ holds the other published form,
  ``weights.pt`` with the bare state dict, beside ``config.json``. The
  config object is pickled from a stand-in class registered under the real
  module and class name (``vit_prisma.sae.config.VisionModelSAERunnerConfig``)
  so the pickle opcodes match the real files; it carries the fields a loader
  reads, not every field of the real class. Outputs come from the documented
  math of StandardSparseAutoencoder.encode/decode, done in torch here.

expected.json lists, per fixture file, the config facts a loader needs, the
four input rows, and the pre-activations, codes and reconstruction.
"""
import collections
import dataclasses
import json
import math
import sys
import types
from pathlib import Path

import torch
from numpy import float32

import saev.config
import saev.nn

OUT = Path(__file__).resolve().parent.parent / "Tests" / "LoupeSAETests" / "Fixtures" / "vision"
D_IN, D_SAE, K = 8, 32, 4
BATCHTOPK_THRESHOLD = 0.75
LN_EPS = 1e-5


def rows(t):
    # Shortest decimal that reads back as the same float32.
    return [[float(str(float32(v))) for v in row] for row in t.detach().numpy()]


def inputs(gen):
    x = torch.randn(4, D_IN, generator=gen) * 2.0
    x[0] += 1.5                      # offset mean: layer_norm has work to do
    x[1] *= 3.0                      # large norm: constant_norm_rescale matters
    x[2] = torch.randn(D_IN, generator=gen) * 0.05  # tiny row: most pre-activations < 0
    return x


def weights(gen, enc_shift):
    w_enc = torch.randn(D_IN, D_SAE, generator=gen)
    b_enc = torch.randn(D_SAE, generator=gen) * 0.5 + enc_shift
    w_dec = torch.randn(D_SAE, D_IN, generator=gen)
    w_dec = w_dec / w_dec.norm(dim=1, keepdim=True)  # unit decoder rows, as both trainers keep them
    b_dec = torch.randn(D_IN, generator=gen) * 0.3
    return w_enc, b_enc, w_dec, b_dec


def topk_mask_keep(h, k):
    """saev TopK: keep the k largest pre-activations unchanged (no ReLU)."""
    idx = h.topk(k, dim=-1).indices
    return torch.zeros_like(h).scatter(-1, idx, 1.0) * h


def topk_relu(h, k):
    """ViT-Prisma TopK: the k largest pre-activations, then ReLU on them."""
    top = h.topk(k, dim=-1)
    return torch.zeros_like(h).scatter(-1, top.indices, torch.relu(top.values))


# ---------------------------------------------------------------- saev 0.1.0

def saev_v010(x, gen):
    cfg = saev.config.SparseAutoencoder(d_vit=D_IN, exp_factor=D_SAE // D_IN, seed=0)
    sae = saev.nn.SparseAutoencoder(cfg)
    w_enc, b_enc, w_dec, b_dec = weights(gen, enc_shift=-0.5)
    with torch.no_grad():
        sae.W_enc.copy_(w_enc)
        sae.b_enc.copy_(b_enc)
        sae.W_dec.copy_(w_dec)
        sae.b_dec.copy_(b_dec)
    path = OUT / "saev_relu_v0.1.0.pt"
    saev.nn.dump(str(path), sae)
    sae = saev.nn.load(str(path))  # read back with the library's own loader
    with torch.no_grad():
        x_hat, f_x, _ = sae(x)
        h_pre = (x - sae.b_dec) @ sae.W_enc + sae.b_enc
        # What saev's current repository code computes for the same file: it
        # loads pre-schema headers as ReLU and encodes without b_dec.
        h_now = x @ sae.W_enc + sae.b_enc
        f_now = torch.relu(h_now)
        x_now = f_now @ sae.W_dec + sae.b_dec
    assert torch.allclose(torch.relu(h_pre), f_x, atol=1e-6)
    return path.name, {
        "library": "saev",
        "written_by": "saev 0.1.0 saev.nn.dump (real library)",
        "outputs_by": "saev 0.1.0 saev.nn.load + SparseAutoencoder.forward (real library)",
        "container": "one JSON line (json.dumps of the config's fields, no 'schema' key) + b'\\n' + torch.save zip of the state dict",
        "config": {
            "d_in": D_IN, "d_sae": D_SAE, "activation": "relu", "k": None,
            "header_schema": None, "subtract_b_dec_before_encode": True,
            "normalize_activations": "none",
            "state_dict_keys": ["W_enc", "b_enc", "W_dec", "b_dec"],
            "W_enc_shape": [D_IN, D_SAE], "W_dec_shape": [D_SAE, D_IN],
        },
        "pre_activations": rows(h_pre),
        "codes": rows(f_x),
        "reconstruction": rows(x_hat),
        "current_saev_reading": {
            "note": "saev's current load()+encode() on this file: ReLU, no b_dec subtraction",
            "codes": rows(f_now),
            "reconstruction": rows(x_now),
        },
    }


# ------------------------------------------------------- saev schema 5 (hand)

class _SaevActivation(torch.nn.Module):
    """Parameter-free activation module (saev's ReluActivation / TopKActivation)."""


class _SaevBatchTopK(torch.nn.Module):
    def __init__(self, threshold):
        super().__init__()
        self.register_buffer("threshold", torch.tensor(threshold))


class _SaevSchema5(torch.nn.Module):
    """Same parameter names, registration order and child name as saev's current
    SparseAutoencoder, so state_dict() has the same keys and _metadata."""

    def __init__(self, w_enc, b_enc, w_dec, b_dec, activation, tied):
        super().__init__()
        self.W_dec = torch.nn.Parameter(w_dec.clone())
        self.b_dec = torch.nn.Parameter(b_dec.clone())
        if tied:
            self.W_enc = torch.nn.Parameter(self.W_dec.data.T)  # view: shares W_dec's storage
        else:
            self.W_enc = torch.nn.Parameter(w_enc.clone())
        self.b_enc = torch.nn.Parameter(b_enc.clone())
        self.activation = activation


def _saev_activation_header(kind):
    no_sparsity = {"cls": "NoSparsity", "params": {"key": "no-sparsity"}}
    auxk = {"cls": "AuxK", "params": {"key": "auxk", "k_aux": 512, "alpha": 1 / 32}}
    if kind == "relu":
        return {"cls": "Relu", "params": {
            "key": "relu",
            "sparsity": {"cls": "L1Sparsity", "params": {"key": "l1-sparsity", "coeff": 4e-4}},
            "aux": {"cls": "NoAux", "params": {"key": "no-aux"}}}}
    if kind == "topk":
        return {"cls": "TopK", "params": {"key": "top-k", "top_k": K, "sparsity": no_sparsity, "aux": auxk}}
    return {"cls": "BatchTopK", "params": {"key": "batch-top-k", "top_k": K, "sparsity": no_sparsity,
                                           "momentum": 0.1, "aux": auxk}}


def saev_schema5(x, gen, kind, tied=False):
    shift = {"relu": -0.5, "topk": -3.0, "batchtopk": -0.5}[kind]
    w_enc, b_enc, w_dec, b_dec = weights(gen, enc_shift=shift)
    act = _SaevBatchTopK(BATCHTOPK_THRESHOLD) if kind == "batchtopk" else _SaevActivation()
    sae = _SaevSchema5(w_enc, b_enc, w_dec, b_dec, act, tied)
    header = {
        "schema": 5,
        "cfg": {"d_model": D_IN, "d_sae": D_SAE, "activation": _saev_activation_header(kind),
                "reinit_blend": 0.8, "reinit_enc_dec_tranpose": True,
                "remove_parallel_grads": True, "normalize_w_dec": True},
        "commit": "unknown",
        "lib": "0.0.0-loupe-fixture",
    }
    name = f"saev_{kind}_schema5{'_tied' if tied else ''}.pt"
    path = OUT / name
    with open(path, "wb") as fd:
        fd.write(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n")
        torch.save(sae.state_dict(), fd)
    with torch.no_grad():
        h = x @ sae.W_enc + sae.b_enc
        if kind == "relu":
            f = torch.relu(h)
        elif kind == "topk":
            f = topk_mask_keep(h, K)
        else:
            f = torch.where(h > BATCHTOPK_THRESHOLD, h, torch.zeros_like(h))
        x_hat = f @ sae.W_dec + sae.b_dec
    keys = list(sae.state_dict().keys())
    return name, {
        "library": "saev",
        "written_by": "this script, saev schema-5 layout by hand (saev's current code is not on PyPI)",
        "outputs_by": "documented math of saev's current SparseAutoencoder.encode/decode (eval mode), in torch",
        "container": "one compact JSON line {schema, cfg, commit, lib} + b'\\n' + torch.save zip of the state dict",
        "config": {
            "d_in": D_IN, "d_sae": D_SAE, "activation": {"relu": "relu", "topk": "topk", "batchtopk": "batchtopk"}[kind],
            "k": None if kind == "relu" else K,
            "threshold": BATCHTOPK_THRESHOLD if kind == "batchtopk" else None,
            "topk_applies_relu": False if kind == "topk" else None,
            "header_schema": 5, "subtract_b_dec_before_encode": False,
            "normalize_activations": "none",
            "state_dict_keys": keys,
            "W_enc_shape": [D_IN, D_SAE], "W_dec_shape": [D_SAE, D_IN],
            "W_enc_shares_W_dec_storage": tied,
        },
        "pre_activations": rows(h),
        "codes": rows(f),
        "reconstruction": rows(x_hat),
    }


# ------------------------------------------------------------ ViT-Prisma (hand)

def _install_prisma_config_class():
    """Registers a stand-in for vit_prisma.sae.config.VisionModelSAERunnerConfig
    so pickle writes the real module and class name."""
    for name in ("vit_prisma", "vit_prisma.sae", "vit_prisma.sae.config"):
        sys.modules.setdefault(name, types.ModuleType(name))

    @dataclasses.dataclass
    class VisionModelSAERunnerConfig:
        model_class_name: str = "HookedViT"
        model_name: str = "open-clip:laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K"
        vit_model_cfg: object = None
        hook_point_layer: int = 3
        layer_subtype: str = "hook_resid_post"
        hook_point_head_index: object = None
        context_size: int = 50
        use_patches_only: bool = False
        d_in: int = D_IN
        activation_fn_str: str = "relu"
        activation_fn_kwargs: dict = dataclasses.field(default_factory=dict)
        cls_token_only: bool = False
        initialization_method: str = "encoder_transpose_decoder"
        normalize_activations: str = "layer_norm"
        image_size: int = 224
        device: object = "cpu"
        seed: int = 42
        dtype: object = torch.float32
        architecture: str = "standard"
        b_dec_init_method: str = "geometric_median"
        expansion_factor: int = D_SAE // D_IN
        d_sae: object = None
        l1_coefficient: float = 0.0002
        lp_norm: float = 1
        use_ghost_grads: bool = True
        is_transcoder: bool = False

        def __post_init__(self):
            # Like the real class: derived attributes that are not dataclass fields.
            self.hook_point = f"blocks.{self.hook_point_layer}.{self.layer_subtype}"
            self.d_sae = self.d_in * self.expansion_factor
            self.device = torch.device(self.device)

    VisionModelSAERunnerConfig.__module__ = "vit_prisma.sae.config"
    VisionModelSAERunnerConfig.__qualname__ = "VisionModelSAERunnerConfig"
    sys.modules["vit_prisma.sae.config"].VisionModelSAERunnerConfig = VisionModelSAERunnerConfig
    return VisionModelSAERunnerConfig


def _prisma_config_json(cfg):
    def plain(v):
        if isinstance(v, torch.device):
            return {"__type__": "torch.device", "value": str(v)}
        if isinstance(v, torch.dtype):
            return {"__type__": "torch.dtype", "value": repr(v)}
        if isinstance(v, dict):
            return {k: plain(w) for k, w in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(w) for w in v]
        return v
    return json.dumps(plain(dataclasses.asdict(cfg)), indent=4)


class _HookPoint(torch.nn.Module):
    """Parameter-free child module, as ViT-Prisma's HookPoint."""


class _PrismaTopK(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.postact_fn = torch.nn.ReLU()


class _PrismaStandard(torch.nn.Module):
    """Same parameter names, registration order and child names as ViT-Prisma's
    StandardSparseAutoencoder, so state_dict() has the same keys and _metadata."""

    def __init__(self, w_enc, b_enc, w_dec, b_dec, topk):
        super().__init__()
        self.W_dec = torch.nn.Parameter(w_dec.clone())
        self.W_enc = torch.nn.Parameter(w_enc.clone())
        self.b_enc = torch.nn.Parameter(b_enc.clone())
        self.b_dec = torch.nn.Parameter(b_dec.clone())
        self.hook_sae_in = _HookPoint()
        self.hook_hidden_pre = _HookPoint()
        self.hook_hidden_post = _HookPoint()
        self.hook_sae_out = _HookPoint()
        self.activation_fn = _PrismaTopK() if topk else torch.nn.ReLU()


def prisma(x, gen, cfg_cls, folder, norm, activation, weights_only=False):
    shift = -4.5 if activation == "topk" else -0.5
    w_enc, b_enc, w_dec, b_dec = weights(gen, enc_shift=shift)
    kwargs = {"k": K} if activation == "topk" else {}
    cfg = cfg_cls(activation_fn_str=activation, activation_fn_kwargs=kwargs, normalize_activations=norm)
    sae = _PrismaStandard(w_enc, b_enc, w_dec, b_dec, topk=activation == "topk")
    out = OUT / folder
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(_prisma_config_json(cfg))
    if weights_only:
        weight_file = "weights.pt"
        torch.save(sae.state_dict(), out / weight_file)
    else:
        weight_file = "n_images_1000.pt"
        torch.save({"cfg": cfg, "state_dict": sae.state_dict()}, out / weight_file)

    with torch.no_grad():
        if norm == "constant_norm_rescale":
            coeff = math.sqrt(D_IN) / x.norm(dim=-1, keepdim=True)
            sae_in = x * coeff
        elif norm == "layer_norm":
            mu = x.mean(dim=-1, keepdim=True)
            centred = x - mu
            std = centred.std(dim=-1, keepdim=True)  # unbiased (n - 1)
            sae_in = centred / (std + LN_EPS)
        else:
            sae_in = x
        h = (sae_in - sae.b_dec) @ sae.W_enc + sae.b_enc
        f = topk_relu(h, K) if activation == "topk" else torch.relu(h)
        y = f @ sae.W_dec + sae.b_dec
        if norm == "constant_norm_rescale":
            x_hat = y / coeff
        elif norm == "layer_norm":
            x_hat = y * std + mu
        else:
            x_hat = y
    return f"{folder}/{weight_file}", {
        "library": "vit_prisma",
        "written_by": "this script, ViT-Prisma layout by hand (vit_prisma.sae is not in the PyPI wheel)",
        "outputs_by": "documented math of ViT-Prisma StandardSparseAutoencoder.encode/decode, in torch",
        "container": ("torch.save zip of the bare state dict; config in config.json beside it" if weights_only else
                      "torch.save zip of {'cfg': VisionModelSAERunnerConfig object, 'state_dict': OrderedDict}; config.json beside it"),
        "config_file": f"{folder}/config.json",
        "config": {
            "d_in": D_IN, "d_sae": D_SAE, "activation": activation,
            "k": K if activation == "topk" else None,
            "topk_applies_relu": True if activation == "topk" else None,
            "architecture": "standard",
            "normalize_activations": norm,
            "layer_norm_eps": LN_EPS if norm == "layer_norm" else None,
            "layer_norm_std": "unbiased (n-1), eps added to std" if norm == "layer_norm" else None,
            "subtract_b_dec_before_encode": True,
            "hook_point": cfg.hook_point,
            "state_dict_keys": list(sae.state_dict().keys()),
            "W_enc_shape": [D_IN, D_SAE], "W_dec_shape": [D_SAE, D_IN],
        },
        "sae_in": rows(sae_in),
        "pre_activations": rows(h),
        "codes": rows(f),
        "reconstruction": rows(x_hat),
    }


def _compact_json(value, indent=0):
    """JSON with one line per object key and each number array on one line."""
    pad = " " * indent
    if isinstance(value, dict):
        items = [f'{pad} {json.dumps(k)}: {_compact_json(v, indent + 1).lstrip()}' for k, v in value.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}" + ("\n" if indent == 0 else "")
    return pad + json.dumps(value, separators=(",", ":"))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(20240607)
    x = inputs(gen)
    fixtures = {}
    name, entry = saev_v010(x, gen)
    fixtures[name] = entry
    for kind in ("relu", "topk", "batchtopk"):
        name, entry = saev_schema5(x, gen, kind)
        fixtures[name] = entry
    name, entry = saev_schema5(x, gen, "topk", tied=True)
    fixtures[name] = entry

    cfg_cls = _install_prisma_config_class()
    for folder, norm, act, bare in (("prisma_none", "none", "relu", False),
                                    ("prisma_layer_norm", "layer_norm", "topk", False),
                                    ("prisma_constant_norm_rescale", "constant_norm_rescale", "relu", False),
                                    ("prisma_weights_only", "layer_norm", "relu", True)):
        name, entry = prisma(x, gen, cfg_cls, folder, norm, act, weights_only=bare)
        fixtures[name] = entry

    expected = {"generator": "dev/make_vision_sae_fixtures.py", "tolerance": 1e-5,
                "x": rows(x), "fixtures": fixtures}
    (OUT / "expected.json").write_text(_compact_json(expected))

    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"wrote {path.relative_to(OUT.parent.parent.parent.parent)}  ({path.stat().st_size} bytes)")
    for name, entry in fixtures.items():
        codes = torch.tensor(entry["codes"])
        pre = torch.tensor(entry["pre_activations"])
        print(f"{name}: active per row {(codes != 0).sum(-1).tolist()}, "
              f"negative pre-activations {int((pre < 0).sum())}/{pre.numel()}, "
              f"negative codes {int((codes < 0).sum())}")


if __name__ == "__main__":
    main()
