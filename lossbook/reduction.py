"""The one reduction mechanism used by every reference.

A reduction turns per-element losses ``l`` (with optional weights ``w``) into the
reported value, and also returns ``d value / d l`` so that references get their
gradient through the same code path.  A mean divides by a count: by default each element
counts 1, but a reference may declare how much each of its values counts, ``m`` (PyTorch's
cross-entropy with class weights counts a sample by the weight of its target's class):

- ``"none"``: ``w * l`` (``reduction="none"`` everywhere);
- ``"sum"``: ``sum(w * l)`` (``reduction="sum"``);
- ``"mean"``: ``sum(w * l) / sum(m)``, i.e. ``/ l.size`` by default (PyTorch ``"mean"``,
  Keras ``"sum_over_batch_size"``);
- ``"weighted_mean"``: ``sum(w * l) / sum(w * m)`` (Keras ``"mean_with_sample_weight"``).

Weights broadcast against the loss array with NumPy's rules (trailing axes align).  How
each framework's reduction names map onto these: ``Framework.reductions`` in
:mod:`lossbook.registry`.
"""

from __future__ import annotations

import numpy as np

from .inputs import float_array

#: Reduction names accepted by every reference.
REDUCTIONS = ("none", "mean", "sum", "weighted_mean")


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def broadcast_weight(weight, shape: tuple[int, ...]) -> np.ndarray:
    """Weights as a float64 array of ``shape``; ``None`` means all ones."""
    if weight is None:
        return np.ones(shape)
    w = float_array("weight", weight)
    if np.any(w < 0):
        raise ValueError(f"weight must be >= 0, got {w[w < 0].flat[0]:g}")
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"weight of shape {w.shape} does not broadcast to the loss shape {shape}"
        ) from None


def reduce(loss: np.ndarray, reduction: str = "mean", weight=None,
           counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(value, scale)`` with ``scale = d value / d loss`` (same shape as ``loss``).

    ``counts`` (``m`` above, same shape as ``loss``) is what each value counts in a mean;
    ``None`` counts every value once.
    """
    check_reduction(reduction)
    w = broadcast_weight(weight, loss.shape)
    if reduction == "none":
        return w * loss, w
    if reduction == "sum":
        return np.sum(w * loss), w
    m = np.ones(loss.shape) if counts is None else counts
    total = np.sum(w * m) if reduction == "weighted_mean" else np.sum(m)
    if total == 0:
        raise ValueError("weighted_mean needs weights with a positive sum, got sum(weight) = 0")
    return np.sum(w * loss) / total, w / total
