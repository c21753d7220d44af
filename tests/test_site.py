"""The book builds from stored outputs with zero warnings, and every chapter page renders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_formulas_and_figures(build, chapter):
    page = (HTML / "chapters" / f"{chapter}.html").read_text()
    assert page.count('class="math') >= 3, "formulas are rendered as math nodes"
    assert "$$" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert images, "figures are in the page"
    for src in images:
        if not src.startswith(("http", "data:")):
            assert (HTML / "chapters" / src).resolve().is_file(), src
    assert f"{chapter}.ipynb" in page, "download-notebook link"
