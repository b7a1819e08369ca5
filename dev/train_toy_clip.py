"""Trains Loupe's toy CLIP: a small open_clip ViT-B/32-shaped model trained
contrastively on toy-world scenes and their captions.

The scenes come from Loupe's own generator. Training reads scenes by index
and computes their attributes itself (checked against scenes.csv), so it
can start while the generator is still writing:

    loupe scenes --count 24000 --seed 1 --words 0.3 --out dev/work/scenes-train
    loupe scenes --count 800 --seed 2 --words 0 --out dev/work/scenes-val
    loupe scenes --count 800 --seed 2 --words 1 --out dev/work/scenes-val-words

The shipped model (see Sources/LoupeCLIP/Resources/toy-clip.md for its
history, steps and times) was last trained from the previous stage's
weights on 20,000 scenes decoded up front (its last stage: --lr 3e-4
--minutes 25 --shape-only 0.5 --word-caption 0.6):

    loupe scenes --count 20000 --seed 1 --words 0.3 --out dev/work/scenes-train2
    loupe scenes --count 800 --seed 2 --words 0 --out dev/work/scenes-val2
    loupe scenes --count 800 --seed 2 --words 1 --out dev/work/scenes-valw2
    python dev/train_toy_clip.py --train dev/work/scenes-train2 --val dev/work/scenes-val2 \
        --val-words dev/work/scenes-valw2 --preload 1 --workers 2 --init <previous>.pt --minutes 42 \
        --lr 1e-3 --warmup 100 --group 8 --shape-only 0.3 --word-caption 0.15 --batch 64 --bf16 0

`--device cuda` runs the same recipe on a GPU (scenes held there as uint8).

Checkpoints (fp32 torch state dicts: latest.pt every 5 minutes, stepN.pt
at each evaluation, final.pt, plus log.json) go to --out; dev/export_toy_clip.py turns one
into the shipped .safetensors. Everything is seeded; the learning-rate
schedule follows the wall clock, so step counts depend on the machine.
"""
import argparse
import ctypes
import csv
import io
import json
import math
import os
import random
import time

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "dev", "work")

# The architecture: open_clip's CLIP with ViT-B/32's patch grid (7x7 + CLS at
# 224) and a narrow text tower. The token embedding (49408 x text width) is
# most of the file, so the text tower is the narrow one.
MODEL_CFG = {
    "embed_dim": 256,
    "quick_gelu": False,
    "vision_cfg": {"image_size": 224, "layers": 6, "width": 128, "head_width": 32, "patch_size": 32, "mlp_ratio": 4.0},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 128, "heads": 2, "layers": 4, "mlp_ratio": 4.0},
}
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)

SHAPES = ["circle", "square", "triangle", "star", "heart", "cross", "diamond", "hexagon", "pentagon", "arrow"]
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black", "brown"]
BACKGROUNDS = ["water", "sky", "night", "snow", "grass", "sand", "brick", "wood"]

# Zero-shot prompt templates. Training captions include these forms, and the
# evaluation (here and in Loupe's tests) uses exactly these.
TEMPLATES = {"shape": "a {}", "colour": "a {} shape", "background": "a shape on {}"}
CLASSES = {"shape": SHAPES, "colour": COLOURS, "background": BACKGROUNDS}


# Scene attributes, computed the way LoupeToyWorld's SceneGenerator does for the
# uniform split (SplitMix64 per index), so training can read scenes by index
# while the generator is still writing them. Checked against scenes.csv.
M64 = (1 << 64) - 1
WORDS = ["cat", "dog", "car", "tree", "house", "fish", "bird", "apple", "boat", "sun",
         "book", "key", "moon", "cup", "star", "heart", "circle", "square", "red", "blue", "green"]
SIZES = ["small", "large"]
POSITIONS = ["top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right"]


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, seed, index=None):
        self.state = seed & M64
        if index is not None:
            a = self.next()
            self.state = _mix(a ^ _mix((index + 0x632BE59BD9B4E019) & M64))

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        return _mix(self.state)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53

    def pick(self, items):
        return items[(self.next() * len(items)) >> 64]


