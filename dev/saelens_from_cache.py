"""Trains an SAE with SAELens's own trainer on a Loupe activation cache and
measures it over the whole cache, so that an SAE trained by the reference
tool on Loupe's activations can be loaded back in Loupe and its metrics
compared.

    dev/.venv-sae/bin/python dev/saelens_from_cache.py --cache CACHE --out SAE \\
        [--steps 40 --k 4 --d-sae 64 --batch 32 --seed 0 --lr 3e-3] \\
        [--metrics FILE] [--check-with .build/release/loupe]

    # a random cache to try it on (12 images, 10 tokens each, width 16, 3 shards):
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --make-mock-cache /tmp/mock-cache

    # the fixture of the Swift tests (Tests/LoupeSAETests/Fixtures/saelens_from_cache):
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --write-fixture

The cache is a folder written by `clip.activations(..., to:)` or `loupe
cache`: index.json and shard-00000.safetensors, ..., each shard one F32
tensor `activations` [images, tokens, width]; the cache's rows are the
shards in order, image-major, then token. It is read whole, each shard
checked against the index (shape, rows, CRC-32 of its data).

Training: the rows, shuffled with a fixed seed (reshuffled every pass),
feed SAELens's `SAETrainer.fit` in batches, training a `TopKTrainingSAE`
on the CPU. By default the SAE trains with rescale_acts_by_decoder_norm off
(encoder pre-activations and codes as they are, as Loupe runs a TopK SAE);
--rescale-acts-by-decoder-norm trains with SAELens's default instead. The
SAE is saved with SAELens's `save_inference_model` (cfg.json and
sae_weights.safetensors in --out), the model, layer, site and tokens of the
cache in its metadata.

Metrics (written to --out/metrics.json unless --metrics says where) are
Loupe's (Sources/LoupeSAE/Metrics.swift) over every row of the cache,
re-derived here in NumPy from the saved weights: mse per element,
explained variance about the cache's mean, L0, dead and dense (above 10% of
tokens) fractions, mean cosine similarity, and each latent's density. The
same encode and decode are checked against SAELens's own `SAE.load_from_disk`.

--check-with LOUPE runs `LOUPE run` on a three-line script that loads the
cache and the SAE and prints `sae.metrics(acts)`, and shows its output.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file
from sae_lens import SAE
from sae_lens import __version__ as sae_lens_version
from sae_lens.config import LoggingConfig, SAETrainerConfig
from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
from sae_lens.training.sae_trainer import SAETrainer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Tests" / "LoupeSAETests" / "Fixtures" / "saelens_from_cache"
CACHE_FORMAT = "loupe-activation-cache"
CACHE_FORMAT_VERSION = 1
SHARD_FORMAT = "loupe-activation-shard"
DENSE_THRESHOLD = 0.1       # SAEMetrics.denseThreshold


class CacheError(Exception):
    pass


# ---------------------------------------------------------------- the cache

def plan_digest(identity: dict) -> str:
    """The name of a cache's plan, as ActivationCachePlan.digest computes it:
    CRC-32 of the identity fields' compact JSON (sorted keys), and its length."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return f"{zlib.crc32(text):08x}-{len(text)}"


def plan_identity(index: dict) -> dict:
    keys = ["model", "layer", "site", "tokens", "tokens_per_image", "width", "dtype", "dataset", "images",
            "image_ids", "shard_images"]
    return {k: index[k] for k in keys if k in index}


