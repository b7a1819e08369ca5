"""Trains an SAE with SAELens's own trainer on a Loupe activation cache and
measures it over the whole cache, so that an SAE trained by the reference
tool on Loupe's activations can be loaded back in Loupe and its metrics
compared.

    dev/.venv-sae/bin/python dev/saelens_from_cache.py --cache CACHE --out SAE \\
        [--steps 40 --k 4 --d-sae 64 --batch 32 --seed 0 --lr 3e-3] \\
        [--device cpu] [--buffer-rows 262144] [--metrics-batch 2048] [--check-rows 4096] \\
        [--metrics FILE] [--check-with .build/release/loupe]

    # a random cache to try it on (12 images, 10 tokens each, width 16, 3 shards):
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --make-mock-cache /tmp/mock-cache
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --cache /tmp/mock-cache --out /tmp/mock-sae

    # the fixture of the Swift tests (Tests/LoupeSAETests/Fixtures/saelens_from_cache;
    # its cache is kept where the data are the same, the SAE and metrics.json rewritten):
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --write-fixture

    # full size on a GPU: 50,000 ViT-B/32 images, every token (2.5 M rows of 768),
    # 49,152 latents, one pass:
    dev/.venv-sae/bin/python dev/saelens_from_cache.py --cache /data/cache/b32-l11 --out b32-l11-sae \\
        --device cuda --d-sae 49152 --k 32 --batch 4096 --steps 610

The cache is a folder written by `clip.activations(..., to:)` or `loupe
cache`: index.json and shard-00000.safetensors, ..., each shard one F32
tensor `activations` [images, tokens, width]; the cache's rows are the
shards in order, image-major, then token. It is never read whole: the
index is checked first, and each shard against it (shape, rows, CRC-32 of
its data) every time it is read.

Training: a data provider streams the cache to SAELens's `SAETrainer.fit`,
training a `TopKTrainingSAE` on --device (the SAE, the trainer and each
batch go there). Each pass over the cache takes the shards in a seeded
random order and groups them into fills of at most --buffer-rows rows (no
shard may be larger); a fill's shards are read into the shuffle buffer in
cache order, its rows are shuffled with a fixed seed and handed out in
batches, a batch running on into the next fill where one ends. A cache no
larger than the buffer is one fill, read once and kept: every pass is then
a fresh shuffle of all its rows. Memory holds the buffer, one shard and one
batch, not the cache. By default the SAE trains with
rescale_acts_by_decoder_norm off (encoder pre-activations and codes as they
are, as Loupe runs a TopK SAE); --rescale-acts-by-decoder-norm trains with
SAELens's default instead. The SAE is saved with SAELens's
`save_inference_model` (cfg.json and sae_weights.safetensors in --out), the
model, layer, site and tokens of the cache in its metadata.

Metrics (written to --out/metrics.json unless --metrics says where) are
Loupe's (Sources/LoupeSAE/Training/Metrics.swift) over every row of the cache,
re-derived here from the saved weights: mse per element, explained variance
about the cache's mean, L0, dead and dense (above 10% of tokens) fractions,
mean cosine similarity, and each latent's density. The rows go through in
cache order, --metrics-batch at a time, and only sums are kept (in double
precision, as SAEMetricsAccumulator keeps them), so no [rows, d_sae] array
is ever made. On the CPU the encode and decode are NumPy's; on another
device they are the same arithmetic in torch there. The first --check-rows
rows are also encoded and decoded by SAELens's own `SAE.load_from_disk` and
must agree; a row whose k-th and next pre-activations are as close as the
tolerance (a near tie, where either order is right) is counted, not failed.

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
CHECK_TOLERANCE = 1e-4      # NumPy/torch against SAELens, relative to the largest |x| (at least 1)


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


class Cache:
    """A Loupe activation cache, opened without reading its data: the index
    is checked on opening, and each shard against it (dtype, shape, CRC-32
    of its data) every time `shard` reads it."""

    def __init__(self, folder):
        self.folder = Path(folder)
        index_path = self.folder / "index.json"
        if not index_path.is_file():
            raise CacheError(f"{self.folder} is not an activation cache: it has no index.json")
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

        next_image = 0
        for s, entry in enumerate(shards):
            name = entry.get("file")
            where = f"{index_path}, shard {s} ({name})"
            if entry.get("first_image") != next_image:
                raise CacheError(f"{where}: first_image {entry.get('first_image')}, expected {next_image}")
            n = entry.get("images")
            if not isinstance(n, int) or n <= 0 or entry.get("rows") != n * per_image:
                raise CacheError(f"{where}: images {n} and rows {entry.get('rows')} do not agree with {per_image} tokens per image")
            if not (self.folder / name).is_file():
                raise CacheError(f"{where}: the file is missing")
            next_image += n
        if next_image != images:
            raise CacheError(f"{index_path}: the shards hold {next_image} images, the index says {images}")
        self.index, self.rows, self.width, self.per_image = index, rows, width, per_image
        self.shard_rows = [entry["rows"] for entry in shards]

    def shard(self, s: int) -> np.ndarray:
        """Shard s's rows, [rows, width] float32, checked against the index."""
        entry = self.index["shards"][s]
        path = self.folder / entry["file"]
        if not path.is_file():
            raise CacheError(f"{path}: the file is missing")
        tensors = load_file(str(path))
        if "activations" not in tensors:
            raise CacheError(f"{path}: no 'activations' tensor (has {sorted(tensors)})")
        a = tensors["activations"]
        if a.dtype != np.float32:
            raise CacheError(f"{path}: activations are {a.dtype}, not float32")
        if a.shape != (entry["images"], self.per_image, self.width):
            raise CacheError(f"{path}: activations have shape {list(a.shape)}, the index says {[entry['images'], self.per_image, self.width]}")
        crc = zlib.crc32(np.ascontiguousarray(a, dtype="<f4").tobytes())
        if crc != entry.get("crc32"):
            raise CacheError(f"{path}: CRC-32 of the data is {crc}, the index says {entry.get('crc32')}; the shard is damaged")
        return a.reshape(-1, self.width)

    def batches_in_order(self, size: int):
        """The cache's rows in order, `size` at a time (the last batch shorter),
        batches running across shard boundaries; one shard read at a time."""
        carry = np.empty((0, self.width), dtype=np.float32)
        for s in range(len(self.shard_rows)):
            a = self.shard(s)
            if len(carry):
                a = np.concatenate([carry, a])
            whole = len(a) - len(a) % size
            for at in range(0, whole, size):
                yield a[at:at + size]
            carry = a[whole:]
        if len(carry):
            yield carry


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


