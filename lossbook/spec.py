"""How a loss is described in the registry: its reference, chapter and framework APIs.

Each reference module (``regression.py``, ...) lists its losses in ``SPECS``;
:mod:`lossbook.registry` collects them.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field

from .reference import Reference


def resolve(dotted: str):
    """Import ``"package.module.Name"`` and return the object."""
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Api:
    """A framework's implementation of a loss.

    ``params`` maps the reference's parameter names to the framework's argument names;
    ``defaults`` are the framework's constructor defaults (verified by a test); ``fixed``
    are arguments always passed to match the reference (e.g. ``from_logits=True``).
    """

    name: str
    params: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    fixed: dict[str, object] = field(default_factory=dict)

    def actual_defaults(self) -> dict[str, object]:
        """The installed framework's defaults for the arguments in ``defaults`` (raises if
        the name does not exist; a missing argument shows as ``"<missing>"``)."""
        parameters = inspect.signature(resolve(self.name)).parameters
        return {k: parameters[k].default if k in parameters else "<missing>"
                for k in self.defaults}

    def build(self, params: dict | None = None, **options):
        """Instantiate the framework's loss with reference-named ``params`` translated to
        the framework's argument names, plus framework ``options`` (``reduction``, ``dtype``)."""
        kwargs = {**self.fixed, **{self.params[k]: v for k, v in (params or {}).items()}}
        return resolve(self.name)(**kwargs, **options)


@dataclass(frozen=True)
class LossSpec:
    """One loss: its reference, chapter, and names in PyTorch, Keras/TF and elsewhere."""

    key: str
    title: str
    chapter: str
    reference: Reference
    torch: Api | None = None
    keras: Api | None = None
    others: dict[str, str] = field(default_factory=dict)  # TF1, optax, Flux, Gluon names
    #: Test module that compares this loss with the frameworks when the registry-driven
    #: tests cannot call it as ``loss(pred, target)`` (e.g. CTC needs lengths).
    framework_test: str = ""


def torch_api(name: str, fixed: dict | None = None, **defaults) -> Api:
    """``torch.nn.<name>``; each default is also a reference parameter of the same name."""
    return Api(f"torch.nn.{name}", {k: k for k in defaults}, {**defaults, "reduction": "mean"},
               fixed or {})


def keras_api(name: str, fixed: dict | None = None, **defaults) -> Api:
    """``keras.losses.<name>``; each default is also a reference parameter of the same name."""
    return Api(f"keras.losses.{name}", {k: k for k in defaults},
               {**defaults, "reduction": "sum_over_batch_size"}, fixed or {})


