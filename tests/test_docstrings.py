"""Each reference documents itself like a framework's loss: numpydoc sections with the
formula as math, every parameter with its type and its true default, what it returns, the
gradient; and the section of the book that derives it exists (the API page links it)."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import lossbook as lb

ROOT = Path(__file__).resolve().parent.parent
SPECS = list(lb.REGISTRY.values())
SECTION = re.compile(r"^(\w[\w ]*)\n-+$", re.M)


def sections(doc: str) -> dict[str, str]:
    """The numpydoc sections of a docstring, by title (the summary under ``""``)."""
    doc = inspect.cleandoc(doc)
    parts = SECTION.split(doc)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def parameters(section: str) -> dict[str, str]:
    """``name : type`` lines of a Parameters section, one entry per name."""
    found = {}
    for line in section.splitlines():
        if line and not line[0].isspace():
            names, _, kind = line.partition(" : ")
            found.update({n.strip(): kind for n in names.split(",")})
    return found


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_reference_docstring_is_numpydoc(spec):
    found = sections(spec.reference.__doc__)
    assert {"Parameters", "Returns", "Gradient"} <= set(found), sorted(found)
    assert ".. math::" in found[""], "the formula as a display equation"
    documented = parameters(found["Parameters"])
    signature = inspect.signature(spec.reference.kernel).parameters
    assert list(documented) == list(signature), "every parameter, in signature order"
    for name, p in signature.items():
        if p.default is not inspect.Parameter.empty:
            assert f"default {p.default!r}" in documented[name], (name, documented[name])


def test_sections_are_parsed():
    doc = """Summary.

    Parameters
    ----------
    pred, target : array_like
        Text.
    delta : float, default 1.0
        Text.

    Gradient
    --------
    Text.
    """
    found = sections(doc)
    assert list(found) == ["", "Parameters", "Gradient"]
    assert parameters(found["Parameters"]) == {"pred": "array_like", "target": "array_like",
                                              "delta": "float, default 1.0"}


def labels(chapter: str) -> set[str]:
    """Labels that stand right above a heading in a chapter's markdown."""
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"^\(([\w-]+)\)=\n#+ ", text, re.M))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_deriving_section_is_in_the_chapter(spec):
    assert spec.section in labels(spec.chapter)
