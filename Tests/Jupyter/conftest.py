import os
import time
from queue import Empty

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
    """Executes code; returns (reply content, iopub messages for it).
    Both are matched to the request by msg_id, so stale messages are skipped."""
    outputs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append, **kwargs)
    return reply["content"], outputs


def _next(channel, deadline):
    """The next message on a channel, or TimeoutError at the deadline."""
    try:
        return channel.get_msg(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
    except Empty:
        raise TimeoutError("no message from the kernel in time") from None


def reply_to(kc, msg_id, timeout=30, channel="shell", skipped=None):
    """The reply to request `msg_id` on shell (or control). Replies to other
    requests are stale (wait_for_ready's extra kernel_info requests, an
    earlier test's leftovers) and skipped; `skipped`, a list, collects them.
    On a loaded machine replies can be late but never out of their place,
    so matching by msg_id, not by order or timing, is what holds."""
    source = kc.control_channel if channel == "control" else kc.shell_channel
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        msg = _next(source, deadline)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
        if skipped is not None:
            skipped.append(msg)


def iopub_until(kc, msg_id, predicate, timeout=30, skipped=None):
    """Reads iopub until a message from request `msg_id` satisfies
    `predicate`, and returns the messages from that request up to it.
    Messages from other requests are skipped (`skipped` collects them)."""
    deadline = time.monotonic() + timeout
    mine = []
    while True:
        msg = _next(kc.iopub_channel, deadline)
        if msg["parent_header"].get("msg_id") != msg_id:
            if skipped is not None:
                skipped.append(msg)
            continue
        mine.append(msg)
        if predicate(msg):
            return mine


def is_idle(msg):
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
