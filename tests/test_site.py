"""The book builds from stored outputs with zero warnings; every page works and reads well
in a real browser, on a 1280 px screen and on a phone."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="module")
def html(made_site) -> Path:
    """The site as ``make site`` builds it (``-W -n --keep-going``; ``tests/conftest.py``),
    shared with the download tests."""
    assert made_site.returncode == 0, made_site.log[-3000:]
    return made_site.html


def test_build_has_no_warnings(made_site):
    assert made_site.returncode == 0, made_site.log[-3000:]
    assert not re.search(r"WARNING|ERROR", made_site.log), made_site.log[-3000:]


def notebook_has(chapter: str) -> tuple[bool, int]:
    """Whether a chapter's text has formulas, and how many figures its outputs hold."""
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    figures = sum("image/png" in o.get("data", {})
                  for c in nb["cells"] for o in c.get("outputs", []))
    return "$" in text, figures


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_formulas_and_figures(html, chapter):
    page = (html / "chapters" / f"{chapter}.html").read_text()
    has_math, figures = notebook_has(chapter)
    if has_math:
        assert 'class="math' in page, "formulas are rendered as math nodes"
    assert "$$" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) >= figures, "every figure is in the page"
    for src in images:
        if not src.startswith(("http", "data:")):
            assert (html / "chapters" / src).resolve().is_file(), src
    assert f"{chapter}.ipynb" in page, "download-notebook link"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_numbers_are_per_chapter(html, chapter):
    """Chapter n is "n." in its title and in the chapter list; its equations are (n.k) and
    its figures Fig. n.k."""
    page = (html / "chapters" / f"{chapter}.html").read_text()
    n = str(int(chapter[:2]))
    assert f'section-number">{n}. <' in page, "numbered title"
    assert f'href="{chapter}.html">{n}. ' in page or f'href="#">{n}. ' in page, "chapter list"
    assert {m for m in re.findall(r'class="eqno">\((\d+)\.\d+\)', page)} <= {n}
    assert {m for m in re.findall(r'caption-number">Fig\. (\d+)\.\d+ ', page)} <= {n}
    assert "eqno" not in page or f'class="eqno">({n}.1)' in page


def test_citations_and_bibliography_in_one_style(html):
    """Author-year everywhere: "Huber [1964]" or "[Huber, 1964]" in the text, and the
    bibliography's labels "[Huber, 1964]" (not pybtex's "[Hub64]")."""
    labels = re.findall(r'class="label"><span class="fn-bracket">\[</span>([^<]+)<',
                        (html / "bibliography.html").read_text())
    assert labels and all(re.fullmatch(r"\D+, \d{4}", label) for label in labels), labels
    page = (html / "chapters" / "02_regression.html").read_text()
    assert re.search(r"Huber \[<a [^>]*>1964</a>\]", page), "a textual citation"


# --- the built site in a real browser -------------------------------------------------

from scripts.pages import CHROMIUM, count_bytes, launch, serve, settle  # noqa: E402

SCREENSHOTS = ROOT / "_build" / "screenshots"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
TOC_PAGES = [f"{TOC['root']}.html"]
TOC_PAGES += [f"{c['file']}.html" for part in TOC["parts"] for c in part["chapters"]]
PAGES = ["index.html", "search.html", "genindex.html", "py-modindex.html", *TOC_PAGES]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MAX_PAGE_BYTES = 2_000_000  # everything the browser receives for one page, uncompressed
MIN_FIGURE_TEXT_PX = 9.0  # smallest text in a figure, at its displayed size on a desktop


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


@pytest.fixture(scope="module")
def site(html):
    """The built site served on 127.0.0.1 (an ephemeral port), as `make serve` does."""
    with serve(html) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class PageVisit:
    """Open one page at one viewport, recording every problem the browser reports and
    the bytes of every response."""

    def __init__(self, browser, base: str, viewport: str = "desktop"):
        self.base, self.problems = base, []
        phone = viewport == "phone"
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], has_touch=phone,
                                           is_mobile=phone, service_workers="block")
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.sizes = count_bytes(self.page)
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