def write_fixture_cache(folder: Path):
    """The fixture's mock cache (seed 0). One already in `folder` with the same
    index (its CRC-32s included) and intact shards is kept as it is: safetensors
    writes a shard's metadata in no fixed order, so rewriting would change the
    files but not the data."""
    with tempfile.TemporaryDirectory() as tmp:
        make_mock_cache(tmp, seed=0)
        fresh = Cache(tmp).index
    try:
        held = Cache(folder)
        if held.index == fresh:
            for s in range(len(held.shard_rows)):
                held.shard(s)
            return
    except CacheError:
        pass
    make_mock_cache(folder, seed=0)


# ----------------------------------------------------------------- training

def check_buffer(cache: Cache, buffer_rows: int):
    biggest = max(cache.shard_rows)
    if biggest > buffer_rows:
        raise CacheError(f"--buffer-rows {buffer_rows} is smaller than the largest shard ({biggest} rows); "
                         f"give at least {biggest}")


def fills(cache: Cache, buffer_rows: int, seed: int):
    """Endless fills of the shuffle buffer. Each pass takes the shards in a
    seeded random order and groups them, in that order, into fills of at most
    buffer_rows rows; a fill's shards are read into the buffer in cache order.
    A fill that is the buffer's present contents is not read again, so a
    cache no larger than the buffer is read once. Yields views of one buffer."""
    check_buffer(cache, buffer_rows)
    rng = np.random.default_rng((seed, 1))
    buffer = np.empty((min(buffer_rows, cache.rows), cache.width), dtype=np.float32)
    held = None
    while True:
        groups, group, size = [], [], 0
        for s in rng.permutation(len(cache.shard_rows)):
            if size + cache.shard_rows[s] > buffer_rows:
                groups.append(group)
                group, size = [], 0
            group.append(int(s))
            size += cache.shard_rows[s]
        groups.append(group)
        for group in map(sorted, groups):
            if group != held:
                held, at = None, 0
                for s in group:
                    a = cache.shard(s)
                    buffer[at:at + len(a)] = a
                    at += len(a)
                held = group
            yield buffer[:sum(cache.shard_rows[s] for s in group)]


