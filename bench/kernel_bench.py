"""Loupe's kernel beside ipykernel, driven by the same jupyter_client in the
same run. Kernels are launched by jupyter_client's KernelManager from their
kernelspecs; messages go through jupyter_client's Session on plain ZeroMQ
sockets, so the figures are the kernels' and not a client event loop's.

- ready: launch until the first kernel_info_reply arrives.
- execute: a trivial execute_request sent until its idle status is received
  on iopub (the full busy / execute_input / execute_result / idle cycle).
"""
import json
import os
import statistics
import sys
import time

import zmq
from jupyter_client.manager import KernelManager

STARTS = int(os.environ.get("BENCH_STARTS", "10"))
ROUND_TRIPS = int(os.environ.get("BENCH_ROUND_TRIPS", "1000"))
KERNELS = [("loupe", "loupe", "1"), ("ipykernel", "python3", "1")]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class RawClient:
    def __init__(self, km):
        info = km.get_connection_info()
        self.session = km.session
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.shell.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"tcp://{info['ip']}:{info['iopub_port']}")

    def request(self, msg_type, content):
        return self.session.send(self.shell, msg_type, content)["header"]["msg_id"]

    def shell_reply(self, timeout_ms=60000):
        if not self.shell.poll(timeout_ms):
            raise TimeoutError("no shell reply")
        return self.session.recv(self.shell)[1]

    def wait_idle(self, msg_id, timeout_ms=60000):
        while True:
            if not self.iopub.poll(timeout_ms):
                raise TimeoutError("no idle status")
            _, msg = self.session.recv(self.iopub)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["header"]["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"):
                return

    def close(self):
        self.shell.close(0)
        self.iopub.close(0)
        self.context.term()


def start_time(spec):
    km = KernelManager(kernel_name=spec)
    t0 = time.perf_counter()
    km.start_kernel()
    client = RawClient(km)
    client.request("kernel_info_request", {})
    client.shell_reply()
    elapsed = time.perf_counter() - t0
    client.close()
    km.shutdown_kernel(now=True)
    return elapsed


def execute_times(spec, code):
    km = KernelManager(kernel_name=spec)
    km.start_kernel()
    client = RawClient(km)
    try:
        client.request("kernel_info_request", {})
        client.shell_reply()
        time.sleep(0.5)  # let the iopub subscription settle
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        times = []
        for i in range(ROUND_TRIPS + 20):
            t0 = time.perf_counter()
            msg_id = client.request("execute_request", content)
            client.wait_idle(msg_id)
            elapsed = time.perf_counter() - t0
            client.shell_reply()
            if i >= 20:  # the first executes warm up both kernels
                times.append(elapsed)
        return times
    finally:
        client.close()
        km.shutdown_kernel(now=True)


def main():
    results = {}
    for label, spec, code in KERNELS:
        starts = [start_time(spec) for _ in range(STARTS)]
        trips = execute_times(spec, code)
        results[label] = {
            "ready_median_s": statistics.median(starts),
            "ready_p95_s": percentile(starts, 0.95),
            "execute_median_ms": 1000 * statistics.median(trips),
            "execute_p95_ms": 1000 * percentile(trips, 0.95),
        }
    print(f"{'kernel':<11}{'ready median':>13}{'ready p95':>11}{'execute median':>16}{'execute p95':>13}")
    for label, r in results.items():
        print(f"{label:<11}{r['ready_median_s']:>12.3f}s{r['ready_p95_s']:>10.3f}s"
              f"{r['execute_median_ms']:>14.2f}ms{r['execute_p95_ms']:>11.2f}ms")
    loupe, ipy = results["loupe"], results["ipykernel"]
    print(f"loupe / ipykernel: ready {loupe['ready_median_s'] / ipy['ready_median_s']:.2f}x, "
          f"execute median {loupe['execute_median_ms'] / ipy['execute_median_ms']:.2f}x, "
          f"execute p95 {loupe['execute_p95_ms'] / ipy['execute_p95_ms']:.2f}x")
    os.makedirs("out", exist_ok=True)
    with open("out/bench-kernel.json", "w") as f:
        json.dump({"starts": STARTS, "round_trips": ROUND_TRIPS, "results": results}, f, indent=2)
    print("written: out/bench-kernel.json", file=sys.stderr)


if __name__ == "__main__":
    main()
