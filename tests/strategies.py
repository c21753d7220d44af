"""Hypothesis strategies for the reference tests: one table, :data:`STRATEGIES`, keyed by loss.

Each entry draws a loss's ``(pred, target)`` and its parameters. ``min_dims`` asks for
that many axes at least (2: a batch axis in front of the last one, for Keras' per-sample
weights); strategies of a fixed rank say which, and refuse a larger ``min_dims``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Pairs = Callable[[int], st.SearchStrategy]  # min_dims -> strategy of (pred, target)


@dataclass(frozen=True)
class Draw:
    """How to draw one loss's inputs (``pairs(min_dims)``) and parameters."""

    pairs: Pairs
    params: st.SearchStrategy = st.just({})


def fixed_rank(strategy: st.SearchStrategy, ndim: int) -> Pairs:
    """A strategy whose ``pred`` always has ``ndim`` axes, as a :data:`Pairs`."""
    def pairs(min_dims: int) -> st.SearchStrategy:
        if min_dims > ndim:
            raise ValueError(f"these inputs have {ndim} axes, {min_dims} were asked for")
        return strategy
    return pairs


def shapes(min_dims: int, vectors: bool = False) -> st.SearchStrategy:
    """Array shapes of 1 to 3 axes (at least ``min_dims``); with ``vectors``, the last
    axis holds features, so there are at least 2."""
    return hnp.array_shapes(min_dims=max(min_dims, 1 + vectors), max_dims=3, min_side=1,
                            max_side=4)


def weights(shape: tuple[int, ...]):
    # No weights near the smallest normal float: TensorFlow flushes subnormal products to
    # zero, so Keras would return 0 for w * loss when w ~ 2e-308 (a TF property, not a bug).
    elements = st.one_of(st.just(0.0), st.floats(1e-6, 3.0))
    return hnp.arrays(np.float64, shape, elements=elements)


def _off_grid(a: np.ndarray) -> np.ndarray:
    """Irrational offsets, so that hypothesis' round numbers never sit exactly on a hinge."""
    return a + np.sqrt(2.0) * 1e-3 * (1.0 + np.arange(a.size).reshape(a.shape))


LOGIT = st.floats(-6.0, 6.0, allow_nan=False, allow_subnormal=False)
PROBABILITY = st.floats(1e-3, 1.0 - 1e-3, allow_nan=False, allow_subnormal=False)
TARGET01 = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=False))
REAL = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)
AWAY_FROM_ZERO = st.tuples(st.sampled_from([-1.0, 1.0]), st.floats(0.5, 3.0)).map(
    lambda t: t[0] * t[1])  # vector components with |x| >= 0.5: no zero vectors, no ties
SIGN = st.sampled_from([-1.0, 1.0])


# --- element-wise (regression) ----------------------------------------------------------

def elementwise(low: float = -6.0, high: float = 6.0) -> Pairs:
    """``(pred, target)`` float64 arrays of one random shape with values in [low, high]."""
    values = st.floats(low, high, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False)

    @st.composite
    def pairs(draw, min_dims: int = 1):
        shape = draw(shapes(min_dims))
        return (draw(hnp.arrays(np.float64, shape, elements=values)),
                draw(hnp.arrays(np.float64, shape, elements=values)))
    return pairs


# --- probabilistic classification (chapter 03): class axis last, a batch axis in front ---

