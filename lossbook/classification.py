"""Probabilistic classification losses: references in float64, class axis LAST.

Scores ``pred`` have shape ``(..., C)``; class-index targets have shape ``(...)``, so the
loss has one value per sample (or per pixel / point).  PyTorch puts the class axis at
position 1 (``(N, C, d1, ...)``): move it with ``movedim(1, -1)`` before comparing.
Binary losses are element-wise.  Reductions and weights: see :mod:`lossbook.reduction`.
"""

from __future__ import annotations

import numpy as np

from .inputs import (
    at_least,
    class_indices,
    class_weights,
    float_array,
    integer,
    probabilities,
    same_shape,
    scalar,
    scores_and_indices,
)
from .numerics import log_softmax, sigmoid, through_log_softmax
from .reference import reference

LOG_CLAMP = -100.0  # PyTorch BCELoss clamps each log at -100
#: PyTorch's BCELoss backward divides by max(p (1 - p), EPSILON), a float constant 1e-12
#: of its CPU kernel: 9.99999996e-13 in float64 as well.
BCE_GRAD_EPS = float(np.float32(1e-12))


def target_class_weight(pred, target, *, class_weight=None, ignore_index=-100, **_):
    """What each sample counts in PyTorch's mean for class-index targets: the weight of its
    target's class, 0 where the target is ``ignore_index`` (other parameters are unused)."""
    kept = target != ignore_index
    return class_weights(class_weight, pred.shape[-1])[np.where(kept, target, 0)] * kept


def _index_nll(logp, target, class_weight, ignore_index, smoothing):
    """PyTorch's unreduced NLL with index targets and label smoothing, on log-probabilities:
    ``l = -(1 - eps) w[y] logp[y] - (eps / C) sum_c w[c] logp[c]``, 0 where ignored.

    Returns ``(l, dl/dlogp)``; ``"mean"`` divides by ``sum w[y]``
    (:func:`target_class_weight`).
    """
    n_classes = logp.shape[-1]
    ignore_index = integer("ignore_index", ignore_index)
    target = class_indices("target", target, n_classes, ignore_index=ignore_index)
    w_class = class_weights(class_weight, n_classes)
    kept = target != ignore_index
    w = target_class_weight(logp, target, class_weight=class_weight,
                            ignore_index=ignore_index)
    # w[y] at each sample's target class, 0 elsewhere (and everywhere when it is ignored)
    at_y = np.where(target[..., None] == np.arange(n_classes), w[..., None], 0.0)
    loss = -(1.0 - smoothing) * np.sum(at_y * logp, axis=-1)
    grad = -(1.0 - smoothing) * at_y
    if smoothing:
        loss = loss - smoothing / n_classes * kept * np.sum(w_class * logp, axis=-1)
        grad = grad - smoothing / n_classes * kept[..., None] * w_class
    return loss, grad


@reference(scores_and_indices, mean=target_class_weight)
def nll(pred, target, *, class_weight=None, ignore_index=-100):
    """Negative log-likelihood of log-probabilities ``pred (..., C)`` and indices ``y``.

    ``l = -w[y] * pred[y]`` (PyTorch ``NLLLoss``); ``"mean"`` divides by ``sum w[y]`` over
    the samples whose target is not ``ignore_index`` (an error when there are none).
    """
    return _index_nll(pred, target, class_weight, ignore_index, 0.0)


@reference(scores_and_indices, mean=target_class_weight)
def cross_entropy(pred, target, *, class_weight=None, ignore_index=-100,
                  label_smoothing=0.0):
    """Cross-entropy of logits ``pred (..., C)`` and class indices ``y`` (PyTorch's formula).

    With ``logp = log_softmax(pred)`` and smoothing ``eps``:
    ``l = -(1 - eps) w[y] logp[y] - (eps / C) sum_c w[c] logp[c]`` (0 where ignored);
    ``"mean"`` divides by ``sum w[y]`` over non-ignored samples, as :func:`nll` does.
    ``dl/dpred = g - softmax(pred) sum(g)`` with ``g = dl/dlogp``.
    """
    eps = scalar("label_smoothing", label_smoothing, low=0.0, high=1.0)
    loss, dlogp = _index_nll(log_softmax(pred), target, class_weight, ignore_index, eps)
    return loss, through_log_softmax(pred, dlogp)


def _probability_targets(pred, target):
    pred, target = same_shape(pred, target)
    return pred, probabilities("target", target, axis=-1)


@reference(_probability_targets)
def categorical_cross_entropy(pred, target, *, class_weight=None, label_smoothing=0.0):
    """Cross-entropy of logits ``pred (..., C)`` and probability targets ``y (..., C)``.

    ``y' = (1 - eps) y + eps / C``; ``l = -sum_c w[c] y'_c log_softmax(pred)_c``;
    ``dl/dpred = softmax(pred) sum_c w[c] y'_c - w y'``.  ``"mean"`` divides by the number
    of samples (PyTorch ``CrossEntropyLoss`` with probability targets, Keras
    ``CategoricalCrossentropy(from_logits=True)``).
    """
    eps = scalar("label_smoothing", label_smoothing, low=0.0, high=1.0)
    n_classes = pred.shape[-1]
    wy = class_weights(class_weight, n_classes) * ((1.0 - eps) * target + eps / n_classes)
    loss = -np.sum(wy * log_softmax(pred), axis=-1)
    return loss, through_log_softmax(pred, -wy)


