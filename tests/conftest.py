import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings

import lossbook as lb

ROOT = Path(__file__).resolve().parent.parent
#: Where the tests' ``make site`` writes (its ``SITE_OUT``).
SITE_OUT = ROOT / "_build" / "test-site"


class MadeSite(NamedTuple):
    html: Path  # the HTML site (with the bundle and the PDF)
    returncode: int
    log: str  # make's stdout and stderr

# Hypothesis: reproducible in CI (a fixed search, the same examples on every run), a new
# random search on every local run.  Failing examples are printed so that they can be
# pasted into an @example.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("local", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "local")


#: The modules that take longest (a minute or more of one worker), in the order they start:
#: ``make site`` (for the downloads, then the site tests) while the other worker compares
#: the frameworks.
LONGEST = ["test_downloads.py", "test_references_vs_frameworks.py", "test_site.py",
           "test_ctc.py", "test_lab.py", "test_accuracy.py"]


def pytest_collection_modifyitems(items):
    """The order in which xdist hands out modules (``--dist loadscope
    --no-loadscope-reorder`` keeps it): the longest first, then the chapters, then the
    short unit tests, so that the two workers finish together.  The sort is stable: the
    cells of a notebook keep their order."""
    def rank(item) -> int:
        if item.path.name in LONGEST:
            return LONGEST.index(item.path.name)
        return len(LONGEST) + (item.path.suffix != ".ipynb")
    items.sort(key=rank)


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true",
                     help="the browser test saves full-page screenshots of every page of "
                          "the table of contents, at both widths, in _build/screenshots/")


@pytest.fixture(scope="session")
def made_site() -> MadeSite:
    """``make site`` (``-W -n --keep-going``; the site, the bundle and the PDF) into an
    emptied :data:`SITE_OUT`, once per test run: the site and download tests are spread over
    the xdist workers, and the first to get here builds while the others wait and reuse its
    result (a rebuild would not repeat the warnings)."""
    ROOT.joinpath("_build").mkdir(exist_ok=True)
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    done = ROOT / "_build" / "test-site.json"
    with open(ROOT / "_build" / "test-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run and done.exists() and json.loads(done.read_text())["run"] == run):
            shutil.rmtree(SITE_OUT, ignore_errors=True)
            proc = subprocess.run(["make", "-o", ".venv/.installed", "site",
                                   f"SITE_OUT={SITE_OUT}"],
                                  cwd=ROOT, capture_output=True, text=True)
            done.write_text(json.dumps({"run": run, "returncode": proc.returncode,
                                        "log": proc.stdout + proc.stderr}))
        result = json.loads(done.read_text())
    return MadeSite(SITE_OUT / "_build" / "html", result["returncode"], result["log"])


@pytest.fixture(scope="session")
def frameworks():
    """PyTorch and Keras, set up exactly as in the notebooks."""
    lb.setup()
    import keras
    import torch

    return torch, keras


@pytest.fixture(scope="session")
def optax():
    """optax, with JAX in float64 on the CPU as in the notebooks (``lb.setup()`` first)."""
    lb.setup()
    import optax

    return optax
