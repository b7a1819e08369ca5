import os

import pytest
from jupyter_client.manager import start_new_kernel


@pytest.fixture(autouse=True, scope="session")
def private_history(tmp_path_factory):
    """Kernels started by the tests keep their history in a file of their own,
    not in the user's ~/.local/share/loupe/history.jsonl."""
    path = tmp_path_factory.mktemp("history") / "history.jsonl"
    os.environ["LOUPE_HISTORY"] = str(path)
    yield path


@pytest.fixture
def kernel():
    """A fresh Loupe kernel process with a connected blocking client."""
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=30)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code, timeout=30, **kwargs):
    """Executes code; returns (reply content, iopub messages for it)."""
    outputs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append, **kwargs)
    return reply["content"], outputs
