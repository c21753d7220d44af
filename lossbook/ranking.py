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

#: Added to each squared norm in PyTorch's cosine embedding loss (aten Loss.cpp, EPSILON):
#: the float32 number nearest 1e-12, also in float64.
COSINE_EMBEDDING_EPS = float(np.float32(1e-12))
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
    r"""Margin ranking loss: a pair of scores costs until it is in the order its label asks
    for, by at least the margin.

    .. math::

       \ell(x_1, x_2, y) = \max\bigl(0,\ -y\,(x_1 - x_2) + m\bigr)

    Parameters
    ----------
    x1 : array_like
        First scores :math:`x_1`, float, any shape.
    target : tuple of array_like
        ``(x2, y)``, in PyTorch's argument order: the second scores :math:`x_2` and labels
        :math:`y \in \{-1, 1\}` (floats), both of ``x1``'s shape (no broadcasting).
        :math:`y = 1` asks for :math:`x_1 > x_2 + m`, :math:`y = -1` for
        :math:`x_2 > x_1 + m`; any other label is rejected.
    margin : float, default 0.0
        The margin :math:`m`, any real number; it is inside the max.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per pair (``x1``'s shape).

    Gradient
    --------
    With respect to ``x1`` only (the one for ``x2`` is its negative):
    :math:`\partial \ell / \partial x_1 = -y` where :math:`-y\,(x_1 - x_2) + m \ge 0`,
    else 0. At the kink (:math:`= 0`) it is :math:`-y`, PyTorch's choice (its ``clamp_min``
    passes the gradient at equality).
    """
    margin = scalar("margin", margin)
    x2, y = target
    z = margin - y * (x1 - x2)
    return np.maximum(z, 0.0), np.where(z >= 0, -y, 0.0)


@reference(signed_labels)
def hinge_embedding(pred, target, *, margin=1.0):
    r"""Hinge embedding loss: a distance is charged as is for a similar pair, and up to the
    margin for a dissimilar one.

    .. math::

       \ell(\hat y, y) = \begin{cases} \hat y & y = 1 \\
       \max(0,\ m - \hat y) & y = -1 \end{cases}

    Parameters
    ----------
    pred, target : array_like
        ``pred``: the input :math:`\hat y`, usually a non-negative distance between two
        embeddings (not checked), float, any shape. ``target``: labels :math:`y \in \{-1, 1\}`
        (floats) of the same shape, 1 for a similar pair and -1 for a dissimilar one; any
        other label is rejected.
    margin : float, default 1.0
        The margin :math:`m` that dissimilar pairs are pushed to, any real number.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y = 1` for :math:`y = 1`; for :math:`y = -1`,
    :math:`-1` where :math:`\hat y \le m` and 0 elsewhere. At :math:`\hat y = m` it is
    :math:`-1`, PyTorch's choice (its ``clamp_min`` passes the gradient).
    """
    margin = scalar("margin", margin)
    similar = target == 1.0
    z = margin - pred
    loss = np.where(similar, pred, np.maximum(z, 0.0))
    return loss, np.where(similar, 1.0, np.where(z >= 0, -1.0, 0.0))


