"""The built site in a real browser, and what each page weighs as the browser receives it
(used by ``benchmark.py``, ``book_pdf.py``, the site test and the JupyterLab test)."""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}


@contextlib.contextmanager
def serve(html: Path = ROOT / "_build" / "html"):
    """Serve the built site on 127.0.0.1 (an ephemeral port); yields its base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright):
    """Debian's Chromium, headless, with no background traffic of its own."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-sync",
              "--disable-component-update", "--no-first-run"])


def count_bytes(page) -> dict[str, int]:
    """From now on, record the body size of every response ``page`` receives, by URL
    (its Content-Length if the body is gone, after a redirect or a closed page)."""
    from playwright.sync_api import Error

    sizes: dict[str, int] = {}

    def on_response(response) -> None:
        if response.status < 300:
            try:
                sizes[response.url] = len(response.body())
            except Error:
                sizes[response.url] = int(response.headers.get("content-length", 0))

    page.on("response", on_response)
    return sizes


#: A page that sends the browser on at once (the site's ``index.html``).
REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.I)


def settle(page, url: str) -> None:
    """Open ``url`` (and where it redirects to) and wait until its formulas are typeset and
    nothing more is loading (the fonts that the formulas need come last)."""
    redirect = REDIRECT.search(page.request.get(url).text())
    if redirect:  # wait for the second page, not only the first (a race otherwise)
        with page.expect_navigation(url=urljoin(url, redirect[1]), wait_until="load"):
            page.goto(url)
    else:
        page.goto(url, wait_until="load")
    if page.locator(".math").count():
        page.wait_for_function("() => window.MathJax?.startup?.promise")
        page.evaluate("() => MathJax.startup.promise")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")


def site_pages(html: Path) -> list[str]:
    """Every page of the built site (paths relative to its root)."""
    return [str(p.relative_to(html)) for p in sorted(html.rglob("*.html"))
            if "_static" not in p.parts and "_sources" not in p.parts]


def page_weights(html: Path = ROOT / "_build" / "html") -> dict[str, int]:
    """Bytes the browser receives for each page of the site: every response (HTML, style
    sheets, scripts, fonts, images), uncompressed, in Chromium at 1280x800."""
    from playwright.sync_api import sync_playwright

    weights = {}
    with serve(html) as base, sync_playwright() as p:
        browser = launch(p)
        for path in site_pages(html):
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            page = context.new_page()
            sizes = count_bytes(page)
            settle(page, base + path)
            weights[path] = sum(sizes.values())
            context.close()
        browser.close()
    return weights
