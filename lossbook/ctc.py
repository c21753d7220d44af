"""Connectionist temporal classification (CTC): the forward-backward algorithm in log space.

For one sequence with log-probabilities ``x[t, c]`` (``t < T`` frames, ``C`` classes) and a
target ``y`` of length ``S`` without blanks, the extended target ``z`` puts a blank before,
between and after the labels (length ``2S + 1``).  An *alignment* is a path ``pi`` of ``T``
classes that collapses to ``y`` (merge repeats, then drop blanks), and::

    loss = -log sum_pi exp(sum_t x[t, pi_t]).

The forward variables ``alpha[t, s]`` (log-probability of all prefixes ending in ``z[s]``
at frame ``t``) obey ``alpha[t, s] = x[t, z[s]] + logsumexp(alpha[t-1, s], alpha[t-1, s-1],
alpha[t-1, s-2])``, the last term only when ``z[s]`` is a label different from ``z[s-2]``.
The backward variables ``beta`` run the same recursion from the end, and::

    d loss / d x[t, c] = -exp(logsumexp_{s: z[s] = c} (alpha[t, s] + beta[t, s])
                              - x[t, c] + loss)

(both ``alpha`` and ``beta`` include ``x[t, z[s]]``).  The loops run over time only; batch
and extended-label positions are vectorised.
"""

from __future__ import annotations

import numpy as np

from .inputs import class_index, class_indices, float_array, integers, lengths
from .numerics import logsumexp
from .reference import reference

