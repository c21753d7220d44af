"""Loss and gradient curves: one figure, the loss on the left and its derivative on the right."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .reference import Reference, Result

Curve = Reference | tuple[Reference, dict] | Callable[[np.ndarray], Result]


def _evaluate(curve: Curve, x: np.ndarray, target: float) -> Result:
    if isinstance(curve, Reference):
        curve = (curve, {})
    if isinstance(curve, tuple):
        ref, params = curve
        return ref.value_and_grad(x, np.full_like(x, target), reduction="none", **params)
    return curve(x)


def loss_curves(curves: Mapping[str, Curve], x=None, *,
                xlabel: str = "residual  e = prediction − target", ylim=None, grad_ylim=None,
                title=None, target: float = 0.0):
    """Plot each loss against ``x`` and its derivative ``dl/dpred``, at a fixed ``target``
    (0 for residual-based losses; 1 plots a margin loss against the margin ``y f``).

    A curve is a reference, a ``(reference, params)`` pair, or a callable ``x -> Result``
    (for example a framework loss through :func:`lossbook.frameworks.run_torch`, unreduced).
    ``ylim`` and ``grad_ylim`` limit the two panels' vertical axes.
    Returns the figure; end the cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    x = np.linspace(-3.0, 3.0, 601) if x is None else np.asarray(x, dtype=np.float64)
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, layout="constrained")
    for label, curve in curves.items():
        r = _evaluate(curve, x, target)
        ax_loss.plot(x, r.value, label=label)
        ax_grad.plot(x, r.grad, label=label)
    ax_loss.set(xlabel=xlabel, ylabel="loss", title="loss")
    ax_grad.set(xlabel=xlabel, ylabel="d loss / d prediction", title="gradient")
    if ylim is not None:
        ax_loss.set_ylim(*ylim)
    if grad_ylim is not None:
        ax_grad.set_ylim(*grad_ylim)
    ax_loss.legend()
    if title:
        fig.suptitle(title)
    return fig
