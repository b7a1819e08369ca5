"""Notebook prose states no finding by hand. A percentage or a decimal typed
in a markdown cell is a figure from some run, which drifts from what the
notebook's own cells print; a figure belongs in a cell's output. Settings
and quoted code go in backticks, which this check leaves alone."""
import json
import pathlib
import re

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
FIGURE = re.compile(r"(?<![\w.`])\d+(?:\.\d+)?%|(?<![\w.`])\d+\.\d+(?![\w`])")


def typed_figures(text):
    return FIGURE.findall(re.sub(r"`[^`]*`", "", text))


def test_the_check_finds_typed_figures():
    assert typed_figures("lifts the worst group to about 36% (the rest near 0.21)") == ["36%", "0.21"]
    assert typed_figures("the setting `agreement: 0.95` and `maxWithout: 0.05`") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_markdown_types_no_figures(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = {i: typed_figures("".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"}
    found = {i: f for i, f in found.items() if f}
    assert not found, f"figures typed in markdown (cell: figures): {found}; print them from a cell instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_cell_has_its_own_id(path):
    # nbformat 4.5 requires them; without, tools rewrite the file on save and nbformat warns.
    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [c.get("id") for c in nb["cells"]]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5)
    assert all(ids) and len(set(ids)) == len(ids), f"cells without an id or sharing one: {ids}"
