"""The registry is the single source of truth: its names and defaults must be real."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest

import lossbook
import lossbook as lb
from lossbook import conventions
from lossbook.registry import resolve

ROOT = Path(__file__).resolve().parent.parent
APIS = [(s.key, fw, api) for s in lb.REGISTRY.values()
        for fw, api in (("torch", s.torch), ("keras", s.keras)) if api]


@pytest.mark.parametrize("key, framework, api", APIS, ids=[f"{k}-{f}" for k, f, _ in APIS])
def test_framework_name_exists_and_defaults_match(frameworks, key, framework, api):
    actual = api.actual_defaults()
    assert actual == api.defaults, f"{api.name}: registry says {api.defaults}, found {actual}"
    parameters = inspect.signature(resolve(api.name)).parameters
    assert set(api.params.values()) | set(api.fixed) <= set(parameters), api.name


OTHER_APIS = sorted({(key, name) for s in lb.REGISTRY.values()
                     for key, name in s.others.items() if name.startswith("tf.")})


@pytest.mark.parametrize("column, text", OTHER_APIS)
def test_tensorflow_names_in_the_conventions_table_exist(frameworks, column, text):
    """TF1 and tf.nn names are text in the registry: each dotted name must resolve."""
    for name in re.findall(r"\btf\.[\w.]+\w", text):
        assert callable(resolve(name.replace("tf.", "tensorflow.", 1))), name


def test_every_other_framework_key_has_a_column():
    known = {k for keys in conventions.COLUMNS.values() for k in keys}
    assert {k for s in lb.REGISTRY.values() for k in s.others} <= known


def test_every_reference_is_registered_once():
    modules = [importlib.import_module(f"lossbook.{m.name}")
               for m in pkgutil.iter_modules(lossbook.__path__)]
    references = {name for m in modules for name, obj in vars(m).items()
                  if isinstance(obj, lb.Reference)}
    assert references
    registered = [s.reference.__name__ for s in lb.REGISTRY.values()]
    assert sorted(registered) == sorted(set(registered))
    assert references <= set(registered)
    assert all(s.key == s.reference.__name__ for s in lb.REGISTRY.values())


@pytest.mark.parametrize("spec", lb.REGISTRY.values(), ids=lambda s: s.key)
def test_chapter_uses_reference_and_framework_calls(spec):
    """Each registered loss appears in its chapter: the reference and the real framework API."""
    nb = json.loads((ROOT / "chapters" / f"{spec.chapter}.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert f"lb.{spec.key}" in code
    for api in (spec.torch, spec.keras):
        if api:
            assert api.name.rsplit(".", 1)[1] in code, f"{api.name} is not called in the chapter"


def test_api_page_documents_every_reference():
    api = (ROOT / "api.md").read_text()
    for spec in lb.REGISTRY.values():
        module = spec.reference.__module__
        assert f".. autofunction:: {module}.{spec.key}\n" in api, f"{spec.key} not in api.md"
