"""Losses on distributions and counts: references in float64, element-wise.

KL divergence takes log-probabilities, as PyTorch's ``KLDivLoss`` does; the Poisson and
Gaussian negative log-likelihoods score counts and real targets under a predicted rate or
mean. ``gaussian_nll`` also needs a variance: it travels with the target as a tuple
``(target, var)``, and the gradient is with respect to the prediction (the mean) only.
``wasserstein`` is the WGAN critic's loss on its scores of real and generated samples.
"""

from __future__ import annotations

import numpy as np

from .inputs import (
    at_least,
    float_array,
    parts,
    probabilities,
    same_shape,
    scalar,
    signed_labels,
    sums_to_one,
)
from .reference import reference

HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def stirling(target: np.ndarray) -> np.ndarray:
    r"""Stirling's approximation of :math:`\log(y!)`, where :math:`y > 1`, and 0 elsewhere.

    .. math::

       \log(y!) \approx y \log y - y + \tfrac12 \log(2 \pi y) \qquad (y > 1)

    The mask :math:`y > 1` is PyTorch's and TensorFlow's.

    Parameters
    ----------
    target : ndarray
        Counts :math:`y`, float, any shape.

    Returns
    -------
    ndarray
        The approximation, ``target``'s shape: 0 where :math:`y \le 1`.
    """
    t = np.where(target > 1.0, target, 2.0)  # any value > 1: masked below
    return np.where(target > 1.0, t * np.log(t) - t + 0.5 * np.log(2.0 * np.pi * t), 0.0)


def _log_probabilities(pred, target):
    """Log-probabilities ``pred`` and a target of one shape; each distribution lies along
    the last axis and must sum to 1 (the target as probabilities or log-probabilities)."""
    pred, target = same_shape(pred, target)
    sums_to_one("exp(pred)", np.exp(pred))
    return pred, target


@reference(_log_probabilities)
def kl_div(pred, target, *, log_target=False):
    r"""Kullback-Leibler divergence terms of a target distribution :math:`p` from a predicted
    one :math:`q`, given as log-probabilities (PyTorch's ``KLDivLoss`` convention).

    .. math::

       \ell_c = p_c \,(\log p_c - \log q_c), \qquad
       \sum_c \ell_c = \mathrm{KL}(p \,\Vert\, q)

    element-wise, with :math:`0 \log 0 = 0` and :math:`\hat y = \log q`; with
    ``log_target``, the target is :math:`\log p` and :math:`p_c = \exp(\log p_c)`.

    Parameters
    ----------
    pred, target : array_like
        The same shape, any, each distribution along the last axis. ``pred``: finite
        log-probabilities :math:`\log q` (e.g. ``log_softmax`` of logits), whose ``exp``
        sums to 1 along the last axis (within 1e-6). ``target``: probabilities
        :math:`p` in :math:`[0, 1]` summing to 1 along the last axis (within 1e-6); with
        ``log_target``, finite log-probabilities :math:`\log p` whose ``exp`` does.
    log_target : bool, default False
        Whether ``target`` holds log-probabilities.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one term per element (``pred``'s
        shape), whose sum over the last axis is :math:`\mathrm{KL}(p \,\Vert\, q)`.

    Gradient
    --------
    :math:`\partial \ell_c / \partial \log q_c = -p_c`.

    Notes
    -----
    ``reduction='mean'`` divides by the number of elements, not of distributions.
    PyTorch's ``reduction="batchmean"`` is ``reduction='sum'`` divided by the batch size.
    """
    if log_target:
        t = sums_to_one("exp(target)", np.exp(target))
        return t * (target - pred), -t
    t = probabilities("target", target, axis=-1)
    log_t = np.log(np.where(t > 0, t, 1.0))  # t log t = 0 at t = 0
    return t * (log_t - pred), -t


