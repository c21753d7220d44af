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
    """Absolute error ``l = |e|``; ``dl/dpred = sign(e)``, 0 at the kink ``e = 0`` (the
    subgradient PyTorch's ``L1Loss`` and Keras' ``MeanAbsoluteError`` return)."""
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
    r"""Huber loss: quadratic for small residuals, linear beyond ``delta``.

    .. math::

       \ell(e) = \begin{cases} \tfrac12 e^2 & \lvert e \rvert \le \delta \\
       \delta \left(\lvert e \rvert - \tfrac12 \delta\right) & \text{otherwise}
       \end{cases}, \qquad e = \hat y - y

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).
    delta : float, default 1.0
        Where the quadratic part ends, :math:`\delta > 0`.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = \operatorname{clip}(e, -\delta, \delta)`.

    Notes
    -----
    The quadratic part is computed on ``min(|e|, delta)``: a huge residual is never squared.
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
    return 0.5 * m * (m / beta) + (a - m), np.clip(e / beta, -1.0, 1.0)  # m**2 may underflow


@reference(same_shape)
def log_cosh(pred, target):
    """``l = log(cosh(e))``; ``dl/dpred = tanh(e)``.

    Computed as ``log1p(2 sinh(|e|/2)**2)`` (``cosh e - 1 = 2 sinh(e/2)**2``, no
    cancellation, relative error of a few ulps even for ``e = 1e-8``, where ``l = e**2/2``),
    and as ``|e| - log 2`` for ``|e| >= 700``, where ``sinh`` would overflow and the
    omitted ``log1p(exp(-2|e|))`` is below 1e-600.
    """
    e = pred - target
    a = np.abs(e)
    s = np.sinh(0.5 * np.minimum(a, 700.0))
    return np.where(a < 700.0, np.log1p(2.0 * s * s), a - LOG2), np.tanh(e)


@reference(same_shape)
def mape(pred, target, *, eps=1e-7):
    """Absolute percentage error ``l = 100 |e| / max(|target|, eps)`` (Keras' eps is 1e-7).

    ``dl/dpred = 100 sign(e) / max(|target|, eps)``, 0 at the kink ``e = 0`` (as in Keras).
    """
    eps = scalar("eps", eps, low=0.0, low_open=True)
    e = pred - target
    scale = 100.0 / np.maximum(np.abs(target), eps)
    return scale * np.abs(e), scale * np.sign(e)


@reference(same_shape)
def msle(pred, target):
    """Squared log error ``l = d**2``, ``d = log1p(pred) - log1p(target)``, for
    ``pred, target >= 0``; ``dl/dpred = 2 d / (1 + pred)``.

    ``d`` is computed as ``log1p((pred - target) / (1 + target))``, which does not cancel
    when ``pred`` and ``target`` are close (the difference of the two logs keeps only the
    digits in which they differ), and as ``log((1 + pred) / (1 + target))`` when that
    ratio is below 1/2 (where the ``log1p`` argument would be near -1).
    Keras replaces every input below 1e-7 (``keras.config.epsilon()``), 0 included, by
    1e-7; this reference computes the formula at 0 and rejects negative inputs.
    """
    at_least("pred", pred, 0.0)
    at_least("target", target, 0.0)
    r = (pred - target) / (1.0 + target)
    d = np.where(r > -0.5, np.log1p(np.maximum(r, -0.5)), np.log((1.0 + pred) / (1.0 + target)))
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
