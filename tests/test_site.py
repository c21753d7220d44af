"""The book builds from stored outputs with zero warnings; every page works in a real browser."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="module")
def build():
    """Build the site as ``make site`` does (``-W -n --keep-going``)."""
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, cwd=ROOT)
    return proc


def test_build_has_no_warnings(build):
    log = build.stdout + build.stderr
    assert build.returncode == 0, log[-3000:]
    assert not re.search(r"WARNING|ERROR", log), log[-3000:]


def notebook_has(chapter: str) -> tuple[bool, int]:
    """Whether a chapter's text has formulas, and how many figures its outputs hold."""
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    figures = sum("image/png" in o.get("data", {})
                  for c in nb["cells"] for o in c.get("outputs", []))
    return "$" in text, figures


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_formulas_and_figures(build, chapter):
    page = (HTML / "chapters" / f"{chapter}.html").read_text()
    has_math, figures = notebook_has(chapter)
    if has_math:
        assert 'class="math' in page, "formulas are rendered as math nodes"
    assert "$$" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) >= figures, "every figure is in the page"
    for src in images:
        if not src.startswith(("http", "data:")):
            assert (HTML / "chapters" / src).resolve().is_file(), src
    assert f"{chapter}.ipynb" in page, "download-notebook link"


# --- the built site in a real browser -------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "_build" / "screenshots"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = ["index.html", "search.html", "genindex.html", "py-modindex.html", f"{TOC['root']}.html"]
PAGES += [f"{c['file']}.html" for part in TOC["parts"] for c in part["chapters"]]


def ensure_chromium() -> None:
    """Debian's Chromium: installed with apt when missing and we are root; required in CI."""
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing and could not be installed: the browser test "
                        "is required in CI")
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(build):
    """The built site served on 127.0.0.1 (an ephemeral port), as `make serve` does."""
    assert build.returncode == 0
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                    "--disable-background-networking", "--disable-sync",
                                    "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


class PageVisit:
    """Open one page, recording every problem the browser reports."""

    def __init__(self, browser, base: str):
        self.base, self.problems = base, []
        self.context = browser.new_context(service_workers="block")
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))

    def _only_local(self, route):
        if route.request.url.startswith(self.base) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.problems.append(f"request outside the site: {route.request.url}")
            route.abort()

    def close(self):
        self.context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(browser, site, path):
    visit = PageVisit(browser, site)
    page = visit.page
    try:
        page.goto(site + path, wait_until="load")
        page.wait_for_load_state("networkidle")
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            page.evaluate("() => MathJax.startup.promise")
            unrendered = page.locator(".math:not(:has(mjx-container))").count()
            assert unrendered == 0, f"{unrendered} formulas not rendered by MathJax"
            assert page.locator("mjx-merror").count() == 0, "MathJax reported an error"
        assert "$$" not in page.locator("main").inner_text()
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src)")
        assert broken == [], f"images not loaded: {broken}"
        alts = page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.alt)")
        assert all(alt and not alt.endswith(".png") for alt in alts), f"alt texts: {alts}"
        if path.startswith("chapters/"):
            figures = notebook_has(Path(path).stem)[1]
            assert page.locator("main figure img").count() == figures
            assert page.locator("main figure figcaption").count() == len(alts), "captions"
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{Path(path).stem}.png"), full_page=True)
        assert not visit.problems, "\n".join(visit.problems)
    finally:
        visit.close()


def test_search_finds_a_loss_by_name(browser, site):
    visit = PageVisit(browser, site)
    try:
        visit.page.goto(site + "search.html?q=Huber", wait_until="load")
        results = visit.page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=15000)
        assert "regression" in " ".join(results.all_inner_texts()).lower()
        assert not visit.problems, "\n".join(visit.problems)
    finally:
        visit.close()


def test_every_page_weighs_under_2_mb(build):
    sys.path.insert(0, str(ROOT / "scripts"))
    from benchmark import page_weights

    weights = page_weights(HTML)
    assert len(weights) >= len(PAGES)
    heavy = {page: size for page, size in weights.items() if size >= 2_000_000}
    assert not heavy, f"pages of 2 MB or more: {heavy}"
