import os

import pytest
from hypothesis import settings

import lossbook as lb

# Hypothesis: reproducible in CI (a fixed search, the same examples on every run), a new
# random search on every local run.  Failing examples are printed so that they can be
# pasted into an @example.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("local", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "local")


#: The modules that take longest (a minute or more of one worker), in that order.
LONGEST = ["test_downloads.py", "test_site.py", "test_references_vs_frameworks.py",
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
