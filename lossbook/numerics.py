"""Numerically stable building blocks shared by the references (the ground floor).

Every family uses these instead of its own copy: softmax and sigmoid in their log forms,
log-sum-exp, and the chain rule through ``log_softmax``.  NumPy only, float64.
"""

from __future__ import annotations

import numpy as np


def logsumexp(a, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(a), axis))`` after subtracting the maximum; ``-inf`` where every term
    is ``-inf`` (an empty sum of probabilities, e.g. a CTC target with no alignment)."""
    a = np.asarray(a, dtype=np.float64)
    m = a.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.exp(a - m).sum(axis=axis))


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """``log softmax(x) = x - logsumexp(x)``, computed after subtracting the maximum."""
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis: int = -1) -> np.ndarray:
    """``exp(log_softmax(x))``: probabilities along ``axis``."""
    return np.exp(log_softmax(x, axis))


def through_log_softmax(logits, dlogp) -> np.ndarray:
    """Chain rule through ``log_softmax`` over the last axis: ``d/dx = g - softmax(x) sum(g)``
    for ``g = d/d log_softmax(x)``."""
    return dlogp - softmax(logits) * np.sum(dlogp, axis=-1, keepdims=True)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))`` as ``(1 + tanh(x / 2)) / 2``: no overflow for any ``x``."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def log_sigmoid(x) -> np.ndarray:
    """``log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log1p(exp(-|x|)))``."""
    x = np.asarray(x, dtype=np.float64)
    return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))
