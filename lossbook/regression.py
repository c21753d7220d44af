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
    r"""L1 loss (absolute error): every unit of residual costs the same.

    .. math::

       \ell(e) = \lvert e \rvert, \qquad e = \hat y - y

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = \operatorname{sign}(e)`, 0 at the kink
    :math:`e = 0` (the subgradient PyTorch's ``L1Loss`` and Keras' ``MeanAbsoluteError``
    return).
    """
    e = pred - target
    return np.abs(e), np.sign(e)


@reference(same_shape)
def mse(pred, target):
    r"""Squared error: the residual squared, without a factor one half.

    .. math::

       \ell(e) = e^2, \qquad e = \hat y - y

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = 2 e`.

    Notes
    -----
    MXNet Gluon's ``L2Loss`` and optax's ``l2_loss`` are half of this loss.
    """
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
    r"""Smooth L1 loss: quadratic below ``beta``, linear with slope 1 beyond.

    .. math::

       \ell(e) = \begin{cases} \dfrac{e^2}{2 \beta} & \lvert e \rvert < \beta \\
       \lvert e \rvert - \tfrac12 \beta & \text{otherwise}
       \end{cases}, \qquad e = \hat y - y

    With :math:`\beta = 0` it is the L1 loss, :math:`\ell = \lvert e \rvert`.

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).
    beta : float, default 1.0
        Where the quadratic part ends, :math:`\beta \ge 0` (0 gives the L1 loss).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = \operatorname{clip}(e / \beta, -1, 1)`; for
    :math:`\beta = 0`, :math:`\operatorname{sign}(e)`, 0 at :math:`e = 0`.

    Notes
    -----
    Smooth L1 is Huber divided by its threshold:
    :math:`\ell^{\mathrm{SmoothL1}}_{\beta} = \ell^{\mathrm{Huber}}_{\delta = \beta} / \beta`
    (:func:`~lossbook.regression.huber`). The quadratic part is computed as
    ``m * (m / beta)`` with ``m = min(|e|, beta)``, not as ``m**2 / beta``: ``m**2`` may
    underflow when ``beta`` is tiny.
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
    r"""log-cosh loss: a smooth loss, quadratic near 0 and linear far away.

    .. math::

       \ell(e) = \log \cosh e, \qquad e = \hat y - y

    Near 0, :math:`\ell \approx \tfrac12 e^2`; far away,
    :math:`\ell \approx \lvert e \rvert - \log 2`.

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = \tanh e`.

    Notes
    -----
    Computed as :math:`\operatorname{log1p}\bigl(2 \sinh^2(\lvert e \rvert / 2)\bigr)`, since
    :math:`\cosh e - 1 = 2 \sinh^2(e / 2)`: no cancellation, a relative error of a few ulps
    even at ``e = 1e-8``, where :math:`\ell \approx e^2 / 2`. For :math:`\lvert e \rvert \ge
    700` it is :math:`\lvert e \rvert - \log 2`: there :math:`2 \sinh^2(\lvert e \rvert / 2)`
    is close to overflowing (it does beyond about 710), and the omitted term
    :math:`\operatorname{log1p}(\exp(-2 \lvert e \rvert))` is below :math:`10^{-600}`.
    """
    e = pred - target
    a = np.abs(e)
    s = np.sinh(0.5 * np.minimum(a, 700.0))
    return np.where(a < 700.0, np.log1p(2.0 * s * s), a - LOG2), np.tanh(e)


@reference(same_shape)
def mape(pred, target, *, eps=1e-7):
    r"""Absolute percentage error: the absolute residual in percent of the target.

    .. math::

       \ell(e) = \frac{100 \, \lvert e \rvert}{\max(\lvert y \rvert, \varepsilon)},
       \qquad e = \hat y - y

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any); targets far
        from 0 (a zero target is divided by ``eps``).
    eps : float, default 1e-07
        The smallest divisor, :math:`\varepsilon > 0`; Keras' default
        (``keras.config.epsilon()``) is the same 1e-7.

    Returns
    -------
    float or ndarray
        The reduced loss, in percent; with ``reduction='none'``, one value per element
        (``pred``'s shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = 100 \operatorname{sign}(e) / \max(\lvert y
    \rvert, \varepsilon)`, 0 at the kink :math:`e = 0` (as in Keras).
    """
    eps = scalar("eps", eps, low=0.0, low_open=True)
    e = pred - target
    scale = 100.0 / np.maximum(np.abs(target), eps)
    return scale * np.abs(e), scale * np.sign(e)


@reference(same_shape)
def msle(pred, target):
    r"""Squared logarithmic error: the squared error of :math:`\log(1 + \cdot)`.

    .. math::

       \ell = d^2, \qquad d = \log(1 + \hat y) - \log(1 + y)

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y \ge 0` and targets :math:`y \ge 0`, the same shape (any);
        a negative value is an error.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = 2 d / (1 + \hat y)`.

    Notes
    -----
    :math:`d` is computed as :math:`\operatorname{log1p}\bigl((\hat y - y) / (1 + y)\bigr)`,
    which does not cancel when :math:`\hat y` and :math:`y` are close (the difference of the
    two logs keeps only the digits in which they differ), and as
    :math:`\log\bigl((1 + \hat y) / (1 + y)\bigr)` when that ratio is at most 1/2 (where the
    ``log1p`` argument would be near -1).

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
    r"""Quantile (pinball) loss: trains the ``tau``-quantile of the target.

    .. math::

       \ell = \max\bigl(\tau r, (\tau - 1) r\bigr) = \begin{cases} \tau r & r \ge 0 \\
       (\tau - 1) r & r < 0 \end{cases}, \qquad r = y - \hat y = -e

    Under-prediction (:math:`r > 0`) costs :math:`\tau` per unit, over-prediction
    :math:`1 - \tau`; :math:`\tau = 0.5` gives :math:`\tfrac12 \lvert e \rvert`.

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, the same shape (any).
    tau : float, default 0.5
        The quantile level, :math:`0 < \tau < 1`.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = -\tau` where :math:`r > 0`, :math:`1 - \tau`
    where :math:`r < 0`, and 0 at the kink :math:`r = 0`.

    Notes
    -----
    The residual is :math:`y - \hat y`, the opposite of the other regression losses'
    :math:`e`: written with :math:`e`, :math:`\tau` and :math:`1 - \tau` swap.
    """
    tau = scalar("tau", tau, low=0.0, high=1.0, low_open=True, high_open=True)
    r = target - pred
    loss = np.maximum(tau * r, (tau - 1.0) * r)
    grad = np.where(r > 0, -tau, np.where(r < 0, 1.0 - tau, 0.0))
    return loss, grad
