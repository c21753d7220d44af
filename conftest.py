"""Root pytest configuration: the notebook kernels inherit this process's environment,
and import ``lossbook`` from this checkout (not from wherever it was pip-installed)."""

import os
from pathlib import Path

from lossbook.environment import apply_env

apply_env()
ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