def _cosine(a, b, eps=0.0):
    """``cos = a.b / sqrt((|a|^2 + eps) (|b|^2 + eps))`` over the last axis, ``1 - cos``
    and ``d cos / d a``, from the unit vectors ``u = x / |x|`` (no overflow of ``a.b``,
    exact in one dimension).

    With ``c = u_a.u_b``, ``n = sqrt(|x|^2 + eps)`` and ``r = |x| / n``:
    ``cos = c r_a r_b``; ``1 - cos = (1 - r_a r_b) + r_a r_b |u_a - u_b|^2 / 2`` (``1 - cos``
    of nearly parallel vectors would keep only the digits in which ``cos`` differs from
    1); ``d cos / d a = r_b ((u_b - c u_a) + c (eps / n_a^2) u_a) / n_a``.  A zero vector
    has ``u = 0``.
    """
    la, lb = _pnorm_and_grad(a, 2.0)[0], _pnorm_and_grad(b, 2.0)[0]
    ua = a / np.where(la > 0, la, 1.0)[..., None]
    ub = b / np.where(lb > 0, lb, 1.0)[..., None]
    c = np.sum(ua * ub, axis=-1)
    root = np.sqrt(eps)
    na, nb = np.hypot(la, root), np.hypot(lb, root)  # no overflow of |x|^2
    na, nb = np.where(na > 0, na, 1.0), np.where(nb > 0, nb, 1.0)  # 0 only for eps = 0
    def log_ratio(q):  # log r = -log(sqrt(1 + q^2)), q = sqrt(eps) / |x|, no overflow
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(q < 1.0, -0.5 * np.log1p(np.minimum(q, 1.0) ** 2),
                            -np.log(q) - 0.5 * np.log1p(np.maximum(q, 1.0) ** -2.0))

    zero = np.inf  # q of a zero vector: r = 0
    log_r = log_ratio(np.where(la > 0, root / np.where(la > 0, la, 1.0), zero)) \
        + log_ratio(np.where(lb > 0, root / np.where(lb > 0, lb, 1.0), zero))
    r = (la / na) * (lb / nb)  # log r only serves 1 - r, accurate where r is near 1
    one_minus = -np.expm1(log_r) + r * 0.5 * np.sum((ua - ub) ** 2, axis=-1)
    grad = ((ub - c[..., None] * ua) + (c * (root / na) ** 2)[..., None] * ua) \
        * (lb / nb / na)[..., None]
    return c * r, one_minus, grad


@reference(_paired_vectors)
def cosine_embedding(x1, target, *, margin=0.0):
    r"""Cosine embedding loss: pulls similar pairs of vectors towards one direction and pushes
    dissimilar pairs until their cosine is at most the margin.

    .. math::

       \ell = \begin{cases} 1 - \cos(x_1, x_2) & y = 1 \\
       \max\bigl(0,\ \cos(x_1, x_2) - m\bigr) & y = -1 \end{cases}

       \cos(a, b) = \frac{a \cdot b}{\sqrt{(\lVert a \rVert^2 + \epsilon)
       (\lVert b \rVert^2 + \epsilon)}}

    with PyTorch's :math:`\epsilon` = ``float32(1e-12)`` (9.99999996e-13, also in float64),
    over the last axis.

    Parameters
    ----------
    x1 : array_like
        First vectors :math:`x_1`, float, shape ``(N, D)`` or ``(..., D)`` (at least 1-D),
        vectors along the last axis.
    target : tuple of array_like
        ``(x2, y)``, in PyTorch's argument order: the second vectors :math:`x_2`, of
        ``x1``'s shape, and one label per pair :math:`y \in \{-1, 1\}` (floats), of ``x1``'s
        shape without the last axis (``(N,)``; 0-D for a single pair of shape ``(D,)``);
        any other label is rejected.
    margin : float, default 0.0
        The margin :math:`m` in :math:`[-1, 1]`.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per pair, shape ``(N,)``
        (``x1``'s shape without the last axis).

    Gradient
    --------
    With respect to ``x1`` only: :math:`-\partial \cos / \partial x_1` for :math:`y = 1`;
    for :math:`y = -1`, :math:`\partial \cos / \partial x_1` where :math:`\cos \ge m` (at
    :math:`\cos = m` too, PyTorch's choice: its ``clamp_min`` passes the gradient) and 0
    elsewhere, with

    .. math::

       \frac{\partial \cos(x_1, x_2)}{\partial x_1}
       = \frac{x_2}{n_1 n_2} - \cos(x_1, x_2)\,\frac{x_1}{n_1^2}

       n_i = \sqrt{\lVert x_i \rVert^2 + \epsilon} .

    Notes
    -----
    :math:`1 - \cos` and the gradient are computed from the unit vectors, without the
    cancellation that computing :math:`1 - \cos` directly suffers for nearly parallel
    vectors (see ``_cosine`` in the source). A zero vector has cosine 0 with everything.
    """
    margin = scalar("margin", margin, low=-1.0, high=1.0)
    x2, y = target
    cos, one_minus_cos, dcos = _cosine(x1, x2, COSINE_EMBEDDING_EPS)
    similar = y == 1.0
    loss = np.where(similar, one_minus_cos, np.maximum(cos - margin, 0.0))
    scale = np.where(similar, -1.0, np.where(cos >= margin, 1.0, 0.0))
    return loss, scale[..., None] * dcos


