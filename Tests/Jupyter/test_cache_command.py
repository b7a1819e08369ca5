"""`loupe cache` from the command line, as a batch job runs it: a failure
after the arguments were accepted prints the error alone, not the usage
text (which says the command line was wrong when it was not)."""
import os
import subprocess
import tempfile

from jupyter_client.kernelspec import KernelSpecManager

LOUPE = KernelSpecManager().get_kernel_spec("loupe").argv[0]


def test_merge_of_an_incomplete_cache_prints_only_the_error():
    with tempfile.TemporaryDirectory(prefix="loupe-cache-") as folder:
        cache = os.path.join(folder, "cache")
        args = [LOUPE, "cache", "--scenes", "4", "--layer", "0", "--tokens", "cls", "--shard-images", "2", "--to", cache]
        first = subprocess.run(args + ["--shard", "0/2"], capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        merged = subprocess.run(args + ["--merge"], capture_output=True, text=True, timeout=300)
        assert merged.returncode != 0
        assert "1 of 2 shards are missing or damaged" in merged.stderr, merged.stderr
        assert "USAGE" not in merged.stderr and "--help" not in merged.stderr, merged.stderr
