"""The registry is the single source of truth: its names and defaults must be real."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from pathlib import Path

import pytest

import lossbook
import lossbook as lb
from lossbook.registry import resolve

ROOT = Path(__file__).resolve().parent.parent
APIS = [(s.key, fw, api) for s in lb.REGISTRY.values()
        for fw, api in (("torch", s.torch), ("keras", s.keras)) if api]


@pytest.mark.parametrize("key, framework, api", APIS, ids=[f"{k}-{f}" for k, f, _ in APIS])
def test_framework_name_exists_and_defaults_match(frameworks, key, framework, api):
    obj = resolve(api.name)
    signature = inspect.signature(obj)
    actual = {name: p.default for name, p in signature.parameters.items()
              if name in api.defaults}
    assert actual == api.defaults, f"{api.name}: registry says {api.defaults}, found {actual}"
    assert set(api.params.values()) <= set(signature.parameters), api.name


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
