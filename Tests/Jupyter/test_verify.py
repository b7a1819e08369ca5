"""`loupe verify` from the command line, as CI runs it: a notebook executed
by the real kernel (through nbclient, as `make test` runs the tutorials)
reproduces; one whose stored output was edited fails with exit status 1 and
names the cell; what cannot be checked is refused with exit status 2."""
import copy
import json
import os
import pathlib
import subprocess

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOUPE = KernelSpecManager().get_kernel_spec("loupe").argv[0]
# test_notebooks.py leaves the tutorials it executed here.
EXECUTED = ROOT / "out" / "notebooks"
# The tutorials verified by `make test`: the quick ones, since verifying runs
# a notebook a second time (docs/reproducibility.md has all seven's timings).
VERIFIED = ["01-tour.ipynb", "07-interactive.ipynb"]

CELLS = [
    "let scenes = Dataset.scenes(count: 8, seed: 3)\nlet clip = CLIP.load()",
    'clip.classify(scenes[0], labels: ["a red shape", "a blue shape", "a green shape"])',
    "scenes[0]",
    'print("first caption: \\(scenes.captions[0])")',
]


def verify(path, *extra):
    return subprocess.run([LOUPE, "verify", str(path), *extra], capture_output=True, text=True, timeout=600)


def execute(nb, cwd):
    NotebookClient(nb, kernel_name="loupe", timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """A small notebook executed by the real kernel, saved as JupyterLab would."""
    folder = tmp_path_factory.mktemp("verify")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "loupe", "display_name": "Loupe", "language": "loupe"}
    execute(nb, folder)
    path = folder / "small.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_kernel_records_provenance_in_the_results(executed):
    nb = nbformat.read(executed, as_version=4)
    record = nb.cells[1].outputs[-1]["metadata"]["loupe"]["provenance"]
    assert record["loupe"]["version"] and record["loupe"]["commit"]
    assert record["machine"]["cpu"] and record["machine"]["blas"]["core"] and record["machine"]["blas"]["threads"] >= 1
    assert {"call": "Dataset.scenes", "label": "seed", "value": 3} in record["seeds"]
    toy = [f for f in record["files"] if f["what"] == "CLIP.load"]
    assert toy and len(toy[0]["sha256"]) == 64


def test_a_notebook_executed_by_the_kernel_reproduces(executed):
    result = verify(executed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reproduced" in result.stdout and "same-machine" in result.stdout


def test_an_edited_table_is_named_by_its_cell_and_fails(executed, tmp_path):
    nb = json.loads(executed.read_text())
    table = nb["cells"][1]["outputs"][-1]["data"]["application/vnd.loupe.table+json"]
    row = next(r for r in table["rows"] if any(isinstance(v, float) for v in r))
    k = next(i for i, v in enumerate(row) if isinstance(v, float))
    row[k] = row[k] * 0.5 + 0.25
    edited = tmp_path / "edited.ipynb"
    edited.write_text(json.dumps(nb))
    result = verify(edited, "--tolerances", "across-machines")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "drifted" in result.stdout
    drift = [line for line in result.stdout.splitlines() if "application/vnd.loupe.table+json" in line]
    assert drift and drift[0].strip().startswith("cell 1 (id "), result.stdout


def test_edited_words_fail(executed, tmp_path):
    nb = json.loads(executed.read_text())
    stream = nb["cells"][3]["outputs"][0]
    stream["text"] = "first caption: a purple unicorn\n"
    edited = tmp_path / "edited.ipynb"
    edited.write_text(json.dumps(nb))
    result = verify(edited)
    assert result.returncode == 1
    assert any(line.strip().startswith("cell 3 ") and "stdout" in line for line in result.stdout.splitlines()), result.stdout


def test_another_kernels_notebook_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="1\n")])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "python.ipynb"
    nbformat.write(nb, path)
    result = verify(path)
    assert result.returncode == 2
    assert "kernel 'python3', not Loupe" in result.stderr, result.stderr


def test_a_notebook_without_outputs_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "loupe", "display_name": "Loupe", "language": "loupe"}
    path = tmp_path / "never-run.ipynb"
    nbformat.write(nb, path)
    result = verify(path)
    assert result.returncode == 2
    assert "has no outputs to compare with" in result.stderr, result.stderr


def test_a_file_that_is_no_notebook_is_refused(tmp_path):
    path = tmp_path / "notes.ipynb"
    path.write_text("not a notebook")
    result = verify(path)
    assert result.returncode == 2 and "not JSON" in result.stderr, result.stderr


@pytest.mark.parametrize("name", VERIFIED)
def test_a_shipped_notebook_reproduces(name, tmp_path):
    """The executed copy test_notebooks.py left, or a fresh execution when
    this file runs alone."""
    path = EXECUTED / name
    if not path.exists():
        nb = execute(nbformat.read(ROOT / "notebooks" / name, as_version=4), ROOT)
        path = tmp_path / name
        nbformat.write(nb, path)
    result = subprocess.run([LOUPE, "verify", str(path)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