#: What a reader would see as broken, measured in the page: tables that did not render,
#: and (desktop) blocks that hide content sideways, stick out of the text column, or have
#: their equation number drawn over them; (phone) a page that scrolls sideways.
LAYOUT_PROBLEMS = r"""([phone, width]) => {
  const article = document.querySelector("article.bd-article") || document.querySelector("main");
  const label = el => `<${el.tagName.toLowerCase()}${el.id ? " #" + el.id : ""}> ` +
    (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 70);
  const scrolls = s => ["auto", "scroll", "hidden", "clip"].includes(s.overflowX);
  const problems = [];
  for (const el of article.querySelectorAll("p, li, td, .cell_output pre")) {
    const lines = el.textContent.split("\n");
    if (lines.some(l => /^\s*\|.*\|\s*$/.test(l)) || /\|\s*:?-{3,}:?\s*\|/.test(el.textContent))
      problems.push(`Markdown table shown as text: ${label(el)}`);
    else if (el.matches("pre") && lines.some(l => /^-{2,}( {2,}-{2,})+\s*$/.test(l)))
      problems.push(`table printed as text: ${label(el)}`);
  }
  // Walk the article: a box that hides content sideways, or (outside such boxes) an
  // element whose right edge passes `right`. Code, formulas and figures are checked as a
  // whole (MathJax's inner boxes clip by design; its hidden MathML is for screen readers).
  const walk = (el, right, clipped, found) => {
    for (const child of el.children) {
      const s = getComputedStyle(child);
      if (s.display === "none" || s.visibility === "hidden" ||
          child.matches("mjx-assistive-mml")) continue;
      const box = child.getBoundingClientRect();
      if (scrolls(s) && child.clientWidth > 0 && child.scrollWidth > child.clientWidth + 1)
        found.push([child, `${child.scrollWidth - child.clientWidth} px hidden sideways`]);
      else if (!clipped && s.position !== "absolute" && box.width && box.right > right + 1)
        found.push([child, `sticks out by ${Math.round(box.right - right)} px`]);
      if (!child.matches("pre, mjx-container, img, svg"))
        walk(child, right, clipped || scrolls(s), found);
    }
    return found;
  };
  if (phone) {
    const extra = document.documentElement.scrollWidth - width;
    if (extra > 0) {
      const wide = walk(document.body, width, false, [])
        .filter(([, why]) => why.startsWith("sticks"));
      problems.push(`page scrolls sideways by ${extra} px: ` +
                    wide.slice(-3).map(([el]) => label(el)).join(" | "));
    }
    return problems;
  }
  const right = article.getBoundingClientRect().right -
                parseFloat(getComputedStyle(article).paddingRight);
  for (const [el, why] of walk(article, right, false, []))
    problems.push(`${why}: ${label(el)}`);
  for (const math of article.querySelectorAll("div.math")) {
    const number = math.querySelector(".eqno"), formula = math.querySelector("mjx-math");
    if (!number || !formula) continue;
    const a = number.getBoundingClientRect(), b = formula.getBoundingClientRect();
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      problems.push(`equation number drawn over its formula: ${label(math)}`);
  }
  return problems;
}"""

#: Characters drawn with the solid icon font (before/after pseudo-elements).
ICONS = """() => [...new Set([...document.querySelectorAll("body *")].flatMap(el =>
  ["::before", "::after"].map(pseudo => getComputedStyle(el, pseudo)).filter(s =>
    s.fontFamily.includes("Font Awesome 6 Free") && s.fontWeight === "900" &&
    s.content.length === 3).map(s => s.content.codePointAt(1))))]"""


