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
    r"""Hinge loss: linear in the margin below 1, zero from margin 1 on.

    .. math::

       \ell = \max(0, 1 - y f), \qquad y \in \{-1, 1\}

    Parameters
    ----------
    pred, target : array_like
        Scores :math:`f` (real, e.g. logits) and labels :math:`y \in \{-1, 1\}` (0/1 labels
        are an error, not converted), the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial f = -y` where :math:`y f \le 1`, else 0: at the kink
    :math:`y f = 1` this is Keras' subgradient (``maximum(1 - y f, 0)`` passes the gradient
    to its first argument at a tie).

    Notes
    -----
    Keras' ``Hinge`` converts a batch whose labels are all 0 or 1 to :math:`2y - 1`; this
    reference rejects such labels rather than guess the convention.
    """
    active = 1.0 - target * pred >= 0
    return np.maximum(0.0, 1.0 - target * pred), np.where(active, -target, 0.0)


@reference(signed_labels)
def squared_hinge(pred, target):
    r"""Squared hinge loss: the hinge squared, differentiable at margin 1.

    .. math::

       \ell = \max(0, 1 - y f)^2, \qquad y \in \{-1, 1\}

    Parameters
    ----------
    pred, target : array_like
        Scores :math:`f` (real, e.g. logits) and labels :math:`y \in \{-1, 1\}` (0/1 labels
        are an error, not converted), the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial f = -2 y \max(0, 1 - y f)` (0 at the margin
    :math:`y f = 1`).
    """
    slack = np.maximum(0.0, 1.0 - target * pred)
    return slack * slack, -2.0 * target * slack


@reference(signed_labels)
def soft_margin(pred, target):
    r"""Logistic (soft margin) loss: a smooth hinge that never reaches 0.

    .. math::

       \ell = \log\bigl(1 + e^{-y f}\bigr) = -\log \sigma(y f), \qquad y \in \{-1, 1\}

    with :math:`\sigma` the sigmoid (PyTorch ``SoftMarginLoss``); the binary cross-entropy
    of logits (:func:`~lossbook.classification.bce_with_logits`) with the labels
    :math:`(y + 1) / 2`.

    Parameters
    ----------
    pred, target : array_like
        Scores :math:`f` (real, e.g. logits) and labels :math:`y \in \{-1, 1\}` (0/1 labels
        are an error, not converted), the same shape (any).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial f = -y \, \sigma(-y f)`.

    Notes
    -----
    :math:`\log \sigma` is computed as :math:`-\bigl(\max(-m, 0) + \operatorname{log1p}
    (e^{-\lvert m \rvert})\bigr)`, :math:`m = y f`: no overflow and no cancellation.
    """
    m = target * pred
    return -log_sigmoid(m), -target * sigmoid(-m)


