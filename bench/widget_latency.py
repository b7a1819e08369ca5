"""How long a widget update takes, as JupyterLab sees it: the time from a
comm_msg (a slider moved, a patch clicked) to the kernel's idle status for
that message, after every state update it caused has been published.

    make kernelspec && .venv/bin/python bench/widget_latency.py [--repeats 40]

It builds `clip.steer` and `sae.explore` on the toy model (the SAE of
notebooks/07-interactive.ipynb), then moves the clamp slider, picks latents,
changes images and clicks patches, and prints min / median / p95 / max in ms
with the CPU and BLAS core the kernel reports.
"""
import argparse
import statistics
import time

from jupyter_client.manager import start_new_kernel

SETUP = """
let clip = CLIP.load()
let scenes = Dataset.scenes(count: 256, seed: 7)
let acts = clip.activations(scenes, layer: 4)
let sae = SAE.train(acts, kind: .batchTopK(k: 16), width: 1024, steps: 300, batch: 1024)
let steer = clip.steer(sae, image: scenes[3], labels: ["a circle", "a square", "a triangle", "a star", "a heart"])
let explore = sae.explore(scenes)
"""


def run(kc, code):
    msg_id = kc.execute(code)
    opened, banner = {}, ""
    while True:
        m = kc.get_iopub_msg(timeout=300)
        if m["msg_type"] == "comm_open":
            opened[m["content"]["comm_id"]] = m["content"]["data"]["state"]
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return opened


def timed(kc, comm_id, data):
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    start = time.perf_counter()
    kc.shell_channel.send(msg)
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") == msg["header"]["msg_id"] and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            return (time.perf_counter() - start) * 1000


def summary(name, ms):
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{name:34s} n={len(ms):3d} min {ms[0]:6.1f}  median {statistics.median(ms):6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=40)
    args = ap.parse_args()
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=60)
    try:
        info = kc.kernel_info(reply=True, timeout=30)["content"]["banner"].splitlines()[-1]
        models = run(kc, SETUP)
        by = lambda name, **match: [k for k, s in models.items() if s["_model_name"] == name
                                    and all(s.get(a) == b for a, b in match.items())]
        clamp = by("FloatSliderModel", description="clamp")[0]
        picks = by("DropdownModel", description="most steerable")[0]
        image = by("IntSliderModel", description="image")[0]
        buttons = by("ButtonModel")
        latents = by("ToggleButtonsModel")[0]
        update = lambda state: {"method": "update", "state": state, "buffer_paths": []}
        results = {"clip.steer: clamp slider": [], "clip.steer: latent drop-down": [],
                   "sae.explore: image slider": [], "sae.explore: click a patch": [], "sae.explore: choose a latent": []}
        for r in range(args.repeats):
            results["clip.steer: clamp slider"].append(timed(kc, clamp, update({"value": float(10 + 5 * r)})))
            results["clip.steer: latent drop-down"].append(timed(kc, picks, update({"index": r % 3})))
            results["sae.explore: image slider"].append(timed(kc, image, update({"value": r % 50})))
            results["sae.explore: click a patch"].append(
                timed(kc, buttons[(7 * r) % len(buttons)], {"method": "custom", "content": {"event": "click"}}))
            results["sae.explore: choose a latent"].append(timed(kc, latents, update({"index": 0})))
            timed(kc, latents, update({"index": None}))
        print(f"widget updates on the toy model · {info}")
        for name, ms in results.items():
            summary(name, ms)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
