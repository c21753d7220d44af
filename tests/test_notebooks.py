"""Notebook hygiene: what nbval cannot see (or silently skips) is checked here."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from downloads import BUNDLE  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
#: Chapters whose overview is a table generated from the registry, not a figure.
TABLES = {"10_conventions"}

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


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
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

    def test_first_cell_says_how_to_get_lossbook(self, path):
        """Where lossbook is missing (a notebook downloaded on its own), the first cell
        fails with one sentence naming the bundle and pip, not "No module named ..."."""
        setup = next(c for c in load(path).cells if c.cell_type == "code").source
        guard = setup[:setup.index("lb.setup()")]
        # -I -S: no PYTHONPATH, no current folder, no site-packages, hence no lossbook
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", guard], capture_output=True,
                              text=True, cwd=path.parent)
        error = proc.stderr.strip().splitlines()[-1]
        page = re.search(r"^# (.+)$", (ROOT / "running.md").read_text(), re.M)[1]
        assert error.startswith("ModuleNotFoundError: This notebook needs lossbook"), error
        assert f"pip install {BUNDLE}" in error and f"'{page}'" in error, error

    def test_checks_implementations_and_plots(self, path):
        nb = load(path)
        outputs = [t for c in nb.cells for o in c.get("outputs", []) for t in texts(o)]
        assert sum("✓ all" in t and "agree on" in t for t in outputs) >= 3, "agreement checks ran"
        images = [o for c in nb.cells for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {})]
        assert images or path.stem in TABLES, "at least one figure"
        for c in nb.cells:
            if any("image/png" in o.get("data", {}) for o in c.get("outputs", [])):
                assert c.source.rstrip().endswith("plt.show()")
                figure = c.metadata.get("mystnb", {})
                assert figure.get("figure", {}).get("caption"), "every figure has a caption"
                assert figure.get("figure", {}).get("name"), "every figure has a label"
                assert figure.get("image", {}).get("alt"), "every figure has alt text"


# --- prose never re-types a computed number --------------------------------------------

DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")
#: Markdown that is not a claim about an output: display math, code, roles, link targets.
NOT_PROSE = [r"\$\$.*?\$\$", r"```.*?```", r"\{[\w:-]+\}`[^`]*`", r"`[^`]*`", r"\]\([^)]*\)"]
#: Hand-typed numbers that may stay, as (chapter, number).
ALLOWED: set[tuple[str, str]] = set()


def typed_numbers(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """Decimal numbers in the prose that a cell prints, as (cell, typed, printed).

    A number that also appears in a code cell's source is an input or a parameter
    (``delta=1.0``), not a result, and is not reported.  A typed number matches a printed
    one when the printed number, rounded to the typed number's decimals, equals it.
    """
    printed, inputs = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            inputs.update(DECIMAL.findall(cell.source))
            for out in cell.get("outputs", []):
                for text in texts(out):
                    printed.update(DECIMAL.findall(text))
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        prose = cell.source
        for pattern in NOT_PROSE:
            prose = re.sub(pattern, " ", prose, flags=re.S)
        for typed in DECIMAL.findall(prose):
            if typed in inputs:
                continue
            k = len(typed.partition(".")[2])
            match = next((p for p in sorted(printed) if len(p.partition(".")[2]) >= k
                          and round(float(p), k) == float(typed)), None)
            if match is not None:
                found.append((i, typed, match))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_prose_does_not_retype_printed_numbers(path):
    """Numbers in sentences come from the computation (myst-nb glue), not from the keyboard."""
    found = [f for f in typed_numbers(load(path))
             if (path.stem, f[1]) not in ALLOWED]
    assert not found, "glue these numbers instead of typing them: " + "; ".join(
        f"cell {i}: {typed} (printed {printed})" for i, typed, printed in found)


def test_retyped_numbers_are_found():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("print(x)", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="loss 0.767500, slope 2.5\n")]),
        nbformat.v4.new_code_cell("delta = 2.5"),
        nbformat.v4.new_markdown_cell("The loss is 0.7675 ($0.77$ rounded); `0.7675` is "
                                      "code; $$0.7675$$ is display math; delta is 2.5."),
    ])
    assert typed_numbers(nb) == [(2, "0.7675", "0.767500"), (2, "0.77", "0.767500")]


def test_decision_guide_links_to_sections():
    """Chapter 12's decision table sends the reader to the sections that derive each loss."""
    nb = load(ROOT / "chapters" / "12_choosing_a_loss.ipynb")
    table = next(c.source for c in nb.cells if c.cell_type == "markdown"
                 and "## The decision table" in c.source)
    rows = [line for line in table.splitlines() if line.startswith("| **")]
    assert len(rows) >= 15, "a row per common task"
    assert all(re.search(r"\]\((\d\d_\w+\.ipynb)?#[\w-]+\)", row) for row in rows), \
        "every row links to a section"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(re.findall(r"\]\(\d\d_\w+\.ipynb#[\w-]+\)", text)) >= 30, \
        "links to the sections of the other chapters"


