"""Reference values of the papers' metrics, straight from their definitions.

Writes Tests/LoupeAnalysisTests/Fixtures/paper_metrics.json: small random
inputs and what the definitions in DESIGN.md give for them, computed in
float64 with explicit sums (no algebraic shortcuts), so that Loupe's blocked
and closed-form code is checked against the plain formulas.

Monosemanticity (Pach et al.): per latent, one activation per image (the
class token, or the mean over all tokens), min-max normalised to [0, 1];
MS = sum_{n<m} a_n a_m s(n,m) / sum_{n<m} a_n a_m with s the cosine of the
images' embeddings from an encoder (the scored model's own, a separate one,
or one-hot ground-truth attributes); undefined (None) when the denominator
is 0.

Steerability (Joseph et al.): p(v|x) = softmax_v(100 <e(x)/|e(x)|, t_v>);
Delta(v) = mean over images of p_steered - p; S = sum_v Delta(v)^2,
steerable when S > 0.10; concept coverage = distinct words among steerable
units, the word being argmax_v Delta(v) or argmax_v p_steered(v | image 0).

Run: dev/.venv/bin/python dev/make_paper_metric_fixtures.py
"""

import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/LoupeAnalysisTests/Fixtures/paper_metrics.json"
THRESHOLD = 0.10


def f32_list(a):
    """Float32 values as the exact doubles they are, so Swift reads the same floats."""
    return [float(x) for x in np.asarray(a, dtype=np.float32).ravel()]


