"""Regression losses: references in float64, element-wise, with ``e = pred - target``.

Every function here is a :class:`~lossbook.reference.Reference`: call it for the
reduced value, or use ``.value_and_grad`` for the value and ``d value / d pred``.
Reductions and weights: see :mod:`lossbook.reduction`.
"""

from __future__ import annotations

import numpy as np

from .inputs import at_least, same_shape, scalar
from .reference import reference

LOG2 = np.log(2.0)


@reference(same_shape)
def l1(pred, target):
    """Absolute error ``l = |e|``; ``dl/dpred = sign(e)`` (0 at ``e = 0``, like PyTorch)."""
    e = pred - target
    return np.abs(e), np.sign(e)


@reference(same_shape)
def mse(pred, target):
    """Squared error ``l = e**2``; ``dl/dpred = 2 e``.  (Gluon ``L2Loss`` and optax
    ``l2_loss`` are half of this.)"""
    e = pred - target
    return e * e, 2.0 * e


@reference(same_shape)
def huber(pred, target, *, delta=1.0):
    """Huber loss: ``l = e**2 / 2`` if ``|e| <= delta``, else ``delta * (|e| - delta / 2)``.

    ``dl/dpred = clip(e, -delta, delta)``.  ``delta > 0``.
    """
    delta = scalar("delta", delta, low=0.0, low_open=True)
    e = pred - target
    a = np.abs(e)
    m = np.minimum(a, delta)  # the quadratic part never squares a huge residual
    return 0.5 * m * m + delta * (a - m), np.clip(e, -delta, delta)


@reference(same_shape)
def smooth_l1(pred, target, *, beta=1.0):
    """Smooth L1: ``l = e**2 / (2 beta)`` if ``|e| < beta``, else ``|e| - beta / 2``.

    Equals ``huber(delta=beta) / beta``; ``beta = 0`` is the L1 loss.
    ``dl/dpred = clip(e / beta, -1, 1)``.  ``beta >= 0``.
    """
    beta = scalar("beta", beta, low=0.0)
    e = pred - target
    if beta == 0.0:
        return np.abs(e), np.sign(e)
    a = np.abs(e)
    m = np.minimum(a, beta)
    return 0.5 * m * m / beta + (a - m), np.clip(e / beta, -1.0, 1.0)


@reference(same_shape)
def log_cosh(pred, target):
    """``l = log(cosh(e))``, computed as ``|e| + log1p(exp(-|e|)**2) - log 2`` so that it
    never overflows (``cosh`` itself overflows for ``|e| > 710``); ``dl/dpred = tanh(e)``."""
    e = pred - target
    a = np.abs(e)
    return a + np.log1p(np.exp(-a) ** 2) - LOG2, np.tanh(e)


@reference(same_shape)
def mape(pred, target, *, eps=1e-7):
    """Absolute percentage error ``l = 100 |e| / max(|target|, eps)`` (Keras' eps is 1e-7).

    ``dl/dpred = 100 sign(e) / max(|target|, eps)``.
    """
    eps = scalar("eps", eps, low=0.0, low_open=True)
    e = pred - target
    scale = 100.0 / np.maximum(np.abs(target), eps)
    return scale * np.abs(e), scale * np.sign(e)


@reference(same_shape)
def msle(pred, target):
    """Squared log error ``l = (log1p(pred) - log1p(target))**2`` for ``pred, target >= 0``.

    ``dl/dpred = 2 (log1p(pred) - log1p(target)) / (1 + pred)``.  Keras clamps negative
    inputs to 1e-7 silently; this reference rejects them.
    """
    at_least("pred", pred, 0.0)
    at_least("target", target, 0.0)
    d = np.log1p(pred) - np.log1p(target)
    return d * d, 2.0 * d / (1.0 + pred)


@reference(same_shape)
def pinball(pred, target, *, tau=0.5):
    """Quantile (pinball) loss for quantile ``tau`` in (0, 1), with ``r = target - pred``:
    ``l = max(tau r, (tau - 1) r)``.

    Under-prediction (``r > 0``) costs ``tau`` per unit, over-prediction ``1 - tau``.
    ``dl/dpred = -tau`` if ``r > 0``, ``1 - tau`` if ``r < 0``, 0 at ``r = 0``.
    """
    tau = scalar("tau", tau, low=0.0, high=1.0, low_open=True, high_open=True)
    r = target - pred
    loss = np.maximum(tau * r, (tau - 1.0) * r)
    grad = np.where(r > 0, -tau, np.where(r < 0, 1.0 - tau, 0.0))
    return loss, grad
