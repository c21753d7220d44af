"""Benchmark the test suite, the site build and the references (not a test: it reports).

    python scripts/benchmark.py            # everything (about 11 minutes on 2 cores)
    python scripts/benchmark.py --only refs
    python scripts/benchmark.py --only suite --first-cell "import jax, optax"

Reports wall times of ``make test``'s pytest, the unit tests, nbval and the site build
(clean and with nothing changed), each with the CPU time the machine was busy meanwhile
(half of it, on 2 cores, is the least wall time any scheduling can reach), nbval against
its floor, the time of each reference on a large batch, and the weight of every page of
the built site as the browser receives it (``--only pages`` needs a built site and
Chromium).
nbval's floor is the same nbval run over notebooks that contain only each chapter's
first code cell (kernel start + imports + ``lb.setup()``), with the same workers.
``--first-cell CODE`` appends CODE to every chapter's first code cell (in copies) before
nbval and its floor run: the cost of an import the chapters do not have yet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lossbook as lb  # noqa: E402
from lossbook.inputs import same_shape  # noqa: E402
from scripts.pages import page_weights  # noqa: E402

BIN = Path(sys.executable).parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
          "--dist", "loadscope", "--no-loadscope-reorder"]
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval.cfg"]


def busy_cpu() -> float:
    """Seconds all CPUs have been busy since boot (Linux's /proc/stat: user, nice, system,
    irq, softirq, steal): every process's time, also that of Chromium's renderers, which
    getrusage misses (the run that starts Chromium does not wait for them)."""
    ticks = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, ticks[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # CPU seconds of the whole machine meanwhile (all cores)


def timed(cmd: list[str], cwd: Path = ROOT) -> Timing:
    start, busy = time.perf_counter(), busy_cpu()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    took = Timing(time.perf_counter() - start, busy_cpu() - busy)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return took


def copy_chapters(into: Path, first_cell: str = "", floor: bool = False) -> list[Path]:
    """Copies of the chapters with code, ``first_cell`` appended to their first code cell;
    with ``floor``, only that cell (the imports and setup) is kept."""
    paths = []
    for chapter in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(chapter, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if not code:  # a prose chapter: nbval has nothing to run
            continue
        if first_cell:
            code[0].source += "\n" + first_cell
        if floor:
            nb.cells = code[:1]
        paths.append(into / chapter.name)
        nbformat.write(nb, paths[-1])
    return paths


def nbval_copies(first_cell: str, floor: bool) -> tuple[Timing, int]:
    """nbval's time over copies of the chapters (see :func:`copy_chapters`), and how many."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "conftest.py", tmp)
        n = len(copy_chapters(Path(tmp), first_cell, floor))
        sanitize = ["--nbval-sanitize-with", str(ROOT / "tests" / "nbval.cfg")]
        return timed(PYTEST + ["--nbval", "--nbval-current-env", *sanitize, "-c",
                               "/dev/null", "--rootdir", tmp, tmp], cwd=Path(tmp)), n


def row(what: str, took: Timing, note: str = "") -> list[str]:
    cpu = f"CPU {took.cpu:.0f} s ({took.cpu / took.wall:.2f} cores busy)"
    return [what, f"{took.wall:.1f} s", f"{note}; {cpu}" if note else cpu]


def bench_suite(first_cell: str = "") -> list[list[str]]:
    """The whole of ``make test``'s pytest, its unit and hygiene tests, nbval against its
    floor, and the HTML build; each with the CPU time it kept the machine busy, whose
    half is the least wall time two cores can reach."""
    rows = [row("make test's pytest (tests, chapters)",
                timed(PYTEST + NBVAL + ["tests", "chapters"])),
            row("unit + hygiene tests", timed(PYTEST + ["tests", "--ignore=tests/test_site.py"]))]
    if first_cell:
        nbval, _ = nbval_copies(first_cell, floor=False)
    else:
        nbval = timed(PYTEST + NBVAL + ["chapters"])
    floor, n = nbval_copies(first_cell, floor=True)
    extra = f", first cells + {first_cell!r}" if first_cell else ""
    rows.append(row(f"nbval (chapters{extra})", nbval,
                    f"{nbval.wall / floor.wall:.2f} x floor"))
    rows.append(row(f"nbval floor ({n} notebooks with code, first cells only)", floor))
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    build = [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    rows.append(row("site build, clean", timed(build)))
    rows.append(row("site build, nothing changed", timed(build)))
    return rows


def bench_site() -> list[list[str]]:
    """``make site`` from a clean ``_build/`` (the HTML and single-page builds side by side,
    the bundle, the PDF printed from the single page), then the PDF's print step again on
    its own."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    total = timed(["make", "-o", ".venv/.installed", "site"])
    single = ROOT / "_build" / "single" / "_build" / "singlehtml"
    printing = timed([sys.executable, "scripts/book_pdf.py", "_build/html", str(single)])
    return [row("make site, clean (HTML, bundle, PDF)", total, "<= 45 s"),
            row("  of which printing the PDF (run again)", printing,
                "Chromium: load, MathJax, print")]


def bench_pages() -> list[list[str]]:
    return [[f"page {name}", f"{size / 1e6:.2f} MB", "every response, as Chromium receives it"]
            for name, size in page_weights().items()]


def reference_inputs(n: int = 100_000) -> dict[str, tuple]:
    """``(pred, target, params)`` of about ``n`` numbers for the references benchmarked:
    every element-wise loss, and one or two of each other family."""
    g = lb.rng(0)
    samples, classes = n // 100, 100
    logits = g.normal(size=(samples, classes))
    labels = g.integers(0, classes, samples)
    probs = lb.softmax(g.normal(size=(samples, classes)))
    x, y01 = g.normal(size=n), g.integers(0, 2, n).astype(float)
    inputs = {key: (np.abs(g.normal(size=n)), np.abs(g.normal(size=n)), {})
              for key, spec in lb.REGISTRY.items() if spec.reference.inputs is same_shape}
    inputs.update({
        "cross_entropy": (logits, labels, {}),
        "categorical_cross_entropy": (logits, probs, {}),
        "binary_cross_entropy": (lb.sigmoid(x), y01, {}),
        "bce_with_logits": (x, y01, {}),
        "focal": (x, y01, {}),
        "hinge": (x, 2 * y01 - 1, {}),
        "multi_margin": (logits, labels, {}),
        "kl_div": (np.log(probs), lb.softmax(logits), {}),
        "ctc": (lb.log_softmax(g.normal(size=(16, 50, 20))), g.integers(1, 20, (16, 12)), {}),
    })
    return inputs


def bench_references(repeat: int = 5) -> list[list[str]]:
    rows = []
    for key, (pred, target, params) in reference_inputs().items():
        ref = lb.REGISTRY[key].reference
        best = min(_time(ref.value_and_grad, pred, target, **params) for _ in range(repeat))
        rows.append([f"lossbook.{key} value+grad", f"{best * 1e3:.2f} ms",
                     f"pred {pred.shape}, best of {repeat}"])
    return rows


def _time(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["suite", "site", "refs", "pages"])
    parser.add_argument("--first-cell", default="", metavar="CODE",
                        help="code appended to each chapter's first code cell")
    args = parser.parse_args()
    rows = []
    if args.only in (None, "suite"):
        rows += bench_suite(args.first_cell)
    if args.only in (None, "site"):
        rows += bench_site()
    if args.only in (None, "refs"):
        rows += bench_references()
    if args.only in (None, "pages"):
        rows += bench_pages()
    print(lb.table(rows, ["what", "result", "note"]))


if __name__ == "__main__":
    main()
