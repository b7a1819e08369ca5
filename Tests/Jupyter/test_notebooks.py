"""Every notebook in notebooks/ runs headless through the installed kernelspec:
no cell may produce an error, and each cell gives the MIME types its
metadata (`loupe.expect`) promises. The executed copies, with their outputs
and provenance, are left in out/notebooks/ (test_verify.py re-runs some)."""
import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXECUTED = ROOT / "out" / "notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_what_it_promises(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="loupe", timeout=600, allow_errors=True).execute()
    EXECUTED.mkdir(parents=True, exist_ok=True)
    # Written whole, then renamed: a half-written copy is never left to verify.
    partial = EXECUTED / f".{path.name}.partial"
    nbformat.write(nb, partial)
    os.replace(partial, EXECUTED / path.name)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {index} failed: {errors[0]['ename']}: {errors[0]['evalue']}"
        shown = {mime for o in cell.outputs for mime in o.get("data", {})}
        # JupyterLab would show plain JSON as a tree instead of the HTML.
        assert "application/json" not in shown, f"cell {index} carries application/json"
        for mime in cell.metadata.get("loupe", {}).get("expect", []):
            assert mime in shown, f"cell {index} should show {mime}, showed {sorted(shown)}"
