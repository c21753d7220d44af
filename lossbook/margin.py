"""Margin-based classification losses: references in float64, class axis LAST.

Binary losses take scores ``f`` and labels ``y`` in {-1, 1} (the margin is ``y f``);
multi-class losses take scores ``(..., C)`` and integer or one-hot targets.
Reductions and weights: see :mod:`lossbook.reduction`.
"""

from __future__ import annotations

import numpy as np

from .inputs import (
    class_indices,
    class_weights,
    float_array,
    integers,
    labels,
    same_shape,
    scalar,
    scores_and_indices,
    signed_labels,
)
from .numerics import log_sigmoid, sigmoid
from .reference import reference


def _binary(pred, target):
    pred, target = same_shape(pred, target)
    return pred, labels("target", target, (0.0, 1.0))


def _one_hot(pred, target):
    pred, target = same_shape(pred, target)
    target = labels("target", target, (0.0, 1.0))
    sums = target.sum(axis=-1)
    if np.any(sums != 1):
        raise ValueError(f"target must be one-hot along the last axis, got a row with "
                         f"{sums[sums != 1].flat[0]:g} ones")
    return pred, target


@reference(signed_labels)
def hinge(pred, target):
    """Hinge loss ``l = max(0, 1 - y f)`` with ``y`` in {-1, 1} (Keras ``Hinge``).

    ``dl/df = -y`` where ``y f <= 1``, else 0: at the kink ``y f = 1`` this is Keras'
    subgradient (``maximum(1 - y f, 0)`` passes the gradient to its first argument at a tie).
    """
    active = 1.0 - target * pred >= 0
    return np.maximum(0.0, 1.0 - target * pred), np.where(active, -target, 0.0)


@reference(signed_labels)
def squared_hinge(pred, target):
    """Squared hinge ``l = max(0, 1 - y f)**2`` (Keras ``SquaredHinge``);
    ``dl/df = -2 y max(0, 1 - y f)``."""
    slack = np.maximum(0.0, 1.0 - target * pred)
    return slack * slack, -2.0 * target * slack


@reference(signed_labels)
def soft_margin(pred, target):
    """Logistic (soft margin) loss ``l = log(1 + exp(-y f)) = -log sigmoid(y f)``
    (PyTorch ``SoftMarginLoss``); ``dl/df = -y sigmoid(-y f)``."""
    m = target * pred
    return -log_sigmoid(m), -target * sigmoid(-m)


@reference(_one_hot)
def categorical_hinge(pred, target, *, crammer_singer=False):
    """Multi-class hinge of scores ``s (..., C)`` and one-hot targets ``y``.

    Keras ``CategoricalHinge``: ``l = max(0, 1 + max_j (1 - y_j) s_j - s_y)``: the target
    entry enters the inner max as 0, so ``l`` is ``max(0, 1 - s_y)`` when every other
    score is negative.  ``crammer_singer=True`` takes the max over ``j != y`` only
    (Crammer and Singer 2001; optax ``multiclass_hinge_loss``).

    Subgradients as Keras picks them: at ``l``'s kink (margin exactly 1) the hinge is
    active; a tied maximum shares the gradient equally among the tied entries (the target
    entry, 0 in the max, takes its share and passes nothing on).
    """
    pos = np.sum(target * pred, axis=-1)
    others = np.where(target == 1, -np.inf, pred) if crammer_singer else (1 - target) * pred
    neg = np.max(others, axis=-1)
    z = 1.0 - (pos - neg)  # pos - neg first: exact when the two scores are close
    ties = others == neg[..., None]
    share = ties / np.sum(ties, axis=-1, keepdims=True) * (1.0 - target)
    return np.maximum(0.0, z), np.where((z >= 0)[..., None], share - target, 0.0)


