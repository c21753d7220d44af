"""Regenerate the stored outputs of the chapter notebooks (the only way outputs are made).

    python scripts/run_notebooks.py                 # every chapter
    python scripts/run_notebooks.py chapters/02_regression.ipynb

Each notebook runs top to bottom in a fresh kernel of this interpreter with the test
suite's environment (``lossbook.environment.ENV``), with C-level output kept out of the
notebook (``--IPKernelApp.capture_fd_output=False``, as under nbval), no timing metadata
and consecutive pieces of a stream joined, then is written back in place. A figure whose
cell metadata names a file (``"lossbook": {"export": "figures/x.png"}``) is also written
there, so pages outside the chapters (the landing page) show a figure a chapter computed.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lossbook.environment import apply_env  # noqa: E402

KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]


def merge_streams(outputs: list) -> list:
    """Join consecutive pieces of one stream: how a stream is split depends on timing."""
    merged = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.output_type == "stream" and last is not None
                and last.output_type == "stream" and last.name == out.name):
            last.text += out.text
        else:
            merged.append(out)
    return merged


def export_figures(nb: nbformat.NotebookNode) -> None:
    """Write the PNG of every cell that names an export file (relative to the root)."""
    for cell in nb.cells:
        target = cell.metadata.get("lossbook", {}).get("export")
        if target:
            png = next(o.data["image/png"] for o in cell.outputs
                       if "image/png" in o.get("data", {}))
            (ROOT / target).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / target).write_bytes(base64.b64decode(png))


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel started in ``cwd``, as stored outputs are
    made (the kernel inherits this process's environment)."""
    client = NotebookClient(
        nb, timeout=1200, kernel_name="python3", record_timing=False,
        extra_arguments=KERNEL_ARGS, resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    return nb


def run(path: Path) -> str:
    nb = execute(nbformat.read(path, as_version=4), path.parent)
    nbformat.write(nb, path)
    export_figures(nb)
    return path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    apply_env()
    os.environ["PYTHONPATH"] = str(ROOT)
    with ThreadPoolExecutor(args.jobs) as pool:
        for name in pool.map(run, paths):
            print(f"executed {name}")


if __name__ == "__main__":
    main()
