"""Sphinx tweaks of the book's site (loaded through ``sphinx.local_extensions``).

- MathJax only on pages with math: Sphinx also loads it on a page whose toctree contains
  pages with math (the landing page), about 0.75 MB for nothing.
- Bibliography labels in the same author-year style as the citations in the text:
  "[Huber, 1964]" in both places (pybtex's default labels read "[Hub64]").
"""

from __future__ import annotations

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
    """Remove MathJax and its configuration from a page that has no math of its own."""
    if app.env.get_domain("math").data["has_equations"].get(pagename):
        return
    context["script_files"][:] = [
        js for js in context["script_files"]
        if not str(js.filename).endswith(app.config.mathjax_path)
        and not js.attributes.get("body", "").startswith("window.MathJax")]


def setup(app):
    register_plugin("pybtex.style.labels", "lossbook-author-year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "lossbook-author-year", AuthorYearStyle)
    app.connect("html-page-context", drop_mathjax_without_math, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
