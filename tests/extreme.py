"""Hypothesis strategies over the whole float64 range, for the accuracy tests.

Each strategy in :data:`INPUTS` draws ONE sample of a loss, ``(pred, target, params)``:
numbers from 1e-300 to 1e300 of either sign next to ordinary ones and exact zeros,
targets equal or nearly equal to the prediction (where a loss cancels), logits whose
softmax is all but one-hot, probabilities within an ulp of 0 and 1, nearly parallel
vectors, and counts up to 1e15.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SIGN = st.sampled_from([-1.0, 1.0])
ORDINARY = st.floats(-10.0, 10.0, allow_subnormal=False)


def magnitudes(lo: float = -300.0, hi: float = 300.0):
    """Positive numbers ``10**u``, ``u`` uniform in ``[lo, hi]``."""
    return st.floats(lo, hi).map(lambda u: 10.0**u)


def reals(lo: float = -300.0, hi: float = 300.0):
    """Ordinary numbers, zero, and numbers of any magnitude in ``[1e lo, 1e hi]``."""
    signed = st.tuples(SIGN, magnitudes(lo, hi)).map(lambda s: s[0] * s[1])
    return st.one_of(ORDINARY, signed, st.just(0.0))


@st.composite
def near(draw, x: float):
    """``x`` itself, or ``x`` moved by a relative 1e-16 .. 1e-1 (or by a tiny amount)."""
    step = draw(SIGN) * draw(magnitudes(-16.0, -1.0))
    return draw(st.sampled_from([x, x * (1.0 + step), x + step * draw(magnitudes(-300, 0))]))


@st.composite
def pairs(draw, values=None):
    """``(pred, target)`` of shape ``(1,)``: independent, or the target next to pred."""
    values = reals() if values is None else values
    x = draw(values)
    t = draw(st.one_of(values, near(x)))
    return np.array([x]), np.array([t])


@st.composite
def logits(draw, n: int | None = None):
    """One row of 2 to 4 logits: ordinary, huge, or one dominant logit (tiny losses)."""
    n = draw(st.integers(2, 4)) if n is None else n
    row = [draw(reals(-300.0, 300.0)) for _ in range(n)]
    if draw(st.booleans()):  # one confident class: softmax next to one-hot
        row[draw(st.integers(0, n - 1))] = draw(magnitudes(0.0, 3.0))
    return np.array([row])


@st.composite
def simplex(draw, n: int):
    """A probability vector of length ``n``: one-hot, or with tiny and exact-zero entries."""
    if draw(st.booleans()):
        return np.eye(n)[draw(st.integers(0, n - 1))]
    mass = np.array([draw(st.one_of(st.just(0.0), magnitudes(-30.0, 0.0))) for _ in range(n)])
    mass[0] += mass.sum() == 0
    return mass / mass.sum()


PROBABILITY = st.one_of(magnitudes(-300.0, -1e-3), magnitudes(-16.0, -0.3).map(
    lambda q: 1.0 - q), st.floats(0.01, 0.99))
TARGET01 = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
MARGIN = st.floats(-2.0, 2.0)


def _params(**strategies):
    return st.fixed_dictionaries(strategies)


@st.composite
def _elementwise(draw, values=None, targets=None, params=None):
    """One element: ``pairs(values)``, or a value and a target from ``targets``."""
    if targets is None:
        pred, target = draw(pairs(values))
    else:
        pred = np.array([draw(reals() if values is None else values)])
        target = np.array([draw(targets)])
    return pred, target, draw(st.just({}) if params is None else params)


@st.composite
def _class_scores(draw, target_kind: str, params=None):
    x = draw(logits())
    n = x.shape[-1]
    if target_kind == "index":
        target = np.array([draw(st.integers(0, n - 1))])
    elif target_kind == "probabilities":
        target = draw(simplex(n))[None]
    elif target_kind == "one_hot":
        target = np.eye(n)[draw(st.integers(0, n - 1))][None]
    elif target_kind == "labels01":
        target = np.array([[draw(st.sampled_from([0.0, 1.0])) for _ in range(n)]])
    else:  # padded label sets
        perm, k = draw(st.permutations(range(n))), draw(st.integers(0, n))
        target = np.array([[*perm[:k], *[-1] * (n - k)]])
    return x, target, draw(st.just({}) if params is None else params)


@st.composite
def _vectors(draw, n: int, like=None):
    """A row vector of ``n`` components at a common scale 1e-300 .. 1e300; with ``like``,
    sometimes nearly parallel to it."""
    if like is not None and np.any(like != 0) and draw(st.booleans()):
        scale = draw(SIGN) * draw(magnitudes())
        wobble = np.array([draw(ORDINARY) for _ in range(n)]) * draw(magnitudes(-16, -1))
        return like / np.max(np.abs(like)) * scale * (1.0 + wobble)
    scale = draw(magnitudes())
    v = np.array([draw(ORDINARY) for _ in range(n)])
    v[0] += np.all(v == 0)
    return scale * v


@st.composite
def _cosine(draw, labels: bool, params=None):
    n = draw(st.integers(1, 4))
    a = draw(_vectors(n))
    b = draw(_vectors(n, like=a))
    target = (b[None], np.array([draw(SIGN)])) if labels else b[None]
    return a[None], target, draw(st.just({}) if params is None else params)


@st.composite
def _triplet(draw):
    n = draw(st.integers(1, 4))
    a = draw(_vectors(n))
    pos, neg = draw(_vectors(n, like=a)), draw(_vectors(n, like=a))
    params = draw(_params(margin=st.floats(0.1, 3.0), p=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
                          eps=st.sampled_from([0.0, 1e-6]), swap=st.booleans()))
    return a[None], (pos[None], neg[None]), params


@st.composite
def _kl(draw):
    x = draw(logits())
    logq = x - np.max(x)
    logq = logq - np.log(np.sum(np.exp(logq)))
    t = draw(simplex(x.shape[-1]))[None]
    if draw(st.booleans()):
        return logq, np.log(np.where(t > 0, t, 1e-300)), {"log_target": True}
    return logq, t, {"log_target": False}


@st.composite
def _poisson(draw):
    counts = st.one_of(st.integers(0, 10**15).map(float), magnitudes(-10.0, 15.0))
    t = draw(counts)
    full = draw(st.booleans())
    if draw(st.booleans()):  # log-rates, often near the optimum log t
        x = draw(st.one_of(st.floats(-700.0, 700.0),
                           near(float(np.log(t)) if t > 0 else 0.0)))
        return np.array([x]), np.array([t]), {"log_input": True, "full": full}
    x = abs(draw(st.one_of(magnitudes(), near(t), st.just(0.0))))
    return np.array([x]), np.array([t]), {"log_input": False, "full": full}


@st.composite
def _gaussian(draw):
    pred, target = draw(pairs())
    var = np.array([draw(st.one_of(st.just(0.0), magnitudes()))])
    return pred, (target, var), draw(_params(full=st.booleans(),
                                             eps=st.sampled_from([1e-6, 1e-12, 1.0])))


@st.composite
def _ranked(draw):
    x1, x2 = draw(pairs())
    return x1, (x2, np.array([draw(SIGN)])), draw(_params(margin=MARGIN))


SIGNED_LABEL = SIGN
NONNEGATIVE = st.one_of(magnitudes(), st.just(0.0), st.floats(0.0, 10.0))

#: One-sample strategy per loss.
INPUTS = {
    "l1": _elementwise(),
    "mse": _elementwise(),
    "huber": _elementwise(params=_params(delta=st.one_of(st.floats(0.05, 5.0), magnitudes()))),
    "smooth_l1": _elementwise(params=_params(
        beta=st.one_of(st.just(0.0), st.floats(0.05, 5.0), magnitudes()))),
    "log_cosh": _elementwise(),
    "mape": _elementwise(),
    "msle": _elementwise(NONNEGATIVE).map(lambda s: (s[0], np.abs(s[1]), s[2])),
    "pinball": _elementwise(params=_params(tau=st.floats(0.01, 0.99))),
    "nll": _class_scores("index"),
    "cross_entropy": _class_scores("index", _params(
        label_smoothing=st.one_of(st.just(0.0), st.floats(0.0, 0.5)))),
    "categorical_cross_entropy": _class_scores("probabilities", _params(
        label_smoothing=st.one_of(st.just(0.0), st.floats(0.0, 0.5)))),
    "binary_cross_entropy": _elementwise(PROBABILITY, TARGET01),
    "bce_with_logits": _elementwise(reals(), TARGET01, _params(
        pos_weight=st.one_of(st.none(), st.floats(0.1, 10.0).map(lambda w: [w])))),
    "focal": _elementwise(reals(), TARGET01, _params(
        alpha=st.one_of(st.none(), st.floats(0.0, 1.0)), gamma=st.floats(0.0, 4.0))),
    "hinge": _elementwise(reals(), SIGNED_LABEL),
    "squared_hinge": _elementwise(reals(), SIGNED_LABEL),
    "soft_margin": _elementwise(reals(), SIGNED_LABEL),
    "categorical_hinge": _class_scores("one_hot", _params(crammer_singer=st.booleans())),
    "multi_margin": _class_scores("index", _params(p=st.sampled_from([1, 2]),
                                                   margin=st.floats(0.0, 2.0))),
    "multilabel_margin": _class_scores("padded"),
    "multilabel_soft_margin": _class_scores("labels01"),
    "margin_ranking": _ranked(),
    "hinge_embedding": _elementwise(reals(), SIGNED_LABEL,
                                    _params(margin=st.floats(0.1, 3.0))),
    "cosine_embedding": _cosine(True, _params(margin=st.floats(-0.9, 0.9))),
    "cosine_similarity": _cosine(False),
    "triplet_margin": _triplet(),
    "contrastive": _elementwise(NONNEGATIVE, st.sampled_from([0.0, 1.0]), _params(
        margin=st.floats(0.1, 3.0), similar=st.sampled_from([0, 1]))),
    "kl_div": _kl(),
    "poisson_nll": _poisson(),
    "gaussian_nll": _gaussian(),
}