@reference(_one_hot)
def categorical_hinge(pred, target, *, crammer_singer=False):
    r"""Multi-class hinge of scores and one-hot targets: Keras' form, or Crammer-Singer.

    .. math::

       \ell = \max\Bigl(0, 1 + \max_{j} (1 - t_j) \, s_j - s_y\Bigr)

    for scores :math:`s`, a one-hot target :math:`t` and the true class :math:`y`
    (:math:`t_y = 1`): Keras ``CategoricalHinge``. The target entry enters the inner max as
    0, so the inner max is :math:`\max(0, \max_{j \ne y} s_j)` and :math:`\ell` is
    :math:`\max(0, 1 - s_y)` when every other score is negative. With
    ``crammer_singer=True``, the max is over :math:`j \ne y` only (Crammer and Singer
    2001; optax ``multiclass_hinge_loss``):

    .. math::

       \ell_{\mathrm{CS}} = \max\Bigl(0, 1 + \max_{j \ne y} s_j - s_y\Bigr)

    Parameters
    ----------
    pred, target : array_like
        Scores :math:`s` and one-hot targets :math:`t` (0/1, exactly one 1 per row), the
        same shape ``(..., C)``, class axis LAST.
    crammer_singer : bool, default False
        Take the inner max over the other classes only (Crammer-Singer) instead of
        Keras' form.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sample, shape ``(...)``.

    Gradient
    --------
    Where the hinge is active, :math:`\partial \ell / \partial s_y = -1` and
    :math:`\partial \ell / \partial s_j = 1` at the class :math:`j \ne y` that attains the
    inner max (none when Keras' max is the target entry's 0); 0 elsewhere.
    Subgradients as Keras picks them: at the kink (margin exactly 1, :math:`\ell = 0`) the
    hinge is active; a tied maximum shares the 1 equally among the tied entries (the
    target entry, 0 in Keras' max, takes its share and passes nothing on).
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
    r"""Multi-class margin loss: one hinge per wrong class, averaged over the classes.

    .. math::

       \ell = \frac{1}{C} \sum_{i \ne y} w_y \max(0, \Delta - x_y + x_i)^p

    for scores :math:`x`, the class index :math:`y` and the margin :math:`\Delta` (PyTorch
    ``MultiMarginLoss``).

    Parameters
    ----------
    pred : array_like
        Scores :math:`x`, shape ``(..., C)``, e.g. ``(N, C)`` or ``(C,)``: class axis LAST.
    target : array_like
        Class indices :math:`y` in ``[0, C)``, an integer dtype, shape ``(...)``
        (``pred``'s without the class axis).
    p : int, default 1
        The power of each hinge, 1 or 2.
    margin : float, default 1.0
        :math:`\Delta`, the margin by which the true score should beat each other score.
    class_weight : array_like, optional, default None
        Per-class weights :math:`w` of shape ``(C,)``, all ``>= 0``; ``None`` means all
        ones.

    Returns
    -------
    float or ndarray
        The reduced loss; ``'mean'`` divides by the number of samples, not by the weights.
        With ``reduction='none'``, one value per sample, ``target``'s shape.

    Gradient
    --------
    With :math:`h_i = \max(0, \Delta - x_y + x_i)`:
    :math:`\partial \ell / \partial x_i = w_y \, p \, h_i^{p - 1} [h_i > 0] / C` for
    :math:`i \ne y`, and :math:`\partial \ell / \partial x_y = -\sum_{i \ne y}
    \partial \ell / \partial x_i`. A term at its kink (:math:`x_y - x_i` exactly
    :math:`\Delta`) contributes no gradient, as in PyTorch's kernel (``z > 0``).

    Notes
    -----
    The class weight multiplies AFTER the power, as in PyTorch's kernel (its
    documentation wrote :math:`\max(0, w_y (\cdots))^p` until 2023, which differs for
    :math:`p = 2`).
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
    r"""Multi-label margin loss: every target class should beat every other class by 1.

    .. math::

       \ell = \frac{1}{C} \sum_{j \in Y} \sum_{i \notin Y} \max\bigl(0, 1 - (x_j - x_i)\bigr)

    for scores :math:`x` and the set :math:`Y` of a sample's target classes: the entries
    of its ``target`` row before the first -1 (PyTorch ``MultiLabelMarginLoss``).

    Parameters
    ----------
    pred : array_like
        Scores :math:`x`, shape ``(..., C)``, e.g. ``(N, C)`` or ``(C,)``: class axis LAST.
    target : array_like
        Class indices, an integer dtype, ``pred``'s shape: each row lists the sample's
        target classes (in ``[0, C)``) and is padded with -1; entries after the first -1
        are ignored. Not a multi-hot vector.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sample, shape ``(...)``.

    Gradient
    --------
    Each pair :math:`(j, i)` with :math:`x_j - x_i < 1` adds :math:`-1/C` to
    :math:`\partial \ell / \partial x_j` and :math:`+1/C` to
    :math:`\partial \ell / \partial x_i`. A pair at its kink (:math:`x_j - x_i = 1`
    exactly) contributes no gradient, as in PyTorch's kernel (``z > 0``).

    Notes
    -----
    The sum over :math:`j \in Y` runs over the entries of the row: an index listed twice
    before the -1 is counted twice, as in PyTorch. A row starting with -1 has
    :math:`Y = \emptyset` and loss 0.
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
    r"""Multi-label soft margin loss: the class average of binary cross-entropies of logits.

    .. math::

       \ell = -\frac{1}{C} \sum_{c=1}^{C} w_c \bigl(y_c \log \sigma(x_c)
       + (1 - y_c) \log \sigma(-x_c)\bigr)

    for logits :math:`x`, 0/1 labels :math:`y` and the sigmoid :math:`\sigma` (PyTorch
    ``MultiLabelSoftMarginLoss``).

    Parameters
    ----------
    pred, target : array_like
        Logits :math:`x` and multi-hot labels :math:`y` (only 0 and 1), the same shape
        ``(..., C)``, class axis LAST.
    class_weight : array_like, optional, default None
        Per-class weights :math:`w` of shape ``(C,)``, all ``>= 0``; ``None`` means all
        ones.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sample, shape ``(...)``.

    Gradient
    --------
    :math:`\partial \ell / \partial x_c = w_c \bigl(\sigma(x_c) - y_c\bigr) / C`, computed
    as :math:`w_c \bigl((1 - y_c) \, \sigma(x_c) - y_c \, \sigma(-x_c)\bigr) / C` (no
    cancellation at :math:`y_c = 1`).
    """
    n_classes = pred.shape[-1]
    w = class_weights(class_weight, n_classes)
    per_class = -(target * log_sigmoid(pred) + (1.0 - target) * log_sigmoid(-pred))
    dx = (1.0 - target) * sigmoid(pred) - target * sigmoid(-pred)
    return np.mean(w * per_class, axis=-1), w * dx / n_classes
