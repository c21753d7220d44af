"""Sphinx extension: the single-page build (the PDF's source) renders every node the
HTML build renders.

Sphinx looks up node handlers by builder name first and falls back to the format
("html") only when that name has none. sphinx-exercise registers handlers for
``singlehtml``, so without this every other extension's HTML handlers (myst-nb's hidden
cells, sphinx-jupyterbook-latex's toctree marker) would be missing from that build.
"""

from __future__ import annotations


def merge_html_handlers(app) -> None:
    handlers = app.registry.translation_handlers
    if "singlehtml" in handlers:
        handlers["singlehtml"] = {**handlers.get("html", {}), **handlers["singlehtml"]}


def setup(app):
    app.connect("builder-inited", merge_html_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