def batches(cache: Cache, batch: int, seed: int, buffer_rows: int, device: str):
    """Endless batches of rows as torch tensors on `device`: each fill of the
    shuffle buffer shuffled with a fixed seed, a batch running on into the
    next fill where one ends."""
    rng = np.random.default_rng(seed)
    parts, have = [], 0
    for fill in fills(cache, buffer_rows, seed):
        order = rng.permutation(len(fill))
        at = 0
        while at < len(order):
            take = order[at:at + batch - have]
            at += len(take)
            parts.append(fill[take])
            have += len(take)
            if have == batch:
                yield torch.from_numpy(np.concatenate(parts)).to(device)
                parts, have = [], 0


def train(cache: Cache, out: Path, *, steps: int, k: int, d_sae: int, batch: int, seed: int, lr: float,
          rescale: bool, device: str, buffer_rows: int) -> TopKTrainingSAE:
    check_buffer(cache, buffer_rows)
    torch.manual_seed(seed)
    index = cache.index
    cfg = TopKTrainingSAEConfig(d_in=cache.width, d_sae=d_sae, k=k, rescale_acts_by_decoder_norm=rescale,
                                device=device)
    cfg.metadata.model_name = index["model"]
    cfg.metadata.hook_name = f"blocks.{index['layer']}.hook_{index['site']}"
    cfg.metadata.layer = index["layer"]
    cfg.metadata.site = index["site"]
    cfg.metadata.tokens = index["tokens"]
    sae = TopKTrainingSAE(cfg)
    trainer = SAETrainer(
        cfg=SAETrainerConfig(total_training_samples=steps * batch, train_batch_size_samples=batch, lr=lr, lr_end=lr,
                             device=device, logger=LoggingConfig(log_to_wandb=False)),
        sae=sae, data_provider=batches(cache, batch, seed, buffer_rows, device))
    trainer.fit()
    assert trainer.n_training_steps == steps, (trainer.n_training_steps, steps)
    sae.save_inference_model(out)
    return sae


# ------------------------------------------------------------------ metrics

def load_saved(out: Path) -> tuple[dict, dict]:
    cfg = json.loads((out / "cfg.json").read_text())
    assert cfg["architecture"] == "topk", cfg["architecture"]
    assert cfg.get("normalize_activations", "none") == "none" and cfg.get("reshape_activations", "none") == "none"
    weights = {n: w.astype(np.float32) for n, w in load_file(str(out / "sae_weights.safetensors")).items()}
    return cfg, weights


def pre_activations(cfg: dict, w: dict, x: np.ndarray) -> np.ndarray:
    """The pre-activations TopK chooses among, [rows, d_sae] float32."""
    sae_in = x - w["b_dec"] if cfg.get("apply_b_dec_to_input", True) else x
    pre = sae_in @ w["W_enc"] + w["b_enc"]
    if cfg.get("rescale_acts_by_decoder_norm"):
        pre = pre * np.linalg.norm(w["W_dec"], axis=1)
    return pre


