"""Real browsers for the explorer tests: Debian's Chromium driven by Playwright, a local web server, JupyterLab.

Nothing here reaches the internet: the site is served from 127.0.0.1, and every
request to anywhere else is recorded and blocked (the tests then fail on it).

Chromium is /usr/bin/chromium (``apt-get install chromium``; never
``playwright install``). Without it the browser tests are skipped with the
reason, except under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# The notebooks the JupyterLab tests open: the explorers page and the chapters with hot training explorers.
LAB_NOTEBOOKS = ("explorers.ipynb", "optimizers.ipynb", "regularization.ipynb")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not found: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements-test.txt")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors, page errors, failed requests and foreign requests are recorded.

    Requests to anywhere but `allowed_origin` are blocked (and listed in `foreign`).
    """

    def __init__(self, browser, allowed_origin: str, **context_options) -> None:
        options = {"viewport": {"width": 1280, "height": 1000}} | context_options
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # A failed request counts as an error too (a missing file answers 404).
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}"))
        self.page.on("requestfailed", lambda r: r.url.startswith(allowed_origin)
                     and self.errors.append(f"failed: {r.url} ({r.failure})"))

        def route(r):
            url = r.request.url
            if url.startswith((allowed_origin, "data:", "blob:")):
                r.continue_()
            else:
                self.foreign.append(url)
                r.abort()

        self.context.route("**/*", route)

    def assert_clean(self) -> None:
        """No console or page error, no failed request, and nothing requested from elsewhere."""
        assert self.errors == [], self.errors
        assert self.foreign == [], f"requests left the local server: {self.foreign}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    """``open_page(origin, **options) -> Watched``: a fresh page that may only load from `origin`.

    Options go to Playwright's ``browser.new_context`` (e.g. ``viewport``,
    ``color_scheme``); the page is closed after the test.
    """
    opened = []

    def make(origin: str, **options) -> Watched:
        opened.append(Watched(browser, origin, **options))
        return opened[-1]

    yield make
    for watched in opened:
        watched.close()


@pytest.fixture
def chapter_page(page_site, serve, open_page):
    """``chapter_page("rnn") -> Watched``: the built book served locally, opened at book/rnn.html."""

    def open_chapter(name: str) -> Watched:
        base = serve(page_site(name))
        watched = open_page(base)
        watched.page.goto(f"{base}/book/{name}.html", wait_until="load")
        return watched

    return open_chapter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def serve():
    """``serve(directory) -> base URL``: a static web server on 127.0.0.1, stopped after the session."""
    servers = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    def start(directory: Path) -> str:
        handler = functools.partial(Quiet, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def page_site(built_book):
    """``page_site("explorers") -> html dir``: the whole book, built once per session (see tests/conftest.py)."""
    proc, html = built_book
    assert proc.returncode == 0, f"jupyter-book build failed:\n{(proc.stdout + proc.stderr)[-4000:]}"

    def site(page: str) -> Path:
        assert (html / "book" / f"{page}.html").is_file(), f"book/{page} is not in the built book (_toc.yml?)"
        return html

    return site


def _shut_down_kernels(base: str, token: str) -> None:
    """Ask the server to end every kernel it started (they run in process groups of their own)."""
    try:
        with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()
    except OSError:
        pass


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving copies of the notebooks in `LAB_NOTEBOOKS`; yields (base URL, token).

    Its kernel "python3" is this very Python (so `dlbook` imports), in live
    mode (DLBOOK_EXPLORERS unset). The server runs in its own process group,
    which is ended after the session.
    """
    home = tmp_path_factory.mktemp("lab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    for name in LAB_NOTEBOOKS:
        shutil.copy(ROOT / "book" / name, notebooks)
    kernel = home / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No news or update checks: they would be requests to the internet.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Every cell stays on the page, so an explorer far down a chapter can be found (no virtualized cells).
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))

    env = {k: v for k, v in os.environ.items() if k != "DLBOOK_EXPLORERS"}
    env.update(JUPYTER_PATH=str(home / "jupyter"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_PLATFORM_DIRS="1",
               MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    port, token = free_port(), secrets.token_hex(16)
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
         "--ServerApp.port_retries=0", "--LabApp.news_url=", "--ServerApp.open_browser=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (home / "server.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        _shut_down_kernels(base, token)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