@reference(_feature_pairs)
def cosine_similarity(pred, target):
    r"""Keras' cosine similarity loss: minus the cosine of prediction and target, one value per
    sample.

    .. math::

       \ell(\hat y, y) = -\,\frac{y}{\max(\lVert y \rVert, \varepsilon)} \cdot
       \frac{\hat y}{\max(\lVert \hat y \rVert, \varepsilon)}

    with :math:`\varepsilon = 10^{-7}`, over the last axis: :math:`-\cos(\hat y, y)`, in
    :math:`[-1, 1]`, and 0 if either vector is zero.

    Parameters
    ----------
    pred, target : array_like
        Predictions :math:`\hat y` and targets :math:`y`, float, the same shape ``(N, D)`` or
        ``(..., D)`` (at least 1-D), vectors along the last axis.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sample, shape ``(N,)``
        (``pred``'s shape without the last axis).

    Gradient
    --------
    With respect to ``pred``, with :math:`N(x) = \max(\lVert x \rVert, \varepsilon)`:

    .. math::

       \frac{\partial \ell}{\partial \hat y} = \begin{cases}
       -\dfrac{y}{N(\hat y)\, N(y)} - \ell\, \dfrac{\hat y}{\lVert \hat y \rVert^2}
       & \lVert \hat y \rVert \ge \varepsilon \\[1ex]
       -\dfrac{y}{\varepsilon\, N(y)} & \lVert \hat y \rVert < \varepsilon
       \end{cases}

    Notes
    -----
    The norms are computed without overflow: :math:`\lVert x \rVert^2` overflows for
    :math:`\lVert x \rVert > 1.3 \times 10^{154}`, where Keras then returns 0.
    """
    norm_p, norm_t = _pnorm_and_grad(pred, 2.0)[0], _pnorm_and_grad(target, 2.0)[0]
    floor_p, floor_t = np.maximum(norm_p, KERAS_EPSILON), np.maximum(norm_t, KERAS_EPSILON)
    c, _, dc = _cosine(pred, target)  # the plain cosine, 0 for a zero vector
    r = (norm_p / floor_p) * (norm_t / floor_t)  # 1 unless a norm is below the floor
    clamped = (norm_p < KERAS_EPSILON)[..., None]  # then d cos / d pred = t / (eps |t|)
    dcos = np.where(clamped, target / (floor_t * KERAS_EPSILON)[..., None],
                    (norm_t / floor_t)[..., None] * dc)
    return -c * r, -dcos


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
    r"""Triplet margin loss: the anchor should be closer to the positive than to the negative,
    by a margin.

    .. math::

       \ell(a, p, n) = \max\bigl(d(a, p) - d(a, n) + m,\ 0\bigr)

       d(x, y) = \lVert x - y + \epsilon \rVert_p

    with PyTorch's distance over the last axis: :math:`\epsilon` is added to the difference,
    so :math:`d(x, x) = \epsilon D^{1/p}`, not 0. With ``swap`` (Balntas et al., 2016),
    :math:`d(a, n)` is replaced by :math:`\min\bigl(d(a, n), d(p, n)\bigr)`.

    Parameters
    ----------
    anchor : array_like
        Anchors :math:`a`, float, shape ``(N, D)`` or ``(..., D)`` (at least 1-D), vectors
        along the last axis.
    target : tuple of array_like
        ``(positive, negative)``, in PyTorch's argument order: the positives :math:`p` and
        negatives :math:`n`, both of ``anchor``'s shape.
    margin : float, default 1.0
        The margin :math:`m > 0`.
    p : float, default 2.0
        The order of the norm, :math:`p \ge 1` (finite).
    eps : float, default 1e-06
        :math:`\epsilon \ge 0`, added to each coordinate of the difference.
    swap : bool, default False
        Use the distance swap: the smaller of :math:`d(a, n)` and :math:`d(p, n)`.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per triplet, shape ``(N,)``
        (``anchor``'s shape without the last axis).

    Gradient
    --------
    With respect to the anchor only: where :math:`z = d(a, p) - d(a, n) + m \ge 0`,
    :math:`\nabla_a d(a, p) - s\, \nabla_a d(a, n)`, else 0, with
    :math:`\nabla_u \lVert u \rVert_p = \operatorname{sign}(u)\,
    \lvert u \rvert^{p-1} / \lVert u \rVert_p^{p-1}` (0 where the norm is 0).
    :math:`s = 1` without ``swap``; with it, 1 where :math:`d(a, n) < d(p, n)`, 0 where
    :math:`d(p, n)` (which has no anchor) is smaller. Subgradients as PyTorch picks them:
    at :math:`z = 0` the loss is active (``clamp_min``), and a tie
    :math:`d(a, n) = d(p, n)` gives :math:`s = 1/2` (``torch.min`` splits the gradient).
    """
    margin = scalar("margin", margin, low=0.0, low_open=True)
    p = scalar("p", p, low=1.0)
    eps = scalar("eps", eps, low=0.0)
    positive, negative = target
    d_pos, g_pos = _pnorm_and_grad(anchor - positive + eps, p)
    d_neg, g_neg = _pnorm_and_grad(anchor - negative + eps, p)
    if swap:
        d_swap, _ = _pnorm_and_grad(positive - negative + eps, p)
        share = np.where(d_neg < d_swap, 1.0, np.where(d_neg == d_swap, 0.5, 0.0))
        g_neg = share[..., None] * g_neg  # d(pos, neg) has no anchor
        d_neg = np.minimum(d_neg, d_swap)
    z = d_pos - d_neg + margin
    return np.maximum(z, 0.0), np.where((z >= 0)[..., None], g_pos - g_neg, 0.0)


