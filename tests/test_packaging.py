"""lossbook's package metadata: its dependencies are exactly what it imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Imported inside functions only, and not dependencies: the frameworks a chapter teaches
#: (the reader installs them, ``requirements.txt`` pins them), IPython and its inline
#: backend, which every notebook kernel has (``lb.show``, ``lb.glue``, figures in
#: ``lb.setup()``).
NOT_DEPENDENCIES = {"torch", "tensorflow", "keras", "jax", "optax", "IPython",
                    "matplotlib_inline"}


def third_party_imports() -> tuple[set[str], set[str]]:
    """Top-level names of the modules lossbook imports from outside the standard library:
    (at module level, inside functions)."""
    module_level, inside = set(), set()
    for path in sorted((ROOT / "lossbook").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in {n.partition(".")[0] for n in names} - {"lossbook", "__future__"}:
                if name not in sys.stdlib_module_names:
                    (module_level if node in tree.body else inside).add(name)
    return module_level, inside


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~;\[ ]", dep)[0].lower() for dep in project["dependencies"]}


def test_dependencies_are_what_lossbook_imports():
    module_level, inside = third_party_imports()
    assert "numpy" in module_level, "the scan finds imports"
    assert not module_level & NOT_DEPENDENCIES, "frameworks are imported lazily"
    distributions = packages_distributions()
    needed = {distributions[name][0].lower() for name in (module_level | inside)
              - NOT_DEPENDENCIES}
    assert declared() == needed
