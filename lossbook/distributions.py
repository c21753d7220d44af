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
    """Stirling's approximation of ``log(target!)``, ``t log t - t + log(2 pi t) / 2``,
    where ``t > 1`` and 0 elsewhere (the mask of PyTorch and TensorFlow)."""
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
    """Kullback-Leibler divergence terms with ``pred = log q`` (log-probabilities):
    ``l = t (log t - log q)`` (``0 log 0 = 0``), or with ``log_target`` (``target = log t``)
    ``l = exp(log t) (log t - log q)``. Summed over the last axis: ``KL(t || q)``.

    PyTorch's ``reduction="batchmean"`` is ``reduction="sum"`` divided by the batch size.
    ``dl/dpred = -t``.
    """
    if log_target:
        t = sums_to_one("exp(target)", np.exp(target))
        return t * (target - pred), -t
    t = probabilities("target", target, axis=-1)
    log_t = np.log(np.where(t > 0, t, 1.0))  # t log t = 0 at t = 0
    return t * (log_t - pred), -t


@reference(same_shape)
def poisson_nll(pred, target, *, log_input=True, full=False, eps=1e-8):
    """Poisson negative log-likelihood of counts ``target >= 0`` under a predicted rate:
    ``l = exp(x) - t x`` for a log-rate ``x`` (``log_input``), else
    ``l = x - t log(x + eps)`` for a rate ``x >= 0``; ``full`` adds :func:`stirling`.

    The exact NLL is ``rate - t log(rate) + log(t!)``; the last term does not depend on
    the prediction. ``dl/dpred = exp(x) - t`` or ``1 - t / (x + eps)``.

    With ``full``, the sum for ``t > 1`` is computed as ``t phi(log t - log r) +
    log(2 pi t) / 2`` (plus ``x - r = -eps`` for a rate ``x``), ``r`` the rate and
    ``phi(d) = exp(-d) - 1 + d >= 0``: the terms ``r``, ``t log r`` and ``t log t`` are of
    size ``t log t`` and cancel near the optimum ``r = t`` (to 7.8 at ``t = 1e6``).
    ``d = log(t / r)`` (``log t - log r`` where ``r`` under- or overflows), and ``phi`` is
    its Taylor series for ``|d| < 1/2``, where ``expm1(-d) + d`` would cancel.
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
    """Gaussian negative log-likelihood of ``target = (y, var)`` under mean ``pred``:
    ``l = (log v + (pred - y)**2 / v) / 2`` with ``v = max(var, eps)``, plus
    ``log(2 pi) / 2`` if ``full``. Gradient with respect to the mean ``pred`` only:
    ``dl/dpred = (pred - y) / v``.
    """
    eps = scalar("eps", eps, low=0.0, low_open=True)
    y, var = target
    v = np.maximum(var, eps)
    e = pred - y
    loss = 0.5 * (np.log(v) + e * (e / v))  # e * e may overflow where e**2 / v does not
    return (loss + HALF_LOG_2PI if full else loss), e / v


@reference(signed_labels)
def wasserstein(pred, target):
    """Wasserstein (WGAN critic) loss of critic scores ``pred`` with labels ``target`` in
    {-1, 1}, -1 for a real sample and 1 for a generated one: ``l = target * pred``.

    The mean over a batch of real samples plus the mean over a batch of generated ones is
    the critic's loss ``mean f(generated) - mean f(real)``; minimised over 1-Lipschitz
    critics it is ``-W1``, the Wasserstein-1 distance of the two samples (Kantorovich-
    Rubinstein duality; Arjovsky et al., 2017). The generator's loss is its batch with
    the real label, ``-mean f(generated)``. ``dl/dpred = target``.

    Nothing bounds the loss from below: ``c f`` has ``c`` times the loss of ``f``, so the
    critic needs a Lipschitz constraint (weight clipping, a gradient penalty), which is
    not part of the loss.
    """
    return target * pred, target