@pytest.fixture(scope="module")
def icons(html) -> set[int]:
    """Code points in the cut-down icon font the site ships (see _ext/lossbook_site.py)."""
    from fontTools.ttLib import TTFont

    return set(TTFont(html / "_static" / "fa-solid-900-subset.woff").getBestCmap())


IMAGES = """() => [...document.querySelectorAll("article img")].map(i => ({
  src: i.currentSrc, natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))"""


@functools.cache
def figure_text() -> dict[str, float]:
    """Smallest text of each chapter figure, in pixels of its PNG, by the PNG's file name
    on the site (the SHA-256 of its bytes): ``lb.setup()`` stores it with the figure."""
    sizes = {}
    for chapter in CHAPTERS:
        nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
        for out in (o for c in nb["cells"] for o in c.get("outputs", [])):
            if "image/png" in out.get("data", {}):
                png = base64.b64decode(out["data"]["image/png"])
                meta = out.get("metadata", {}).get("image/png", {})
                sizes[hashlib.sha256(png).hexdigest()] = meta.get("smallest_text_px")
    return sizes


def image_problems(images: list[dict], desktop: bool) -> list[str]:
    """Raster images below 2x density; figures whose smallest text shows under 9 px."""
    problems = []
    for img in images:
        name = img["src"].rsplit("/", 1)[-1]
        if name.endswith(".svg"):
            continue
        if img["natural"] < 2 * img["shown"] - 1:
            problems.append(f"low-resolution image: {img['natural']} px wide, shown at "
                            f"{img['shown']:.0f} px: {name}")
        stem = name.rsplit(".", 1)[0]
        if desktop and stem in figure_text():
            smallest = figure_text()[stem]
            if smallest is None:
                problems.append(f"figure without its text size (run lb.setup()): {name}")
            elif smallest * img["shown"] / img["natural"] < MIN_FIGURE_TEXT_PX:
                problems.append(f"figure text shown at "
                                f"{smallest * img['shown'] / img['natural']:.1f} px: {name}")
    return problems


def drawer_problems(page, phone: bool) -> list[str]:
    """The chapter list and the page contents open on a tap (phone); the chapter list
    hides and comes back on a click (desktop)."""
    def becomes(js: str) -> bool:
        try:
            page.wait_for_function(js, timeout=3000)
            return True
        except PlaywrightTimeout:
            return False

    toggles = page.locator("button.primary-toggle:visible")
    if toggles.count() != 1:
        return [f"{toggles.count()} visible chapter-list buttons"]
    problems = []
    if phone:
        for toggle, dialog, link, what in [
            (toggles, "#pst-primary-sidebar-modal", "nav.bd-links a", "chapter list"),
            (page.locator("button.secondary-toggle:visible"), "#pst-secondary-sidebar-modal",
             "nav.page-toc a", "page contents"),
        ]:
            if not toggle.count():
                continue
            toggle.tap()
            if not becomes(f"() => document.querySelector('{dialog}').open && "
                           f"document.querySelector('{dialog} {link}')?.checkVisibility()"):
                problems.append(f"a tap on its button does not open the {what}")
            page.keyboard.press("Escape")
            becomes(f"() => !document.querySelector('{dialog}').open")
        return problems
    sidebar = "document.querySelector('#pst-primary-sidebar')"
    toggles.click()
    if not becomes(f"() => getComputedStyle({sidebar}).visibility === 'hidden'"):
        problems.append("a click on ☰ does not hide the chapter list")
    toggles.click()
    if not becomes(f"() => getComputedStyle({sidebar}).visibility === 'visible'"):
        problems.append("a second click on ☰ does not bring the chapter list back")
    if page.locator("dialog[open]").count():
        problems.append("a click on ☰ opens a dialog on a desktop")
    return problems


