"""Adaptive softmax (Grave et al., 2017): a factorised distribution over a large vocabulary.

Classes are sorted by frequency.  The *head* scores the ``shortlist`` most frequent classes
and one entry per *tail cluster*; cluster ``i`` holds the classes ``[c_i, c_{i+1})`` and
scores them through a low-dimensional projection.  With ``h`` the input features::

    log p(y | h) = log softmax(h W + b)[y]                        (y in the shortlist)
    log p(y | h) = log softmax(h W + b)[shortlist + i]
                   + log softmax(h P_i O_i)[y - c_i]              (y in cluster i)

which is a proper distribution: it sums to 1 over all classes.  Weights are stored with
the class axis last: ``head`` ``(d, shortlist + n_clusters)``, and ``tail`` a list of
``(P_i, O_i)`` of shapes ``(d, d_i)`` and ``(d_i, size_i)``.  The cutoffs follow from
the shapes.  PyTorch's ``nn.Linear`` stores ``(out, in)``:
:func:`lossbook.frameworks.adaptive_weights` transposes an
``nn.AdaptiveLogSoftmaxWithLoss``'s weights into this layout.
"""

from __future__ import annotations

import numpy as np

from .inputs import class_indices, float_array, integers
from .numerics import log_softmax
from .reference import reference


def _matrix(name: str, x) -> np.ndarray:
    """A weight matrix; it may be empty (PyTorch's tail projections have
    ``d // div_value ** (i + 1)`` columns, which can be 0: the cluster is then uniform)."""
    return np.zeros(np.shape(x)) if np.size(x) == 0 else float_array(name, x)


def _check_weights(d: int, head, tail, head_bias):
    """The weights as float64 arrays, with shapes that fit together and with ``d``."""
    head = float_array("head", head)
    if head.ndim != 2 or head.shape[0] != d:
        raise ValueError(f"head must have shape (d, shortlist + n_clusters) with d = {d}, "
                         f"got shape {head.shape}")
    if isinstance(tail, np.ndarray) or not all(
            isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in tail):
        raise TypeError("tail must be a list of (projection, output) weight pairs")
    tail = [(_matrix(f"tail[{i}] projection", p), _matrix(f"tail[{i}] output", o))
            for i, (p, o) in enumerate(tail)]
    shortlist = head.shape[1] - len(tail)
    if shortlist < 1:
        raise ValueError(f"head has {head.shape[1]} columns for {len(tail)} tail clusters: "
                         f"no room for a shortlist")
    for i, (p, o) in enumerate(tail):
        if p.ndim != 2 or o.ndim != 2 or p.shape[0] != d or p.shape[1] != o.shape[0]:
            raise ValueError(f"tail[{i}] must be (projection (d, d_i), output (d_i, size_i)) "
                             f"with d = {d}, got shapes {p.shape} and {o.shape}")
    if head_bias is not None:
        head_bias = float_array("head_bias", head_bias)
        if head_bias.shape != (head.shape[1],):
            raise ValueError(f"head_bias must have shape ({head.shape[1]},), "
                             f"got {head_bias.shape}")
    cutoffs = np.cumsum([shortlist] + [o.shape[1] for _, o in tail])
    return head, tail, head_bias, cutoffs


def _hidden(hidden) -> np.ndarray:
    hidden = float_array("hidden", hidden)
    if hidden.ndim != 2:
        raise ValueError(f"hidden must have shape (N, d), got shape {hidden.shape}")
    return hidden