def read_cache(folder) -> tuple[dict, np.ndarray]:
    """The index and every row of a Loupe activation cache, [rows, width] float32.
    Each shard is checked against the index: its tensor's dtype and shape,
    its rows, and the CRC-32 of its data."""
    folder = Path(folder)
    index_path = folder / "index.json"
    if not index_path.is_file():
        raise CacheError(f"{folder} is not an activation cache: it has no index.json")
    try:
        index = json.loads(index_path.read_text())
    except json.JSONDecodeError as e:
        raise CacheError(f"{index_path} is not valid JSON: {e}") from e

    def field(name, kind):
        if not isinstance(index.get(name), kind) or isinstance(index.get(name), bool):
            raise CacheError(f"{index_path}: '{name}' is missing or not {kind.__name__}")
        return index[name]

    if index.get("format") != CACHE_FORMAT:
        raise CacheError(f"{index_path}: format is {index.get('format')!r}, not {CACHE_FORMAT!r}")
    if field("format_version", int) > CACHE_FORMAT_VERSION:
        raise CacheError(f"{index_path}: format version {index['format_version']}; this script reads up to {CACHE_FORMAT_VERSION}")
    if index.get("dtype") != "F32":
        raise CacheError(f"{index_path}: dtype is {index.get('dtype')!r}; only F32 caches are read")
    images, per_image, width = field("images", int), field("tokens_per_image", int), field("width", int)
    rows = field("rows", int)
    if rows != images * per_image:
        raise CacheError(f"{index_path}: rows {rows} is not images × tokens_per_image = {images} × {per_image}")
    ids = field("image_ids", list)
    if len(ids) != images:
        raise CacheError(f"{index_path}: {len(ids)} image ids for {images} images")
    if index.get("complete") is False:
        raise CacheError(f"{index_path}: the cache is incomplete (not every shard was written)")
    shards = field("shards", list)
    if not shards:
        raise CacheError(f"{index_path}: the index lists no shards")
    digest = index.get("plan")
    if digest is not None and digest != plan_digest(plan_identity(index)):
        raise CacheError(f"{index_path}: plan {digest} does not match the index's own fields ({plan_digest(plan_identity(index))})")

    parts, next_image = [], 0
    for s, entry in enumerate(shards):
        name = entry.get("file")
        where = f"{index_path}, shard {s} ({name})"
        if entry.get("first_image") != next_image:
            raise CacheError(f"{where}: first_image {entry.get('first_image')}, expected {next_image}")
        n = entry.get("images")
        if not isinstance(n, int) or n <= 0 or entry.get("rows") != n * per_image:
            raise CacheError(f"{where}: images {n} and rows {entry.get('rows')} do not agree with {per_image} tokens per image")
        path = folder / name
        if not path.is_file():
            raise CacheError(f"{where}: the file is missing")
        tensors = load_file(str(path))
        if "activations" not in tensors:
            raise CacheError(f"{path}: no 'activations' tensor (has {sorted(tensors)})")
        a = tensors["activations"]
        if a.dtype != np.float32:
            raise CacheError(f"{path}: activations are {a.dtype}, not float32")
        if a.shape != (n, per_image, width):
            raise CacheError(f"{path}: activations have shape {list(a.shape)}, the index says {[n, per_image, width]}")
        crc = zlib.crc32(np.ascontiguousarray(a, dtype="<f4").tobytes())
        if crc != entry.get("crc32"):
            raise CacheError(f"{path}: CRC-32 of the data is {crc}, the index says {entry.get('crc32')}; the shard is damaged")
        parts.append(a.reshape(-1, width))
        next_image += n
    if next_image != images:
        raise CacheError(f"{index_path}: the shards hold {next_image} images, the index says {images}")
    return index, np.concatenate(parts, axis=0)


def write_cache(folder, x: np.ndarray, *, model: str, layer: int, site: str, tokens: str, dataset: str,
                image_ids: list, shard_images: int):
    """Writes x [images, tokens, width] float32 as a complete Loupe activation
    cache, with the fields and shard metadata Loupe's reader checks."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images, per_image, width = x.shape
    identity = {"model": model, "layer": layer, "site": site, "tokens": tokens, "tokens_per_image": per_image,
                "width": width, "dtype": "F32", "dataset": dataset, "images": images, "image_ids": image_ids,
                "shard_images": shard_images}
    digest = plan_digest(identity)
    entries = []
    for s, first in enumerate(range(0, images, shard_images)):
        a = np.ascontiguousarray(x[first:first + shard_images], dtype="<f4")
        crc = zlib.crc32(a.tobytes())
        name = f"shard-{s:05d}.safetensors"
        save_file({"activations": a}, str(folder / name), metadata={
            "format": SHARD_FORMAT, "format_version": str(CACHE_FORMAT_VERSION), "plan": digest, "model": model,
            "layer": str(layer), "site": site, "tokens": tokens, "shard": str(s), "first_image": str(first),
            "crc32": str(crc)})
        entries.append({"file": name, "first_image": first, "images": len(a), "rows": len(a) * per_image, "crc32": crc})
    index = dict(identity, format=CACHE_FORMAT, format_version=CACHE_FORMAT_VERSION, plan=digest,
                 rows=images * per_image, shard_count=len(entries), complete=True, shards=entries)
    (folder / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def make_mock_cache(folder, seed: int = 0):
    """12 images of 10 random-normal tokens of width 16, 5 images a shard (shards of 5, 5 and 2)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((12, 10, 16)).astype(np.float32)
    write_cache(folder, x, model="mock", layer=0, site="resid_post", tokens="all",
                dataset="random normal, seed %d" % seed, image_ids=[f"mock-{i:03d}" for i in range(12)], shard_images=5)


# ----------------------------------------------------------------- training