@reference(same_shape)
def poisson_nll(pred, target, *, log_input=True, full=False, eps=1e-8):
    r"""Poisson negative log-likelihood of counts :math:`y` under a predicted log-rate
    :math:`x` or rate :math:`\lambda`, without the constant :math:`\log(y!)` unless ``full``.

    .. math::

       \ell_{\text{log input}}(x, y) = e^{x} - y\,x

       \ell_{\text{rate}}(\lambda, y) = \lambda - y \log(\lambda + \epsilon)

    With ``full``, :func:`stirling`'s approximation of :math:`\log(y!)` is added where
    :math:`y > 1`. (The exact NLL is :math:`\lambda - y \log \lambda + \log(y!)`; the last
    term does not depend on the prediction.)

    Parameters
    ----------
    pred, target : array_like
        The same shape, any. ``pred``: the log-rate :math:`x` (any real) if ``log_input``,
        else the rate :math:`\lambda \ge 0` (:math:`> 0` if ``eps`` is 0). ``target``:
        counts :math:`y \ge 0`, float (need not be integers).
    log_input : bool, default True
        Whether ``pred`` is the log-rate (else the rate).
    full : bool, default False
        Add Stirling's approximation of :math:`\log(y!)` where :math:`y > 1`.
    eps : float, default 1e-08
        :math:`\epsilon \ge 0` added to the rate inside the log; only used when
        ``log_input`` is false.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial x = e^{x} - y` (log input), or
    :math:`\partial \ell / \partial \lambda = 1 - y / (\lambda + \epsilon)` (rate); ``full``
    does not change it.

    Notes
    -----
    With ``full``, the sum for :math:`y > 1` is computed as
    :math:`y\,\varphi(\log y - \log r) + \tfrac12 \log(2 \pi y)` (minus :math:`\epsilon` for
    a rate input), with :math:`r` the rate (:math:`e^x` or :math:`\lambda + \epsilon`) and
    :math:`\varphi(d) = e^{-d} - 1 + d \ge 0`: the terms :math:`r`, :math:`y \log r` and
    :math:`y \log y` are of size :math:`y \log y` and cancel near the optimum :math:`r = y`
    (to 7.8 at :math:`y = 10^6`). :math:`d = \log(y / r)` (:math:`\log y - \log r` where
    :math:`r` or :math:`y / r` under- or overflows), and :math:`\varphi` is its Taylor
    series for :math:`\lvert d \rvert < 1/2`, where ``expm1(-d) + d`` would cancel.
    """
    at_least("target", target, 0.0)
    eps = scalar("eps", eps, low=0.0)
    if log_input:
        rate = np.exp(pred)
        loss, grad, log_rate, rest = rate - target * pred, rate - target, pred, 0.0
    else:
        at_least("pred", pred, 0.0)
        if eps == 0.0:
            at_least("pred", pred, 0.0, strict=True)
        rate = pred + eps
        positive = np.where(pred > 0, pred, 1.0)  # log(x + eps) = log x + log1p(eps / x)
        log_rate = np.where(pred > 0, np.log(positive) + np.log1p(eps / positive),
                            np.log(eps or 1.0))  # eps = 0 requires pred > 0
        loss, grad, rest = pred - target * log_rate, 1.0 - target / rate, -eps
    if not full:
        return loss, grad
    t = np.where(target > 1.0, target, 2.0)  # any value > 1: masked below
    tiny = np.finfo(np.float64).tiny
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = t / rate
    usable = (rate > tiny) & (ratio > tiny) & (ratio < np.inf)  # a normal number
    d = np.where(usable, np.log(np.where(usable, ratio, 1.0)), np.log(t) - log_rate)
    k = np.arange(17, 1, -1)  # phi(d) = sum_k (-d)**k / k!, k >= 2, in Horner form
    series = d * d * np.polyval(1.0 / np.cumprod(np.arange(1.0, 18.0))[k - 1], -d)
    with np.errstate(over="ignore"):  # exp(-d) beyond float64 means an infinite loss
        phi = np.where(np.abs(d) < 0.5, series, np.expm1(-d) + d)
    full_loss = t * phi + 0.5 * np.log(2.0 * np.pi * t) + rest
    return np.where(target > 1.0, full_loss, loss), grad


