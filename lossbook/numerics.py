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


def _shifted_and_rest(x, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``x - max(x)`` and ``s``, the sum of ``exp(x - max(x))`` over every entry but the
    (first) maximum: ``sum(exp(x - max(x))) = 1 + s`` exactly, without rounding ``1 + s``."""
    x = np.asarray(x, dtype=np.float64)
    top = np.expand_dims(np.argmax(x, axis=axis), axis)
    shifted = x - np.take_along_axis(x, top, axis=axis)
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=axis)
    return shifted, np.sum(others, axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """``log softmax(x) = x - logsumexp(x)``, computed as ``(x - m) - log1p(s)`` (see
    ``_shifted_and_rest``): ``log(1 + s)`` would lose the digits of a tiny ``s``, the
    tiny loss of a confident correct class."""
    shifted, rest = _shifted_and_rest(x, axis)
    return shifted - np.log1p(rest)


def softmax(x, axis: int = -1) -> np.ndarray:
    """``exp(x - m) / (1 + s)`` (see ``_shifted_and_rest``): probabilities along
    ``axis``.  (``exp(log_softmax(x))`` would amplify the rounding of a large
    log-probability: ``exp(-20 + d)`` inherits 20 times the rounding error of ``d``.)"""
    shifted, rest = _shifted_and_rest(x, axis)
    return np.exp(shifted) / (1.0 + rest)


def through_log_softmax(logits, dlogp) -> np.ndarray:
    """Chain rule through ``log_softmax`` over the last axis: ``d/dx = g - softmax(x) sum(g)``
    for ``g = d/d log_softmax(x)``.

    With ``v = -g`` (the weighted targets) and ``S = sum(v)`` this is ``p S - v``.  Where
    ``v_c > S / 2`` it is written ``S expm1(log p_c) + sum_{j != c} v_j``: for a confident
    correct class ``p_c - 1`` would round away the digits of ``1 - p_c``.
    """
    v = -dlogp
    total = np.sum(v, axis=-1, keepdims=True)
    dominant = v > 0.5 * total  # at most one entry per row
    rest = np.sum(np.where(dominant, 0.0, v), axis=-1, keepdims=True)
    return np.where(dominant, total * np.expm1(log_softmax(logits)) + rest,
                    softmax(logits) * total - v)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed as ``z / (1 + z)`` with ``z = exp(x)`` for ``x < 0``:
    ``exp`` never overflows, and ``sigmoid(-40) = 4.2e-18`` keeps its digits (a form
    ``1 - (...)`` or ``(1 + tanh(x / 2)) / 2`` rounds it to 0)."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, z) / (1.0 + z)


def log_sigmoid(x) -> np.ndarray:
    """``log sigmoid(x) = -softplus(-x) = -(max(-x, 0) + log1p(exp(-|x|)))``."""
    x = np.asarray(x, dtype=np.float64)
    return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))
