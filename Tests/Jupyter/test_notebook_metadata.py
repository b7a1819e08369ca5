"""The committed notebooks say what the kernel says about itself: their
`language_info` is the one in kernel_info_reply, and their `kernelspec` names
the installed Loupe kernelspec with its display name and language, so Jupyter
opens them with the right kernel and does not mark them modified on save."""
import json
import pathlib

import pytest
from jupyter_client.kernelspec import KernelSpecManager

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def language_info():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=30)
    try:
        reply = kc.kernel_info(reply=True, timeout=10)
        return reply["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernelspec():
    return KernelSpecManager().get_kernel_spec("loupe")


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_metadata_matches_the_kernel(path, language_info, kernelspec):
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert metadata.get("language_info") == language_info
    assert metadata.get("kernelspec") == {
        "name": "loupe",
        "display_name": kernelspec.display_name,
        "language": kernelspec.language,
    }