def unit_rows(rng, n, d):
    e = rng.normal(size=(n, d)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return e.astype(np.float32)


def ms_reference(image_level, similarity):
    """MS of every column of image_level [N, K] for a similarity matrix [N, N]."""
    n, k = image_level.shape
    scores = []
    for latent in range(k):
        column = image_level[:, latent].astype(np.float64)
        lo, hi = column.min(), column.max()
        if hi <= lo:
            scores.append(None)
            continue
        a = (column - lo) / (hi - lo)
        numerator = denominator = 0.0
        for i in range(n):
            for j in range(i + 1, n):
                r = a[i] * a[j]
                numerator += r * similarity[i, j]
                denominator += r
        scores.append(numerator / denominator if denominator > 0 else None)
    return scores


def cosine_matrix(e):
    e = e.astype(np.float64)
    norms = np.linalg.norm(e, axis=1)
    return (e @ e.T) / np.outer(norms, norms)


def attribute_similarity(labels):
    """Cosine of one-hot label vectors: shared labels over sqrt(|A| |B|)."""
    n = len(labels)
    s = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a, b = set(labels[i]), set(labels[j])
            s[i, j] = len(a & b) / np.sqrt(len(a) * len(b))
    return s


def monosemanticity_case(rng):
    n, t, k = 12, 5, 7  # images, tokens (class token first, then 4 patches), latents
    acts = np.maximum(rng.normal(size=(n, t, k)) - 0.3, 0).astype(np.float32)
    acts[:, :, 4] = 0                       # dead: never active
    acts[:, :, 5] = 0
    acts[3, 0, 5] = 2.5                     # on the class token of one image only...
    acts[[1, 6, 9], 2, 5] = [0.7, 1.1, 0.4]  # ...but on patches of three others
    acts[:, :, 6] = rng.normal(size=(n, t)).astype(np.float32) * 2 + 1  # signed, like a residual coordinate
    own = unit_rows(rng, n, 8)
    separate = unit_rows(rng, n, 6)
    shapes = ["star", "circle", "square"]
    colours = ["red", "blue"]
    labels = []
    for i in range(n):
        item = [f"shape={shapes[i % 3]}", f"colour={colours[(i // 3) % 2]}", f"background={'sea' if i < 6 else 'grass'}"]
        if i % 4 == 0:
            item.append("word=cat")
        labels.append(item)

    cls = acts[:, 0, :]
    # The mean over tokens in float32, as Loupe takes it, so both start from the same floats.
    mean_all = acts.sum(axis=1, dtype=np.float32) / np.float32(t)
    return {
        "images": n, "tokens": t, "latents": k,
        "activations": f32_list(acts),
        "own": f32_list(own), "own_dim": own.shape[1],
        "separate": f32_list(separate), "separate_dim": separate.shape[1],
        "labels": labels,
        "expected": {
            "cls_own": ms_reference(cls, cosine_matrix(own)),
            "cls_separate": ms_reference(cls, cosine_matrix(separate)),
            "all_separate": ms_reference(mean_all, cosine_matrix(separate)),
            "cls_attributes": ms_reference(cls, attribute_similarity(labels)),
        },
    }


def softmax_rows(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def probabilities(embeddings, text):
    e = embeddings.astype(np.float64)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return softmax_rows(100 * e @ text.astype(np.float64).T)


def near(rng, centre, n, spread):
    """Unit rows scattered around one direction: at 100 <e, t> the
    probabilities stay soft, so every argmax has a clear margin."""
    e = centre + spread * rng.normal(size=(n, centre.shape[0]))
    return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


def margin(values):
    top2 = np.sort(np.asarray(values))[-2:]
    return top2[1] - top2[0]


def steerability_case(rng):
    n, v, d, units = 4, 7, 5, 6
    centre = np.ones(d) / np.sqrt(d)
    text = near(rng, centre, v, 0.15)
    base = near(rng, centre, n, 0.15) * rng.uniform(0.5, 2, size=(n, 1)).astype(np.float32)
    steered = np.empty((units, n, d), dtype=np.float32)
    for u in range(units):
        # Pull every image towards one word, harder on some units than on
        # others; on units 3 and 5 the first image goes towards another word.
        target, pull = u % v, [0.05, 0.3, 0.6, 1.0, 0.15, 1.5][u]
        scale = np.linalg.norm(base, axis=1, keepdims=True)
        steered[u] = base + pull * scale * (text[target] - centre)
        if u in (3, 5):
            steered[u, 0] = base[0] + 1.8 * scale[0] * (text[(target + 2) % v] - centre)
    p_base = probabilities(base, text)
    delta, scores, top, top_delta, first = [], [], [], [], []
    for u in range(units):
        p_steered = probabilities(steered[u], text)
        dv = (p_steered - p_base).mean(axis=0)
        # Clear argmaxes, so float32 arithmetic picks the same words.
        assert margin(dv) > 1e-3 and margin(p_steered[0]) > 1e-3, (u, dv, p_steered[0])
        delta.append(dv.tolist())
        scores.append(float((dv ** 2).sum()))
        top.append(int(dv.argmax()))
        top_delta.append(float(dv.max()))
        first.append(int(p_steered[0].argmax()))
    steerable = [u for u in range(units) if scores[u] > THRESHOLD]
    return {
        "images": n, "words": v, "dim": d, "units": units,
        "text": f32_list(text), "base": f32_list(base), "steered": f32_list(steered),
        "expected": {
            "delta": delta, "scores": scores, "top_word": top, "top_delta": top_delta, "first_image_word": first,
            "mean_score": float(np.mean(scores)),
            "fraction_steerable": len(steerable) / units,
            "coverage_mean_delta": len({top[u] for u in steerable}),
            "coverage_first_image": len({first[u] for u in steerable}),
        },
    }


def main():
    rng = np.random.default_rng(2027)
    ms = monosemanticity_case(rng)
    steer = steerability_case(rng)
    e = steer["expected"]
    # The fixture must tell the two coverages apart, and no score may sit on the threshold.
    assert e["coverage_mean_delta"] != e["coverage_first_image"], e
    assert all(abs(s - THRESHOLD) > 1e-3 for s in e["scores"]), e["scores"]
    assert ms["expected"]["cls_separate"][4] is None and ms["expected"]["cls_separate"][5] is None
    assert ms["expected"]["all_separate"][5] is not None
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"monosemanticity": ms, "steerability": steer}, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(OUT.parent.parent.parent.parent)}: steerable {e['fraction_steerable']:.2f}, "
          f"coverage {e['coverage_mean_delta']} (mean Δ) vs {e['coverage_first_image']} (image 0)")


if __name__ == "__main__":
    main()