def batches(rows: np.ndarray, batch: int, seed: int):
    """Endless batches of rows as torch tensors, shuffled with a fixed seed and reshuffled on every pass."""
    rng = np.random.default_rng(seed)
    order = np.empty(0, dtype=np.int64)
    while True:
        while len(order) < batch:
            order = np.concatenate([order, rng.permutation(len(rows))])
        take, order = order[:batch], order[batch:]
        yield torch.from_numpy(rows[take].copy())


def train(index: dict, rows: np.ndarray, out: Path, *, steps: int, k: int, d_sae: int, batch: int, seed: int,
          lr: float, rescale: bool) -> TopKTrainingSAE:
    torch.manual_seed(seed)
    d_in = rows.shape[1]
    cfg = TopKTrainingSAEConfig(d_in=d_in, d_sae=d_sae, k=k, rescale_acts_by_decoder_norm=rescale)
    cfg.metadata.model_name = index["model"]
    cfg.metadata.hook_name = f"blocks.{index['layer']}.hook_{index['site']}"
    cfg.metadata.layer = index["layer"]
    cfg.metadata.site = index["site"]
    cfg.metadata.tokens = index["tokens"]
    sae = TopKTrainingSAE(cfg)
    trainer = SAETrainer(
        cfg=SAETrainerConfig(total_training_samples=steps * batch, train_batch_size_samples=batch, lr=lr, lr_end=lr,
                             device="cpu", logger=LoggingConfig(log_to_wandb=False)),
        sae=sae, data_provider=batches(rows, batch, seed))
    trainer.fit()
    assert trainer.n_training_steps == steps, (trainer.n_training_steps, steps)
    sae.save_inference_model(out)
    return sae


# ------------------------------------------------------------------ metrics

def load_saved(out: Path) -> tuple[dict, dict]:
    cfg = json.loads((out / "cfg.json").read_text())
    weights = load_file(str(out / "sae_weights.safetensors"))
    return cfg, weights


