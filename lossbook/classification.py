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
    """What each sample counts in PyTorch's mean for class-index targets.

    The weight of the sample's target class, 0 where the target is ``ignore_index``: the
    ``mean=`` of :func:`~lossbook.classification.nll` and
    :func:`~lossbook.classification.cross_entropy`, whose ``'mean'`` divides by the sum of
    these counts.

    Parameters
    ----------
    pred : ndarray
        Scores of shape ``(..., C)``, class axis last; only its number of classes ``C`` is
        used.
    target : ndarray
        Integer class indices of shape ``(...)`` (``pred``'s shape without the class axis),
        or ``ignore_index``; not validated here.
    class_weight : array_like, optional, default None
        Per-class weights of shape ``(C,)``, all ``>= 0``; ``None`` means all ones.
    ignore_index : int, default -100
        The target value that counts 0.
    **_
        The loss's other parameters, accepted and ignored.

    Returns
    -------
    ndarray
        :math:`w_{y}` for each sample, 0 where ignored: ``target``'s shape.
    """
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
    r"""Negative log-likelihood: minus the (weighted) log-probability of the target class.

    .. math::

       \ell = -w_y \, \hat y_y

    with :math:`\hat y` the log-probabilities of a sample and :math:`y` its class index
    (PyTorch ``NLLLoss``); 0 where the target is ``ignore_index``.

    Parameters
    ----------
    pred : array_like
        Log-probabilities :math:`\hat y = \log p` (not checked to be normalised), shape
        ``(..., C)``, e.g. ``(N, C)`` or ``(N, d1, ..., C)``: class axis LAST (PyTorch's
        is 1).
    target : array_like
        Class indices :math:`y`, an integer dtype, shape ``(...)`` (``pred``'s without the
        class axis), each in ``[0, C)`` or equal to ``ignore_index``.
    class_weight : array_like, optional, default None
        Per-class weights :math:`w` of shape ``(C,)``, all ``>= 0``; ``None`` means all
        ones.
    ignore_index : int, default -100
        A target value whose sample has loss 0 and does not count in the mean.

    Returns
    -------
    float or ndarray
        The reduced loss; ``'mean'`` divides by :math:`\sum w_{y}` over the samples whose
        target is not ``ignore_index``
        (:func:`~lossbook.classification.target_class_weight`), an error when that sum is
        0 (e.g. every target ignored). With ``reduction='none'``, one value per sample,
        ``target``'s shape.

    Gradient
    --------
    :math:`\partial \ell / \partial \hat y_c = -w_y [c = y]`: only the target class's
    entry, 0 for ignored samples.
    """
    return _index_nll(pred, target, class_weight, ignore_index, 0.0)


@reference(scores_and_indices, mean=target_class_weight)
def cross_entropy(pred, target, *, class_weight=None, ignore_index=-100,
                  label_smoothing=0.0):
    r"""Cross-entropy of logits and class indices, with PyTorch's label smoothing.

    .. math::

       \ell = -(1 - \varepsilon) \, w_y \log p_y
       - \frac{\varepsilon}{C} \sum_{c=1}^{C} w_c \log p_c,
       \qquad p = \operatorname{softmax}(z)

    0 where :math:`y` is ``ignore_index``. Without smoothing and weights,
    :math:`\ell = -\log p_y`.

    Parameters
    ----------
    pred : array_like
        Logits :math:`z`, shape ``(..., C)``, e.g. ``(N, C)`` or ``(N, d1, ..., C)``: class
        axis LAST (PyTorch's is 1).
    target : array_like
        Class indices :math:`y`, an integer dtype, shape ``(...)`` (``pred``'s without the
        class axis), each in ``[0, C)`` or equal to ``ignore_index``.
    class_weight : array_like, optional, default None
        Per-class weights :math:`w` of shape ``(C,)``, all ``>= 0``; ``None`` means all
        ones.
    ignore_index : int, default -100
        A target value whose sample has loss 0 and does not count in the mean.
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`, the share spread uniformly over all :math:`C`
        classes, the target class included.

    Returns
    -------
    float or ndarray
        The reduced loss; ``'mean'`` divides by :math:`\sum w_{y}` over the samples whose
        target is not ``ignore_index``, as :func:`~lossbook.classification.nll` does. With
        ``reduction='none'``, one value per sample, ``target``'s shape.

    Gradient
    --------
    .. math::

       \frac{\partial \ell}{\partial z_c} = p_c \sum_k a_k - a_c, \qquad
       a_k = (1 - \varepsilon) \, w_y [k = y] + \frac{\varepsilon}{C} w_k

    (:math:`a = 0` for an ignored sample); without smoothing and weights, :math:`p - [c = y]`.

    Notes
    -----
    With class weights, the smoothing term weights every class :math:`c` by :math:`w_c`
    while the mean divides by the target classes' weights only: this is not
    :func:`~lossbook.classification.categorical_cross_entropy` of the smoothed one-hot
    target.
    """
    eps = scalar("label_smoothing", label_smoothing, low=0.0, high=1.0)
    loss, dlogp = _index_nll(log_softmax(pred), target, class_weight, ignore_index, eps)
    return loss, through_log_softmax(pred, dlogp)