@reference(scores_and_indices)
def multi_margin(pred, target, *, p=1, margin=1.0, class_weight=None):
    """Multi-class margin loss of scores ``x (..., C)`` and indices ``y`` (PyTorch
    ``MultiMarginLoss``): ``l = (1/C) sum_{i != y} w[y] max(0, margin - x_y + x_i)**p``.

    The class weight multiplies AFTER the power, as in PyTorch's kernel (its docstring
    writes ``max(0, w[y] (...))**p``, which differs for ``p = 2``).  ``p`` is 1 or 2;
    ``"mean"`` divides by the number of samples.  A term at its kink (``x_y - x_i``
    exactly ``margin``) contributes no gradient, as in PyTorch's kernel (``z > 0``).
    """
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    margin = scalar("margin", margin)
    n_classes = pred.shape[-1]
    target = class_indices("target", target, n_classes)
    w = class_weights(class_weight, n_classes)[target][..., None]
    onehot = target[..., None] == np.arange(n_classes)
    x_y = np.take_along_axis(pred, target[..., None], axis=-1)
    slack = np.where(onehot, 0.0, np.maximum(0.0, margin - (x_y - pred)))
    d_others = w * p * slack ** (p - 1) * (slack > 0) / n_classes
    grad = np.where(onehot, -np.sum(d_others, axis=-1, keepdims=True), d_others)
    return np.sum(w * slack**p, axis=-1) / n_classes, grad


def _padded_indices(pred, target):
    """Scores ``(..., C)`` and integer targets of the same shape: class indices, padded
    with -1 (only the entries before the first -1 count)."""
    pred, target = float_array("pred", pred), integers("target", target)
    if target.shape != pred.shape or pred.ndim == 0:
        raise ValueError(f"target must have the shape of pred (class indices padded with "
                         f"-1), got pred {pred.shape} and target {target.shape}")
    return pred, class_indices("target", target, pred.shape[-1], padding=-1)


@reference(_padded_indices)
def multilabel_margin(pred, target):
    """Multi-label margin loss (PyTorch ``MultiLabelMarginLoss``).

    The targets of a sample are the entries of ``target`` before its first -1;
    ``l = (1/C) sum_{j in targets} sum_{i not in targets} max(0, 1 - (x_j - x_i))``.
    A pair at its kink (``x_j - x_i = 1`` exactly) contributes no gradient, as in
    PyTorch's kernel (``z > 0``).
    """
    n_classes = pred.shape[-1]
    counted = np.cumprod(target != -1, axis=-1).astype(bool)  # the prefix before -1
    t = np.where(counted, target, 0)
    hits = (t[..., :, None] == np.arange(n_classes)) & counted[..., :, None]  # (.., j, c)
    is_target = hits.any(axis=-2)
    x_j = np.take_along_axis(pred, t, axis=-1)
    slack = 1.0 - (x_j[..., :, None] - pred[..., None, :])  # (..., j, i)
    pairs = counted[..., :, None] & ~is_target[..., None, :]
    active = pairs & (slack > 0)
    loss = np.sum(np.where(active, slack, 0.0), axis=(-2, -1)) / n_classes
    d_i = active.sum(axis=-2)  # how often x_i appears with a + sign
    d_j = np.einsum("...jc,...j->...c", hits.astype(float), active.sum(axis=-1))
    return loss, (d_i - d_j) / n_classes


@reference(_binary)
def multilabel_soft_margin(pred, target, *, class_weight=None):
    """Multi-label soft margin of logits ``x (..., C)`` and 0/1 labels (PyTorch
    ``MultiLabelSoftMarginLoss``): the mean over classes of the weighted BCE with logits,
    ``l = -(1/C) sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))``;
    ``dl/dx_c = w_c (sigmoid(x_c) - y_c) / C``, computed as
    ``w_c ((1 - y_c) sigmoid(x_c) - y_c sigmoid(-x_c)) / C`` (no cancellation at ``y = 1``).
    """
    n_classes = pred.shape[-1]
    w = class_weights(class_weight, n_classes)
    per_class = -(target * log_sigmoid(pred) + (1.0 - target) * log_sigmoid(-pred))
    dx = (1.0 - target) * sigmoid(pred) - target * sigmoid(-pred)
    return np.mean(w * per_class, axis=-1), w * dx / n_classes
