"""Soak test: one Loupe kernel answers many executes with rich output without
losing a reply or growing its memory.

It starts the installed `loupe` kernelspec through jupyter_client, loads the
toy CLIP once, then runs SOAK_EXECUTES executes (10,000 by default) cycling
through an image, a probability table, a live progress display, a print and
a chart, each with a different seed. Every shell reply and iopub message is
matched to its request by msg_id; a request whose reply or idle status never
comes is lost. The kernel's resident memory (VmRSS) is read after
SOAK_WARMUP executes (500) and at the end.

Exits 1 if any reply was lost, any execute failed or lacked its output, or
resident memory grew by more than SOAK_MAX_GROWTH percent (5) after the
warm-up. `make soak` runs it. SOAK_CELLS (e.g. "image,print") runs only
some kinds of cell, to find which one grows. MALLOC_ARENA_MAX=1 tells
memory that glibc's per-thread arenas hold after free (flat with it) from
a leak (grows still).
"""
import os
import sys
import tempfile
import time
from queue import Empty

from jupyter_client.manager import KernelManager

EXECUTES = int(os.environ.get("SOAK_EXECUTES", "10000"))
WARMUP = int(os.environ.get("SOAK_WARMUP", "500"))
MAX_GROWTH = float(os.environ.get("SOAK_MAX_GROWTH", "5"))
# Per execute; generous, so a slow moment on a loaded machine is not a loss.
TIMEOUT = float(os.environ.get("SOAK_TIMEOUT", "60"))
SAMPLE_EVERY = int(os.environ.get("SOAK_SAMPLE_EVERY", "1000"))

