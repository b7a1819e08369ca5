"""How many bytes each kind of output puts on the wire: the JSON of every
display's `data`, per MIME type, as the kernel publishes it on iopub.

    make kernelspec && .venv/bin/python bench/bundle_sizes.py

Runs a few cells on the toy model that show an image, a chart, a table and
figures (a table with its picture), and prints each output's MIME types with
their sizes and the bundle's total.
"""
import json

from jupyter_client.manager import start_new_kernel

SETUP = """
let clip = CLIP.load()
let scenes = Dataset.scenes(count: 64, seed: 7)
let acts = clip.activations(scenes, layer: 4)
let sae = SAE.train(acts, kind: .batchTopK(k: 16), width: 256, steps: 100, batch: 512)
"""

CELLS = [
    ("image", "scenes[0]"),
    ("chart", 'bars(labels: ["a", "b", "c"], values: [1, 2, 3])'),
    ("table", "sae.sparsity(scenes).table"),
    ("figure: feature page", "sae.feature(3, in: scenes)"),
    ("figure: sparsity by layer", "SAE.sparsityByLayer([sae], in: scenes)"),
]


def outputs(kc, code):
    msg_id = kc.execute(code)
    shown = []
    while True:
        m = kc.get_iopub_msg(timeout=300)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] in ("execute_result", "display_data"):
            shown.append(m["content"]["data"])
        if m["msg_type"] == "error":
            raise RuntimeError(m["content"]["evalue"])
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return shown


def main():
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=60)
    try:
        outputs(kc, SETUP)
        print(f"{'output':24s} {'total':>10s}  per MIME type (bytes of JSON)")
        for name, code in CELLS:
            for data in outputs(kc, code)[-1:]:
                sizes = {mime: len(json.dumps(value)) for mime, value in data.items()}
                parts = ", ".join(f"{m} {s:,}" for m, s in sorted(sizes.items()))
                print(f"{name:24s} {sum(sizes.values()):>10,}  {parts}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