def exported_figures() -> list[tuple[str, str, bytes]]:
    """(chapter, file, PNG stored in the chapter) for every figure a cell exports."""
    found = []
    for path in CHAPTERS:
        for cell in load(path).cells:
            target = cell.metadata.get("lossbook", {}).get("export")
            if target:
                png = [o.data["image/png"] for o in cell.get("outputs", [])
                       if "image/png" in o.get("data", {})]
                assert len(png) == 1, f"{path.stem}: an exporting cell shows one figure"
                found.append((path.stem, target, base64.b64decode(png[0])))
    return found


def test_exported_figures_are_the_chapters_outputs():
    """Figures used outside the chapters (the landing page) are the chapters' own outputs,
    written by scripts/run_notebooks.py; a stale copy fails here."""
    found = exported_figures()
    assert found, "the landing page's figure comes from a chapter"
    for stem, target, png in found:
        assert (ROOT / target).read_bytes() == png, f"{target} differs from {stem}'s output"
    landing = (ROOT / "intro.md").read_text()
    assert all(target in landing for _, target, _ in found), "the landing page shows them"


# --- exercises ---------------------------------------------------------------------------

EXERCISE = re.compile(r"^```+\{exercise\}[^\n]*\n:label: ([\w-]+)", re.M)
SOLUTION = re.compile(r"^```+\{solution-start\} ([\w-]+)", re.M)
#: Chapters 01-11 close with exercises; chapter 12 is the decision guide.
EXERCISE_CHAPTERS = [p for p in CHAPTERS if p.stem < "12"]


def exercises(nb: nbformat.NotebookNode) -> tuple[list[str], list[str], int]:
    """Exercise labels, solution labels, and how many cells lie inside solutions."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    inside, depth = 0, 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            depth += len(SOLUTION.findall(cell.source))
            depth -= len(re.findall(r"^```+\{solution-end\}", cell.source, re.M))
        elif depth:
            inside += 1
    assert depth == 0, "every {solution-start} has its {solution-end}"
    return EXERCISE.findall(text), SOLUTION.findall(text), inside


@pytest.mark.parametrize("path", EXERCISE_CHAPTERS, ids=lambda p: p.stem)
def test_chapter_closes_with_exercises_and_solutions(path):
    nb = load(path)
    found, solved, _ = exercises(nb)
    assert 3 <= len(found) <= 5, f"3 to 5 exercises, got {len(found)}"
    assert solved == found, "one solution per exercise, in order"
    assert all(label.startswith("ex-") for label in found)
    heading = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
               and re.search(r"^## Exercises$", c.source, re.M)]
    assert heading, "an Exercises section"


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for p in EXERCISE_CHAPTERS for label in exercises(load(p))[0]]
    assert len(labels) == len(set(labels))


def test_exercises_are_parsed():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Exercises\n\n```{exercise}\n:label: ex-a\n\nDo.\n```"
                                      "\n\n````{solution-start} ex-a\n:class: dropdown\n````"),
        nbformat.v4.new_code_cell("print(1)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
    ])
    assert exercises(nb) == (["ex-a"], ["ex-a"], 1)
