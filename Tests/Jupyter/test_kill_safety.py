"""A save killed mid-write leaves the previous file: `acts.save` and
`sae.save` write to a temporary file beside the target and rename it into
place, so a SIGKILL (no handler, no cleanup) during the write must leave the
old bytes, and for an SAE folder both old files, loadable.

Each case writes a small value, then starts a second `loupe run` that writes a
much larger, different value to the same path, watches the folder and kills
the writer the moment a temporary file appears (or, for a writer that is not
atomic, the moment the target itself changes). If the write finished before
the kill landed, the case is retried with a bigger value rather than passing
without having tested anything."""
import hashlib
import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import time

import pytest
from jupyter_client.kernelspec import KernelSpecManager

# The binary the installed kernelspec runs, so this tests what the kernel uses.
LOUPE = KernelSpecManager().get_kernel_spec("loupe").argv[0]
# Generous: other work may share the machine's cores.
RUN_TIMEOUT = 300


@pytest.fixture
def folder():
    with tempfile.TemporaryDirectory(prefix="loupe-kill-") as path:
        yield path


def loupe_run(folder, name, script):
    """Runs a script to completion; returns its stdout."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(script)
    done = subprocess.run([LOUPE, "run", path], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fingerprint(path):
    """What changes when a file is replaced or written in place."""
    try:
        s = os.stat(path)
    except FileNotFoundError:
        return None
    return (s.st_ino, s.st_size, s.st_mtime_ns)


def temporaries(directory, targets):
    """AtomicFile's temporary files for `targets`: `.NAME.tmp-PID-RANDOM`."""
    prefixes = tuple("." + os.path.basename(t) + ".tmp-" for t in targets)
    return sorted(n for n in os.listdir(directory) if n.startswith(prefixes))


def complete_safetensors(path):
    """Whether the file is a whole safetensors file: its header parses and
    the data section ends exactly at the end of the file."""
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
        return os.path.getsize(path) == 8 + n + end
    except (OSError, ValueError, KeyError, struct.error):
        return False


def whole(path):
    if path.endswith(".safetensors"):
        return complete_safetensors(path)
    try:
        with open(path, "rb") as f:
            json.loads(f.read())
        return True
    except ValueError:
        return False


def kill_when(argv, seen, timeout=RUN_TIMEOUT):
    """Starts `argv` and SIGKILLs it as soon as `seen()` is true. Returns
    "killed", or "finished" when the writer exited by itself first."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        writer = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            while True:
                if seen():
                    writer.send_signal(signal.SIGKILL)
                    writer.wait(timeout=60)
                    return "killed"
                if writer.poll() is not None:
                    log.seek(0)
                    assert writer.returncode == 0, f"the writer failed:\n{log.read().decode(errors='replace')}"
                    return "finished"
                if time.monotonic() - started > timeout:
                    raise AssertionError(f"the writer neither wrote nor finished in {timeout} s")
                time.sleep(0.0005)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()


def kill_mid_write(argv, targets, timeout=RUN_TIMEOUT):
    """Starts the writer `argv` and SIGKILLs it as soon as a write to one of
    `targets` is seen: a temporary file for it appears beside it, or the
    target itself changes. Returns "killed", or "finished" when the writer
    exited by itself first, with the seconds from start to the kill."""
    directory = os.path.dirname(targets[0])
    before = {t: fingerprint(t) for t in targets}
    stale = set(temporaries(directory, targets))

    def writing():
        return bool(set(temporaries(directory, targets)) - stale) or any(fingerprint(t) != before[t] for t in targets)

    started = time.monotonic()
    outcome = kill_when(argv, writing, timeout)
    return outcome, time.monotonic() - started


def assert_kill_leaves_old_files(folder, targets, writer_script, sizes, check_old=None):
    """Kills `writer_script(size)` mid-write for growing sizes until a kill
    lands during the write; then every target must hold its old bytes."""
    old = {t: digest(t) for t in targets}
    for attempt, size in enumerate(sizes):
        script = os.path.join(folder, f"writer-{attempt}.loupe")
        with open(script, "w") as f:
            f.write(writer_script(size))
        outcome, seconds = kill_mid_write([LOUPE, "run", script], targets)
        now = {t: digest(t) for t in targets}
        if outcome == "killed" and now == old:
            print(f"killed the writer of size {size} mid-write after {seconds:.1f} s; old files intact")
            if check_old:
                check_old()
            return
        changed = [t for t in targets if now[t] != old[t]]
        # A target that changed must be a whole new file, renamed into place
        # before the kill landed (or by a writer that finished): never torn.
        for t in changed:
            assert whole(t), f"{os.path.basename(t)} is torn after a SIGKILL during its write"
        if outcome == "killed":
            # Killed after the rename: no temporary file may be left for a
            # changed target, else it was written in place.
            assert not temporaries(os.path.dirname(targets[0]), changed), \
                f"{changed} changed while its temporary file was still being written"
        # Here the kill came too late to test anything. (For an SAE folder
        # that includes a kill between the two renames, which leaves new
        # weights beside the old cfg.json and the new one under its
        # temporary name: SAE.load reads the new pair, as the test below
        # checks.)
        print(f"size {size}: the write finished before the kill ({outcome} after {seconds:.1f} s); trying bigger")
        restore(folder, old, targets)
    raise AssertionError(f"no write was caught in progress at sizes {sizes}; the test checked nothing")


def restore(folder, old, targets):
    """Puts the old files back for the next, bigger attempt."""
    backup = os.path.join(folder, "backup")
    for t in targets:
        with open(os.path.join(backup, os.path.basename(t)), "rb") as src:
            data = src.read()
        assert hashlib.sha256(data).hexdigest() == old[t]
        with open(t, "wb") as dst:
            dst.write(data)


def back_up(folder, targets):
    backup = os.path.join(folder, "backup")
    os.makedirs(backup, exist_ok=True)
    for t in targets:
        with open(t, "rb") as src, open(os.path.join(backup, os.path.basename(t)), "wb") as dst:
            dst.write(src.read())


def test_killed_activations_save_leaves_the_old_file(folder):
    target = os.path.join(folder, "acts.safetensors")
    loupe_run(folder, "old.loupe",
              "let clip = CLIP.load()\n"
              "let acts = clip.activations(Dataset.scenes(count: 4, seed: 1), layer: 1, tokens: .all)\n"
              f"acts.save({json.dumps(target)})\n")
    assert complete_safetensors(target)
    back_up(folder, [target])

    # [count, 50, 128] float32: 1,500 scenes are 38 MB; computing them takes
    # seconds, writing and flushing them to disk a noticeable fraction of one.
    def writer(count):
        return ("let clip = CLIP.load()\n"
                f"let acts = clip.activations(Dataset.scenes(count: {count}, seed: 2), layer: 0, tokens: .all)\n"
                f"acts.save({json.dumps(target)})\n")

    assert_kill_leaves_old_files(folder, [target], writer, sizes=[1500, 3000, 6000])
    # The killed writer's temporary file is removed by the next save.
    loupe_run(folder, "again.loupe",
              "let clip = CLIP.load()\n"
              "let acts = clip.activations(Dataset.scenes(count: 2, seed: 3), layer: 1, tokens: .all)\n"
              f"acts.save({json.dumps(target)})\n")
    assert not temporaries(folder, [target])


def test_killed_sae_save_leaves_both_old_files_loadable(folder):
    path = os.path.join(folder, "sae")
    targets = [os.path.join(path, "sae_weights.safetensors"), os.path.join(path, "cfg.json")]
    prelude = ("let clip = CLIP.load()\n"
               "let acts = clip.activations(Dataset.scenes(count: 8, seed: 1), layer: 1, tokens: .all)\n")
    loupe_run(folder, "old.loupe",
              prelude + "let sae = SAE.train(acts, kind: .topK(k: 8), width: 64, steps: 10, batch: 256)\n"
                        f"sae.save({json.dumps(path)})\n")
    back_up(folder, targets)

    # A very wide SAE: W_enc and W_dec are 1 KB per latent, 200 MB at the
    # first size; one training step is enough to make it differ.
    def writer(width):
        return prelude + (f"let sae = SAE.train(acts, kind: .topK(k: 8), width: {width}, steps: 1, batch: 16, seed: 3)\n"
                          f"sae.save({json.dumps(path)})\n")

    def loads_as_the_old_sae():
        shown = loupe_run(folder, "load.loupe", f"SAE.load({json.dumps(path)})\n")
        assert "64 latents" in shown, shown

    assert_kill_leaves_old_files(folder, targets, writer, sizes=[200_000, 400_000], check_old=loads_as_the_old_sae)


def test_killed_sae_save_loads_as_the_old_or_the_new_sae(folder):
    """An SAE's weights and cfg.json are two files, and no rename moves both:
    the save writes both under temporary names, records the weights' CRC-32
    in cfg.json, then renames them in turn. Whenever the writer is killed
    (as its first temporary file appears, or as its weights land, just
    before or after cfg.json's rename), SAE.load must give the SAE the
    folder held before or the one being saved: never an error, never the
    weights of one with the settings of the other."""
    path = os.path.join(folder, "sae")
    weights, cfg = os.path.join(path, "sae_weights.safetensors"), os.path.join(path, "cfg.json")
    prelude = ("let clip = CLIP.load()\n"
               "let acts = clip.activations(Dataset.scenes(count: 8, seed: 1), layer: 1, tokens: .all)\n")

    def saver(width, seed):
        return prelude + (f"let sae = SAE.train(acts, kind: .topK(k: 8), width: {width}, steps: 1, batch: 16, seed: {seed})\n"
                          f"sae.save({json.dumps(path)})\n")

    def loaded_width():
        shown = loupe_run(folder, "load.loupe", f"SAE.load({json.dumps(path)})\n")
        found = re.search(r"(\d+) latents", shown)
        assert found, f"SAE.load did not show an SAE:\n{shown}"
        return int(found.group(1))

    def config_width():
        with open(cfg) as f:
            return int(re.search(r'"d_sae"\s*:\s*(\d+)', f.read()).group(1))

    loupe_run(folder, "old.loupe", saver(64, 1))
    # Two kills as the save starts, then kills as the weights land until one
    # falls between the two renames (new weights beside the old cfg.json),
    # the moment the CRC is for; each save has its own width, so the SAE
    # that loads names its save.
    triggers = ["temporary", "temporary"] + ["weights"] * 10
    between = 0
    for attempt, trigger in enumerate(triggers):
        if trigger == "weights" and between:
            break
        width = 150_001 + attempt
        before = loaded_width()
        script = os.path.join(folder, f"save-{attempt}.loupe")
        with open(script, "w") as f:
            f.write(saver(width, attempt + 2))
        weights_before, stale = fingerprint(weights), set(temporaries(path, [weights, cfg]))
        if trigger == "temporary":
            seen = lambda: bool(set(temporaries(path, [weights, cfg])) - stale)
        else:
            seen = lambda: fingerprint(weights) != weights_before
        outcome = kill_when([LOUPE, "run", script], seen)
        landed_between = outcome == "killed" and fingerprint(weights) != weights_before and config_width() != width
        between += landed_between
        after = loaded_width()
        assert after in (before, width), \
            f"attempt {attempt} ({trigger}, {outcome}): the folder loads as {after} latents, neither the old {before} nor the new {width}"
        if landed_between:
            assert after == width, "new weights beside the old cfg.json must load as the new SAE"
        print(f"attempt {attempt}: killed on {trigger} ({outcome}{', between the renames' if landed_between else ''}); "
              f"loads as the {'new' if after == width else 'old'} SAE")
    assert between, "no kill landed between the two renames; the test checked less than it should"