NEG_INF = -np.inf


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` moved by ``k`` positions along the last axis (right if ``k > 0``), -inf filled."""
    out = np.full_like(a, NEG_INF)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _forward(x: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """alpha (N, T, 2S+1): paths start in the first blank or the first label."""
    alpha = np.full(x.shape, NEG_INF)
    alpha[:, 0, :2] = x[:, 0, :2]
    for t in range(1, x.shape[1]):
        prev = alpha[:, t - 1]
        two_back = np.where(skip, _shift(prev, 2), NEG_INF)
        alpha[:, t] = x[:, t] + logsumexp(np.stack([prev, _shift(prev, 1), two_back]), axis=0)
    return alpha


def _backward(x: np.ndarray, skip: np.ndarray, in_len: np.ndarray,
              last: np.ndarray) -> np.ndarray:
    """beta (N, T, 2S+1): paths end at frame ``in_len - 1`` in the final blank ``last``
    or the last label ``last - 1``; beta is -inf after a sequence's last frame."""
    n, t_max, width = x.shape
    beta = np.full(x.shape, NEG_INF)
    position = np.arange(width)
    ends = (position == last[:, None]) | (position == last[:, None] - 1)
    skip_ahead = np.zeros_like(skip)  # may z[s] jump to z[s + 2]?
    skip_ahead[:, :-2] = skip[:, 2:]
    for t in range(t_max - 1, -1, -1):
        final = (t == in_len - 1)[:, None]
        inside = (t < in_len - 1)[:, None]
        if t < t_max - 1:
            nxt = beta[:, t + 1]
            two_ahead = np.where(skip_ahead, _shift(nxt, -2), NEG_INF)
            step = x[:, t] + logsumexp(np.stack([nxt, _shift(nxt, -1), two_ahead]), axis=0)
        else:
            step = np.full((n, width), NEG_INF)
        beta[:, t] = np.where(final & ends, x[:, t], np.where(inside, step, NEG_INF))
    return beta


def ctc_inputs(log_probs, targets) -> tuple[np.ndarray, np.ndarray]:
    """Log-probabilities ``(N, T, C)`` (class axis last) and padded integer targets ``(N, S)``."""
    log_probs = float_array("log_probs", log_probs)
    if log_probs.ndim != 3:
        raise ValueError(f"log_probs must have shape (N, T, C), got shape {log_probs.shape}")
    targets = integers("targets", targets)
    if targets.ndim != 2 or targets.shape[0] != log_probs.shape[0]:
        raise ValueError(f"targets must have shape (N, S) with N = {log_probs.shape[0]}, "
                         f"got shape {targets.shape}")
    return log_probs, targets


def _extended(targets: np.ndarray, target_lengths: np.ndarray, blank: int):
    """Extended targets ``z`` (N, 2S+1) and where the skip ``s-2 -> s`` is allowed."""
    n, s = targets.shape
    used = np.arange(s) < target_lengths[:, None]
    labels = np.where(used, targets, blank)  # padding never reaches the read-out
    z = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    z[:, 1::2] = labels
    skip = np.zeros(z.shape, dtype=bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    return z, skip


def _check_sizes(log_probs, targets, input_lengths, target_lengths, blank):
    """The lengths as arrays, after checking them, the blank and the used labels."""
    n, t_max, c = log_probs.shape
    class_index("blank", blank, c)
    in_len = lengths("input_lengths", input_lengths, n, low=1, high=t_max)
    tg_len = lengths("target_lengths", target_lengths, n, low=0, high=targets.shape[1])
    class_indices("targets", targets[np.arange(targets.shape[1]) < tg_len[:, None]], c,
                  blank=blank)
    short = in_len < tg_len
    if np.any(short):
        i = int(np.argmax(short))
        raise ValueError(f"target {i} is longer than its input: target_lengths[{i}] = "
                         f"{tg_len[i]} > input_lengths[{i}] = {in_len[i]}")
    return in_len, tg_len


@reference(ctc_inputs)
def ctc(log_probs, targets, *, input_lengths=None, target_lengths=None, blank=0,
        zero_infinity=False):
    r"""Connectionist temporal classification (CTC) loss, one value per sequence: minus the log
    of the total probability of all the alignments of the target.

    .. math::

       \ell_n = -\log p(y \mid x)
       = -\operatorname{logsumexp}_{\pi \in \mathcal{B}^{-1}(y)} \sum_{t=1}^{T_n} x_{t,\pi_t}

    for sequence :math:`n`, with :math:`x_{t,c}` its log-probabilities, :math:`y` its first
    :math:`S_n` labels, :math:`T_n` its frames, and :math:`\mathcal{B}` the collapse of an
    alignment :math:`\pi` (merge repeats, then drop blanks; :func:`ctc_collapse`). It is
    computed by the forward-backward recursion in log space.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities :math:`x`, float, shape ``(N, T, C)``: batch first, class axis last
        (PyTorch wants ``(T, N, C)``), e.g. ``log_softmax`` of logits (normalisation is not
        checked).
    targets : array_like
        Labels padded to a common length ``S``, integer dtype, shape ``(N, S)``. The first
        ``target_lengths[n]`` entries of row ``n`` are used and must be class indices in
        ``[0, C)`` other than ``blank``; the padding after them is ignored.
    input_lengths : array_like, default None
        Frames used per sequence, :math:`T_n`, integers of shape ``(N,)``, each in
        ``[1, T]``; ``None`` means ``T`` for every sequence. Frames from :math:`T_n` on are
        ignored.
    target_lengths : array_like, default None
        Labels used per sequence, :math:`S_n`, integers of shape ``(N,)``, each in
        ``[0, S]`` and at most :math:`T_n` (a longer target is rejected); ``None`` means
        ``S`` for every sequence.
    blank : int, default 0
        The class index of the blank, in ``[0, C)``.
    zero_infinity : bool, default False
        PyTorch's option: a sequence without any alignment gets loss 0 and gradient 0
        instead of ``inf`` and ``nan``.

    Returns
    -------
    float or ndarray
        The reduced loss; with ``reduction='none'``, one value per sequence, shape
        ``(N,)``. ``'mean'`` averages over the sequences.

    Gradient
    --------
    The exact derivative with respect to ``log_probs``, minus the occupancy
    :math:`\gamma_t(c)`, the posterior probability of class :math:`c` at frame :math:`t`
    given the target:

    .. math::

       \frac{\partial \ell_n}{\partial x_{t,c}}
       = -\frac{1}{p(y \mid x)} \sum_{s:\, z_s = c} \frac{\alpha_t(s)\,\beta_t(s)}{y_{t,c}}
       = -\gamma_t(c)

    with :math:`z` the extended target (a blank before, between and after the labels),
    :math:`\alpha, \beta` the forward and backward variables and
    :math:`y_{t,c} = e^{x_{t,c}}`; 0 on the frames :math:`t \ge T_n`. A sequence without
    alignment has ``nan`` on its frames :math:`t < T_n` (0 with ``zero_infinity``).

    Notes
    -----
    A target that needs more frames than it has (repeated labels need a blank between them,
    e.g. ``[1, 1]`` in 2 frames) has no alignment: loss ``inf``, or 0 with
    ``zero_infinity``.

    PyTorch's gradient adds ``exp(log_probs)`` to this one (its backward assumes a
    ``log_softmax`` in front). PyTorch's ``'mean'`` first divides each loss by its target
    length: that is ``weight=1 / max(target_lengths, 1)`` here.
    """
    in_len, tg_len = _check_sizes(log_probs, targets, input_lengths, target_lengths, blank)
    t_max, c = log_probs.shape[1:]

    z, skip = _extended(targets, tg_len, blank)
    x = np.take_along_axis(log_probs, z[:, None, :], axis=2)  # x[n, t, s] = log_probs[.., z[s]]
    alpha = _forward(x, skip)
    beta = _backward(x, skip, in_len, last=2 * tg_len)  # z[2 S_n] is the final blank
    # Read-out at t = 0: sum over s of alpha * beta / y (both include x[0, s]).
    loss = -logsumexp(alpha[:, 0] + beta[:, 0] - x[:, 0], axis=1)

    # Occupancy: per class, the sum of exp(alpha + beta) over the positions s with z[s] = c.
    ab = alpha + beta
    m = ab.max(axis=2, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    onehot = (z[:, :, None] == np.arange(c)).astype(np.float64)  # (N, 2S+1, C)
    occupancy = np.einsum("nts,nsc->ntc", np.exp(ab - m), onehot)
    feasible = np.isfinite(loss)
    with np.errstate(divide="ignore"):
        log_occupancy = np.log(occupancy) + m
    # d loss / d x = -occupancy / (y p), i.e. -exp(log_occupancy - x + loss); 0 after T_n.
    grad = -np.exp(log_occupancy - log_probs + np.where(feasible, loss, 0.0)[:, None, None])
    # No alignment: nan inside the sequence (as PyTorch), or 0 with zero_infinity.
    undefined = ~feasible[:, None, None] & (np.arange(t_max) < in_len[:, None])[..., None]
    grad = np.where(undefined, 0.0 if zero_infinity else np.nan, grad + 0.0)
    if zero_infinity:
        loss = np.where(feasible, loss, 0.0)
    return loss, grad


def ctc_collapse(path, blank: int = 0) -> list[int]:
    """The labelling an alignment stands for: merge repeated classes, then drop blanks.

    Parameters
    ----------
    path : iterable of int
        An alignment: one class index per frame.
    blank : int, default 0
        The class index of the blank.

    Returns
    -------
    list of int
        The labels, e.g. ``[1, 2, 2]`` for the path ``[0, 1, 1, 2, 0, 2]`` with blank 0.
    """
    out, prev = [], None
    for k in (int(v) for v in path):
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def ctc_alignments(target, n_frames: int, n_classes: int, blank: int = 0) -> np.ndarray:
    """Every alignment of a target to a number of frames, by brute force (for tiny cases).

    All ``n_classes ** n_frames`` paths are enumerated and kept when :func:`ctc_collapse`
    maps them to ``target``.

    Parameters
    ----------
    target : iterable of int
        The labels, without blanks.
    n_frames : int
        The number of frames :math:`T`.
    n_classes : int
        The number of classes :math:`C`, blank included.
    blank : int, default 0
        The class index of the blank.

    Returns
    -------
    ndarray
        The alignments, int64, shape ``(K, n_frames)``, in lexicographic order.

    Raises
    ------
    ValueError
        If there are more than 1,000,000 paths to enumerate.
    """
    if n_classes ** n_frames > 1_000_000:
        raise ValueError(f"{n_classes}**{n_frames} paths is too many to enumerate")
    target = [int(v) for v in target]
    paths = np.array(list(np.ndindex(*(n_classes,) * n_frames)), dtype=np.int64)
    paths = paths.reshape(-1, n_frames)
    keep = [ctc_collapse(p, blank) == target for p in paths]
    return paths[np.array(keep, dtype=bool)]
