"""Notebook hygiene: what nbval cannot see (or silently skips) is checked here."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
#: Chapters that are text only (a decision guide): no code, hence no checks or figures.
PROSE = {"12_choosing_a_loss"}
CODE_CHAPTERS = [p for p in CHAPTERS if p.stem not in PROSE]

FORBIDDEN_OUTPUT = {
    "raw tensor repr": r"\btensor\(|tf\.Tensor\(|<tf\.Variable|Parameter containing",
    "NumPy scalar repr": r"np\.(float|int)\d+\(",
    "memory address": r"0x[0-9a-fA-F]{6,}",
    "temporary or installation path": r"/tmp/|site-packages|/root/|/home/",
    "warning": r"Warning|WARNING|warn\(",
    "device": r"device=|cuda:\d",
    "traceback": r"Traceback \(most recent call last\)",
}


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def texts(output) -> list[str]:
    if output.output_type == "stream":
        return [output.text]
    return [v for k, v in output.get("data", {}).items() if k.startswith("text/")]


def test_every_chapter_is_in_the_toc_and_back():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]
             if c["file"].startswith("chapters/")}
    assert files == {f"chapters/{p.stem}" for p in CHAPTERS}
    assert len(CHAPTERS) >= 2


@pytest.mark.parametrize("path", CODE_CHAPTERS, ids=lambda p: p.stem)
class TestChapter:
    def test_executed_top_to_bottom(self, path):
        code = [c for c in load(path).cells if c.cell_type == "code"]
        assert len(code) >= 10, "a chapter has real content"
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
        assert all(c.source.strip() for c in code), "no empty code cells"

    def test_no_trailing_semicolons(self, path):
        for cell in load(path).cells:
            if cell.cell_type == "code":
                bad = [line for line in cell.source.splitlines() if line.rstrip().endswith(";")]
                assert not bad, f"trailing ';' (ignored by nbval): {bad}"

    def test_outputs_are_clean(self, path):
        for i, cell in enumerate(load(path).cells):
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"cell {i} stored an error"
                assert not (out.output_type == "stream" and out.name == "stderr"), \
                    f"cell {i} wrote to stderr: {out.text[:200]!r}"
                for text in texts(out):
                    for what, pattern in FORBIDDEN_OUTPUT.items():
                        assert not re.search(pattern, text), f"cell {i} output has a {what}"

    def test_structure(self, path):
        nb = load(path)
        first = nb.cells[0]
        assert first.cell_type == "markdown"
        h1 = [c for c in nb.cells if c.cell_type == "markdown"
              for line in c.source.splitlines() if line.startswith("# ")]
        assert len(h1) == 1, "exactly one title"
        setup = next(c for c in nb.cells if c.cell_type == "code").source
        assert "lb.setup()" in setup, "the first code cell calls lb.setup()"
        assert "tensorflow" not in setup[:setup.index("lb.setup()")], "TF after lb.setup()"
        assert nb.metadata.kernelspec.name == "python3"
        assert not any("execution" in c.metadata for c in nb.cells), "no timing metadata"

    def test_checks_implementations_and_plots(self, path):
        nb = load(path)
        outputs = [t for c in nb.cells for o in c.get("outputs", []) for t in texts(o)]
        assert sum("✓ all" in t and "agree on" in t for t in outputs) >= 3, "agreement checks ran"
        images = [o for c in nb.cells for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {})]
        assert images, "at least one figure"
        for c in nb.cells:
            if any("image/png" in o.get("data", {}) for o in c.get("outputs", [])):
                assert c.source.rstrip().endswith("plt.show()")
                figure = c.metadata.get("mystnb", {})
                assert figure.get("figure", {}).get("caption"), "every figure has a caption"
                assert figure.get("figure", {}).get("name"), "every figure has a label"
                assert figure.get("image", {}).get("alt"), "every figure has alt text"


@pytest.mark.parametrize("stem", sorted(PROSE))
def test_prose_chapter_is_text_with_links(stem):
    nb = load(ROOT / "chapters" / f"{stem}.ipynb")
    assert all(c.cell_type == "markdown" for c in nb.cells), "a prose chapter has no code"
    text = "\n".join(c.source for c in nb.cells)
    assert sum(line.startswith("# ") for line in text.splitlines()) == 1, "one title"
    assert len(text) >= 4000, "a real guide, not a stub"
    assert len(re.findall(r"\]\(\d\d_\w+\.ipynb#[\w-]+\)", text)) >= 10, "links to sections"