def encode_decode(cfg: dict, w: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TopK codes [rows, d_sae] (the k largest pre-activations of each row that
    are above zero) and reconstructions, in float32, from the saved weights."""
    k = int(cfg["k"])
    pre = pre_activations(cfg, w, x)
    top = np.argpartition(-pre, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(pre, top, axis=1)
    codes = np.zeros_like(pre)
    np.put_along_axis(codes, top, np.maximum(vals, 0), axis=1)
    scaled = codes / np.linalg.norm(w["W_dec"], axis=1) if cfg.get("rescale_acts_by_decoder_norm") else codes
    recon = scaled @ w["W_dec"] + w["b_dec"]
    return codes, recon.astype(np.float32)


def encode_decode_torch(cfg: dict, w: dict, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """encode_decode's arithmetic in torch, on the device of x and the weights w."""
    k = int(cfg["k"])
    sae_in = x - w["b_dec"] if cfg.get("apply_b_dec_to_input", True) else x
    pre = sae_in @ w["W_enc"] + w["b_enc"]
    norms = w["W_dec"].norm(dim=1) if cfg.get("rescale_acts_by_decoder_norm") else None
    if norms is not None:
        pre = pre * norms
    vals, top = torch.topk(pre, k, dim=1, sorted=False)
    codes = torch.zeros_like(pre).scatter_(1, top, vals.clamp_min(0))
    recon = (codes / norms if norms is not None else codes) @ w["W_dec"] + w["b_dec"]
    return codes, recon


class Encoder:
    """The saved SAE's encode and decode of a batch: NumPy on the CPU, torch on any other device.
    Codes stay where they were made (an array or a tensor); reconstructions come back as NumPy."""

    def __init__(self, cfg: dict, w: dict, device: str):
        self.cfg, self.w, self.device = cfg, w, device
        self.on_torch = torch.device(device).type != "cpu"
        if self.on_torch:
            self.wt = {n: torch.from_numpy(a).to(device) for n, a in w.items()}

    def __call__(self, x: np.ndarray):
        if not self.on_torch:
            return encode_decode(self.cfg, self.w, x)
        with torch.no_grad():
            codes, recon = encode_decode_torch(self.cfg, self.wt, torch.from_numpy(x).to(self.device))
        return codes, recon.cpu().numpy()

    @staticmethod
    def fires(codes) -> np.ndarray:
        """How many rows each latent is non-zero on."""
        if isinstance(codes, torch.Tensor):
            return (codes != 0).sum(dim=0).cpu().numpy().astype(np.int64)
        return (codes != 0).sum(axis=0).astype(np.int64)


class MetricsSums:
    """Loupe's SAEMetricsAccumulator: sums over batches, in double precision."""

    def __init__(self, d_in: int, d_sae: int):
        self.d_in, self.d_sae = d_in, d_sae
        self.tokens, self.squared_error, self.cosine = 0, 0.0, 0.0
        self.sum, self.sum_squares = np.zeros(d_in), np.zeros(d_in)
        self.fires = np.zeros(d_sae, dtype=np.int64)

    def add(self, x: np.ndarray, xhat: np.ndarray, fires: np.ndarray):
        x64, y64 = x.astype(np.float64), xhat.astype(np.float64)
        self.squared_error += float(((x64 - y64) ** 2).sum())
        self.sum += x64.sum(axis=0)
        self.sum_squares += (x64 ** 2).sum(axis=0)
        dot, xx, yy = (x64 * y64).sum(1), (x64 ** 2).sum(1), (y64 ** 2).sum(1)
        both = (xx > 0) & (yy > 0)
        # A zero vector reconstructed as zero counts as perfect.
        cos = np.where(both, dot / np.sqrt(np.where(both, xx * yy, 1)), np.where(xx == yy, 1.0, 0.0))
        self.cosine += float(cos.sum())
        self.fires += fires
        self.tokens += len(x)

    def result(self) -> dict:
        n = max(self.tokens, 1)
        total = float(self.sum_squares.sum() - ((self.sum ** 2) / n).sum())
        density = self.fires / n
        return {
            "tokens": int(self.tokens),
            "mse": self.squared_error / (n * self.d_in),
            "explained_variance": 1 - self.squared_error / total if total > 0 else 0.0,
            "l0": float(self.fires.sum()) / n,
            "dead_fraction": float((self.fires == 0).sum()) / self.d_sae,
            "dense_fraction": float((density > DENSE_THRESHOLD).sum()) / self.d_sae,
            "cosine_similarity": self.cosine / n if self.tokens > 0 else 0.0,
            "density": [float(v) for v in density],
        }


class SAELensCheck:
    """Compares the encode and decode of the first `rows` rows with SAELens's own inference SAE."""

    def __init__(self, out: Path, cfg: dict, w: dict, device: str, rows: int):
        self.sae = SAE.load_from_disk(out, device=device) if rows > 0 else None
        self.cfg, self.w, self.device, self.left = cfg, w, device, rows
        self.rows, self.diff, self.ties = 0, 0.0, 0

    def add(self, x: np.ndarray, codes, recon: np.ndarray):
        if self.left <= 0:
            return
        n = min(self.left, len(x))
        x, codes, recon = x[:n], codes[:n], recon[:n]
        with torch.no_grad():
            acts = self.sae.encode(torch.from_numpy(x).to(self.device))
            rec = self.sae.decode(acts)
            mine = codes if isinstance(codes, torch.Tensor) else torch.from_numpy(codes)
            row_diff = torch.maximum((acts - mine.to(acts.device)).abs().amax(dim=1),
                                     (rec - torch.from_numpy(recon).to(rec.device)).abs().amax(dim=1)).cpu().numpy()
        tolerance = CHECK_TOLERANCE * max(1.0, float(np.abs(x).max()))
        off = np.flatnonzero(row_diff > tolerance)
        if len(off):
            # A near tie between the k-th and the next pre-activation: either choice is right.
            k = int(self.cfg["k"])
            pre = -np.sort(-pre_activations(self.cfg, self.w, x[off]), axis=1)
            tied = pre[:, k - 1] - pre[:, k] <= tolerance if pre.shape[1] > k else np.zeros(len(off), bool)
            if not tied.all():
                r = int(off[~tied][0])
                raise SystemExit(f"the encode/decode here and SAELens's ({type(self.sae).__name__}) disagree by "
                                 f"{row_diff[r]:.3g} on cache row {self.rows + r}")
            self.ties += len(off)
            row_diff[off] = 0
        self.diff = max(self.diff, float(row_diff.max()))
        self.rows += n
        self.left -= n
        if self.left <= 0:
            self.sae = None


def measure(cache: Cache, out: Path, *, device: str, batch_rows: int, check_rows: int) -> tuple[dict, SAELensCheck]:
    """Loupe's metrics of the saved SAE over every row of the cache, one batch at a time,
    and the check of the first check_rows rows against SAELens."""
    cfg, weights = load_saved(out)
    encoder = Encoder(cfg, weights, device)
    sums = MetricsSums(cache.width, int(cfg["d_sae"]))
    check = SAELensCheck(out, cfg, weights, device, min(check_rows, cache.rows))
    for x in cache.batches_in_order(batch_rows):
        codes, recon = encoder(x)
        sums.add(x, recon, Encoder.fires(codes))
        check.add(x, codes, recon)
    return sums.result(), check


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

def run(cache_folder: Path, out: Path, metrics_path: Path, *, steps: int, k: int, d_sae: int, batch: int, seed: int,
        lr: float, rescale: bool, device: str, buffer_rows: int, metrics_batch: int, check_rows: int) -> dict:
    cache = Cache(cache_folder)
    train(cache, out, steps=steps, k=k, d_sae=d_sae, batch=batch, seed=seed, lr=lr, rescale=rescale, device=device,
          buffer_rows=buffer_rows)
    result, check = measure(cache, out, device=device, batch_rows=metrics_batch, check_rows=check_rows)
    result.update({"sae_lens": sae_lens_version, "torch": torch.__version__, "architecture": "topk",
                   "steps": steps, "k": k, "d_in": cache.width, "d_sae": d_sae, "batch": batch, "seed": seed,
                   "lr": lr, "rescale_acts_by_decoder_norm": rescale})
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"SAELens {sae_lens_version}: TopK k={k}, d_in {cache.width}, d_sae {d_sae}, {steps} steps of {batch} rows, "
          f"seed {seed}, on {device}")
    print(f"over {result['tokens']} cache rows: mse {result['mse']:.6g}, explained variance {result['explained_variance']:.6g}, "
          f"L0 {result['l0']:.4g}, dead {result['dead_fraction']:.4g}, dense {result['dense_fraction']:.4g}, "
          f"cosine {result['cosine_similarity']:.6g}")
    ties = f" ({check.ties} near ties at the k-th latent left out)" if check.ties else ""
    if check.rows:
        print(f"{'NumPy' if torch.device(device).type == 'cpu' else 'torch'} vs SAELens encode/decode over the first "
              f"{check.rows} rows: max |diff| {check.diff:.2e}{ties}")
    else:
        print("not checked against SAELens's encode/decode (--check-rows 0)")
    print(f"wrote {out}/cfg.json, {out}/sae_weights.safetensors, {metrics_path}")
    return result


def positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is not a positive number")
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, help="a Loupe activation-cache folder")
    p.add_argument("--out", type=Path, help="folder for the trained SAE (cfg.json, sae_weights.safetensors)")
    p.add_argument("--metrics", type=Path, help="where metrics.json goes (default: OUT/metrics.json)")
    p.add_argument("--steps", type=positive, default=40)
    p.add_argument("--k", type=positive, default=4)
    p.add_argument("--d-sae", type=positive, default=64)
    p.add_argument("--batch", type=positive, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--rescale-acts-by-decoder-norm", action="store_true",
                   help="train with SAELens's default for TopK (the saved cfg.json then says so)")
    p.add_argument("--device", default="cpu", help="torch device to train and measure on: cpu, cuda, cuda:1, ... (default cpu)")
    p.add_argument("--buffer-rows", type=positive, default=262_144,
                   help="rows the shuffle buffer holds, at least one shard's (default 262144)")
    p.add_argument("--metrics-batch", type=positive, default=2048, help="rows encoded at a time for the metrics (default 2048)")
    p.add_argument("--check-rows", type=int, default=4096,
                   help="the first N cache rows are also run through SAELens's own SAE and must agree (default 4096)")
    p.add_argument("--check-with", metavar="LOUPE", help="a loupe binary to print its metrics of the trained SAE")
    p.add_argument("--make-mock-cache", type=Path, metavar="DIR", help="write a random 12-image cache to DIR and stop")
    p.add_argument("--write-fixture", action="store_true", help=f"write {FIXTURE.relative_to(ROOT)} (cache, sae, metrics.json)")
    a = p.parse_args()

    try:
        torch.empty(0, device=a.device)
    except (RuntimeError, ValueError) as e:
        p.error(f"--device {a.device}: {e}")
    try:
        if a.make_mock_cache:
            make_mock_cache(a.make_mock_cache, seed=a.seed)
            cache = Cache(a.make_mock_cache)
            rows = sum(len(cache.shard(s)) for s in range(len(cache.shard_rows)))
            print(f"wrote a mock cache of {rows} rows of width {cache.width} to {a.make_mock_cache}")
            return
        previous_cfg = None
        if a.write_fixture:
            a.cache, a.out, a.metrics = FIXTURE / "cache", FIXTURE / "sae", FIXTURE / "metrics.json"
            write_fixture_cache(a.cache)
            if (a.out / "cfg.json").is_file():
                previous_cfg = (a.out / "cfg.json").read_text()
        if not a.cache or not a.out:
            p.error("--cache and --out are required (or --make-mock-cache DIR, or --write-fixture)")
        run(a.cache, a.out, a.metrics or a.out / "metrics.json", steps=a.steps, k=a.k, d_sae=a.d_sae, batch=a.batch,
            seed=a.seed, lr=a.lr, rescale=a.rescale_acts_by_decoder_norm, device=a.device, buffer_rows=a.buffer_rows,
            metrics_batch=a.metrics_batch, check_rows=a.check_rows)
        # SAELens writes cfg.json's keys in no fixed order; the same settings keep the file as it was.
        if previous_cfg is not None and json.loads(previous_cfg) == json.loads((a.out / "cfg.json").read_text()):
            (a.out / "cfg.json").write_text(previous_cfg)
    except CacheError as e:
        raise SystemExit(f"error: {e}")
    if a.check_with:
        sys.exit(check_with_loupe(a.check_with, a.cache, a.out))


if __name__ == "__main__":
    main()