def _probability_targets(pred, target):
    pred, target = same_shape(pred, target)
    return pred, probabilities("target", target, axis=-1)


@reference(_probability_targets)
def categorical_cross_entropy(pred, target, *, class_weight=None, label_smoothing=0.0):
    r"""Cross-entropy of logits and probability targets (soft labels), with label smoothing.

    .. math::

       \ell = -\sum_{c=1}^{C} w_c \, y'_c \log p_c, \qquad
       p = \operatorname{softmax}(z), \quad y' = (1 - \varepsilon) \, y + \frac{\varepsilon}{C}

    Parameters
    ----------
    pred, target : array_like
        Logits :math:`z` and target probabilities :math:`y`, the same shape ``(..., C)``,
        class axis LAST; each target row in :math:`[0, 1]` and summing to 1 (within
        1e-6), e.g. one-hot.
    class_weight : array_like, optional, default None
        Per-class weights :math:`w` of shape ``(C,)``, all ``>= 0``; ``None`` means all
        ones.
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`, mixed towards the uniform distribution over the
        :math:`C` classes.

    Returns
    -------
    float or ndarray
        The reduced loss; ``'mean'`` divides by the number of samples, not by the weights
        (PyTorch ``CrossEntropyLoss`` with probability targets, Keras
        ``CategoricalCrossentropy(from_logits=True)``). With ``reduction='none'``, one
        value per sample, shape ``(...)``.

    Gradient
    --------
    :math:`\partial \ell / \partial z_c = p_c \sum_k w_k y'_k - w_c y'_c`; without
    weights, :math:`p_c - y'_c`.
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
    r"""Binary cross-entropy of probabilities, each log clamped at -100 as in PyTorch.

    .. math::

       \ell = -\bigl(y \max(\log p, -100) + (1 - y) \max(\log(1 - p), -100)\bigr)

    The clamps act only where :math:`p < e^{-100} \approx 3.7 \times 10^{-44}` or
    :math:`p = 1`; elsewhere this is the exact
    :math:`-\bigl(y \log p + (1 - y) \log(1 - p)\bigr)`.

    Parameters
    ----------
    pred, target : array_like
        Probabilities :math:`p` and targets :math:`y`, the same shape (any), both in
        :math:`[0, 1]` (targets usually 0 or 1).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    .. math::

       \frac{\partial \ell}{\partial p} = \frac{p - y}{\max\bigl(p (1 - p), \epsilon\bigr)},
       \qquad \epsilon = \mathtt{float32}(10^{-12})

    PyTorch ``BCELoss``'s backward formula: the exact derivative wherever
    :math:`p (1 - p) \ge \epsilon`, and at most about :math:`10^{12}` in magnitude. Where a
    clamp acts the value is flat, yet this formula is what is returned there too.

    Notes
    -----
    :math:`\epsilon` is the float32 constant of PyTorch's CPU kernel, 9.99999996e-13 in
    float64 too (``BCE_GRAD_EPS``).
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
    r"""Binary cross-entropy of logits, with PyTorch's ``pos_weight`` on the positive term.

    .. math::

       \ell = (1 - y) \, z - \bigl(1 + (\rho - 1) \, y\bigr) \log \sigma(z)

    with :math:`\sigma` the sigmoid and :math:`\rho` = ``pos_weight``; :math:`\rho = 1`
    gives :math:`-\bigl(y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))\bigr)`.

    Parameters
    ----------
    pred, target : array_like
        Logits :math:`z` and targets :math:`y \in [0, 1]` (usually 0 or 1), the same shape
        (any).
    pos_weight : array_like, optional, default None
        Factors :math:`\rho \ge 0` of the positive term, broadcast against ``target`` with
        NumPy's rules (trailing axes align): a vector of length :math:`C` is one factor per
        class of the LAST axis. ``None`` means 1.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    :math:`\partial \ell / \partial z = (1 - y) - \bigl(1 + (\rho - 1) y\bigr) \sigma(-z)`,
    computed as :math:`(1 - y) \, \sigma(z) - \rho \, y \, \sigma(-z)` (not via
    :math:`1 - \sigma(-z)`, which is 0 for :math:`z < -37` instead of :math:`\sigma(z)`).
    With :math:`\rho = 1`, :math:`\sigma(z) - y`.

    Notes
    -----
    The value is computed as a sum of non-negative terms,
    :math:`(1 - y) \max(z, 0) + \rho \, y \max(-z, 0)
    + \bigl(1 + (\rho - 1) y\bigr) \operatorname{log1p}(e^{-\lvert z \rvert})`, so that
    nothing cancels (at :math:`z = -30, y = 0` the direct form keeps only one or two
    correct digits).
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
    r"""Sigmoid focal loss: binary cross-entropy of logits, down-weighted where well classified.

    .. math::

       \ell = \alpha_t \, (1 - p_t)^{\gamma} \, \mathrm{ce}, \qquad
       \mathrm{ce} = -\bigl(y \log p + (1 - y) \log(1 - p)\bigr), \quad p = \sigma(z)

    with :math:`1 - p_t = y (1 - p) + (1 - y) \, p` and
    :math:`\alpha_t = \alpha y + (1 - \alpha)(1 - y)`, or :math:`\alpha_t = 1` when
    ``alpha`` is ``None``. For :math:`y \in \{0, 1\}`,
    :math:`\ell = -\alpha_t (1 - p_t)^{\gamma} \log p_t`, the form of Lin et al. (2017).

    Parameters
    ----------
    pred, target : array_like
        Logits :math:`z` and targets :math:`y \in [0, 1]` (usually 0 or 1), the same shape
        (any).
    alpha : float or None, default 0.25
        Weight :math:`\alpha \in [0, 1]` of the positive term, :math:`1 - \alpha` of the
        negative one (torchvision's default); ``None`` for no weighting (torchvision's
        ``alpha < 0``, optax's default).
    gamma : float, default 2.0
        Focusing exponent :math:`\gamma \ge 0`; 0 gives the (weighted) binary
        cross-entropy.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per element (``pred``'s
        shape).

    Gradient
    --------
    .. math::

       \frac{\partial \ell}{\partial z} = \alpha_t \Bigl(\gamma (1 - p_t)^{\gamma - 1}
       (1 - 2y) \, p (1 - p) \, \mathrm{ce} + (1 - p_t)^{\gamma} (p - y)\Bigr)

    The first term is taken as 0 where :math:`1 - p_t = 0` (where, for :math:`\gamma < 1`,
    the slope is infinite).

    Notes
    -----
    :math:`\mathrm{ce}` is :func:`~lossbook.classification.bce_with_logits`' stable form,
    and :math:`p - y` is computed as :math:`(1 - y) \, p - y \, (1 - p)`, without
    cancellation for :math:`y = 1`.
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
