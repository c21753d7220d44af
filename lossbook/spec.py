"""How the registry describes a loss: its reference, its chapter, and its framework APIs.

A :class:`Framework` is a library whose losses the tests run (PyTorch, Keras, ...): where
its losses live, its default reduction and what its reduction names mean in ``lossbook``.
Its :meth:`Framework.api` is the one way to describe one of its losses as an :class:`Api`.
A :class:`LossSpec` ties a reference to its APIs and to the names of the loss in libraries
that are only recorded (TF1, optax, Flux, Gluon, ...).  The entries are in
:mod:`lossbook.registry`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from dataclasses import dataclass, field

from .reference import Reference


def resolve(dotted: str):
    """Import ``"package.module.Name"`` and return the object."""
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Framework:
    """A library whose losses are run against the references.

    ``namespace`` is the module that holds its losses.  ``reductions`` maps each of its
    reduction names to the ``lossbook`` reduction that computes the same (empty when its
    losses return unreduced values, which the caller then reduces); ``default_reduction``
    is what its losses use when not told (``None``: no ``reduction`` argument).
    """

    key: str
    title: str
    namespace: str
    reductions: dict[str, str] = field(default_factory=dict)
    default_reduction: str | None = None

    def api(self, name: str, *, params: dict[str, str] | None = None,
            fixed: dict | None = None, reduces: bool = True, **defaults) -> Api:
        """The loss ``<namespace>.<name>``.

        ``defaults`` are its constructor defaults, in its own argument names (a test checks
        them against the installed library); the default reduction is appended unless
        ``reduces=False`` (a loss without a ``reduction`` argument).  ``params`` maps the
        reference's parameter names to its argument names; without it, each default is
        also a reference parameter of the same name.  ``fixed`` are arguments always passed
        so that it computes the reference (e.g. ``from_logits=True``).
        """
        params = {k: k for k in defaults} if params is None else params
        if reduces and self.default_reduction is not None:
            defaults = {**defaults, "reduction": self.default_reduction}
        return Api(self, f"{self.namespace}.{name}", params, defaults, fixed or {})


@dataclass(frozen=True)
class Api:
    """One framework's implementation of a loss (built by :meth:`Framework.api`)."""

    framework: Framework = field(repr=False)  # the name says which
    name: str
    params: dict[str, str]
    defaults: dict[str, object]
    fixed: dict[str, object]

    def actual_defaults(self) -> dict[str, object]:
        """The installed framework's defaults for the arguments in ``defaults`` (raises if
        the name does not exist; a missing argument shows as ``"<missing>"``)."""
        parameters = inspect.signature(resolve(self.name)).parameters
        return {k: parameters[k].default if k in parameters else "<missing>"
                for k in self.defaults}

    def build(self, params: dict | None = None, **options):
        """The framework's loss with reference-named ``params`` translated to its argument
        names, plus framework ``options`` (``reduction``, ``dtype``): an instance of a loss
        class, or a loss function with those arguments bound."""
        kwargs = {**self.fixed, **{self.params[k]: v for k, v in (params or {}).items()},
                  **options}
        loss = resolve(self.name)
        return loss(**kwargs) if isinstance(loss, type) else functools.partial(loss, **kwargs)


@dataclass(frozen=True)
class LossSpec:
    """One loss: its reference, title, chapter, framework APIs, and its names in libraries
    that are only recorded (``others``: library -> name and convention)."""

    reference: Reference
    title: str
    chapter: str
    apis: tuple[Api, ...] = ()
    others: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The reference's name: ``lb.<key>``."""
        return self.reference.__name__

    def api(self, framework: str) -> Api | None:
        """The API of the framework with this key (``"torch"``, ``"keras"``), if any."""
        return next((a for a in self.apis if a.framework.key == framework), None)

    @property
    def torch(self) -> Api | None:
        return self.api("torch")

    @property
    def keras(self) -> Api | None:
        return self.api("keras")