def solution_problems(page) -> list[str]:
    """Every exercise's solution is closed until a click on its button, then shows."""
    problems = []
    solutions = page.locator("div.solution")
    for i in range(solutions.count()):
        solution = solutions.nth(i)
        body = solution.locator(":scope > :not(.admonition-title)")
        if not body.count() or body.first.is_visible():
            problems.append(f"solution {i + 1} is open before a click")
            continue
        solution.locator("button.toggle-button").click()
        if not body.first.is_visible():
            problems.append(f"solution {i + 1} does not open on a click")
    return problems


#: JPEG's largest side; a taller page (the API page on a phone) is shot in parts.
JPEG_MAX = 65_000


def screenshots(page, name: str) -> None:
    """The whole page as ``name.jpeg`` in :data:`SCREENSHOTS`, or as ``name-1.jpeg``,
    ``name-2.jpeg``, ... when it is taller than a JPEG can be."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width, height = page.evaluate("[document.documentElement.scrollWidth, "
                                  "document.documentElement.scrollHeight]")
    tops = range(0, height, JPEG_MAX)
    for i, top in enumerate(tops, 1):
        path = SCREENSHOTS / (f"{name}-{i}.jpeg" if len(tops) > 1 else f"{name}.jpeg")
        page.screenshot(path=str(path), full_page=True, quality=80, clip={
            "x": 0, "y": top, "width": width, "height": min(JPEG_MAX, height - top)})
        assert path.stat().st_size, f"empty screenshot {path.name}"


def check_page(browser, site: str, path: str, viewport: str, icons: set[int],
               shots: bool = False) -> None:
    """Open ``path`` at ``viewport``: it loads with no error, its formulas and images
    render, and it has none of the problems above; with ``shots``, screenshots of the
    pages of the TOC go to ``_build/screenshots/``."""
    visit = PageVisit(browser, site, viewport)
    page = visit.page
    phone = viewport == "phone"
    try:
        settle(page, site + path)
        if page.locator(".math").count():
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
            exercises = page.locator("div.exercise").count()
            assert exercises == page.locator("div.solution").count(), "a solution per exercise"
            assert exercises or path.startswith("chapters/12"), "exercises"
            figures = notebook_has(Path(path).stem)[1]
            assert page.locator("main figure img").count() == figures
            assert page.locator("main figure figcaption").count() == len(alts), "captions"
        problems = list(visit.problems)
        weight = sum(visit.sizes.values())
        if weight > MAX_PAGE_BYTES:
            problems.append(f"page weighs {weight / 1e6:.2f} MB as received (max 2.0 MB)")
        if not page.locator(".math").count() and any("/mathjax/" in u for u in visit.sizes):
            problems.append("MathJax is loaded on a page without formulas")
        problems += page.evaluate(LAYOUT_PROBLEMS, [phone, VIEWPORTS[viewport]["width"]])
        problems += image_problems(page.evaluate(IMAGES), desktop=not phone)
        problems += [f"icon U+{c:04X} is not in the icon font"
                     for c in page.evaluate(ICONS) if c not in icons]
        if path in TOC_PAGES:
            if shots:
                screenshots(page, f"{path.removesuffix('.html').replace('/', '_')}-{viewport}")
            problems += drawer_problems(page, phone)
        problems += solution_problems(page)  # last: it opens them
        assert not problems, "\n".join(problems)
    finally:
        visit.close()


@pytest.fixture(scope="session")
def shots(request) -> bool:
    """Whether to take screenshots (``--screenshots``, ``make screenshots``): they are for
    a person to look at, and take a third of the browser test's time."""
    return request.config.getoption("--screenshots")


# One class per viewport: `--dist loadscope` gives each class to a worker of its own.
class TestDesktop:
    @pytest.mark.parametrize("path", PAGES)
    def test_page(self, browser, site, icons, shots, path):
        check_page(browser, site, path, "desktop", icons, shots)


class TestPhone:
    @pytest.mark.parametrize("path", PAGES)
    def test_page(self, browser, site, icons, shots, path):
        check_page(browser, site, path, "phone", icons, shots)


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
