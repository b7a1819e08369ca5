"""What the conformance suite does not cover: interrupts, forged and malformed
messages, stop_on_error, restart and shutdown, all against a real kernel."""
import json
import time

import zmq
from jupyter_client.session import Session

from conftest import iopub_until, is_idle, reply_to, run


def is_stream(msg):
    return msg["msg_type"] == "stream"


def test_sigint_interrupts_a_long_command_and_keeps_variables(kernel):
    km, kc = kernel
    run(kc, "let kept = 41 + 1")
    # Interrupt once the cell is running (its first output says so): a
    # SIGINT that lands before the cell starts is rightly not kept for it.
    msg_id = kc.execute('print("sleeping")\nsleep(300)')
    iopub_until(kc, msg_id, is_stream)
    km.interrupt_kernel()
    # Any reply before the 300 s are up comes from the interrupt.
    reply = reply_to(kc, msg_id, timeout=60)["content"]
    assert reply["status"] == "error" and reply["ename"] == "Interrupted"
    reply, outputs = run(kc, "kept")
    assert reply["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["42"]


def test_interrupt_request_on_control_stops_a_busy_loop(kernel):
    _, kc = kernel
    run(kc, "var total = 0")
    msg_id = kc.execute('print("counting")\nfor i in 0..<1000000000 { total = total + 1 }')
    iopub_until(kc, msg_id, is_stream)
    request = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(request)
    assert reply_to(kc, request["header"]["msg_id"], channel="control")["content"]["status"] == "ok"
    reply = reply_to(kc, msg_id, timeout=60)
    assert reply["content"]["ename"] == "Interrupted"
    reply, outputs = run(kc, "total > 0")
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["true"]


def test_forged_and_unsigned_messages_are_ignored(kernel):
    _, kc = kernel
    run(kc, "var touched = false")
    content = {"code": "touched = true", "silent": False, "store_history": True,
               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
    forged = {Session(key=key).send(kc.shell_channel.socket, "execute_request", content)["header"]["msg_id"]
              for key in (b"not-the-key", b"")}   # a wrong key, and no signature
    # The kernel takes shell requests in order, so anything it did with the
    # forged ones shows before the reply and the idle status of this one.
    msg_id = kc.execute("touched")
    others, stale = [], []
    reply = reply_to(kc, msg_id, skipped=stale)
    outputs = iopub_until(kc, msg_id, is_idle, skipped=others)
    assert not [m for m in stale + others if m["parent_header"].get("msg_id") in forged]
    assert reply["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["false"]


def test_malformed_frames_do_not_crash_the_kernel(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    context = zmq.Context.instance()
    raw = context.socket(zmq.DEALER)
    raw.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    signer = Session(key=info["key"])
    delim = b"<IDS|MSG>"

    def signed(*parts):
        return [delim, signer.sign(list(parts))] + list(parts)

    raw.send_multipart([b"only one frame"])
    raw.send_multipart([delim, b"", b"{}"])
    raw.send_multipart(signed(b"{not json", b"{}", b"{}", b"{}"))
    raw.send_multipart(signed(b'{"msg_type": "\xff\xfe"}', b"{}", b"{}", b"{}"))
    header = json.dumps({"msg_id": "x", "msg_type": "execute_request", "session": "s", "username": "u",
                         "date": "2026-01-01T00:00:00Z", "version": "5.3"}).encode()
    raw.send_multipart(signed(header, b"{}", b"{}", b'{"code": "' + b"x" * 30_000_000 + b'"}'))
    raw.send_multipart(signed(header, b"{}", b"{}", b'{"silent": false}'))
    # A good request last on the same connection: the kernel takes them in
    # order, so its reply means every frame above was read and dealt with.
    # The 30 MB cell takes the kernel seconds to reject (about 4 s alone on
    # one core); on a loaded machine more, so the wait is generous. Replies
    # to the malformed requests (parent "x") are skipped.
    probe = signer.msg("kernel_info_request", {})
    signer.send(raw, probe)
    deadline = time.monotonic() + 120
    while True:
        assert raw.poll(max(0, int(1000 * (deadline - time.monotonic())))), "no kernel_info_reply in 120 s"
        _, frames = signer.feed_identities(raw.recv_multipart())
        if signer.deserialize(frames)["parent_header"].get("msg_id") == probe["header"]["msg_id"]:
            break
    raw.close(linger=0)
    reply = kc.kernel_info(reply=True, timeout=60)
    assert reply["content"]["status"] == "ok"
    assert km.is_alive()


def test_stop_on_error_aborts_queued_executes(kernel):
    _, kc = kernel
    failing = kc.execute("sleep(2)\nundefinedName")   # the queued request arrives while it sleeps
    queued = kc.execute('print("never")')
    replies = {}
    while len(replies) < 2:
        msg = kc.get_shell_msg(timeout=30)
        # Match by id: a stale reply (the fixture's kernel_info) may come first.
        if msg["parent_header"].get("msg_id") in (failing, queued):
            replies[msg["parent_header"]["msg_id"]] = msg["content"]
    assert replies[failing]["status"] == "error"
    assert replies[queued]["status"] == "aborted"
    reply, _ = run(kc, "1")
    assert reply["status"] == "ok"


def test_errors_point_at_the_source_with_a_caret(kernel):
    _, kc = kernel
    reply, outputs = run(kc, 'let width = 3\nlogo(siz: 4)')
    errors = [m for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["content"]["evalue"] == "unknown label 'siz:' in logo(size:); did you mean 'size:'?"
    plain = [line for line in errors[0]["content"]["traceback"]]
    assert any("logo(siz: 4)" in line for line in plain)
    assert any("^^^^" in line for line in plain)
    reply, _ = run(kc, "width")
    assert reply["status"] == "ok"


def test_user_expressions_and_silent_execution(kernel):
    _, kc = kernel
    reply, _ = run(kc, "let n = 5", user_expressions={"double": "n * 2", "bad": "nope"})
    expressions = reply["user_expressions"]
    assert expressions["double"]["data"]["text/plain"] == "10"
    assert expressions["bad"]["status"] == "error"
    count = reply["execution_count"]
    reply, outputs = run(kc, 'print("quiet")', silent=True)
    assert reply["execution_count"] == count
    assert not [m for m in outputs if m["msg_type"] == "stream"]


def test_restart_gives_a_fresh_session_and_shutdown_exits(kernel):
    km, kc = kernel
    run(kc, "let before = 1")
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=30)
    reply, _ = run(kc, "before")
    assert reply["status"] == "error" and reply["ename"] == "NameError"
    kc.shutdown()
    deadline = time.monotonic() + 30
    while km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not km.is_alive()


def test_history_outlives_the_kernel(private_history):
    """What was run before a restart (or a crash) is still in the history."""
    from jupyter_client.manager import start_new_kernel
    marker = "let persisted = 41 + 1"
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=30)
    try:
        reply, _ = run(kc, marker)
        assert reply["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=30)
    try:
        msg_id = kc.history(hist_access_type="search", pattern="let persisted*", output=False, raw=True)
        reply = reply_to(kc, msg_id)   # skips wait_for_ready's stale kernel_info replies
        history = reply["content"]["history"]
        assert [entry[2] for entry in history][-1:] == [marker]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert marker in private_history.read_text()


def test_stop_during_training_keeps_the_partial_sae_and_aborts_queued_cells(kernel):
    """A Stop inside Run All: the SAE trained so far is bound, the cell ends
    with an Interrupted error that says so, and the queued cell is aborted
    rather than run on the half-trained SAE."""
    km, kc = kernel
    reply, _ = run(kc, "let clip = CLIP.load()\n"
                       "let acts = clip.activations(Dataset.scenes(count: 8, seed: 1), layer: 1, tokens: .all)", timeout=120)
    assert reply["status"] == "ok"
    training = kc.execute("let sae = SAE.train(acts, kind: .topK(k: 4), width: 64, steps: 10000000, batch: 64)")
    queued = kc.execute('print("never")')
    # Interrupt once training shows progress, matching messages by parent id.
    def training_progress(msg):
        text = msg["content"].get("data", {}).get("text/plain", "")
        return msg["msg_type"] in ("display_data", "update_display_data") and text.startswith("Training")

    iopub_until(kc, training, training_progress, timeout=120)
    km.interrupt_kernel()
    replies = {}
    while len(replies) < 2:
        msg = kc.get_shell_msg(timeout=30)
        if msg["parent_header"].get("msg_id") in (training, queued):
            replies[msg["parent_header"]["msg_id"]] = msg["content"]
    assert replies[training]["status"] == "error"
    assert replies[training]["ename"] == "Interrupted"
    assert "stopped at step" in replies[training]["evalue"]
    assert "`sae` holds the SAE trained so far" in replies[training]["evalue"]
    assert replies[queued]["status"] == "aborted"
    assert "execution_count" not in replies[queued]   # a cell that never ran shows no count
    reply, outputs = run(kc, "sae")
    assert reply["status"] == "ok"
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert "TopK" in results[0]["content"]["data"]["text/plain"]


def test_rich_outputs_never_carry_plain_json(kernel):
    """JupyterLab ranks application/json above HTML; Loupe's numbers travel
    under vendor types so people see the table."""
    _, kc = kernel
    reply, outputs = run(kc, "let clip = CLIP.load()\nlet scenes = Dataset.scenes(count: 4, seed: 2)\n"
                             "let acts = clip.activations(scenes, layer: 1, tokens: .all)\n"
                             "show(clip)\nshow(acts)\n"
                             'clip.classify(scenes[0], labels: ["a red shape", "a blue shape"])', timeout=120)
    assert reply["status"] == "ok"
    bundles = [m["content"]["data"] for m in outputs if "data" in m["content"]]
    assert bundles
    for data in bundles:
        assert "application/json" not in data
        assert "text/plain" in data
    table = [d for d in bundles if "application/vnd.loupe.table+json" in d]
    assert table and "<table" in table[-1]["text/html"]
    assert any("application/vnd.loupe.summary+json" in d for d in bundles)
    assert any("application/vnd.loupe.progress+json" in d and "loupe-progress" in d["text/html"] for d in bundles)
