"""A JupyterLab server and a headless Chromium for the browser tests.

The server runs from the repository's .venv on 127.0.0.1 with a random port and
token, in a temporary root directory holding copies of the notebooks; its
settings, workspaces, runtime files and the kernels' history live in temporary
directories too. Chromium is Debian's, driven through /usr/bin/chromedriver,
headless, and resolves no host but 127.0.0.1. Everything started here is
stopped by `stop()`, including processes left behind by the one that started
them (kernels, renderer processes)."""
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMEDRIVER = pathlib.Path("/usr/bin/chromedriver")
WINDOW = (1400, 1000)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """Direct children of pid, read from /proc."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def alive(pid):
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def end_processes(pids, grace=5.0):
    """SIGTERM, then SIGKILL after grace seconds, to each pid still alive."""
    pids = [p for p in pids if alive(p)]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    for p in pids:
        if alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


class LabServer:
    def __init__(self, base):
        if not VENV_PYTHON.exists():
            raise RuntimeError(f"{VENV_PYTHON} is missing: run `make venv kernelspec` first")
        self.base = pathlib.Path(base)
        self.root = self.base / "root"
        self.root.mkdir()
        for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
            shutil.copy2(nb, self.root / nb.name)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "server.log"
        self.history = self.base / "history.jsonl"
        self.process = None
        self.kernel_pids = set()

    def env(self):
        env = dict(os.environ)
        dirs = {name: self.base / name for name in ("settings", "workspaces", "config", "runtime", "data")}
        for d in dirs.values():
            d.mkdir(exist_ok=True)
        # No news or update check, and no toast asking about it.
        notification = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True)
        notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env.update({
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            # The user's own data dir (and any kernelspec there) is hidden; the
            # Loupe kernelspec is found in the virtual environment's prefix.
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_PLATFORM_DIRS": "1",
            "LOUPE_HISTORY": str(self.history),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        return env

    def start(self):
        argv = [
            str(VENV_PYTHON), "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.log_level=INFO",
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(argv, cwd=self.root, env=self.env(), stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer within 90 s:\n{self.log_text()}")
            time.sleep(0.25)

    def log_text(self, tail=6000):
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def api(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def note_kernels(self):
        """Remembers the server's child processes (its kernels), so that they
        are ended even if the server cannot end them itself."""
        if self.process and self.process.poll() is None:
            self.kernel_pids.update(descendants(self.process.pid))

    def shut_down_kernels(self):
        """Ends every session and kernel through the REST API."""
        self.note_kernels()
        for session in self.api("GET", "/api/sessions"):
            try:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass
        for kernel in self.api("GET", "/api/kernels"):
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass

    def stop(self):
        if self.process is None:
            return
        self.note_kernels()
        if self.process.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=10)
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        end_processes(self.kernel_pids)
        self.log.close()
        self.process = None


def start_chromium(profile_dir):
    """A headless Chromium that only reaches 127.0.0.1, and its chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            raise RuntimeError(f"{path} is missing: run `make browser-packages` (Debian chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile_dir}",
        "--no-sandbox" if os.geteuid() == 0 else "",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-crash-reporter",
        "--disable-breakpad",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=direct://",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
    ):
        if arg:
            options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER),
                      log_output=str(pathlib.Path(profile_dir).parent / "chromedriver.log"))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:
        # Chrome() quits what it started when the session fails; this ends any leftover.
        if service.process is not None:
            pids = descendants(service.process.pid) + [service.process.pid]
            end_processes(pids)
        raise
    driver.set_script_timeout(60)
    return driver, service


def stop_chromium(driver, service):
    pids = set(descendants(service.process.pid)) if service.process else set()
    try:
        driver.quit()
    except Exception:  # noqa: BLE001 - the browser may already be gone
        pass
    try:
        service.stop()
    except Exception:  # noqa: BLE001
        pass
    end_processes(pids)


# JavaScript run in the page. `window.jupyterapp` is there because the server
# runs with --LabApp.expose_app_in_browser=True.
NOTEBOOK_STATE = """
const app = window.jupyterapp;
const w = app && app.shell.currentWidget;
if (!w || !w.context || !w.content || !w.content.model || w.context.path !== arguments[0]) return null;
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
const cells = [];
w.content.widgets.forEach((cw, i) => {
  const m = cw.model;
  cells.push({index: i, type: m.type, source: m.sharedModel.getSource(),
              count: m.type === 'code' ? m.executionCount : null,
              state: m.type === 'code' ? m.executionState : null,
              outputs: m.type === 'code' ? m.outputs.length : 0});
});
return {ready: w.context.isReady && w.sessionContext.isReady, kernel: kernel ? kernel.status : null,
        kernelName: kernel ? kernel.name : null, mode: w.content.mode, active: w.content.activeCellIndex, cells};
"""

# What each code cell's outputs hold (the model) and show (the DOM).
OUTPUTS_REPORT = """
const w = window.jupyterapp.shell.currentWidget;
const report = [];
w.content.widgets.forEach((cw, i) => {
  const m = cw.model;
  if (m.type !== 'code') return;
  const outputs = [];
  for (let j = 0; j < m.outputs.length; j++) {
    const o = m.outputs.get(j);
    const child = cw.outputArea.widgets[j];
    const node = child ? child.node : null;
    const all = s => node ? [...node.querySelectorAll(s)] : [];
    const html = o.data['text/html'];
    outputs.push({
      type: o.type,
      mimes: Object.keys(o.data),
      htmlHasTable: typeof html === 'string' && html.includes('<table'),
      rendered: all('.jp-OutputArea-output').map(n => n.getAttribute('data-mime-type')),
      jsonTrees: all('.jp-RenderedJSON').length,
      tables: all('table').map(t => ({
        caption: t.caption ? t.caption.textContent : '',
        captionCut: t.caption ? t.caption.scrollWidth > t.caption.clientWidth + 1 : false,
        bodyRows: [...t.tBodies].reduce((n, b) => n + b.rows.length, 0)})),
      images: all('img').map(img => ({complete: img.complete, width: img.naturalWidth, height: img.naturalHeight})),
      progress: all('.loupe-progress').map(p => ({classes: p.className, text: p.textContent.trim()})),
      stderr: all('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').map(n => n.textContent.slice(0, 400)),
      text: all('.jp-OutputArea-output').map(n => n.textContent).join('\\n').slice(0, 400),
    });
  }
  report.push({index: i, source: m.sharedModel.getSource(), count: m.executionCount,
               state: m.executionState, outputs});
});
return report;
"""

# Resolves once every image in the notebook's outputs is decoded (or failed).
DECODE_IMAGES = """
const done = arguments[arguments.length - 1];
const w = window.jupyterapp.shell.currentWidget;
const images = [...w.content.node.querySelectorAll('.jp-OutputArea-output img')];
const timeout = new Promise(resolve => setTimeout(resolve, 20000));
Promise.race([Promise.all(images.map(img => img.decode().catch(() => null))), timeout]).then(() => done(images.length));
"""

NEXT_FRAME = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""

SCROLLER = """
const w = window.jupyterapp.shell.currentWidget;
const outer = w.content.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
return outer;
"""


class Timeout(AssertionError):
    pass


class LabPage:
    """One notebook open in JupyterLab, driven through `window.jupyterapp`."""

    def __init__(self, driver, server):
        self.driver = driver
        self.server = server
        self.path = None

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def command(self, name, args=None):
        """Runs a Lab command and waits for the promise it returns."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.jupyterapp.commands.execute(arguments[0], arguments[1] || {})"
            ".then(() => done(null), e => done(String(e)));", name, args)

    def poll(self, what, condition, timeout, interval=0.25):
        """Calls condition() until it returns something truthy; fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            last = condition()
            if last:
                return last
            if time.monotonic() > deadline:
                raise Timeout(f"timed out after {timeout:.0f} s waiting for {what}; last state: {last!r}")
            time.sleep(interval)

    def state(self):
        return self.js(NOTEBOOK_STATE, self.path)

    def open(self, path, timeout=90):
        """Opens path (relative to the server's root) in a fresh workspace and
        waits until its Loupe kernel is idle."""
        self.path = path
        self.driver.get(f"{self.server.url}/lab/tree/{path}?reset&token={self.server.token}")

        def ready():
            s = self.state()
            return s if s and s["ready"] and s["kernel"] == "idle" else None

        s = self.poll(f"{path} to open with an idle kernel", ready, timeout)
        assert s["kernelName"] == "loupe", f"{path} opened with kernel {s['kernelName']!r}, not loupe"
        self.js("window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight();")
        return s

    def run_all(self):
        # Not awaited: the promise of run-all-cells resolves only when every cell has run.
        self.js("window.jupyterapp.commands.execute('notebook:run-all-cells');")

    def settled(self):
        """The state once the kernel is idle and no cell is queued or running."""
        s = self.state()
        if s and s["kernel"] == "idle" and all(c["state"] != "running" for c in s["cells"] if c["type"] == "code"):
            return s
        return None

    def wait_until_settled(self, timeout):
        # Two settled readings in a row, so a gap between two queued cells does not count.
        def twice():
            first = self.settled()
            if not first:
                return None
            time.sleep(0.5)
            return self.settled()

        return self.poll("every cell to finish and the kernel to be idle", twice, timeout, interval=1.0)

    def outputs(self):
        self.driver.execute_async_script(DECODE_IMAGES)
        return self.js(OUTPUTS_REPORT)

    def next_frame(self):
        self.driver.execute_async_script(NEXT_FRAME)

    def screenshots(self, stem, max_height=16000):
        """stem.png: the whole notebook from the top (the window made as tall as
        the notebook, up to max_height); stem-middle.png: the normal window
        scrolled half-way."""
        stem = pathlib.Path(stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        scroller = self.js(SCROLLER)
        notebook = self.js("return window.jupyterapp.shell.currentWidget.content.node;")
        # Lab pads the end of a notebook by a window's height ("scroll past
        # end"); without the padding the scroll height is the notebook's own.
        past_end = self.js("return arguments[0].classList.contains('jp-mod-scrollPastEnd');", notebook)
        self.js("arguments[0].classList.remove('jp-mod-scrollPastEnd');", notebook)
        try:
            for _ in range(8):
                inner, visible = self.js("return [arguments[0].scrollHeight, arguments[0].clientHeight];", scroller)
                height = self.driver.get_window_size()["height"]
                if visible >= inner or height >= max_height:
                    break
                self.driver.set_window_size(WINDOW[0], min(height + inner - visible, max_height))
                self.next_frame()
            self.js("arguments[0].scrollTop = 0;", scroller)
            self.next_frame()
            self.driver.save_screenshot(str(stem.parent / f"{stem.name}.png"))
        finally:
            self.driver.set_window_size(*WINDOW)
            if past_end:
                self.js("arguments[0].classList.add('jp-mod-scrollPastEnd');", notebook)
        self.next_frame()
        self.js("arguments[0].scrollTop = (arguments[0].scrollHeight - arguments[0].clientHeight) / 2;", scroller)
        self.next_frame()
        self.driver.save_screenshot(str(stem.parent / f"{stem.name}-middle.png"))
        self.js("arguments[0].scrollTop = 0;", scroller)

    def console_log(self):
        try:
            return self.driver.get_log("browser")
        except Exception:  # noqa: BLE001 - not every driver keeps the log
            return []