def encode_decode(cfg: dict, w: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TopK codes [rows, d_sae] (the k largest pre-activations of each row that
    are above zero) and reconstructions, in float32, from the saved weights."""
    assert cfg["architecture"] == "topk", cfg["architecture"]
    assert cfg.get("normalize_activations", "none") == "none" and cfg.get("reshape_activations", "none") == "none"
    W_enc, b_enc, W_dec, b_dec = (w[n].astype(np.float32) for n in ("W_enc", "b_enc", "W_dec", "b_dec"))
    k = int(cfg["k"])
    sae_in = x - b_dec if cfg.get("apply_b_dec_to_input", True) else x
    pre = sae_in @ W_enc + b_enc
    norms = np.linalg.norm(W_dec, axis=1) if cfg.get("rescale_acts_by_decoder_norm") else None
    if norms is not None:
        pre = pre * norms
    top = np.argpartition(-pre, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(pre, top, axis=1)
    codes = np.zeros_like(pre)
    np.put_along_axis(codes, top, np.maximum(vals, 0), axis=1)
    recon = (codes / norms if norms is not None else codes) @ W_dec + b_dec
    return codes, recon.astype(np.float32)


def metrics(codes: np.ndarray, x: np.ndarray, xhat: np.ndarray) -> dict:
    """Loupe's SAEMetrics, accumulated in double precision as SAEMetricsAccumulator does."""
    n, d_in = x.shape
    d_sae = codes.shape[1]
    x64, y64 = x.astype(np.float64), xhat.astype(np.float64)
    squared_error = float(((x64 - y64) ** 2).sum())
    total = float((x64 ** 2).sum(axis=0).sum() - ((x64.sum(axis=0) ** 2) / n).sum())
    dot, xx, yy = (x64 * y64).sum(1), (x64 ** 2).sum(1), (y64 ** 2).sum(1)
    both = (xx > 0) & (yy > 0)
    cos = np.where(both, dot / np.sqrt(np.where(both, xx * yy, 1)), np.where(xx == yy, 1.0, 0.0))
    fires = (codes != 0).sum(axis=0)
    density = fires / n
    return {
        "tokens": int(n),
        "mse": squared_error / (n * d_in),
        "explained_variance": 1 - squared_error / total if total > 0 else 0.0,
        "l0": float((codes != 0).sum()) / n,
        "dead_fraction": float((fires == 0).sum()) / d_sae,
        "dense_fraction": float((density > DENSE_THRESHOLD).sum()) / d_sae,
        "cosine_similarity": float(cos.mean()),
        "density": [float(v) for v in density],
    }


def check_against_saelens(out: Path, x: np.ndarray, codes: np.ndarray, recon: np.ndarray) -> float:
    """The largest difference between the NumPy encode/decode and SAELens's own inference SAE."""
    sae = SAE.load_from_disk(out, device="cpu")
    with torch.no_grad():
        t = torch.from_numpy(x)
        acts = sae.encode(t)
        rec = sae.decode(acts)
    diff = max(float(np.abs(acts.numpy() - codes).max()), float(np.abs(rec.numpy() - recon).max()))
    if diff > 1e-4:
        raise SystemExit(f"NumPy and SAELens ({type(sae).__name__}) disagree by {diff:.3g}")
    return diff


# ------------------------------------------------------------------- Loupe

def loupe_script(cache: Path, sae: Path) -> str:
    return (f"let acts = Activations.load({json.dumps(str(cache.resolve()))})\n"
            f"let sae = SAE.load({json.dumps(str(sae.resolve()))})\n"
            "sae.metrics(acts)\n")


def check_with_loupe(binary: str, cache: Path, sae: Path) -> int:
    """Runs `binary run` on a script that prints Loupe's metrics of `sae` over `cache`; shows its output."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "metrics.loupe"
        script.write_text(loupe_script(cache, sae))
        done = subprocess.run([binary, "run", str(script)], capture_output=True, text=True)
    print(f"--- {binary} run (exit {done.returncode})")
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    return done.returncode


# -------------------------------------------------------------------- main

def run(cache: Path, out: Path, metrics_path: Path, *, steps: int, k: int, d_sae: int, batch: int, seed: int,
        lr: float, rescale: bool) -> dict:
    index, rows = read_cache(cache)
    train(index, rows, out, steps=steps, k=k, d_sae=d_sae, batch=batch, seed=seed, lr=lr, rescale=rescale)
    cfg, weights = load_saved(out)
    codes, recon = encode_decode(cfg, weights, rows)
    result = metrics(codes, rows, recon)
    diff = check_against_saelens(out, rows, codes, recon)
    result.update({"sae_lens": sae_lens_version, "torch": torch.__version__, "architecture": "topk",
                   "steps": steps, "k": k, "d_in": int(rows.shape[1]), "d_sae": d_sae, "batch": batch, "seed": seed,
                   "lr": lr, "rescale_acts_by_decoder_norm": rescale})
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"SAELens {sae_lens_version}: TopK k={k}, d_in {rows.shape[1]}, d_sae {d_sae}, {steps} steps of {batch} rows, seed {seed}")
    print(f"over {result['tokens']} cache rows: mse {result['mse']:.6g}, explained variance {result['explained_variance']:.6g}, "
          f"L0 {result['l0']:.4g}, dead {result['dead_fraction']:.4g}, dense {result['dense_fraction']:.4g}, "
          f"cosine {result['cosine_similarity']:.6g}")
    print(f"NumPy vs SAELens encode/decode: max |diff| {diff:.2e}")
    print(f"wrote {out}/cfg.json, {out}/sae_weights.safetensors, {metrics_path}")
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, help="a Loupe activation-cache folder")
    p.add_argument("--out", type=Path, help="folder for the trained SAE (cfg.json, sae_weights.safetensors)")
    p.add_argument("--metrics", type=Path, help="where metrics.json goes (default: OUT/metrics.json)")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--d-sae", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--rescale-acts-by-decoder-norm", action="store_true",
                   help="train with SAELens's default for TopK (the saved cfg.json then says so)")
    p.add_argument("--check-with", metavar="LOUPE", help="a loupe binary to print its metrics of the trained SAE")
    p.add_argument("--make-mock-cache", type=Path, metavar="DIR", help="write a random 12-image cache to DIR and stop")
    p.add_argument("--write-fixture", action="store_true", help=f"write {FIXTURE.relative_to(ROOT)} (cache, sae, metrics.json)")
    a = p.parse_args()

    try:
        if a.make_mock_cache:
            make_mock_cache(a.make_mock_cache, seed=a.seed)
            _, rows = read_cache(a.make_mock_cache)
            print(f"wrote a mock cache of {len(rows)} rows of width {rows.shape[1]} to {a.make_mock_cache}")
            return
        if a.write_fixture:
            a.cache, a.out, a.metrics = FIXTURE / "cache", FIXTURE / "sae", FIXTURE / "metrics.json"
            make_mock_cache(a.cache, seed=0)
        if not a.cache or not a.out:
            p.error("--cache and --out are required (or --make-mock-cache DIR, or --write-fixture)")
        run(a.cache, a.out, a.metrics or a.out / "metrics.json", steps=a.steps, k=a.k, d_sae=a.d_sae, batch=a.batch,
            seed=a.seed, lr=a.lr, rescale=a.rescale_acts_by_decoder_norm)
    except CacheError as e:
        raise SystemExit(f"error: {e}")
    if a.check_with:
        sys.exit(check_with_loupe(a.check_with, a.cache, a.out))


if __name__ == "__main__":
    main()
