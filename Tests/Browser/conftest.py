"""Fixtures for the browser tests: one JupyterLab server for the session and a
fresh headless Chromium for each test. Both are stopped, with every process
they started, however the tests end."""
import signal

import pytest

from .browser_lab import ROOT, LabPage, LabServer, start_chromium, stop_chromium

OUT = ROOT / "out" / "browser"


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    # A SIGTERM (make killed, a CI timeout) unwinds like Ctrl-C, so the
    # finalizers below still run.
    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    server = LabServer(tmp_path_factory.mktemp("lab"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def page(lab, tmp_path):
    driver, service = start_chromium(tmp_path / "chromium-profile")
    try:
        yield LabPage(driver, lab)
    finally:
        stop_chromium(driver, service)
        lab.shut_down_kernels()


@pytest.fixture(scope="session")
def out_dir():
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT
