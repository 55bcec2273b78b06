"""Real-browser fixtures: a temporary JupyterLab or Voilà server, driven by headless Chromium.

Every setting here was needed on these machines (see the project's notes on testing
notebooks): the server gets its own config, runtime, data, workspaces and settings
folders, an empty token, no XSRF check and no port retries; the news toast is off
and every cell stays in the DOM (windowingMode none); the notebooks are clean copies
(no outputs, no saved widget state) in a temporary root; servers start in their own
session and are stopped by process group; localhost is probed without proxies.

Chromium is Debian's (/usr/bin/chromium, or $BACKPROPLAB_CHROMIUM), installed by
scripts/install_browser.sh. Without it (or without Playwright) the browser tests are
skipped on a developer's machine and fail in CI (CI=true).

Screenshots go to test-artifacts/browser/ at the repository root; a failing test
also leaves a screenshot of the whole page there.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("BACKPROPLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-proxy-server"]
SERVER_START_TIMEOUT = 90  # seconds; JupyterLab takes about 5 s here
# JupyterLab user settings: no news toast over the widgets, every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def _unavailable(reason: str, fix: str = "bash scripts/install_browser.sh") -> None:
    message = f"{reason}; install it with: {fix}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# ----------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """GET ``url`` without any proxy: (status, body); status 0 if nobody answers."""
    try:
        with _NO_PROXY.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def http_delete(url: str) -> None:
    request = urllib.request.Request(url, method="DELETE")
    try:
        _NO_PROXY.open(request, timeout=10).close()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        pass


def clean_copy(src: Path, dest: Path) -> None:
    """Copy a notebook without outputs, execution counts or saved widget state."""
    nb = nbformat.read(src, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, dest)


class Server:
    """A Jupyter server process in its own session, with its log in test-artifacts."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], probe: str, url: str) -> None:
        self.name, self.url = name, url
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while http_get(probe)[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"{name} did not start (exit code {self.proc.returncode}); its log:\n{tail}",
                            pytrace=False)
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the server's process group (it shuts its kernels down), then SIGKILL."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self._log.close()


def server_env(home: Path) -> dict[str, str]:
    """The environment of a test server: its own Jupyter folders, MNIST, no proxies for localhost."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["NO_PROXY"] = env["no_proxy"] = ",".join(filter(None, ["127.0.0.1", "localhost",
                                                               env.get("NO_PROXY", "")]))
    env.pop("MPLBACKEND", None)  # the kernels' inline backend, as for a learner
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _root_flag() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium through Playwright for Python."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed", ".venv/bin/python -m pip install -e '.[test]'")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM}")
    for old in ARTIFACTS.glob("FAILED-*.png"):  # from an earlier session
        old.unlink()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a broken browser is reported like a missing one
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start ({exc})")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def notebook_root(tmp_path_factory) -> Path:
    """Clean copies of every notebook in a temporary root."""
    root = tmp_path_factory.mktemp("notebooks")
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        clean_copy(nb, root / nb.name)
    return root


class Lab:
    """A running JupyterLab and the moves a test makes in it."""

    def __init__(self, server: Server) -> None:
        self.server, self.url = server, server.url

    def open(self, page, notebook: str):
        """Open ``notebook`` in a fresh workspace; return its panel once the kernel is idle."""
        page.goto(f"{self.url}/lab/workspaces/t{uuid.uuid4().hex[:10]}/tree/{notebook}?reset")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.wait_for(state="visible", timeout=60_000)
        self.wait_idle(page)
        return panel

    def wait_idle(self, page, timeout: float = 60) -> None:
        """Wait until the open notebook's kernel is idle (every message handled)."""
        page.wait_for_function(
            """() => {
                const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                const k = w && w.sessionContext && w.sessionContext.session
                          && w.sessionContext.session.kernel;
                return !!k && k.status === 'idle';
            }""", timeout=timeout * 1000)

    def run_all(self, page) -> None:
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def delete_sessions(self) -> None:
        """Shut down every kernel the test started (JupyterLab would restore them otherwise)."""
        status, body = http_get(f"{self.url}/api/sessions")
        for session in json.loads(body or b"[]") if status == 200 else []:
            http_delete(f"{self.url}/api/sessions/{session['id']}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory, notebook_root, chromium):
    """JupyterLab on a free port of 127.0.0.1, serving the clean notebook copies."""
    home = tmp_path_factory.mktemp("jupyterlab")
    settings = home / "settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", *_root_flag(),
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={notebook_root}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir={settings}"]
    server = Server("jupyterlab", argv, server_env(home), f"{url}/api/status", url)
    yield Lab(server)
    server.stop()


@pytest.fixture(scope="session")
def voila_classroom(tmp_path_factory, notebook_root, chromium):
    """Voilà on a free port of 127.0.0.1, serving 05_classroom.ipynb (a clean copy)."""
    home = tmp_path_factory.mktemp("voila")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "voila", str(notebook_root / "05_classroom.ipynb"), "--no-browser",
            "--Voila.ip=127.0.0.1", f"--port={port}", "--Voila.port_retries=0",
            f"--Voila.root_dir={notebook_root}", "--show_tracebacks=True"]
    # Voilà's API answers 302 without a browser session; its static files show it is up
    server = Server("voila", argv, server_env(home), f"{url}/voila/static/voila.js", url)
    yield server
    server.stop()


@pytest.fixture
def page(request, chromium):
    """A fresh browser page; a failing test leaves a screenshot of it in test-artifacts."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
    context.close()


@pytest.fixture
def shot():
    """Save a screenshot of a page or a locator as test-artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(target, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        if hasattr(target, "bounding_box"):  # a locator: its top in view, as much of it as fits
            target.evaluate("e => e.scrollIntoView({block: 'start'})")
            box, view = target.bounding_box(), target.page.viewport_size
            top = max(box["y"], 0)
            clip = {"x": max(box["x"], 0), "y": top, "width": min(box["width"], view["width"]),
                    "height": min(box["height"], view["height"] - top)}
            target.page.screenshot(path=str(path), clip=clip)
        else:  # a page: all of it (JupyterLab's own layout keeps it to the viewport)
            target.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)

