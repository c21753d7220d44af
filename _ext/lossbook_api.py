"""Numpydoc docstrings on the API page, and the generated part of each loss's entry.

A docstring with a numpydoc ``Parameters`` section (every reference's) is rendered by
napoleon's ``NumpyDocstring`` here, not by enabling ``sphinx.ext.napoleon`` for every
docstring (it would read the other modules' ``#: text: more`` comments as types).
A reference's own docstring states the loss: its formula, parameters with types,
defaults and shapes, what it returns, and its gradient.  What every reference shares and
what the registry knows is added here, so it is written once: the ``reduction`` and
``weight`` parameters, the framework APIs that compute the loss (with their defaults and
how they differ from the reference), and the section of the book that derives it.
"""

from __future__ import annotations

from sphinx.ext.napoleon import Config
from sphinx.ext.napoleon.docstring import NumpyDocstring

import lossbook as lb
from lossbook.spec import Api, LossSpec

#: The parameters every reference takes besides its own (numpydoc lines).
COMMON = """\
reduction : {'mean', 'sum', 'none', 'weighted_mean'}, default 'mean'
    How the per-element (or per-sample) losses ``l`` become the value:
    ``sum(w l) / size``, ``sum(w l)``, ``w l`` unreduced, or ``sum(w l) / sum(w)``
    (:mod:`lossbook.reduction`).
weight : array_like, optional
    Non-negative weights ``w`` that broadcast against the unreduced loss; all ones by
    default.""".splitlines()

#: How napoleon renders them: types as text (no cross-references to ``array_like``).
NAPOLEON = Config(napoleon_google_docstring=False, napoleon_use_param=False,
                  napoleon_use_rtype=False,
                  napoleon_custom_sections=["Gradient", "Frameworks", "In the book"])


def call(api: Api) -> str:
    """``torch.nn.HuberLoss(delta=1.0, reduction='mean')`` and how it differs."""
    args = ", ".join(f"{k}={v!r}" for k, v in api.defaults.items())
    text = f"{api.framework.title}: ``{api.name}({args})``"
    if api.fixed:
        text += " called with " + ", ".join(f"``{k}={v!r}``" for k, v in api.fixed.items())
    notes = api.notes()
    return text + (f" ({'; '.join(notes)})" if notes else "")


def generated(spec: LossSpec) -> list[str]:
    """The numpydoc sections the registry gives: frameworks and the deriving section."""
    lines = ["Frameworks", "----------"]
    lines += [f"- {call(api)}" for api in spec.apis] or ["- none runs it"]
    lines += [f"- {lib} (recorded, not run): {name}" for lib, name in spec.others.items()]
    lines += ["", "In the book", "-----------",
              f":ref:`{spec.section}`, in :doc:`/chapters/{spec.chapter}`.", ""]
    return lines


def with_common_parameters(lines: list[str]) -> list[str]:
    """The docstring with :data:`COMMON` at the end of its Parameters section."""
    start = lines.index("Parameters") + 2
    end = next((i for i in range(start, len(lines) - 1)
                if lines[i] and not lines[i][0].isspace() and set(lines[i + 1]) == {"-"}),
               len(lines))
    while lines[end - 1] == "":
        end -= 1
    return lines[:end] + COMMON + lines[end:]


def render(app, what, name, obj, options, lines: list[str]) -> None:
    if "Parameters" not in lines:
        return
    spec = next((s for s in lb.REGISTRY.values() if s.reference is obj), None)
    if spec is not None:
        lines[:] = with_common_parameters(lines) + [""] + generated(spec)
    lines[:] = NumpyDocstring(lines, NAPOLEON, app, what, name, obj, options).lines()


def setup(app):
    app.connect("autodoc-process-docstring", render)
    return {"parallel_read_safe": True}
