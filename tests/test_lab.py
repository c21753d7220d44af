"""A chapter opened in JupyterLab (``make lab``) reads like its page and its first cell runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from debian import ensure  # noqa: E402
from pages import CHROMIUM, launch  # noqa: E402

#: A chapter with admonitions and equation references.
CHAPTER = "02_regression"
DIRECTIVE = re.compile(r"^```\{(admonition|note|tip|warning|important|caution)\}", re.M)
EQ_REF = re.compile(r"\{eq\}`([\w-]+)`")
#: Every cell laid out (not only those in view), no question about fetching news.
SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"}}
RAW_MYST = re.compile(r"\{(eq|ref|cite(:[tp])?|numref)\}`|^```\{|^:::\{|\$\$", re.M)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and every process it started (kernels), whatever state it is in."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for child in children:
        if child.is_running():
            child.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 (a free port, a random token, no news or update checks,
    ``SETTINGS`` in a temporary folder) serving a copy of the chapter whose execution counts
    are cleared, so that ``[1]`` shows a run. Stopped with its kernels when the module ends."""
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.read(ROOT / "chapters" / f"{CHAPTER}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = None, []
    nbformat.write(nb, root / f"{CHAPTER}.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    state = root / ".jupyter"
    for plugin, settings in SETTINGS.items():
        path = state / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    # PYTEST_CURRENT_TEST would make ipykernel stop forwarding C-level output (fd 1 and 2)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_DATA_DIR=str(state / "data"),
               JUPYTER_RUNTIME_DIR=str(state / "run"))
    cmd = [str(Path(sys.executable).parent / "jupyter-lab"), "--no-browser", "--allow-root",
           "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class="
           "jupyterlab.handlers.announcements.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={state / 'settings'}",
           f"--LabApp.workspaces_dir={state / 'workspaces'}"]
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (root / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not start in 120 s"
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                time.sleep(0.3)
        yield base, token
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def notebook(lab):
    """The chapter open in JupyterLab in headless Chromium; requests leaving the server
    are refused and recorded in ``page.outside``."""
    if not ensure(CHROMIUM, "chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing and could not be installed")
        pytest.skip(f"no {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    base, token = lab
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith((base, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", only_local)
            page = context.new_page()
            page.outside = outside
            page.goto(f"{base}/lab/tree/{CHAPTER}.ipynb?token={token}")
            page.locator(".jp-Notebook .jp-MarkdownCell").first.wait_for(timeout=90_000)
            page.locator(".jp-Notebook aside").first.wait_for(timeout=30_000)
            yield page
        finally:
            browser.close()


def test_myst_renders(notebook):
    """Admonitions are boxes, equation references are numbered links, and no MyST
    syntax is left as text (jupyterlab-myst)."""
    cells = [c.source for c in nbformat.read(ROOT / "chapters" / f"{CHAPTER}.ipynb",
                                             as_version=4).cells if c.cell_type == "markdown"]
    directives, refs = DIRECTIVE.findall("\n".join(cells)), set(EQ_REF.findall("\n".join(cells)))
    assert directives and refs, f"{CHAPTER} no longer has admonitions and equation references"
    boxes = ".jp-Notebook aside.myst-admonition"
    # JupyterLab renders the cells in batches: wait for all the boxes
    notebook.wait_for_function(f"n => document.querySelectorAll('{boxes}').length >= n",
                               arg=len(directives), timeout=60_000)
    assert notebook.locator(boxes).count() == len(directives)
    assert notebook.locator(".jp-MarkdownCell").count() == len(cells)
    for label in refs:  # text, not inner text: a link in a closed solution shows none
        links = notebook.locator(f'.jp-MarkdownCell a[href="#{label}"]').all_text_contents()
        assert links and all(re.fullmatch(r"\(\d+\)", t) for t in links), (label, links)
    texts = notebook.locator(".jp-MarkdownCell").all_inner_texts()
    raw = [t[:200] for t in texts if RAW_MYST.search(t)]
    assert not raw, f"MyST shown as text: {raw}"
    assert not notebook.outside, f"requests outside 127.0.0.1: {notebook.outside}"


def test_first_cell_runs_without_stderr(notebook):
    cell = notebook.locator(".jp-Notebook .jp-CodeCell").first
    prompt = cell.locator(".jp-InputPrompt")
    assert prompt.inner_text().strip() == "[ ]:"
    cell.locator(".jp-InputArea-editor").click()
    notebook.keyboard.press("Shift+Enter")
    notebook.wait_for_function(
        "cell => cell.querySelector('.jp-InputPrompt').textContent.trim() === '[1]:'",
        arg=cell.element_handle(), timeout=180_000)
    errors = cell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors.count() == 0, errors.all_inner_texts()
    assert not notebook.outside, f"requests outside 127.0.0.1: {notebook.outside}"

