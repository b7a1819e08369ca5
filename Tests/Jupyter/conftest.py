import pytest
from jupyter_client.manager import start_new_kernel


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
