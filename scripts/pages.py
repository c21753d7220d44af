"""What each page of the built site weighs (used by ``benchmark.py`` and the site test)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def page_weights(html: Path = ROOT / "_build" / "html") -> dict[str, int]:
    """Bytes each page loads from the site: its HTML plus the scripts, style sheets and
    images it references (fonts that style sheets load on demand are not counted)."""
    weights = {}
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        text = page.read_text(errors="replace")
        refs = set(re.findall(r'<(?:script|img)[^>]*\ssrc="([^"#?]+)', text))
        refs |= set(re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"#?]+)', text))
        files = {(page.parent / r).resolve() for r in refs if "://" not in r}
        weights[str(page.relative_to(html))] = page.stat().st_size + sum(
            f.stat().st_size for f in files if f.is_file())
    return weights