def _mean_and_variance(pred, target):
    """``pred`` and ``target = (target, var)``: target of pred's shape, ``var >= 0`` of the
    same shape, of pred's shape without the last axis, or with size-1 axes."""
    pred = float_array("pred", pred)
    target, var = parts("target", target, ("target", "var"))
    pred, target = same_shape(pred, target)
    var = at_least("var", float_array("var", var), 0.0)
    if var.shape == pred.shape[:-1] and var.shape != pred.shape:
        var = var[..., None]  # one variance per sample
    if var.ndim != pred.ndim or any(
            v not in (1, p) for v, p in zip(var.shape, pred.shape, strict=True)):
        raise ValueError(f"var of shape {var.shape} does not match pred of shape {pred.shape}")
    return pred, (target, np.broadcast_to(var, pred.shape))


@reference(_mean_and_variance)
def gaussian_nll(pred, target, *, full=False, eps=1e-6):
    r"""Gaussian negative log-likelihood of targets under a predicted mean and a given
    variance (variance clamped below by ``eps``).

    .. math::

       \ell(\mu, y, \sigma^2) = \frac12 \left( \log v + \frac{(\mu - y)^2}{v} \right)
       \;\Bigl[+ \tfrac12 \log 2\pi\Bigr]

    with :math:`v = \max(\sigma^2, \epsilon)` and the predicted mean :math:`\mu = \hat y`;
    the bracketed constant only if ``full``.

    Parameters
    ----------
    pred : array_like
        The predicted means :math:`\mu`, float, any shape.
    target : tuple of array_like
        ``(y, var)``, in PyTorch's argument order: targets :math:`y` of ``pred``'s shape,
        and variances :math:`\sigma^2 \ge 0` of ``pred``'s shape, of ``pred``'s shape without
        the last axis (one variance per sample), or of ``pred``'s number of axes with
        size-1 axes that broadcast.
    full : bool, default False
        Add the constant :math:`\tfrac12 \log 2\pi`.
    eps : float, default 1e-06
        Lower bound :math:`\epsilon > 0` of the variance.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    With respect to the mean only: :math:`\partial \ell / \partial \mu = (\mu - y) / v`.

    Notes
    -----
    The squared term is computed as :math:`e \cdot (e / v)`: :math:`e^2` may overflow where
    :math:`e^2 / v` does not.
    """
    eps = scalar("eps", eps, low=0.0, low_open=True)
    y, var = target
    v = np.maximum(var, eps)
    e = pred - y
    loss = 0.5 * (np.log(v) + e * (e / v))  # e * e may overflow where e**2 / v does not
    return (loss + HALF_LOG_2PI if full else loss), e / v


@reference(signed_labels)
def wasserstein(pred, target):
    r"""Wasserstein (WGAN critic) loss of critic scores with labels -1 for a real sample and 1
    for a generated one.

    .. math::

       \ell(f, y) = y\, f

    with :math:`f = \hat y` the critic's score.

    Parameters
    ----------
    pred, target : array_like
        The same shape, any. ``pred``: critic scores :math:`f`, float. ``target``: labels
        :math:`y \in \{-1, 1\}` (floats), -1 for a real sample and 1 for a generated one;
        any other label is rejected.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial f = y`.

    Notes
    -----
    The mean over a batch of real samples plus the mean over a batch of generated ones is
    the critic's loss :math:`\frac1N \sum_i f(\tilde x_i) - \frac1N \sum_i f(x_i)`; minimised
    over 1-Lipschitz critics it is :math:`-W_1`, minus the Wasserstein-1 distance of the two
    samples (Kantorovich-Rubinstein duality; Arjovsky et al., 2017). The generator's loss
    is its batch with the real label, :math:`-\frac1N \sum_i f(\tilde x_i)`.

    Nothing bounds the loss from below: :math:`c f` has :math:`c` times the loss of
    :math:`f`, so the critic needs a Lipschitz constraint (weight clipping, a gradient
    penalty), which is not part of the loss.
    """
    return target * pred, target
