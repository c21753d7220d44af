"""The whole book as one PDF, without TeX and without downloads.

    python scripts/book_pdf.py _build/html        # writes _build/html/loss-functions-book.pdf
    python scripts/book_pdf.py _build/html _build/single/_build/singlehtml  # prints a build

Jupyter Book's ``singlehtml`` builder puts every page of the table of contents into one
HTML page (from the stored outputs, as the site); ``make site`` runs it beside the HTML
build and passes its folder, otherwise it is built here. Debian's Chromium opens it from
a server on 127.0.0.1 (a request for anything else is an error), waits until MathJax has
typeset every formula, rearranges the page into a book (title page, contents, the
introduction, then each chapter on a new page) and prints it with Playwright's
``page.pdf``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

import yaml
from debian import ensure
from downloads import PDF
from pages import CHROMIUM, launch, serve

ROOT = Path(__file__).resolve().parent.parent

#: Rearranges the single page into a book; ``meta`` comes from ``book_meta()``.
BOOK_JS = r"""meta => {
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };
  const article = document.querySelector("article.bd-article");
  const intro = article.querySelector("section");
  const book = el("div", "book");
  const title = el("section", "title-page");
  title.append(el("h1", "", meta.title), el("p", "subtitle", meta.subtitle),
               el("p", "author", meta.author), el("p", "versions", meta.versions),
               el("p", "built", meta.built));
  const contents = el("nav", "contents");
  contents.append(el("h1", "", "Contents"));
  const preface = el("section", "preface");
  preface.id = "preface";
  const chapters = [];
  for (const part of meta.parts) {
    contents.append(el("h2", "", part.caption));
    const list = el(part.numbered ? "ol" : "ul");
    for (const file of part.files) {
      const section = document.getElementById("document-" + file).nextElementSibling;
      // its title: h2, or h3 when the root page's table of contents sits in a section
      const heading = section.querySelector(":scope > :is(h1, h2, h3)");
      heading.querySelector(".headerlink")?.remove();
      heading.querySelector(".section-number")?.remove();  // numbered below, once
      section.classList.add("chapter");
      if (part.numbered) {
        heading.prepend(el("span", "chapter-number", `${chapters.length + 1}`));
      }
      const link = el("a", "", heading.textContent.replace(/^\d+/, ""));
      link.href = "#" + section.id;
      const item = el("li");
      item.append(link);
      list.append(item);
      chapters.push(section);
    }
    contents.append(list);
  }
  // The introduction: the root page without its title and without the inlined pages
  // (nor the section that held them: the contents page replaces it).
  const toc = intro.querySelector(".toctree-wrapper");
  const tocSection = toc.parentElement === intro ? toc : toc.closest("section");
  for (const child of [...intro.children]) {
    if (child.matches("h1") || child === tocSection) continue;
    preface.append(child);
  }
  preface.prepend(el("h2", "", "Introduction"));
  book.append(title, contents, preface, ...chapters);
  article.replaceChildren(book);
  document.body.replaceChildren(article);
  document.querySelectorAll(".headerlink, .copybtn, .toggle-button").forEach(e => e.remove());
  // Links within the book jump within the PDF; links to the site's files (the bundle)
  // would point at the print server, so they keep only their text.
  document.querySelectorAll("a[href]").forEach(a => {
    const href = a.getAttribute("href").replace(/^intro\.html#/, "#");
    if (href.startsWith("#") || /^[a-z]+:/i.test(href)) a.setAttribute("href", href);
    else a.replaceWith(...a.childNodes);
  });
}"""

PRINT_CSS = """
html { font-size: 10pt; }
/* Chromium prints blurred shadows as large images; :not(#_) outranks the theme's rules */
:not(#_) { box-shadow: none !important; }
body { margin: 0; background: white; }
article.bd-article { padding: 0; max-width: none; }
.title-page { height: 240mm; display: flex; flex-direction: column; justify-content: center;
              break-after: page; }
.title-page h1 { font-size: 30pt; margin-bottom: 4mm; }
.title-page .subtitle { font-size: 14pt; }
.title-page .author { margin-top: 30mm; font-size: 12pt; }
.title-page .versions, .title-page .built { color: #555; }
nav.contents { break-after: page; background: none; border: none; padding: 0; }
nav.contents h1 { font-size: 22pt; }
nav.contents h2 { font-size: 13pt; margin-top: 6mm; }
nav.contents li { font-size: 12pt; margin: 1.5mm 0; }
nav.contents a { text-decoration: none; color: inherit; }
section.chapter { break-before: page; }
section.chapter > :is(h2, h3) { font-size: 22pt; margin-bottom: 6mm; }
section.chapter > section > :is(h3, h4) { font-size: 15pt; }
section.chapter > section > section > :is(h4, h5) { font-size: 12pt; }
.chapter-number { margin-right: 0.6em; color: #777; }
h2, h3, h4 { break-after: avoid; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 8pt; }
figure, img, tr, .math.notranslate.nohighlight, .admonition { break-inside: avoid; }
img { max-width: 100%; }
table { font-size: 8pt; }
a { color: inherit; }
"""

FOOTER = ('<div style="font-size: 8pt; color: #666; width: 100%; text-align: center;">'
          '<span class="pageNumber"></span></div>')


def book_meta() -> dict:
    """Title, author, the parts of the table of contents and the versions of the book."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    packages = [("PyTorch", "torch"), ("TensorFlow", "tensorflow"), ("Keras", "keras"),
                ("NumPy", "numpy")]
    return {
        "title": config["title"],
        "subtitle": "Loss functions in PyTorch, TensorFlow/Keras and NumPy, checked "
                    "against each other",
        "author": config["author"],
        "versions": "Outputs computed with " + ", ".join(
            f"{name} {version(dist).split('+')[0]}" for name, dist in packages),
        "built": f"Built on {date.today().isoformat()}",
        "parts": [{"caption": part["caption"], "numbered": part["caption"] == "Chapters",
                   "files": [c["file"] for c in part["chapters"]]} for part in toc["parts"]],
    }


def book_page(single: Path) -> str:
    """Write ``book.html`` next to the single page: the same page without the theme's
    scripts (MathJax stays), rearranged into a book and styled for print by a script and a
    style sheet that run before MathJax typesets. Returns its name."""
    page = (single / "intro.html").read_text()
    page = re.sub(r'<script[^>]*src="(?![^"]*mathjax)[^"]*"[^>]*></script>', "", page)
    script = f"<script>({BOOK_JS})({json.dumps(book_meta())})</script>"
    head, body_end, tail = page.rpartition("</body>")
    page = f"{head}{script}<style>{PRINT_CSS}</style>{body_end}{tail}"
    (single / "book.html").write_text(page)
    return "book.html"


def print_pdf(single: Path, out: Path) -> None:
    """Print the single-page book in ``single`` (a ``singlehtml`` build) to ``out``."""
    from playwright.sync_api import sync_playwright

    name = book_page(single)
    outside: list[str] = []
    with serve(single) as base, sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(service_workers="block")

            def only_local(route):
                if route.request.url.startswith((base, "data:")):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", only_local)
            page = context.new_page()
            page.goto(base + name, wait_until="load")
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            page.evaluate("() => MathJax.startup.promise")
            # untagged: Chromium's structure tags made the PDF 22 MB instead of 7 MB and
            # took 7 s more; the HTML pages are the accessible form of the book
            page.pdf(path=str(out), format="A4", print_background=True, outline=True,
                     display_header_footer=True, header_template="<span></span>",
                     footer_template=FOOTER,
                     margin={"top": "18mm", "bottom": "20mm", "left": "17mm", "right": "17mm"})
        finally:
            browser.close()
    if outside:
        raise RuntimeError(f"the book requested files from outside 127.0.0.1: {outside}")


def build_single(out: Path = ROOT / "_build" / "single") -> Path:
    """Build the single-page book into ``out/_build/singlehtml``; returns that folder."""
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(ROOT), "--builder", "singlehtml", "-W", "-n",
                           "--keep-going", "--path-output", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"the singlehtml build failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return out / "_build" / "singlehtml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the built site (the PDF is written there)")
    parser.add_argument("single", type=Path, nargs="?",
                        help="a singlehtml build to print (default: build one)")
    args = parser.parse_args()
    if not ensure(CHROMIUM, "chromium"):
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    print_pdf(args.single or build_single(), args.html / PDF)
    print(f"wrote {args.html / PDF}")


if __name__ == "__main__":
    main()
