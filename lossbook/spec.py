"""How the registry describes a loss: its reference, its chapter, and its framework APIs.

A :class:`Framework` is a library whose losses the tests run (PyTorch, Keras, optax):
where its losses live, its default reduction and what its reduction names mean in
``lossbook``.  Its :meth:`Framework.api` is the one way to describe one of its losses as an
:class:`Api`, including how its inputs and output relate to the reference's (a converted
target, a scale, a sum over the last axis).  A :class:`LossSpec` ties a reference to its
APIs and to the names of the loss in libraries that are only recorded (TF1, Flux, Gluon,
...).  The entries are in :mod:`lossbook.registry`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .reference import Reference

#: How a framework's target is made from the reference's (``Api.target_as``), by name.
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "class indices": lambda one_hot: np.argmax(one_hot, axis=-1),
    "0/1 labels": lambda signed: (np.asarray(signed) + 1.0) / 2.0,  # from -1/1
}


def resolve(dotted: str):
    """Import ``"package.module.Name"`` and return the object."""
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Framework:
    """A library whose losses are run against the references.

    ``namespace`` is the module that holds its losses.  ``reductions`` maps each of its
    reduction names to the ``lossbook`` reduction that computes the same; for a library
    whose losses return unreduced values (optax), the names are those of the ``jax.numpy``
    functions the caller applies on top (``"none"``: nothing).  ``default_reduction`` is
    what its losses use when not told (``None``: no ``reduction`` argument).  ``runner`` is
    the ``lossbook`` function that runs its losses (``run_torch``, ``run_tf``, ``run_jax``).
    """

    key: str
    title: str
    namespace: str
    runner: str
    reductions: dict[str, str] = field(default_factory=dict)
    default_reduction: str | None = None

    def api(self, name: str, *, params: dict[str, str] | None = None,
            fixed: dict | None = None, reduces: bool = True, target_as: str | None = None,
            reference_params: dict | None = None, scale: float = 1.0,
            sums_last_axis: bool = False, then: str | None = None, **defaults) -> Api:
        """The loss ``<namespace>.<name>``.

        ``defaults`` are its defaults, in its own argument names (a test checks them
        against the installed library); the default reduction is appended unless
        ``reduces=False`` (a loss without a ``reduction`` argument).  ``params`` maps the
        reference's parameter names to its argument names; without it, each default is
        also a reference parameter of the same name.  ``fixed`` are arguments always passed
        so that it computes the reference (e.g. ``from_logits=True``).  The other keywords
        say how it relates to the reference (see :class:`Api`).
        """
        params = {k: k for k in defaults} if params is None else params
        if reduces and self.default_reduction is not None:
            defaults = {**defaults, "reduction": self.default_reduction}
        if target_as is not None and target_as not in TARGETS:
            raise ValueError(f"target_as must be one of {sorted(TARGETS)}, got {target_as!r}")
        if then not in (None, "mean", "sum"):
            raise ValueError(f"then must be None, 'mean' or 'sum', got {then!r}")
        return Api(self, f"{self.namespace}.{name}", params, defaults, fixed or {},
                   target_as, reference_params or {}, scale, sums_last_axis, then)


@dataclass(frozen=True, eq=False)  # an entry of the registry: equal and hashed as itself
class Api:
    """One framework's implementation of a loss (built by :meth:`Framework.api`).

    With the same inputs and parameters it computes the reference's unreduced loss, except
    as stated: ``target_as`` names the conversion of the reference's target it takes (a
    key of :data:`TARGETS`); ``reference_params`` are the reference's parameters at which
    it computes the reference (``crammer_singer=True``); its value is ``scale`` times the
    reference's (optax ``l2_loss``: 0.5); with ``sums_last_axis`` it sums the reference's
    values over the last axis (optax ``kl_divergence``: one value per distribution); and
    ``then`` (``"mean"`` or ``"sum"``) is the reduction over the last axis of its output
    that gives the reference's values.
    """

    framework: Framework = field(repr=False)  # the name says which
    name: str
    params: dict[str, str]
    defaults: dict[str, object]
    fixed: dict[str, object]
    target_as: str | None = None
    reference_params: dict[str, object] = field(default_factory=dict)
    scale: float = 1.0
    sums_last_axis: bool = False
    then: str | None = None

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

    def target(self, target):
        """The reference's ``target`` as this framework takes it (see ``target_as``)."""
        return target if self.target_as is None else TARGETS[self.target_as](target)

    def notes(self) -> list[str]:
        """How it differs from the reference, in words (for the conventions tables)."""
        notes = [f"{self.target_as} as target"] if self.target_as else []
        notes += [f"{k}={v!r}" for k, v in self.reference_params.items()]
        notes += [f"× {self.scale:g}"] if self.scale != 1.0 else []
        notes += ["sums over the last axis"] if self.sums_last_axis else []
        notes += [f"then {self.then} over the last axis"] if self.then else []
        return notes


@dataclass(frozen=True)
class LossSpec:
    """One loss: its reference, title, chapter, the label of the section that derives it,
    framework APIs, and its names in libraries that are only recorded (``others``: library
    -> name and convention)."""

    reference: Reference
    title: str
    chapter: str
    section: str
    apis: tuple[Api, ...] = ()
    others: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The reference's name: ``lb.<key>``."""
        return self.reference.__name__

    def api(self, framework: str) -> Api | None:
        """The (first) API of the framework with this key (``"torch"``, ``"keras"``,
        ``"optax"``), if any."""
        return next((a for a in self.apis if a.framework.key == framework), None)

    @property
    def torch(self) -> Api | None:
        return self.api("torch")

    @property
    def keras(self) -> Api | None:
        return self.api("keras")

    @property
    def optax(self) -> Api | None:
        return self.api("optax")
