"""Ranking and similarity losses: references in float64.

Several of these losses take more than a prediction and a target (``x1, x2, y`` or
``anchor, positive, negative``). Their references keep the signature
``ref(first_input, target)``: the other inputs travel together as a tuple ``target``, in the
framework's argument order, and the gradient is taken with respect to the first input
only (``x1``, or the anchor). Vectors lie along the last axis; labels are floats.
"""

from __future__ import annotations

import numpy as np

from .inputs import at_least, float_array, labels, like, parts, same_shape, scalar, signed_labels
from .reference import reference

#: Added to each squared norm in PyTorch's cosine embedding loss (aten Loss.cpp, EPSILON).
COSINE_EMBEDDING_EPS = 1e-12
#: Lower bound of the norms in Keras' ``normalize`` (``keras.config.epsilon()``).
KERAS_EPSILON = 1e-7


def _vectors(name: str, x) -> np.ndarray:
    arr = float_array(name, x)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a feature axis (at least 1-D), got a scalar")
    return arr


def _ranked(x1, target):
    """``x1`` and ``target = (x2, y)``: one shape, ``y`` in {-1, 1}."""
    x1 = float_array("x1", x1)
    x2, y = parts("target", target, ("x2", "y"))
    return x1, (like("x2", x2, "x1", x1), labels("y", like("y", y, "x1", x1), (-1.0, 1.0)))


def _paired_vectors(x1, target):
    """``x1`` of shape (..., D) and ``target = (x2, y)``: x2 like x1, y of shape (...)."""
    x1 = _vectors("x1", x1)
    x2, y = parts("target", target, ("x2", "y"))
    y = like("y", y, "x1[..., 0]", x1[..., 0])
    return x1, (like("x2", x2, "x1", x1), labels("y", y, (-1.0, 1.0)))


def _triplet(anchor, target):
    """``anchor`` of shape (..., D) and ``target = (positive, negative)`` of the same shape."""
    anchor = _vectors("anchor", anchor)
    positive, negative = parts("target", target, ("positive", "negative"))
    return anchor, (like("positive", positive, "anchor", anchor),
                    like("negative", negative, "anchor", anchor))


def _feature_pairs(pred, target):
    pred, target = same_shape(pred, target)
    if pred.ndim == 0:
        raise ValueError("pred must have a feature axis (at least 1-D), got a scalar")
    return pred, target


def _distances_and_pair_labels(pred, target):
    pred, target = same_shape(pred, target)
    return at_least("pred", pred, 0.0), labels("target", target, (0.0, 1.0))


@reference(_ranked)
def margin_ranking(x1, target, *, margin=0.0):
    """Margin ranking loss, ``target = (x2, y)`` with ``y`` in {-1, 1}:
    ``l = max(0, -y (x1 - x2) + margin)``.

    ``y = 1`` asks for ``x1 > x2 + margin``. The margin is inside the max.
    Gradient with respect to ``x1`` only: ``dl/dx1 = -y`` where ``l > 0``, else 0.
    """
    margin = scalar("margin", margin)
    x2, y = target
    z = -y * (x1 - x2) + margin
    return np.maximum(z, 0.0), np.where(z > 0, -y, 0.0)


@reference(signed_labels)
def hinge_embedding(pred, target, *, margin=1.0):
    """Hinge embedding loss for a (usually non-negative) distance ``pred`` and labels
    ``target`` in {-1, 1}: ``l = pred`` if ``target = 1``, ``max(0, margin - pred)`` if -1.

    ``dl/dpred = 1`` for ``target = 1``; ``-1`` where ``margin - pred > 0`` for ``target = -1``.
    """
    margin = scalar("margin", margin)
    similar = target == 1.0
    z = margin - pred
    loss = np.where(similar, pred, np.maximum(z, 0.0))
    return loss, np.where(similar, 1.0, np.where(z > 0, -1.0, 0.0))


def _cos_and_grad(a, b, na, nb):
    """``cos = a.b / (na nb)`` over the last axis and ``d cos / d a``, for given norms."""
    cos = np.sum(a * b, axis=-1) / (na * nb)
    grad = b / (na * nb)[..., None] - (cos / na**2)[..., None] * a
    return cos, grad