@st.composite
def scores_and_classes(draw, log_probs: bool = False, probability_targets: bool = False):
    """Logits (or log-probabilities) ``(N, C)`` and targets: indices ``(N,)`` or
    probabilities ``(N, C)`` (one-hot rows included). ``(N, C)`` is both PyTorch's and
    Keras' layout, so the registry-driven tests can call the frameworks directly."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    pred = draw(hnp.arrays(np.float64, (n, c), elements=LOGIT))
    if log_probs:
        pred = pred - np.log(np.exp(pred).sum(axis=-1, keepdims=True))
    if not probability_targets:
        return pred, draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    mass = draw(hnp.arrays(np.float64, (n, c), elements=st.one_of(
        st.just(0.0), st.floats(0.01, 1.0, allow_subnormal=False))))
    mass[:, 0] += mass.sum(axis=-1) == 0  # at least one positive entry per row
    return pred, mass / mass.sum(axis=-1, keepdims=True)


@st.composite
def binary_pairs(draw, min_dims: int = 1, elements=LOGIT):
    """Logits or probabilities and targets in [0, 1] (exact 0 and 1 included)."""
    shape = draw(shapes(min_dims))
    return (draw(hnp.arrays(np.float64, shape, elements=elements)),
            draw(hnp.arrays(np.float64, shape, elements=TARGET01)))


# --- margin-based classification (chapter 04) --------------------------------------------
# Inputs keep every hinge at least 1e-3 away from its kink, and scores distinct (no ties
# in a max), so that subgradient conventions never decide a comparison.

KINK_GAP = 1e-3
MULTI_MARGIN_MARGINS = (0.5, 1.0, 2.0)


@st.composite
def signed_pairs(draw, min_dims: int = 1, labels=(-1.0, 1.0)):
    """Scores ``f`` and labels (±1 by default) of one shape, with ``|y f - 1| >= 1e-3``."""
    shape = draw(shapes(min_dims))
    f = draw(hnp.arrays(np.float64, shape, elements=LOGIT))
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from(labels)))
    s = np.where(y > 0, 1.0, -1.0)  # the sign each label stands for (0 means -1)
    near = np.abs(s * f - 1.0) < KINK_GAP
    return np.where(near, f + 2 * KINK_GAP * s, f), y


def distinct_scores(n: int, c: int):
    """Scores ``(n, c)``; the small irrational offsets keep Hypothesis' favourite values
    (0, 1, -1, ...) from producing ties and exact kinks."""
    offsets = 0.01 * np.sqrt(2.0) * np.arange(1, n * c + 1).reshape(n, c)
    return hnp.arrays(np.float64, (n, c), elements=LOGIT, unique=True).map(
        lambda x: x + offsets)


def _far_from_kinks(margins: np.ndarray) -> bool:
    return bool(np.all(np.abs(margins) >= KINK_GAP))


@st.composite
def scores_and_one_hot(draw):
    """Distinct scores ``(N, C)`` and one-hot targets, away from both hinge kinks."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    pred = draw(distinct_scores(n, c))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    onehot = np.eye(c)[y]
    pos = pred[np.arange(n), y]
    keras_neg = np.max((1 - onehot) * pred, axis=-1)
    cs_neg = np.max(np.where(onehot == 1, -np.inf, pred), axis=-1)
    assume(_far_from_kinks(np.concatenate([1 + keras_neg - pos, 1 + cs_neg - pos])))
    assume(np.all(np.abs(pred[onehot == 0]) >= KINK_GAP))  # no tie with the 0 entry
    return pred, onehot


@st.composite
def multi_margin_pairs(draw):
    """Distinct scores ``(N, C)`` and indices with every ``margin - x_y + x_i`` away from 0
    for the margins in :data:`MULTI_MARGIN_MARGINS`."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    pred = draw(distinct_scores(n, c))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    gaps = pred - pred[np.arange(n), y][:, None]
    for margin in MULTI_MARGIN_MARGINS:
        assume(_far_from_kinks(np.delete((margin + gaps).ravel(),
                                         np.ravel_multi_index((np.arange(n), y), (n, c)))))
    return pred, y


@st.composite
def padded_label_sets(draw):
    """Distinct scores ``(N, C)`` and label sets written as indices padded with -1
    (sometimes with indices after the first -1, which must be ignored)."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    pred = draw(distinct_scores(n, c))
    target = np.full((n, c), -1, dtype=np.int64)
    for row in range(n):
        perm = draw(st.permutations(range(c)))
        k = draw(st.integers(0, c))
        target[row, :k] = perm[:k]
        if k + 1 < c and draw(st.booleans()):
            target[row, k + 1] = perm[-1]  # after the -1: not a target
        counted = set(perm[:k])
        for j in counted:
            for i in set(range(c)) - counted:
                assume(abs(1 - pred[row, j] + pred[row, i]) >= KINK_GAP)
    return pred, target