def _fits(a, b):
    radius = {"small": 26.0, "large": 48.0}
    def centre(p):
        i = POSITIONS.index(p)
        return (56.0 + 56 * (i % 3), 56.0 + 56 * (i // 3))
    (px, py), (qx, qy) = centre(a[3]), centre(b[3])
    return math.sqrt((px - qx) ** 2 + (py - qy) ** 2) >= radius[a[2]] + radius[b[2]] + 2 * 5.0 + 2


def scene_attributes(seed, index, word_probability, second_probability=0.25):
    rng = SplitMix64(seed, index)
    shape, background = rng.pick(SHAPES), rng.pick(BACKGROUNDS)
    obj = (shape, rng.pick(COLOURS), rng.pick(SIZES), rng.pick(POSITIONS))
    second = None
    if rng.unit() < second_probability:
        for _ in range(8):
            o = (rng.pick(SHAPES), rng.pick(COLOURS), rng.pick(SIZES), rng.pick(POSITIONS))
            if _fits(o, obj) and (o[0] != obj[0] or o[1] != obj[1]):
                second = o
                break
    word = rng.pick(WORDS) if rng.unit() < word_probability else None
    caption = f"a {obj[2]} {obj[1]} {obj[0]}"
    if second:
        caption += f" and a {second[2]} {second[1]} {second[0]}"
    caption += f" on {background}"
    if word:
        caption += f' with the word "{word}"'
    return {"index": str(index), "caption": caption, "shape": obj[0], "colour": obj[1], "size": obj[2],
            "position": obj[3], "background": background, "word": word or "",
            "second_shape": second[0] if second else "", "second_colour": second[1] if second else "",
            "second_size": second[2] if second else "", "second_position": second[3] if second else ""}


def read_scenes(folder):
    with open(os.path.join(folder, "scenes.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["path"] = os.path.join(folder, r["file"])
    return rows


def decode(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def load_images(rows, label, workers=1):
    out = np.empty((len(rows), 224, 224, 3), dtype=np.uint8)
    t = time.time()
    paths = [r["path"] for r in rows]
    if workers > 1:
        from multiprocessing import Pool
        with Pool(workers) as pool:
            for i, a in enumerate(pool.imap(decode, paths, chunksize=64)):
                out[i] = a
    else:
        for i, path in enumerate(paths):
            out[i] = decode(path)
            if i % 4000 == 0:
                print(f"decoding {label}: {i}/{len(rows)} ({time.time() - t:.0f}s)", flush=True)
    print(f"decoded {label}: {len(rows)} scenes in {time.time() - t:.0f}s", flush=True)
    return out


SHAPE_KEEP = [0.85]  # chance that a shortened caption names the shape (--shape-keep)


def object_phrase(rng, size, colour, shape):
    """'a [size] [colour] shape-or-"shape"', each part kept at random."""
    parts = ["a"]
    if rng.random() < 0.4:
        parts.append(size)
    if rng.random() < 0.6:
        parts.append(colour)
    parts.append(shape if rng.random() < SHAPE_KEEP[0] else "shape")
    return " ".join(parts)


def caption_variant(rng, r, shape_only=0.0, word_caption=0.0):
    """With probability `word_caption`, a scene with a drawn word is captioned
    by that word alone ("a heart"), as web captions often transcribe the text
    in a picture: this is how CLIP learns to read, and so how typographic
    attacks arise. With probability `shape_only` just the shape ("a star");
    else the scene's full caption about a third of the time; otherwise a
    shorter description that keeps a random subset of what it says, in the
    same grammar, so single-attribute prompts are in distribution."""
    if r["word"] and rng.random() < word_caption:
        return f"a {r['word']}"
    if rng.random() < shape_only:
        return f"a {r['shape']}"
    if rng.random() < 0.35:
        return r["caption"]
    while True:
        s = object_phrase(rng, r["size"], r["colour"], r["shape"])
        if r["second_shape"] and rng.random() < 0.5:
            s += " and " + object_phrase(rng, r["second_size"], r["second_colour"], r["second_shape"])
        if rng.random() < 0.6:
            s += " on " + r["background"]
        if r["word"] and rng.random() < 0.8:
            s += f' with the word "{r["word"]}"'
        if s != "a shape":
            return s


DEVICE = ["cpu"]


def to_pixels(batch_u8):
    """uint8 NHWC (numpy or tensor) to normalised NCHW float on the training device."""
    if isinstance(batch_u8, np.ndarray):
        batch_u8 = torch.from_numpy(batch_u8)
    x = batch_u8.to(DEVICE[0]).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def build_model(seed):
    torch.manual_seed(seed)
    return open_clip.model.CLIP(MODEL_CFG["embed_dim"], MODEL_CFG["vision_cfg"], MODEL_CFG["text_cfg"],
                                quick_gelu=MODEL_CFG["quick_gelu"])


@torch.no_grad()
def return_freed_memory():
    """glibc raises its mmap threshold after the first large block is freed,
    so each step's freed batch tensors stay in the heap, fragmented, and the
    resident size creeps up by a few MB a step (24 GB after 4,000 steps).
    malloc_trim hands that memory back to the system."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def image_embeddings(model, images, batch=100):
    model.eval()
    out = []
    for i in range(0, len(images), batch):
        out.append(F.normalize(model.encode_image(to_pixels(images[i:i + batch])), dim=-1))
    return torch.cat(out)


@torch.no_grad()
def zero_shot(model, tokenizer, rows, images, emb=None):
    """Top-1 accuracy per attribute, on single-object scenes."""
    if emb is None:
        emb = image_embeddings(model, images)
    keep = [i for i, r in enumerate(rows) if not r["second_shape"]]
    acc = {}
    for attr, classes in CLASSES.items():
        text = F.normalize(model.encode_text(tokenizer([TEMPLATES[attr].format(c) for c in classes]).to(DEVICE[0])), dim=-1)
        pred = (emb[keep] @ text.T).argmax(dim=1).tolist()
        acc[attr] = sum(classes[p] == rows[i][attr] for p, i in zip(pred, keep)) / len(keep)
    return acc


@torch.no_grad()
def typographic_shape_accuracy(model, tokenizer, rows, images):
    """Shape accuracy on single-object scenes whose drawn word is another shape's name."""
    keep = [i for i, r in enumerate(rows) if not r["second_shape"] and r["word"] in SHAPES and r["word"] != r["shape"]]
    if not keep:
        return None, 0
    emb = image_embeddings(model, images[keep])
    text = F.normalize(model.encode_text(tokenizer([TEMPLATES["shape"].format(c) for c in SHAPES]).to(DEVICE[0])), dim=-1)
    pred = (emb @ text.T).argmax(dim=1).tolist()
    return sum(SHAPES[p] == rows[i]["shape"] for p, i in zip(pred, keep)) / len(keep), len(keep)


def available_indices(folder):
    """Indices of the scenes already written (the generator writes each PNG atomically)."""
    out = []
    for name in os.listdir(folder):
        if name.startswith("scene-") and name.endswith(".png"):
            out.append(int(name[6:-4]))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=os.path.join(WORK, "scenes-train"))
    ap.add_argument("--train-seed", type=int, default=1, help="the seed the training scenes were written with")
    ap.add_argument("--train-words", type=float, default=0.3, help="the --words they were written with")
    ap.add_argument("--val", default=os.path.join(WORK, "scenes-val"))
    ap.add_argument("--val-words", default=os.path.join(WORK, "scenes-val-words"))
    ap.add_argument("--val-count", type=int, default=500)
    ap.add_argument("--out", default=os.path.join(WORK, "toy-clip"))
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget for the optimisation steps")
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", type=int, default=1, help="bfloat16 autocast for the forward pass (CPU)")
    ap.add_argument("--eval-every", type=int, default=150)
    ap.add_argument("--group", type=int, default=8,
                    help="batches are made of groups of this many scenes sharing colour and background, so telling "
                         "them apart takes shape (1: plain random batches)")
    ap.add_argument("--shape-only", type=float, default=0.0,
                    help="fraction of captions cut down to the shape alone (a curriculum stage for shape)")
    ap.add_argument("--shape-keep", type=float, default=0.85,
                    help="chance that a shortened caption names the shape rather than saying \"shape\"")
    ap.add_argument("--word-caption", type=float, default=0.0,
                    help="chance that a scene with a drawn word is captioned by the word alone (\"a heart\")")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--preload", type=int, default=0,
                    help="decode every training scene before the first step (the generator must have finished), "
                         "held on the training device")
    ap.add_argument("--workers", type=int, default=1, help="processes for decoding PNG files")
    ap.add_argument("--init", default="", help="start from this state dict (a checkpoint of an earlier stage, "
                                               "or the shipped Sources/LoupeCLIP/Resources/toy-clip.safetensors)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    SHAPE_KEEP[0] = args.shape_keep
    DEVICE[0] = args.device
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    val_rows = read_scenes(args.val)[:args.val_count]
    vw_rows = read_scenes(args.val_words) if os.path.isdir(args.val_words) else []
    vw_rows = [r for r in vw_rows if not r["second_shape"] and r["word"] in SHAPES and r["word"] != r["shape"]]
    val_images = load_images(val_rows, "val", args.workers)
    vw_images = load_images(vw_rows, "val-words", args.workers) if vw_rows else None

    model = build_model(args.seed)
    if args.init:
        if args.init.endswith(".safetensors"):
            # The shipped fp16 weights themselves, so training can go on from a fresh clone.
            from safetensors.torch import load_file
            model.load_state_dict({k: v.float() for k, v in load_file(args.init).items()})
        else:
            model.load_state_dict(torch.load(args.init, map_location="cpu"))
    model.to(args.device)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    tokenizer.context_length = MODEL_CFG["text_cfg"]["context_length"]
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters", flush=True)

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)

    rng = random.Random(args.seed)
    budget = args.minutes * 60
    log = {"model_cfg": MODEL_CFG, "templates": TEMPLATES, "args": vars(args), "evals": [], "epochs": []}
    cache = {}
    preloaded = {}
    if args.preload:
        # Every scene decoded once up front, held on the device as uint8.
        rows = read_scenes(args.train)
        images = torch.from_numpy(load_images(rows, "train", args.workers)).to(args.device)
        preloaded = {int(r["index"]): k for k, r in enumerate(rows)}
    token_cache = {}

    def tokens_for(caps):
        # Captions repeat; the BPE tokenizer is slow, so each string is tokenized once.
        missing = [c for c in set(caps) if c not in token_cache]
        if missing:
            for c, t in zip(missing, tokenizer(missing)):
                token_cache[c] = t
        return torch.stack([token_cache[c] for c in caps]).to(args.device)

    started = time.time()
    order, cursor, epoch = [], 0, 0
    step, last_save, seen = 0, time.time(), 0

    def row(i):
        r = scene_attributes(args.train_seed, i, args.train_words)
        r["path"] = os.path.join(args.train, f"scene-{i:06d}.png")
        return r

    if args.preload:
        # The generator has finished: its CSV is the truth, no need to recompute.
        by_index = {int(r["index"]): r for r in read_scenes(args.train)}
        row = by_index.__getitem__  # noqa: F811

    def image(i):
        if i not in cache:
            cache[i] = decode(os.path.join(args.train, f"scene-{i:06d}.png"))
        return cache[i]

    def lr_at(s, elapsed):
        # Linear warmup over steps, then a cosine over the wall-clock budget,
        # so the schedule ends when the time does however fast the steps run.
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        p = min(1.0, max(elapsed / budget, s / args.max_steps))
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p)))

    def save(tag):
        torch.save(model.state_dict(), os.path.join(args.out, f"{tag}.pt"))
        with open(os.path.join(args.out, "log.json"), "w") as f:
            json.dump(log, f, indent=1)

    def evaluate():
        acc = zero_shot(model, tokenizer, val_rows, val_images)
        typo = typographic_shape_accuracy(model, tokenizer, vw_rows, vw_images) if vw_rows else (None, 0)
        entry = {"step": step, "seen": seen, "minutes": (time.time() - started) / 60, "accuracy": acc,
                 "typographic_shape": typo[0], "typographic_n": typo[1]}
        log["evals"].append(entry)
        print("eval", json.dumps(entry), flush=True)
        model.train()
        return acc

    model.train()
    while step < args.max_steps:
        elapsed = time.time() - started
        if elapsed >= budget:
            break
        if cursor + args.batch > len(order):
            # Each epoch covers the scenes written so far, in a new order.
            order = sorted(preloaded) if preloaded else available_indices(args.train)
            rng.shuffle(order)
            if args.group > 1:
                # Hard negatives: colour and background alone cannot tell a
                # group's scenes apart, so the towers must learn shape.
                buckets = {}
                for i in order:
                    r = row(i)
                    buckets.setdefault((r["colour"], r["background"]), []).append(i)
                groups = []
                for members in buckets.values():
                    groups += [members[k:k + args.group] for k in range(0, len(members) - args.group + 1, args.group)]
                rng.shuffle(groups)
                order = [i for g in groups for i in g]
            cursor, epoch = 0, epoch + 1
            log["epochs"].append({"epoch": epoch, "step": step, "scenes": len(order)})
            print(f"epoch {epoch}: {len(order)} scenes", flush=True)
        idx = order[cursor:cursor + args.batch]
        cursor += args.batch
        caps = [caption_variant(rng, row(i), args.shape_only, args.word_caption) for i in idx]
        if preloaded:
            pixels = to_pixels(images[torch.tensor([preloaded[i] for i in idx], dtype=torch.long, device=args.device)])
        else:
            pixels = to_pixels(np.stack([image(i) for i in idx]))
        tokens = tokens_for(caps)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, elapsed)
        with torch.autocast(torch.device(args.device).type, dtype=torch.bfloat16, enabled=bool(args.bf16)):
            img, txt, scale = model(pixels, tokens)
        logits = scale * img.float() @ txt.float().T
        # Identical captions in a batch are all positives for each other.
        ids = {}
        cap_ids = torch.tensor([ids.setdefault(c, len(ids)) for c in caps], device=args.device)
        same = (cap_ids[:, None] == cap_ids[None, :]).float()
        target = same / same.sum(dim=1, keepdim=True)
        loss = 0.5 * (torch.sum(-target * F.log_softmax(logits, dim=1), dim=1).mean()
                      + torch.sum(-target * F.log_softmax(logits.T, dim=1), dim=1).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        step += 1
        if step % 20 == 0:
            return_freed_memory()
        seen += len(idx)
        if step % 10 == 0:
            print(f"step {step} epoch {epoch} loss {loss.item():.4f} scale {scale.item():.1f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{(time.time() - started) / 60:.1f}min", flush=True)
        if step % args.eval_every == 0:
            evaluate()
            save("latest")
            # One checkpoint per evaluation, so that the best one can be exported.
            save(f"step{step}")
            last_save = time.time()
        elif time.time() - last_save > 300:
            save("latest")
            last_save = time.time()

    log["steps"] = step
    log["seen"] = seen
    log["distinct_scenes"] = len(preloaded) or len(cache)
    log["train_minutes"] = (time.time() - started) / 60
    evaluate()
    save("final")
    print("done", json.dumps({k: log[k] for k in ("steps", "seen", "distinct_scenes", "train_minutes")}), flush=True)


if __name__ == "__main__":
    main()
