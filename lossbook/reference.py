"""How a NumPy reference loss is built: a kernel plus the shared validation and reduction.

A *kernel* computes, in float64 and vectorised, the unreduced loss ``l`` and its
derivative ``dl/dpred`` (same shape as ``pred``).  :class:`Reference` wraps it with
input validation and :func:`lossbook.reduction.reduce`, so every reference returns
both a value and the exact gradient of that value with respect to the prediction.

The loss may have fewer axes than ``pred`` (one value per sample, e.g. cross-entropy
over a class axis): the reduction's scale is then broadcast over the trailing axes.
A reference declares its mean: plain (every value counts once), or, with ``mean=``, a
function of the inputs and parameters that says what each value counts, e.g. the class
weight of each sample's target (0 for an ignored one), PyTorch's convention for
``NLLLoss`` and ``CrossEntropyLoss``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .reduction import reduce


@dataclass(frozen=True)
class Result:
    """A loss value and its gradient with respect to the prediction, as NumPy.

    For a non-scalar ``value`` (``reduction="none"``), ``grad`` is the gradient of
    ``value.sum()``, which is what ``backward()`` on the summed output gives.
    """

    value: np.ndarray
    grad: np.ndarray | None
    dtype: str

    def scaled(self, factor: float) -> Result:
        """The result for ``factor * loss`` (e.g. the ½ convention: ``r.scaled(0.5)``)."""
        grad = None if self.grad is None else factor * self.grad
        return Result(factor * np.asarray(self.value), grad, self.dtype)


Kernel = Callable[..., tuple[np.ndarray, np.ndarray]]
Inputs = Callable[[object, object], tuple[np.ndarray, np.ndarray]]
Counts = Callable[..., np.ndarray]


class Reference:
    """A reference loss: ``ref(pred, target, reduction=..., weight=..., **params)``.

    ``ref.value_and_grad(...)`` returns a :class:`Result`.  ``inputs`` validates and
    converts ``(pred, target)``; the kernel's keyword arguments are the loss's parameters.
    ``mean`` is ``None`` (the plain mean) or ``mean(pred, target, **params)``: what each
    loss value counts in ``"mean"`` (see :func:`lossbook.reduction.reduce`).
    """

    def __init__(self, kernel: Kernel, inputs: Inputs, mean: Counts | None = None):
        functools.update_wrapper(self, kernel)
        self.kernel = kernel
        self.inputs = inputs
        self.mean = mean
        signature = inspect.signature(kernel)
        self.params = {name: p.default for name, p in signature.parameters.items()
                       if p.kind is inspect.Parameter.KEYWORD_ONLY}
        # The signature readers see: (pred, target, *, reduction, weight, <params>).
        common = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d)
                  for n, d in (("reduction", "mean"), ("weight", None))]
        positional = [p for p in signature.parameters.values()
                      if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in signature.parameters.values()
                   if p.kind is inspect.Parameter.KEYWORD_ONLY]
        self.__signature__ = signature.replace(parameters=positional + common + keyword)

    def __repr__(self) -> str:
        return f"<reference lossbook.{self.__name__}>"

    def value_and_grad(self, pred, target, *, reduction: str = "mean", weight=None,
                       **params) -> Result:
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypeError(
                f"{self.__name__}() got unknown parameter(s) {sorted(unknown)}; "
                f"it takes {sorted(self.params)}"
            )
        pred, target = self.inputs(pred, target)
        loss, dloss = self.kernel(pred, target, **params)
        counts = None if self.mean is None else self.mean(pred, target,
                                                          **{**self.params, **params})
        value, scale = reduce(loss, reduction, weight, counts)
        # The loss may have fewer axes than pred (one value per sample): align scale.
        scale = scale.reshape(scale.shape + (1,) * (dloss.ndim - scale.ndim))
        return Result(np.asarray(value, dtype=np.float64), dloss * scale, "float64")

    def __call__(self, pred, target, *, reduction: str = "mean", weight=None, **params):
        result = self.value_and_grad(pred, target, reduction=reduction, weight=weight, **params)
        return float(result.value) if result.value.ndim == 0 else result.value


def reference(inputs: Inputs, mean: Counts | None = None) -> Callable[[Kernel], Reference]:
    """Decorator: turn a kernel into a :class:`Reference` with the given input validation
    (and, optionally, what each value counts in its mean)."""
    return lambda kernel: Reference(kernel, inputs, mean)