def _probabilities_and_targets(pred, target):
    pred, target = same_shape(pred, target)
    return probabilities("pred", pred), probabilities("target", target)


@reference(_probabilities_and_targets)
def binary_cross_entropy(pred, target):
    """Binary cross-entropy of probabilities ``p`` and targets ``y`` in [0, 1].

    ``l = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))`` (PyTorch ``BCELoss``;
    the clamp only matters for ``p < 3.7e-44``).  ``dl/dp = (p - y) / max(p (1 - p), eps)``,
    PyTorch's backward formula with its ``eps = float32(1e-12)``: the exact derivative
    wherever ``p (1 - p) >= eps``, and at most 1e12 in magnitude.
    """
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(pred), LOG_CLAMP)
        log_q = np.maximum(np.log1p(-pred), LOG_CLAMP)
    loss = -(target * log_p + (1.0 - target) * log_q)
    return loss, (pred - target) / np.maximum(pred * (1.0 - pred), BCE_GRAD_EPS)


def _logits_and_probability_targets(pred, target):
    pred, target = same_shape(pred, target)
    return pred, probabilities("target", target)


def _bce_logits(x, y, pw):
    """``(1 - y) x - (1 + (pw - 1) y) log sigmoid(x)`` as a sum of non-negative terms,
    ``(1 - y) max(x, 0) + pw y max(-x, 0) + (1 + (pw - 1) y) log1p(exp(-|x|))``, so that
    nothing cancels (the direct form loses all digits at ``x = -30, y = 0``)."""
    return ((1.0 - y) * np.maximum(x, 0.0) + pw * y * np.maximum(-x, 0.0)
            + (1.0 + (pw - 1.0) * y) * np.log1p(np.exp(-np.abs(x))))


@reference(_logits_and_probability_targets)
def bce_with_logits(pred, target, *, pos_weight=None):
    """Binary cross-entropy of logits ``x`` and targets ``y`` in [0, 1], with ``pos_weight``.

    ``l = (1 - y) x - (1 + (pw - 1) y) log sigmoid(x)`` (PyTorch ``BCEWithLogitsLoss``);
    ``pw`` broadcasts against the LAST axis (one weight per class).
    ``dl/dx = (1 - y) - (1 + (pw - 1) y) sigmoid(-x)``, computed as
    ``(1 - y) sigmoid(x) - pw y sigmoid(-x)`` (no ``1 - sigmoid(-x)``, which is 0 for
    ``x < -37`` instead of ``sigmoid(x)``).
    """
    if pos_weight is None:
        pw = np.ones(pred.shape[-1:])
    else:
        pw = at_least("pos_weight", float_array("pos_weight", pos_weight), 0.0)
    try:
        pw = np.broadcast_to(pw, target.shape)
    except ValueError:
        raise ValueError(f"pos_weight of shape {pw.shape} does not broadcast to the target "
                         f"shape {target.shape} (it aligns with the last axis)") from None
    grad = (1.0 - target) * sigmoid(pred) - pw * target * sigmoid(-pred)
    return _bce_logits(pred, target, pw), grad


@reference(_logits_and_probability_targets)
def focal(pred, target, *, alpha=0.25, gamma=2.0):
    """Sigmoid focal loss of logits ``x`` and targets ``y`` (Lin et al. 2017).

    ``p = sigmoid(x)``, ``1 - p_t = y (1 - p) + (1 - y) p``, ``ce = bce_with_logits``,
    ``l = a_t (1 - p_t)**gamma ce`` with ``a_t = alpha y + (1 - alpha)(1 - y)``, or
    ``a_t = 1`` when ``alpha is None`` (torchvision's ``alpha < 0``).
    """
    gamma = scalar("gamma", gamma, low=0.0)
    if alpha is None:
        a_t = np.ones_like(target)
    else:
        alpha = scalar("alpha", alpha, low=0.0, high=1.0)
        a_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    p, q = sigmoid(pred), sigmoid(-pred)  # p and 1 - p
    miss = target * q + (1.0 - target) * p  # 1 - p_t
    ce = _bce_logits(pred, target, 1.0)
    dce = (1.0 - target) * p - target * q  # p - y, without cancellation for y = 1
    dmiss = (1.0 - 2.0 * target) * p * q
    factor = miss**gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        dfactor = np.where(miss > 0, gamma * miss ** (gamma - 1.0), 0.0) * dmiss
    return a_t * factor * ce, a_t * (dfactor * ce + factor * dce)