@reference(_distances_and_pair_labels)
def contrastive(pred, target, *, margin=1.0, similar=1):
    r"""Contrastive loss of a pair's distance: squared distance for a similar pair, squared
    shortfall from the margin for a dissimilar one.

    .. math::

       \ell(d, y) = \begin{cases} d^2 & y = s \\ \max(m - d,\ 0)^2 & y \ne s \end{cases}

    with :math:`d` the distance ``pred`` and :math:`s` the label of a similar pair
    (``similar``).

    Parameters
    ----------
    pred, target : array_like
        ``pred``: distances :math:`d \ge 0` (checked), float, any shape. ``target``: pair
        labels :math:`y \in \{0, 1\}` (floats) of the same shape; any other label is
        rejected.
    margin : float, default 1.0
        The margin :math:`m \ge 0` that dissimilar pairs are pushed to.
    similar : int, default 1
        The label of a similar pair, 0 or 1 (a ``bool`` is rejected). Conventions differ:
        1 in TF Addons' ``ContrastiveLoss``, 0 in Hadsell et al. (2006) and Flux's
        ``siamese_contrastive_loss``.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per pair (``pred``'s shape).

    Gradient
    --------
    :math:`\partial \ell / \partial d = 2 d` for a similar pair,
    :math:`-2 \max(m - d, 0)` for a dissimilar one.

    Notes
    -----
    Hadsell et al. also halve both terms.
    """
    margin = scalar("margin", margin, low=0.0)
    if similar not in (0, 1) or isinstance(similar, bool):
        raise ValueError(f"similar must be the label 0 or 1, got {similar!r}")
    close = target == similar
    gap = np.maximum(margin - pred, 0.0)
    return np.where(close, pred**2, gap**2), np.where(close, 2.0 * pred, -2.0 * gap)
