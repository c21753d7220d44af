"""Sphinx tweaks of the book's site (loaded through ``sphinx.local_extensions``).

- MathJax only on pages with math: Sphinx also loads it on a page whose toctree contains
  pages with math (the landing page), about 0.75 MB for nothing.
- Bibliography labels in the same author-year style as the citations in the text:
  "[Huber, 1964]" in both places (pybtex's default labels read "[Hub64]").
- The theme's icon font cut down to the icons the site shows (a few kB instead of the
  156 kB that every page loaded); ``_static/lossbook.css`` points the font at it.
"""

from __future__ import annotations

import re
from pathlib import Path

from fontTools.subset import Subsetter
from fontTools.ttLib import TTFont
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def author_year(entry) -> str:
    """``Huber, 1964``, ``Crammer and Singer, 2001``, ``Lin et al., 2017``."""
    names = [Text.from_latex(" ".join(p.last_names)).render_as("text")
             for p in entry.persons.get("author") or entry.persons["editor"]]
    who = " and ".join(names) if len(names) <= 2 else f"{names[0]} et al."
    return f"{who}, {entry.fields['year']}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        return (author_year(entry) for entry in sorted_entries)


class AuthorYearStyle(UnsrtStyle):
    """pybtex's unsrt entries with author-year labels, sorted by author and year."""

    default_label_style = "lossbook-author-year"
    default_sorting_style = "author_year_title"


def drop_mathjax_without_math(app, pagename, templatename, context, doctree) -> None:
    """Remove MathJax and its configuration from a page that has no math of its own
    (unless assets go on every page, as in a single-page build)."""
    if (app.registry.html_assets_policy == "always"
            or app.env.get_domain("math").data["has_equations"].get(pagename)):
        return
    context["script_files"][:] = [
        js for js in context["script_files"]
        if not str(js.filename).endswith(app.config.mathjax_path)
        and not js.attributes.get("body", "").startswith("window.MathJax")]


#: The theme's Font Awesome solid font, and the subset written next to it.
ICON_FONT = "_static/vendor/fontawesome/webfonts/fa-solid-900.ttf"
ICON_SUBSET = "_static/fa-solid-900-subset.woff"
#: Font Awesome's rules, ``.fa-bars:before,.fa-navicon:before{content:"\f0c9"}``.
ICON_RULE = re.compile(r'((?:\.fa-[\w-]+:before,?)+)\{content:"(\\\w+|.)"\}')


def used_icons(outdir: Path) -> set[int]:
    """Code points of the icons the built pages use: Font Awesome classes in the HTML,
    and the icons the style sheets draw themselves (admonitions, navigation)."""
    css = "\n".join(p.read_text() for p in (outdir / "_static").rglob("*.css"))
    html = "\n".join(p.read_text(errors="replace") for p in outdir.rglob("*.html"))
    code = {}
    for selectors, char in ICON_RULE.findall(css):
        for name in re.findall(r"\.(fa-[\w-]+):before", selectors):
            code[name] = int(char[1:], 16) if char.startswith("\\") else ord(char)
    used = {code[name] for name in set(re.findall(r"\bfa-[\w-]+", html)) if name in code}
    rest = ICON_RULE.sub("", css)
    used |= {int(c, 16) for c in re.findall(r'"\\([ef][0-9a-f]{3})"', rest)}
    used |= {ord(c) for c in re.findall("[\ue000-\uf8ff]", rest)}
    return used


def subset_icon_font(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    font = TTFont(outdir / ICON_FONT)
    subsetter = Subsetter()
    subsetter.populate(unicodes=used_icons(outdir))
    subsetter.subset(font)
    font.flavor = "woff"
    font.save(outdir / ICON_SUBSET)


def setup(app):
    register_plugin("pybtex.style.labels", "lossbook-author-year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "lossbook-author-year", AuthorYearStyle)
    app.connect("html-page-context", drop_mathjax_without_math, priority=900)
    app.connect("build-finished", subset_icon_font)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
