"""Sets the metadata of every notebook in notebooks/ to what the installed Loupe
kernel says about itself: `language_info` from its kernel_info_reply and
`kernelspec` from its kernelspec. Only the notebook-level metadata changes;
cells and the file's formatting (nbformat's one-space indent, key order) stay.

    make kernelspec && .venv/bin/python dev/sync_notebook_metadata.py
"""
import json
import pathlib
import sys

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

ROOT = pathlib.Path(__file__).resolve().parents[1]


def kernel_language_info():
    km, kc = start_new_kernel(kernel_name="loupe", startup_timeout=30)
    try:
        return kc.kernel_info(reply=True, timeout=10)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    spec = KernelSpecManager().get_kernel_spec("loupe")
    kernelspec = {"display_name": spec.display_name, "language": spec.language, "name": "loupe"}
    language_info = dict(sorted(kernel_language_info().items()))
    changed = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        if json.dumps(nb, indent=1, ensure_ascii=False) + "\n" != text:
            sys.exit(f"{path}: not in nbformat's layout; refusing to rewrite it")
        nb["metadata"]["kernelspec"] = kernelspec
        nb["metadata"]["language_info"] = language_info
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"updated {path.relative_to(ROOT)}")
    print(f"{changed} notebook(s) changed")


if __name__ == "__main__":
    main()