@st.composite
def multilabel_pairs(draw):
    """Logits ``(N, C)`` and multi-hot 0/1 targets."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    pred = draw(hnp.arrays(np.float64, (n, c), elements=LOGIT))
    return pred, draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from([0.0, 1.0])))


# --- ranking and similarity (chapter 05): several inputs, the others in a tuple target ---

@st.composite
def ranked_pairs(draw, min_dims: int = 1):
    """``(x1, (x2, y))`` with ``y`` in {-1, 1}."""
    shape = draw(shapes(min_dims))
    x1 = _off_grid(draw(hnp.arrays(np.float64, shape, elements=REAL)))
    return x1, (draw(hnp.arrays(np.float64, shape, elements=REAL)),
                draw(hnp.arrays(np.float64, shape, elements=SIGN)))


@st.composite
def distances_and_labels(draw, min_dims: int = 1, labels=SIGN):
    """Non-negative distances and pair labels of the same shape."""
    shape = draw(shapes(min_dims))
    d = _off_grid(draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 4.0))))
    return d, draw(hnp.arrays(np.float64, shape, elements=labels))


@st.composite
def vector_pairs(draw, min_dims: int = 1, with_labels: bool = False):
    """Non-zero vectors ``(x1, x2)`` along the last axis; with labels, ``(x1, (x2, y))``."""
    shape = draw(shapes(min_dims, vectors=True))
    x1 = _off_grid(draw(hnp.arrays(np.float64, shape, elements=AWAY_FROM_ZERO)))
    x2 = draw(hnp.arrays(np.float64, shape, elements=AWAY_FROM_ZERO))
    if not with_labels:
        return x1, x2
    return x1, (x2, draw(hnp.arrays(np.float64, shape[:-1], elements=SIGN)))


@st.composite
def triplets(draw, min_dims: int = 1):
    """``(anchor, (positive, negative))``: differences to the anchor have no zero component."""
    shape = draw(shapes(min_dims, vectors=True))
    anchor = draw(hnp.arrays(np.float64, shape, elements=REAL))
    pos, neg = (anchor + draw(hnp.arrays(np.float64, shape, elements=AWAY_FROM_ZERO))
                for _ in range(2))
    return anchor, (_off_grid(pos), neg)


# --- sequences (chapter 07) --------------------------------------------------------------

@st.composite
def ctc_batches(draw):
    """CTC ``(log_probs (N, T, C), targets (N, S))`` with full lengths and blank 0:
    normalised log-probabilities and labels in ``[1, C)``; ``2S - 1 <= T``, so that even
    a target of repeated labels has an alignment (a finite loss)."""
    n, t, c = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(2, 5))
    s = draw(st.integers(0, (t + 1) // 2))
    logits = draw(hnp.arrays(np.float64, (n, t, c), elements=st.floats(-4.0, 4.0)))
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    targets = draw(hnp.arrays(np.int64, (n, s), elements=st.integers(1, c - 1)))
    return log_probs, targets


# --- distributions and counts (chapter 06) -----------------------------------------------

@st.composite
def log_probabilities_and_targets(draw, min_dims: int = 1):
    """``(log q, t)``: distributions of 2 or more outcomes along the last axis, targets
    with exact zeros."""
    shape = draw(shapes(min_dims, vectors=True))
    shape = shape[:-1] + (max(shape[-1], 2),)
    logits = draw(hnp.arrays(np.float64, shape, elements=st.floats(-4.0, 4.0)))
    log_q = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    mass = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.just(0.0), st.floats(0.01, 1.0, allow_subnormal=False))))
    mass[..., 0] += mass.sum(axis=-1) == 0  # at least one positive entry per distribution
    return log_q, mass / mass.sum(axis=-1, keepdims=True)


@st.composite
def log_rates_and_counts(draw, min_dims: int = 1):
    """Log-rates in [-3, 3] and counts 0..12, with some non-integer targets."""
    shape = draw(shapes(min_dims))
    counts = st.one_of(st.integers(0, 12).map(float), st.floats(0.0, 12.0))
    return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-3.0, 3.0))),
            draw(hnp.arrays(np.float64, shape, elements=counts)))


@st.composite
def means_and_variances(draw, min_dims: int = 1):
    """``(mean, (target, var))`` with variances at, below and above the clamp 1e-6."""
    shape = draw(shapes(min_dims))
    var_shape = draw(st.sampled_from([shape, shape[:-1] if len(shape) > 1 else shape,
                                      shape[:-1] + (1,)]))
    variances = st.one_of(st.sampled_from([0.0, 1e-8, 1e-6]), st.floats(1e-3, 5.0))
    return (draw(hnp.arrays(np.float64, shape, elements=REAL)),
            (draw(hnp.arrays(np.float64, shape, elements=REAL)),
             draw(hnp.arrays(np.float64, var_shape, elements=variances))))


def _params(**strategies) -> st.SearchStrategy:
    return st.fixed_dictionaries(strategies)


#: Inputs and parameters of every loss the property tests draw, by registry key.
STRATEGIES: dict[str, Draw] = {
    "l1": Draw(elementwise()),
    "mse": Draw(elementwise()),
    "huber": Draw(elementwise(), _params(delta=st.floats(0.05, 5.0))),
    "smooth_l1": Draw(elementwise(),
                      _params(beta=st.one_of(st.just(0.0), st.floats(0.05, 5.0)))),
    "log_cosh": Draw(elementwise()),
    "mape": Draw(elementwise()),
    "msle": Draw(elementwise(1e-3, 6.0)),  # Keras clamps negative inputs
    "pinball": Draw(elementwise(), _params(tau=st.floats(0.01, 0.99))),
    "nll": Draw(fixed_rank(scores_and_classes(log_probs=True), 2)),
    "cross_entropy": Draw(fixed_rank(scores_and_classes(), 2)),
    "categorical_cross_entropy": Draw(
        fixed_rank(scores_and_classes(probability_targets=True), 2),
        _params(label_smoothing=st.floats(0.0, 0.5))),
    "binary_cross_entropy": Draw(lambda min_dims: binary_pairs(min_dims, PROBABILITY)),
    "bce_with_logits": Draw(binary_pairs),
    "focal": Draw(binary_pairs, _params(alpha=st.floats(0.0, 1.0), gamma=st.floats(0.0, 4.0))),
    "hinge": Draw(signed_pairs),
    "squared_hinge": Draw(signed_pairs),
    "soft_margin": Draw(signed_pairs),
    "categorical_hinge": Draw(fixed_rank(scores_and_one_hot(), 2)),
    "multi_margin": Draw(fixed_rank(multi_margin_pairs(), 2),
                         _params(p=st.sampled_from([1, 2]),
                                 margin=st.sampled_from(MULTI_MARGIN_MARGINS))),
    "multilabel_margin": Draw(fixed_rank(padded_label_sets(), 2)),
    "multilabel_soft_margin": Draw(fixed_rank(multilabel_pairs(), 2)),
    "margin_ranking": Draw(ranked_pairs, _params(margin=st.floats(-1.0, 2.0))),
    "hinge_embedding": Draw(distances_and_labels, _params(margin=st.floats(0.1, 3.0))),
    "cosine_embedding": Draw(lambda min_dims: vector_pairs(min_dims, with_labels=True),
                             _params(margin=st.floats(-0.9, 0.9))),
    "cosine_similarity": Draw(vector_pairs),
    "triplet_margin": Draw(triplets, _params(
        margin=st.floats(0.1, 3.0), p=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
        eps=st.sampled_from([0.0, 1e-6, 1e-3]), swap=st.booleans())),
    "contrastive": Draw(lambda min_dims: distances_and_labels(min_dims,
                                                              st.sampled_from([0.0, 1.0])),
                        _params(margin=st.floats(0.1, 3.0), similar=st.sampled_from([0, 1]))),
    "ctc": Draw(fixed_rank(ctc_batches(), 3)),
    "kl_div": Draw(log_probabilities_and_targets),
    "poisson_nll": Draw(log_rates_and_counts, _params(full=st.booleans())),
    "gaussian_nll": Draw(means_and_variances,
                         _params(full=st.booleans(), eps=st.sampled_from([1e-6, 1e-3]))),
}


def pairs(key: str, min_dims: int = 1) -> st.SearchStrategy:
    """``(pred, target)`` for the loss ``key``, with at least ``min_dims`` axes."""
    return STRATEGIES[key].pairs(min_dims)


def params_for(key: str) -> st.SearchStrategy:
    """Parameters for the loss ``key`` (reference-named)."""
    return STRATEGIES[key].params
