"""Each notebook in notebooks/, run in JupyterLab in a real browser, looks the
way a person should see it: no output falls back to a JSON tree, tables are
HTML tables with rows, every image loads, no cell fails, and long work shows
its progress as an HTML progress bar that ends finished. A screenshot of each
notebook is kept in out/browser/."""
import json
import re
import time

import pytest

from .browser_lab import NOTEBOOKS

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
RUN_TIMEOUT = 360
# Calls that report live progress every time they run.
LONG_WORK = re.compile(r"SAE\.train\(|\.activations\(")


def describe(cell):
    first = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
    return f"cell {cell['index']} ({first[:70]!r})"


def finished(progress):
    """A progress display that ended says so: a done or interrupted summary."""
    return (any(c in progress["classes"].split() for c in ("loupe-progress-done", "loupe-progress-interrupted"))
            or "done in" in progress["text"] or "interrupted in" in progress["text"])


def problems_in(report):
    problems = []
    for cell in report:
        where = describe(cell)
        if cell["count"] is None:
            problems.append(f"{where}: did not run (no execution count)")
        outputs = cell["outputs"]
        for j, out in enumerate(outputs):
            at = f"{where}, output {j} ({out['type']}, {'/'.join(out['mimes'])})"
            if out["jsonTrees"] or "application/json" in out["rendered"]:
                problems.append(f"{at}: renders as a JSON tree")
            if out["type"] == "error":
                problems.append(f"{at}: error output: {(out['stderr'] or [out['text']])[0]!r}")
            if out["htmlHasTable"] and not out["tables"]:
                problems.append(f"{at}: holds an HTML table but shows none (rendered as {out['rendered']})")
            for table in out["tables"]:
                if table["bodyRows"] < 1:
                    problems.append(f"{at}: table {table['caption']!r} has no body rows")
                if table.get("captionCut"):
                    problems.append(f"{at}: the title of table {table['caption'][:60]!r} is cut off")
            if "image/png" in out["mimes"] and not out["images"]:
                problems.append(f"{at}: holds image/png but shows no <img> (rendered as {out['rendered']})")
            for k, image in enumerate(out["images"]):
                if not image["complete"] or image["width"] <= 0:
                    problems.append(f"{at}: image {k} did not load (naturalWidth {image['width']})")
            for progress in out["progress"]:
                if not finished(progress):
                    problems.append(f"{at}: a progress display was left unfinished: {progress['text']!r}")
        if LONG_WORK.search(cell["source"]) and not any(out["progress"] for out in outputs):
            shown = [(out["type"], out["rendered"]) for out in outputs]
            problems.append(f"{where}: long work showed no HTML progress display (.loupe-progress); outputs {shown}")
    return problems


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs_and_renders_in_lab(page, out_dir, path):
    page.open(path.name)
    started = time.monotonic()
    page.run_all()
    page.wait_until_settled(RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    try:
        report = page.outputs()
    finally:
        page.screenshots(out_dir / path.stem)
    (out_dir / f"{path.stem}.json").write_text(json.dumps(
        {"notebook": path.name, "run_seconds": round(elapsed, 1), "cells": report}, indent=1))
    print(f"{path.name}: ran in {elapsed:.1f} s in the browser")

    problems = problems_in(report)
    assert not problems, f"{path.name} in JupyterLab:\n  " + "\n  ".join(problems)
