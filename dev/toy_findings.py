"""Writes docs/toy-findings.md from the outputs of the two sweeps, so that
every figure in it comes from a run rather than from a hand:

    .build/release/loupe run dev/toy_spurious_sweep.loupe > spurious.md
    .build/release/loupe run dev/toy_typographic_sweep.loupe > typographic.md
    python3 dev/toy_findings.py spurious.md typographic.md > docs/toy-findings.md

The tallies count the verdict lines each sweep prints: a difference is
"resolved" by a paired t-test over the three seeds at p < 0.05, or by 95%
intervals that do not overlap where one side does not vary with the seed.
"""
import re
import sys
from collections import Counter


def table(text):
    return "\n".join(line for line in text.splitlines() if line.startswith("|"))


def tally(text, pattern, names):
    counts, settings = Counter(), 0
    for head, body in re.findall(r"^(layer .*?):\n((?:- .*\n?)+)", text, re.M):
        settings += 1
        for line in body.strip().splitlines():
            m = re.match(pattern, line)
            if not m:
                raise SystemExit(f"unreadable verdict: {line}")
            kind, other, direction = names(m, head)
            counts[(kind, other, direction)] += 1
    return counts, settings


def spurious_names(m, head):
    ends = "both" if "both end" in head else "water"
    if m.group(1):
        return ends, m.group(2), m.group(1)
    return ends, m.group(4), "not resolved"


def typographic_names(m, head):
    if m.group(2):
        return m.group(1), m.group(3), m.group(2)
    return m.group(1), m.group(5), "not resolved"


def main(spurious_path, typographic_path):
    spurious, typographic = open(spurious_path).read(), open(typographic_path).read()
    s, s_rows = tally(spurious, r"- top SAE latents (?:(above|below) (no ablation|random latents|top neurons) by"
                                r"|[\d.]+ points (above|below|level with) (no ablation|random latents|top neurons), not resolved)",
                      spurious_names)
    t, t_rows = tally(typographic, r"- (attacked|clean): text latents (?:(above|below) (as is|random latents|text neurons) by"
                                   r"|[\d.]+ points (above|below|level with) (as is|random latents|text neurons), not resolved)",
                      typographic_names)
    n = s_rows // 2

    def line(counts, key, other):
        parts = [f"{counts[(key, other, d)]} {d}" for d in ("above", "below", "not resolved") if counts[(key, other, d)]]
        return ", ".join(parts)

    print(f"""# What the toy world finds, and under which settings

The notebooks run the papers' experiments on the shipped toy CLIP. A result on one SAE at one setting
can be an accident of that setting or of its seed, so the two ablation experiments are repeated here
over layer, SAE width, k, training steps and training images, one setting at a time from the
notebook's own, each with three SAE seeds. The tables are the outputs of `dev/toy_spurious_sweep.loupe`
and `dev/toy_typographic_sweep.loupe` (`.build/release/loupe run dev/NAME.loupe`), and this page is
written from them by `dev/toy_findings.py`: no figure here is typed by hand.

Every cell is a mean with its 95% interval: across the three seeds where the condition depends on the
SAE (widened to cover the test set's own Wilson interval), Wilson's over the test images where it does
not (no ablation, the neurons). A difference counts as resolved only under a paired t-test over the
seeds at p < 0.05, or, against a condition that does not vary with the seed, when the two intervals
do not overlap. Everything else is "not resolved": the seeds and images here cannot tell the two
conditions apart, whatever the means say.

## Spurious-feature ablation (04-spurious-correlations)

A linear probe for the shape group is trained on scenes whose background agrees with the group
(`agreement: 0.95`) and evaluated on 256 balanced test scenes, which share no image with those that
select the units. Worst-group accuracy is over shape group × habitat, the smallest group holding
about sixty scenes. Twenty units are zeroed: the TopK SAE latents ranked by the water-minus-land
contrast, as many random live latents (three draws per seed, each draw's worst group first), and the
residual coordinates (neurons) ranked by the same contrast; "water" takes the top of the ranking,
"both" ten from each end (`bothWays: true`). Base setting: layer 1, 1,024 latents, k = 16, 300 steps of
1,024 tokens, 384 images, dead-latent window 50 steps.

{table(spurious)}

Verdicts over the {n} settings (the top latents against each other condition):

| units taken from | against no ablation | against random latents | against the top neurons |
|---|---|---|---|
| the water end | {line(s, "water", "no ablation")} | {line(s, "water", "random latents")} | {line(s, "water", "top neurons")} |
| both ends | {line(s, "both", "no ablation")} | {line(s, "both", "random latents")} | {line(s, "both", "top neurons")} |

How to read it: "above" means the top latents' worst-group accuracy is resolved above the other
condition's. Against random latents the latents' gain is the finding most often resolved, since both
vary with the same seeds; against no ablation and the neurons, a worst group of about sixty scenes gives
intervals some twenty points wide, so only large differences resolve.

## The typographic defence (05-typographic)

Zero-shot shape accuracy over 192 single-shape test scenes, clean and with the word "star" drawn on
each. The SAE is trained on scenes of which half carry a word. The text latents are selected with other
words ("cat", "dog", "car", "tree", "house") drawn on 256 scenes of another seed, never with "star" and
never on the test scenes (`clip.typographicDefence`): the top 20 by `by: .frequency, maxWithout: 0.05`;
the random latents are three draws per seed of as many other live latents; the neurons are the 20
residual coordinates the same selection finds. Base setting: layer 4, 1,024 latents, k = 16, 300 steps,
512 images, dead-latent window 50 steps.

{table(typographic)}

Verdicts over the {t_rows} settings (the text latents against each other condition):

| accuracy on | against no ablation | against random latents | against the text neurons |
|---|---|---|---|
| attacked scenes | {line(t, "attacked", "as is")} | {line(t, "attacked", "random latents")} | {line(t, "attacked", "text neurons")} |
| clean scenes | {line(t, "clean", "as is")} | | |

How to read it: selected on words other than the attack's, the text latents' effect on attacked
accuracy is what the first column says; zeroing the neurons that move with drawn words is what the
last column compares against. A defence selected on the attack word itself would look better, and
that is why the selection words are held out.

## The verdicts, setting by setting

```
{chr(10).join(l for l in spurious.splitlines() if l.startswith(("layer ", "- ")))}
```

```
{chr(10).join(l for l in typographic.splitlines() if l.startswith(("layer ", "- ")))}
```
""")


if __name__ == "__main__":
    main(*sys.argv[1:3])