@reference(_paired_vectors)
def cosine_embedding(x1, target, *, margin=0.0):
    """Cosine embedding loss, ``target = (x2, y)``, vectors along the last axis,
    ``y`` in {-1, 1} (one label per pair):

    ``l = 1 - cos(x1, x2)`` if ``y = 1``, ``max(0, cos(x1, x2) - margin)`` if ``y = -1``,
    with PyTorch's ``cos = x1.x2 / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))``.
    Gradient with respect to ``x1`` only.
    """
    margin = scalar("margin", margin, low=-1.0, high=1.0)
    x2, y = target
    n1 = np.sqrt(np.sum(x1 * x1, axis=-1) + COSINE_EMBEDDING_EPS)
    n2 = np.sqrt(np.sum(x2 * x2, axis=-1) + COSINE_EMBEDDING_EPS)
    cos, dcos = _cos_and_grad(x1, x2, n1, n2)
    similar = y == 1.0
    loss = np.where(similar, 1.0 - cos, np.maximum(cos - margin, 0.0))
    scale = np.where(similar, -1.0, np.where(cos > margin, 1.0, 0.0))
    return loss, scale[..., None] * dcos


@reference(_feature_pairs)
def cosine_similarity(pred, target):
    """Keras' cosine similarity loss, one value per sample (vectors along the last axis):
    ``l = -normalize(target) . normalize(pred)``, ``normalize(x) = x / max(|x|, 1e-7)``.

    It is ``-cos(pred, target)``, in [-1, 1]; 0 if either vector is zero.
    Gradient with respect to ``pred``.
    """
    norm_p = np.maximum(np.linalg.norm(pred, axis=-1), KERAS_EPSILON)
    t = target / np.maximum(np.linalg.norm(target, axis=-1), KERAS_EPSILON)[..., None]
    cos, dcos = _cos_and_grad(pred, t, norm_p, np.ones_like(norm_p))
    clamped = np.linalg.norm(pred, axis=-1) < KERAS_EPSILON  # the norm is the constant eps
    dcos = np.where(clamped[..., None], t / KERAS_EPSILON, dcos)
    return -cos, -dcos


def _pnorm_and_grad(u, p):
    """``|u|_p`` over the last axis and its gradient (0 where the norm is 0)."""
    scale = np.max(np.abs(u), axis=-1, keepdims=True)  # avoids overflow of |u|**p
    safe = np.where(scale > 0, scale, 1.0)
    r = np.abs(u) / safe
    norm = safe[..., 0] * np.sum(r**p, axis=-1) ** (1.0 / p)
    rn = np.where(norm > 0, norm, 1.0)[..., None] / safe
    grad = np.sign(u) * (r / rn) ** (p - 1.0)
    return norm, np.where((norm > 0)[..., None], grad, 0.0)


@reference(_triplet)
def triplet_margin(anchor, target, *, margin=1.0, p=2.0, eps=1e-6, swap=False):
    """Triplet margin loss, ``target = (positive, negative)``, vectors along the last axis:

    ``l = max(d(a, pos) - d(a, neg) + margin, 0)`` with PyTorch's distance
    ``d(x, y) = |x - y + eps|_p``: ``eps`` is added to the difference, so
    ``d(x, x) = eps D**(1/p)``, not 0. With ``swap``, ``d(a, neg)`` is replaced by
    ``min(d(a, neg), d(pos, neg))`` (Balntas et al., 2016). ``margin > 0``, ``p >= 1``.
    Gradient with respect to the anchor only.
    """
    margin = scalar("margin", margin, low=0.0, low_open=True)
    p = scalar("p", p, low=1.0)
    eps = scalar("eps", eps, low=0.0)
    positive, negative = target
    d_pos, g_pos = _pnorm_and_grad(anchor - positive + eps, p)
    d_neg, g_neg = _pnorm_and_grad(anchor - negative + eps, p)
    if swap:
        d_swap, _ = _pnorm_and_grad(positive - negative + eps, p)
        g_neg = np.where((d_swap < d_neg)[..., None], 0.0, g_neg)  # d(pos, neg) has no anchor
        d_neg = np.minimum(d_neg, d_swap)
    z = d_pos - d_neg + margin
    return np.maximum(z, 0.0), np.where((z > 0)[..., None], g_pos - g_neg, 0.0)


@reference(_distances_and_pair_labels)
def contrastive(pred, target, *, margin=1.0, similar=1):
    """Contrastive loss of a distance ``pred >= 0`` with pair labels ``target`` in {0, 1}:
    ``l = d**2`` for a similar pair, ``max(margin - d, 0)**2`` for a dissimilar one.

    ``similar`` is the label of a similar pair, and conventions differ: 1 in TF Addons'
    ``ContrastiveLoss``, 0 in Hadsell et al. (2006) and Flux's ``siamese_contrastive_loss``.
    (Hadsell et al. also halve both terms.) ``dl/dpred = 2 d`` or ``-2 max(margin - d, 0)``.
    """
    margin = scalar("margin", margin, low=0.0)
    if similar not in (0, 1) or isinstance(similar, bool):
        raise ValueError(f"similar must be the label 0 or 1, got {similar!r}")
    close = target == similar
    gap = np.maximum(margin - pred, 0.0)
    return np.where(close, pred**2, gap**2), np.where(close, 2.0 * pred, -2.0 * gap)
