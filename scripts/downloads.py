"""What the site offers for download besides its pages, and where it is linked.

``make site`` writes both files to the site's root (``scripts/bundle.py``,
``scripts/book_pdf.py``). ``intro.md`` and ``running.md`` link them; this module is also
a Sphinx extension that adds them to the download menu of every page.
"""

from __future__ import annotations

#: Every chapter notebook, ``lossbook``, ``requirements.txt`` and a README, in one archive.
BUNDLE = "loss-functions-book.zip"
#: The whole book as one PDF.
PDF = "loss-functions-book.pdf"

#: The entries added to every page's download menu: (file, label, text, icon, tooltip).
MENU = [
    (BUNDLE, "bundle", "notebooks .zip", "fa-solid fa-file-zipper",
     "Download every notebook, lossbook and the pinned requirements"),
    (PDF, "book-pdf", "book .pdf", "fa-solid fa-book", "Download the whole book as a PDF"),
]


def add_to_download_menu(app, pagename, templatename, context, doctree) -> None:
    """Append the bundle and the PDF to sphinx-book-theme's download menu."""
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"] += [
                {"type": "link", "url": context["pathto"](name, 1), "text": text,
                 "icon": icon, "tooltip": tooltip, "label": f"download-{label}-button"}
                for name, label, text, icon, tooltip in MENU]


def setup(app) -> dict:
    # after the theme's add_header_buttons (priority 501), which builds the menu
    app.connect("html-page-context", add_to_download_menu, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