def features(hidden, target) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, d)`` and integer targets ``(N,)``; their range is checked by the kernel."""
    hidden, target = _hidden(hidden), integers("target", target)
    if target.shape != hidden.shape[:1]:
        raise ValueError(f"target must have shape ({hidden.shape[0]},), one class per row "
                         f"of hidden, got shape {target.shape}")
    return hidden, target


def adaptive_log_prob(hidden, *, head, tail, head_bias=None) -> np.ndarray:
    r"""Log-probabilities of every class under the adaptive softmax: the full factorised
    distribution (what ``AdaptiveLogSoftmaxWithLoss.log_prob`` returns).

    Each row sums to 1 in probability: the head's shortlist entries, and each cluster entry
    of the head times its cluster's softmax (see :func:`adaptive_softmax`).

    Parameters
    ----------
    hidden : array_like
        Features :math:`h`, float, shape ``(N, d)``.
    head : array_like
        Head weights :math:`W`, shape ``(d, c_1 + k)``: :math:`c_1` shortlist classes, then
        one column per tail cluster.
    tail : sequence of (array_like, array_like)
        One pair ``(P_i, O_i)`` per tail cluster, shapes ``(d, d_i)`` and ``(d_i, size_i)``
        (:math:`d_i` may be 0: the cluster is then uniform).
    head_bias : array_like, default None
        Head bias :math:`b`, shape ``(c_1 + k,)``; ``None`` for none.

    Returns
    -------
    ndarray
        Log-probabilities, shape ``(N, V)``, with :math:`V = c_1 + \sum_i \mathrm{size}_i`
        classes in the order shortlist, cluster 1, cluster 2, ...
    """
    hidden = _hidden(hidden)
    head, tail, head_bias, _ = _check_weights(hidden.shape[1], head, tail, head_bias)
    head_lp = log_softmax(hidden @ head + (0.0 if head_bias is None else head_bias))
    shortlist = head.shape[1] - len(tail)
    parts = [head_lp[:, :shortlist]]
    for i, (p, o) in enumerate(tail):
        parts.append(head_lp[:, shortlist + i, None] + log_softmax(hidden @ p @ o))
    return np.concatenate(parts, axis=1)


@reference(features)
def adaptive_softmax(hidden, target, *, head=None, tail=(), head_bias=None):
    r"""Adaptive softmax (Grave et al., 2017): the negative log-likelihood of each target class
    under a head softmax over frequent classes and clusters, factored with one softmax per
    tail cluster.

    .. math::

       \ell = -\log p(y \mid h)

       p(y \mid h) = \begin{cases} \pi_y & y < c_1 \\
       \pi_{c_1 + i - 1}\, \rho^{(i)}_{y - c_i} & c_i \le y < c_{i+1} \end{cases}

    with the head probabilities :math:`\pi = \operatorname{softmax}(h W + b)` and those of
    tail cluster :math:`i = 1, \dots, k`, :math:`\rho^{(i)} = \operatorname{softmax}(h P_i
    O_i)`. The classes, numbered by decreasing frequency, are the shortlist
    :math:`[0, c_1)` and the clusters :math:`[c_i, c_{i+1})`, :math:`c_{k+1} = V`; the
    cutoffs follow from the weights' shapes. Each sample evaluates the head and only the
    cluster of its own target.

    Parameters
    ----------
    hidden : array_like
        Features :math:`h` (the output of the layer below, not logits), float, shape
        ``(N, d)``.
    target : array_like
        Class indices :math:`y`, integer dtype, shape ``(N,)``, in ``[0, V)``, numbered by
        decreasing frequency.
    head : array_like, default None
        Head weights :math:`W`, shape ``(d, c_1 + k)``, class axis last: the :math:`c_1 \ge 1`
        shortlist classes, then one column per tail cluster. Required: ``None`` raises a
        ``TypeError``.
    tail : sequence of (array_like, array_like), default ()
        One pair ``(P_i, O_i)`` per tail cluster, in order: the projection, shape
        ``(d, d_i)``, and the output weights, shape ``(d_i, size_i)``. :math:`d_i` may be 0
        (PyTorch's ``d // div_value ** i`` can be): the cluster is then uniform. With no
        clusters the loss is a plain softmax cross-entropy over the head.
    head_bias : array_like, default None
        Head bias :math:`b`, shape ``(c_1 + k,)``; ``None`` for none (PyTorch's default,
        ``head_bias=False``).

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sample, shape ``(N,)``.

    Gradient
    --------
    With respect to ``hidden``, back through both softmaxes: with :math:`e_j` the one-hot
    vector of :math:`j` and :math:`j_y` the head entry of :math:`y` (:math:`y` itself, or
    :math:`c_1 + i - 1` for a target in cluster :math:`i`),

    .. math::

       \frac{\partial \ell}{\partial h} = (\pi - e_{j_y})\, W^\top
       \;\Bigl[+ \bigl(\rho^{(i)} - e_{y - c_i}\bigr)\, O_i^\top P_i^\top\Bigr]

    the bracketed term only for a target in tail cluster :math:`i`.

    Notes
    -----
    The weights are stored with the class axis last; PyTorch's ``nn.Linear`` stores
    ``(out, in)``: :func:`lossbook.frameworks.adaptive_weights` transposes an
    ``nn.AdaptiveLogSoftmaxWithLoss``'s weights into this layout.
    """
    if head is None:
        raise TypeError("adaptive_softmax() needs the head weights: head=...")
    n, d = hidden.shape
    head, tail, head_bias, cutoffs = _check_weights(d, head, tail, head_bias)
    target = class_indices("target", target, int(cutoffs[-1]))
    shortlist = int(cutoffs[0])
    cluster = np.searchsorted(cutoffs, target, side="right")  # 0: shortlist, i + 1: tail i
    head_target = np.where(cluster == 0, target, shortlist + cluster - 1)

    rows = np.arange(n)
    head_logits = hidden @ head + (0.0 if head_bias is None else head_bias)
    head_lp = log_softmax(head_logits)
    loss = -head_lp[rows, head_target]
    d_logits = np.exp(head_lp)
    d_logits[rows, head_target] -= 1.0
    grad = d_logits @ head.T
    for i, (p, o) in enumerate(tail):
        idx = np.flatnonzero(cluster == i + 1)  # only the samples whose target is here
        local = target[idx] - cutoffs[i]
        projected = hidden[idx] @ p
        lp = log_softmax(projected @ o)
        loss[idx] -= lp[np.arange(len(idx)), local]
        d_u = np.exp(lp)
        d_u[np.arange(len(idx)), local] -= 1.0
        grad[idx] += d_u @ o.T @ p.T
    return loss, grad