# (name, code for execute i, MIME types or message types its output must have)
CELLS = [
    ("image", "Dataset.scenes(count: 4, seed: {i})[0]", {"image/png"}),
    ("table", 'clip.classify(Dataset.scenes(count: 1, seed: {i})[0], labels: ["a red shape", "a blue shape"])',
     {"application/vnd.loupe.table+json", "text/html"}),
    ("progress", "clip.activations(Dataset.scenes(count: 2, seed: {i}), layer: 0, tokens: .cls)",
     {"application/vnd.loupe.progress+json", "update_display_data"}),
    ("print", 'print("soak {i}")', {"stream"}),
    ("chart", 'bars(labels: ["a", "b"], values: [1, {i}])', {"image/png"}),
]
# SOAK_CELLS=image,print runs only those kinds, to find which one grows.
if os.environ.get("SOAK_CELLS"):
    CELLS = [c for c in CELLS if c[0] in os.environ["SOAK_CELLS"].split(",")]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class Soak:
    def __init__(self, kc):
        self.kc = kc
        self.missing = set()   # requests whose reply or idle has not come
        self.late = 0          # replies that came after their timeout
        self.stray = 0         # messages for no request of ours (start-up's kernel_info replies)

    def _take(self, channel, wanted, deadline):
        """Reads `channel` until a message whose parent is `wanted` comes;
        returns it, or None at the deadline. Messages for other requests are
        counted, never taken for this one."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                msg = channel.get_msg(timeout=remaining)
            except Empty:
                return None
            parent = msg["parent_header"].get("msg_id")
            if parent == wanted:
                return msg
            if parent in self.missing:
                self.late += 1
            else:
                self.stray += 1

    def execute(self, code):
        """Runs one cell; returns (reply content or None, iopub messages)."""
        kc = self.kc
        msg_id = kc.execute(code)
        deadline = time.monotonic() + TIMEOUT
        outputs = []
        while True:
            msg = self._take(kc.iopub_channel, msg_id, deadline)
            if msg is None:
                self.missing.add(msg_id)
                return None, outputs
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        reply = self._take(kc.shell_channel, msg_id, deadline)
        if reply is None:
            self.missing.add(msg_id)
            return None, outputs
        return reply["content"], outputs

    def drain(self, seconds=5):
        """Late replies to missing requests still count as received."""
        deadline = time.monotonic() + seconds
        for channel in (self.kc.shell_channel, self.kc.iopub_channel):
            while True:
                try:
                    msg = channel.get_msg(timeout=max(0.0, deadline - time.monotonic()))
                except Empty:
                    break
                parent = msg["parent_header"].get("msg_id")
                if parent in self.missing and msg["msg_type"].endswith("_reply"):
                    self.missing.discard(parent)
                    self.late += 1


def shows(outputs):
    kinds = set()
    for m in outputs:
        kinds.add(m["msg_type"])
        kinds.update(m["content"].get("data", {}))
    return kinds


def main():
    history = tempfile.NamedTemporaryFile(prefix="loupe-soak-history-", suffix=".jsonl", delete=False)
    history.close()
    os.environ["LOUPE_HISTORY"] = history.name   # not the user's history
    km = KernelManager(kernel_name="loupe")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    failures = []
    try:
        kc.wait_for_ready(timeout=60)
        pid = km.provisioner.process.pid
        soak = Soak(kc)
        reply, _ = soak.execute("let clip = CLIP.load()")
        if not reply or reply["status"] != "ok":
            raise RuntimeError(f"could not load the toy CLIP: {reply}")

        errors, lacking = [], []
        by_kind = {name: 0 for name, _, _ in CELLS}
        samples = []
        rss_warm = None
        started = time.monotonic()
        warm_at = None
        for i in range(EXECUTES):
            name, template, expected = CELLS[i % len(CELLS)]
            reply, outputs = soak.execute(template.format(i=i))
            by_kind[name] += 1
            if reply is not None and reply["status"] != "ok":
                errors.append((i, name, reply.get("ename"), reply.get("evalue")))
            elif reply is not None and not expected <= shows(outputs):
                lacking.append((i, name, sorted(expected - shows(outputs))))
            done = i + 1
            if done == WARMUP:
                rss_warm = rss_kib(pid)
                warm_at = time.monotonic()
            if done % SAMPLE_EVERY == 0 or done == EXECUTES:
                samples.append((done, rss_kib(pid), time.monotonic() - started))
                print(f"  {done:>6} executes  {time.monotonic() - started:7.1f} s  RSS {samples[-1][1] / 1024:7.1f} MiB"
                      f"  lost so far {len(soak.missing)}", flush=True)
        elapsed = time.monotonic() - started
        soak.drain()
        rss_end = rss_kib(pid)
        alive = km.is_alive()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        os.unlink(history.name)

    lost = len(soak.missing)
    growth = 100.0 * (rss_end - rss_warm) / rss_warm if rss_warm else float("nan")
    print()
    print(f"executes            {EXECUTES} ({', '.join(f'{n} {c}' for n, c in by_kind.items())})")
    print(f"seconds             {elapsed:.1f} ({1000 * elapsed / EXECUTES:.1f} ms per execute)")
    if warm_at is not None:
        print(f"after warm-up       {(elapsed - (warm_at - started)):.1f} s for {EXECUTES - WARMUP} executes")
    print(f"lost replies        {lost}" + (f" (and {soak.late} late)" if soak.late else ""))
    print(f"stray messages      {soak.stray} (replies to start-up's kernel_info requests and the like)")
    print(f"failed executes     {len(errors)}")
    print(f"missing outputs     {len(lacking)}")
    print(f"RSS after {WARMUP:<9} {rss_warm / 1024:.1f} MiB" if rss_warm else "RSS after warm-up   n/a")
    print(f"RSS at end          {rss_end / 1024:.1f} MiB")
    print(f"growth              {growth:+.2f}% (limit {MAX_GROWTH}%)")
    print(f"kernel alive        {alive}")

    if lost:
        failures.append(f"{lost} replies lost")
    if errors:
        failures.append(f"{len(errors)} executes failed, first: {errors[0]}")
    if lacking:
        failures.append(f"{len(lacking)} executes lacked their output, first: {lacking[0]}")
    if not growth <= MAX_GROWTH:
        failures.append(f"resident memory grew {growth:.2f}% after the warm-up")
    if not alive:
        failures.append("the kernel died")
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
