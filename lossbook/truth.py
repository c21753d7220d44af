"""The mathematical losses in ``mpmath``: the ground truth of the accuracy study and tests.

Each entry of :data:`FORMULAS` evaluates one loss for ONE sample, from the exact binary
values of its float64 inputs, at ``DIGITS + GUARD`` significant digits: the guard digits
absorb every cancellation a float64 input can cause (``-800 + log(1 + exp(800))`` is
``exp(-800)``, 347 digits below 800).  The formulas are the mathematical losses; the
guards that implementations add on purpose (PyTorch's ``-100`` clamp of ``log p`` in
``BCELoss``, Keras' clipping of probabilities, the ``eps`` of a cosine or a variance) are
parameters that are off by default, so that the same formula gives both the truth and
what an implementation is *designed* to return (see :data:`HIDDEN_GUARDS`).

A :class:`Sample` is one sample of a loss: the prediction (a number, or a row for losses
with one value per row), its target and the parameters.  :func:`samples` splits a batch
the way the reference does.  Besides :func:`value`, there are :func:`gradient` (with
respect to the prediction, by ``mpmath.diff``) and :func:`sensitivity`: how much the
loss moves when each float input moves by a few roundings.  No float64 algorithm that
rounds its inputs or intermediate results can promise more accuracy than that where a
loss (or a gradient) is a difference of nearly equal terms, or sits next to a kink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import mpmath
import numpy as np

from .classification import BCE_GRAD_EPS, LOG_CLAMP
from .ranking import COSINE_EMBEDDING_EPS, KERAS_EPSILON
from .registry import REGISTRY

#: Significant decimal digits of the ground truth, and the extra working digits that
#: absorb cancellations in its formulas (float64 spans about 630 orders of magnitude).
DIGITS, GUARD = 50, 700

#: Parameters that turn a loss's designed guard off (the mathematical loss), where the
#: reference has the guard as a parameter.
OFF = {"gaussian_nll": {"eps": 0.0}, "mape": {"eps": 0.0}, "triplet_margin": {"eps": 0.0},
       "poisson_nll": {"eps": 0.0}}

#: Guards each library applies without a parameter, as formula parameters.  Keras uses
#: ``keras.config.epsilon()`` (1e-7), in the loss's dtype.
HIDDEN_GUARDS: dict[str, dict[str, dict]] = {
    "lossbook": {
        "binary_cross_entropy": {"log_floor": LOG_CLAMP, "grad_floor": BCE_GRAD_EPS},
        "cosine_embedding": {"norm_eps": COSINE_EMBEDDING_EPS},
        "cosine_similarity": {"norm_floor": KERAS_EPSILON},
    },
    "torch": {
        "binary_cross_entropy": {"log_floor": -100.0, "grad_floor": float(np.float32(1e-12))},
        "cosine_embedding": {"norm_eps": float(np.float32(1e-12))},
    },
    "tf": {
        "binary_cross_entropy": {"clip": (1e-7, 1.0 - 1e-7)},  # in the dtype
        "msle": {"floor": 1e-7},
        "cosine_similarity": {"norm_floor": 1e-7},
    },
    "jax": {},  # optax's cosine_similarity floors the norms at epsilon, 0 by default
}


# ---------------------------------------------------------------- helpers


#: ``exp(z)`` is taken as 0 below ``z = -1e5`` (1e-43429: far below every float64 and
#: every guard digit), which spares mpmath the costly exponential of -1e300.
EXP_FLOOR = -1e5


def _exp(z):
    return mpmath.exp(z) if z > EXP_FLOOR else mpmath.mpf(0)


def _lse(xs):
    m = max(xs)
    return m + mpmath.log(mpmath.fsum(_exp(x - m) for x in xs))


def _softplus(z):
    """``log(1 + exp(z))`` without forming ``exp`` of a huge number."""
    return z + mpmath.log1p(_exp(-z)) if z > 0 else mpmath.log1p(_exp(z))


def _log_cosh(x, t):
    e = abs(x - t)
    return mpmath.log(mpmath.cosh(e)) if e < -EXP_FLOOR else e - mpmath.log(2)


def _xlog(a, b):
    """``a log b`` with ``0 log 0 = 0``."""
    return 0 if a == 0 else a * mpmath.log(b)


def _relu(z):
    return z if z > 0 else 0


def _norm(u, p=2):
    return mpmath.fsum(abs(v) ** p for v in u) ** (1 / mpmath.mpf(p))


def _dot(a, b):
    return mpmath.fsum(x * y for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- formulas
# Signature: f(x, t, **params), x the prediction of one sample (a number or a row), t its
# target (a number, an integer, a row, or a tuple of those).


def _huber(x, t, *, delta):
    a = abs(x - t)
    return a * a / 2 if a <= delta else delta * (a - delta / 2)


def _smooth_l1(x, t, *, beta):
    a = abs(x - t)
    if beta == 0:
        return a
    return a * a / (2 * beta) if a < beta else a - beta / 2


def _mape(x, t, *, eps):
    if x == t:
        return 0
    denominator = max(abs(t), eps)
    return 100 * abs(x - t) / denominator if denominator else mpmath.inf


def _msle(x, t, *, floor=None):
    if floor is not None:
        x, t = max(x, floor), max(t, floor)
    return (mpmath.log1p(x) - mpmath.log1p(t)) ** 2


def _pinball(x, t, *, tau):
    r = t - x
    return max(tau * r, (tau - 1) * r)


def _weights(class_weight, n):
    return [1] * n if class_weight is None else class_weight


def _nll(x, t, *, class_weight, ignore_index):
    return 0 if t == ignore_index else -_weights(class_weight, len(x))[t] * x[t]


def _cross_entropy(x, t, *, class_weight, ignore_index, label_smoothing):
    if t == ignore_index:
        return 0
    w, lse, n = _weights(class_weight, len(x)), _lse(x), len(x)
    smooth = mpmath.fsum(wc * (xc - lse) for wc, xc in zip(w, x, strict=True))
    return -(1 - label_smoothing) * w[t] * (x[t] - lse) - label_smoothing / n * smooth


def _categorical_cross_entropy(x, t, *, class_weight, label_smoothing):
    w, lse, n = _weights(class_weight, len(x)), _lse(x), len(x)
    return -mpmath.fsum(wc * ((1 - label_smoothing) * tc + label_smoothing / n) * (xc - lse)
                        for wc, tc, xc in zip(w, t, x, strict=True))


def _binary_cross_entropy(x, t, *, log_floor=None, clip=None, grad_floor=None):
    if clip is not None:
        x = min(max(x, clip[0]), clip[1])
    log_p, log_q = mpmath.log(x), mpmath.log(1 - x)  # -inf at 0
    if log_floor is not None:
        log_p, log_q = max(log_p, log_floor), max(log_q, log_floor)
    return -((t * log_p if t else 0) + ((1 - t) * log_q if t != 1 else 0))


def _bce_grad(x, t, *, grad_floor, **_):
    """PyTorch's (and lossbook's) backward of ``BCELoss``, which is not the derivative of
    the clamped value: ``(p - y) / max(p (1 - p), grad_floor)``."""
    return (x - t) / max(x * (1 - x), grad_floor)


def _bce_with_logits(x, t, *, pos_weight=None):
    pw = 1 if pos_weight is None else pos_weight
    return (1 - t) * x + (1 + (pw - 1) * t) * _softplus(-x)


def _focal(x, t, *, alpha, gamma):
    p = 1 / (1 + _exp(-x)) if x >= 0 else _exp(x) / (1 + _exp(x))
    miss = t * (1 - p) + (1 - t) * p
    a_t = 1 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return a_t * (miss ** gamma if gamma else 1) * _bce_with_logits(x, t)


def _categorical_hinge(x, t, *, crammer_singer):
    pos = _dot(t, x)
    others = [xj for xj, tj in zip(x, t, strict=True) if tj != 1] if crammer_singer \
        else [(1 - tj) * xj for xj, tj in zip(x, t, strict=True)]
    return _relu(1 + max(others) - pos)


def _multi_margin(x, t, *, p, margin, class_weight):
    w = _weights(class_weight, len(x))[t]
    return mpmath.fsum(w * _relu(margin - x[t] + xi) ** p
                       for i, xi in enumerate(x) if i != t) / len(x)


def _multilabel_margin(x, t):
    targets = []
    for j in t:
        if j == -1:
            break
        targets.append(j)
    others = [i for i in range(len(x)) if i not in targets]
    return mpmath.fsum(_relu(1 - (x[j] - x[i])) for j in targets for i in others) / len(x)


def _multilabel_soft_margin(x, t, *, class_weight):
    w = _weights(class_weight, len(x))
    return mpmath.fsum(wc * (tc * _softplus(-xc) + (1 - tc) * _softplus(xc))
                       for wc, tc, xc in zip(w, t, x, strict=True)) / len(x)


def _cosine(a, b, eps):
    return _dot(a, b) / mpmath.sqrt((_dot(a, a) + eps) * (_dot(b, b) + eps))


def _cosine_embedding(x, t, *, margin, norm_eps=0):
    x2, y = t
    cos = _cosine(x, x2, norm_eps)
    return 1 - cos if y == 1 else _relu(cos - margin)


def _cosine_similarity(x, t, *, norm_floor=0):
    nx, nt = _norm(x), _norm(t)
    if max(nx, norm_floor) == 0 or max(nt, norm_floor) == 0:
        return 0
    return -_dot(x, t) / (max(nx, norm_floor) * max(nt, norm_floor))


def _triplet_margin(x, t, *, margin, p, eps, swap):
    pos, neg = t

    def d(u, v):
        return _norm([a - b + eps for a, b in zip(u, v, strict=True)], p)

    d_neg = min(d(x, neg), d(pos, neg)) if swap else d(x, neg)
    return _relu(d(x, pos) - d_neg + margin)


def _contrastive(x, t, *, margin, similar):
    return x * x if t == similar else _relu(margin - x) ** 2


def _kl_div(x, t, *, log_target):
    if log_target:
        return mpmath.exp(t) * (t - x)
    return 0 if t == 0 else t * (mpmath.log(t) - x)


def _poisson_nll(x, t, *, log_input, full, eps):
    loss = mpmath.exp(x) - t * x if log_input else x - _xlog(t, x + eps)
    if full and t > 1:  # Stirling's approximation of log(t!), as the frameworks define it
        loss += t * mpmath.log(t) - t + mpmath.log(2 * mpmath.pi * t) / 2
    return loss


def _gaussian_nll(x, t, *, full, eps):
    y, var = t
    v = max(var, eps)
    if v == 0:  # a point mass: infinitely likely at the mean, impossible elsewhere
        return -mpmath.inf if x == y else mpmath.inf
    return (mpmath.log(v) + (x - y) ** 2 / v) / 2 + (mpmath.log(2 * mpmath.pi) / 2 if full
                                                       else 0)


#: The formula of each loss: one sample, mathematical unless a guard parameter is given.
FORMULAS: dict[str, Callable] = {
    "l1": lambda x, t: abs(x - t),
    "mse": lambda x, t: (x - t) ** 2,
    "huber": _huber,
    "smooth_l1": _smooth_l1,
    "log_cosh": _log_cosh,
    "mape": _mape,
    "msle": _msle,
    "pinball": _pinball,
    "nll": _nll,
    "cross_entropy": _cross_entropy,
    "categorical_cross_entropy": _categorical_cross_entropy,
    "binary_cross_entropy": _binary_cross_entropy,
    "bce_with_logits": _bce_with_logits,
    "focal": _focal,
    "hinge": lambda x, t: _relu(1 - t * x),
    "squared_hinge": lambda x, t: _relu(1 - t * x) ** 2,
    "soft_margin": lambda x, t: _softplus(-t * x),
    "categorical_hinge": _categorical_hinge,
    "multi_margin": _multi_margin,
    "multilabel_margin": _multilabel_margin,
    "multilabel_soft_margin": _multilabel_soft_margin,
    "margin_ranking": lambda x, t, *, margin: _relu(-t[1] * (x - t[0]) + margin),
    "hinge_embedding": lambda x, t, *, margin: x if t == 1 else _relu(margin - x),
    "cosine_embedding": _cosine_embedding,
    "cosine_similarity": _cosine_similarity,
    "triplet_margin": _triplet_margin,
    "contrastive": _contrastive,
    "kl_div": _kl_div,
    "poisson_nll": _poisson_nll,
    "gaussian_nll": _gaussian_nll,
}

def _triplet_shift(x, t, *, margin, p, swap):
    """The triplet loss as a function of the differences ``u = a - pos + eps``, ``a - neg +
    eps`` and ``pos - neg + eps`` (``t``), with the anchor moved by ``x``: the form in
    which every implementation rounds, used for the sensitivity."""
    u_pos, u_neg, u_swap = t

    def d(u):
        return _norm([ui + xi for ui, xi in zip(u, x, strict=True)], p)

    d_neg = min(d(u_neg), _norm(u_swap, p)) if swap else d(u_neg)
    return _relu(d(u_pos) - d_neg + margin)


def _triplet_as_shift(s: Sample) -> Sample:
    a, (pos, neg), eps = s.x, s.t, s.params["eps"]

    def diff(u, v):
        return [ui - vi + eps for ui, vi in zip(u, v, strict=True)]

    params = {k: s.params[k] for k in ("margin", "p", "swap")}
    return Sample("_triplet_shift", [mpmath.mpf(0)] * len(a),
                  (diff(a, pos), diff(a, neg), diff(pos, neg)), params)


def _triplet_gradient_terms(s: Sample) -> list:
    """The two gradients that a triplet loss's gradient is the difference of, ``d d(a, pos)
    / d a`` and ``d d(a, neg) / d a``: entries of size up to 1 that every implementation
    rounds before subtracting them (their sum of magnitudes, per entry)."""
    (u_pos, u_neg, _), p = s.t, s.params["p"]

    def grad(u):
        return [mpmath.diff(lambda v, j=j: _norm(_with(u, j, v), p), u[j])
                for j in range(len(u))]

    return [abs(a) + abs(b) for a, b in zip(grad(u_pos), grad(u_neg), strict=True)]


#: Equivalent forms of a loss for :func:`sensitivity`: the inputs an implementation
#: cannot avoid rounding (the triplet loss: differences of nearly equal vectors).
SENSITIVITY_FORMS = {"triplet_margin": _triplet_as_shift}

#: Intermediate terms of a gradient that every implementation rounds before they cancel,
#: per gradient entry: their rounding adds to :func:`gradient_sensitivity`.
GRADIENT_TERMS = {"_triplet_shift": _triplet_gradient_terms}

#: Backward passes that are not the derivative of the value (used when their guard is on).
BACKWARD = {"binary_cross_entropy": ("grad_floor", _bce_grad)}

#: Losses with one value per row (the last axis) of the prediction; the others have one
#: value per element.
ROWS = {"nll", "cross_entropy", "categorical_cross_entropy", "categorical_hinge",
        "multi_margin", "multilabel_margin", "multilabel_soft_margin", "cosine_embedding",
        "cosine_similarity", "triplet_margin"}

#: Parameters that hold one value per element of the prediction (broadcast like it).
PER_ELEMENT = {"pos_weight"}

#: Losses of vectors (rows): their components are perturbed relative to the row's
#: largest component (a rounding of the vector), not each relative to itself.
VECTORS = {"cosine_embedding", "cosine_similarity", "triplet_margin", "_triplet_shift"}

#: Targets (or parts of a tuple target) that are labels, not numbers: no sensitivity.
LABELS = {"hinge": (), "squared_hinge": (), "soft_margin": (), "categorical_hinge": (),
          "multilabel_soft_margin": (), "margin_ranking": (1,), "hinge_embedding": (),
          "cosine_embedding": (1,), "contrastive": ()}


# ---------------------------------------------------------------- samples


def _mp(x):
    """Float64 data as exact mpmath numbers (rows as lists), integers as ints."""
    if isinstance(x, tuple):
        return tuple(_mp(v) for v in x)
    if isinstance(x, (bool, str)) or x is None:
        return x
    a = np.asarray(x)
    if np.issubdtype(a.dtype, np.integer):
        return a.tolist()
    if a.ndim == 0:
        return mpmath.mpf(float(a))
    return [_mp(v) for v in a]


@dataclass(frozen=True)
class Sample:
    """One sample of loss ``key``: prediction ``x``, target ``t``, parameters, as mpmath
    data (see :func:`sample`)."""

    key: str
    x: object
    t: object
    params: dict = field(default_factory=dict)

    def with_params(self, **params) -> Sample:
        return replace(self, params={**self.params, **_mp_params(params)})


def _mp_params(params: dict) -> dict:
    return {k: v if isinstance(v, (bool, int, str)) or v is None else
            tuple(map(mpmath.mpf, v)) if isinstance(v, tuple) else _mp(v)
            for k, v in params.items()}


def math_params(key: str, params: dict | None = None) -> dict:
    """The reference's defaults with its guards off, updated by ``params``."""
    return {**REGISTRY[key].reference.params, **OFF.get(key, {}), **(params or {})}


def design_params(key: str, library: str, params: dict | None = None,
                  dtype: str = "float64") -> dict:
    """The parameters with which a library computes ``key``: the reference's defaults
    (PyTorch's and Keras' agree with them), its hidden guards rounded to ``dtype``,
    then ``params``."""
    def rounded(v):
        return tuple(map(rounded, v)) if isinstance(v, tuple) else float(np.dtype(dtype).type(v))

    hidden = {k: rounded(v) for k, v in HIDDEN_GUARDS[library].get(key, {}).items()}
    return {**REGISTRY[key].reference.params, **hidden, **(params or {})}


def samples(key: str, pred, target, params: dict | None = None) -> list[Sample]:
    """The samples of a batch, in the order of the reference's unreduced loss, with the
    mathematical parameters (:func:`math_params`)."""
    pred, target = REGISTRY[key].reference.inputs(pred, target)
    rows = key in ROWS
    params = math_params(key, params)
    shape = pred.shape[:-1] if rows else pred.shape
    per_element = {k: np.broadcast_to(np.asarray(params[k], dtype=float), pred.shape)
                   for k in PER_ELEMENT if params.get(k) is not None}
    parts = target if isinstance(target, tuple) else (target,)
    out = []
    for i in np.ndindex(shape):
        t = tuple(_mp(np.asarray(p)[i]) for p in parts)
        local = {**params, **{k: v[i] for k, v in per_element.items()}}
        out.append(Sample(key, _mp(pred[i]), t if isinstance(target, tuple) else t[0],
                          _mp_params(local)))
    return out


def sample(key: str, pred, target, params: dict | None = None) -> Sample:
    """The only sample of a one-sample batch."""
    (s,) = samples(key, pred, target, params)
    return s


# ---------------------------------------------------------------- evaluation


def _formula_params(s: Sample) -> dict:
    backward = BACKWARD.get(s.key)
    return {k: v for k, v in s.params.items() if not (backward and k == backward[0])}


def _call(s: Sample, x=None, t=None):
    formula = _triplet_shift if s.key == "_triplet_shift" else FORMULAS[s.key]
    return formula(s.x if x is None else x, s.t if t is None else t, **_formula_params(s))


def _rounded(v):
    with mpmath.workdps(DIGITS):
        return +v


def value(s: Sample) -> mpmath.mpf:
    """The loss of ``s`` to ``DIGITS`` significant digits."""
    with mpmath.workdps(DIGITS + GUARD):
        return _rounded(_call(s))


def _pred_slots(s: Sample) -> list[int]:
    return list(range(len(s.x))) if isinstance(s.x, list) else [None]


def _with(x, i, v):
    if i is None:
        return v
    return [v if j == i else xj for j, xj in enumerate(x)]


def _gradient(s: Sample, direction: int = 0) -> list:
    backward = BACKWARD.get(s.key)
    if backward and s.params.get(backward[0]) is not None:
        return [backward[1](s.x, s.t, **s.params)]
    return [mpmath.diff(lambda v, i=i: _call(s, x=_with(s.x, i, v)),
                        s.x if i is None else s.x[i], direction=direction)
            for i in _pred_slots(s)]


def gradient(s: Sample, direction: int = 0) -> list[mpmath.mpf]:
    """``d loss / d pred`` of ``s`` (a list, one entry per prediction element); with
    ``direction`` 1 or -1, the one-sided partial derivatives (they differ at a kink).
    Infinite where the loss is infinite, NaN where a derivative leaves the domain."""
    with mpmath.workdps(DIGITS + GUARD):
        if not mpmath.isfinite(_call(s)):
            return [mpmath.inf] * len(_pred_slots(s))
        return [_rounded(g) if isinstance(g, mpmath.mpf) else mpmath.nan
                for g in _gradient(s, direction)]


# ---------------------------------------------------------------- sensitivity


def _leaves(obj, path=()):
    """Paths to the mpmath numbers (the float inputs) in nested lists/tuples/dicts."""
    if isinstance(obj, mpmath.mpf):
        yield path
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))


def _get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def _set(obj, path, v):
    if not path:
        return v
    k, rest = path[0], path[1:]
    if isinstance(obj, dict):
        return {**obj, k: _set(obj[k], rest, v)}
    new = [_set(o, rest, v) if i == k else o for i, o in enumerate(obj)]
    return tuple(new) if isinstance(obj, tuple) else new


#: Units of relative rounding (2**-53 each) by which :func:`sensitivity` moves each input.
ULPS = 16


def _moved(s: Sample):
    """Copies of ``s`` with one float input moved by ``+-ULPS`` roundings: relative to
    itself, or for :data:`VECTORS` relative to the largest component of its row (labels
    and exact zeros of non-vectors stay)."""
    state = {"x": s.x, "t": s.t, "params": s.params}
    labels = ("t", *LABELS[s.key]) if s.key in LABELS else None
    for path in _leaves(state):
        x0, row = _get(state, path), _get(state, path[:-1])
        scale = max(abs(v) for v in row) if s.key in VECTORS and isinstance(row, list) \
            else abs(x0)
        if scale == 0 or (labels is not None and path[:len(labels)] == labels):
            continue
        step = scale * ULPS * mpmath.mpf(2) ** -53
        yield [replace(s, **_set(state, path, x0 + sign * step)) for sign in (1, -1)]


def sensitivity(s: Sample) -> mpmath.mpf:
    """How much the loss of ``s`` moves when its float inputs are rounded: the sum, over
    the inputs, of the largest change of the loss when that input moves by ``ULPS``
    roundings (of itself, or for a vector of its largest component).  For a smooth loss
    it is ``ULPS 2**-53 sum_i |x_i d loss / d x_i|``; across a kink within that distance
    it sees the kink."""
    with mpmath.workdps(DIGITS + GUARD):
        s = SENSITIVITY_FORMS.get(s.key, lambda r: r)(s)
        v = _call(s)
        return _rounded(mpmath.fsum(max(abs(_call(m) - v) for m in pair)
                                    for pair in _moved(s)))


def gradient_sensitivity(s: Sample) -> list[mpmath.mpf]:
    """:func:`sensitivity` of each gradient entry (a jump of the gradient within
    ``ULPS`` roundings of the inputs counts in full), plus ``ULPS`` roundings of the
    intermediate terms in :data:`GRADIENT_TERMS`."""
    with mpmath.workdps(DIGITS + GUARD):
        s = SENSITIVITY_FORMS.get(s.key, lambda r: r)(s)
        g = _gradient(s)
        moved = [[_gradient(m) for m in pair] for pair in _moved(s)]
        terms = GRADIENT_TERMS[s.key](s) if s.key in GRADIENT_TERMS else [0] * len(g)
        step = ULPS * mpmath.mpf(2) ** -53
        return [_rounded(mpmath.fsum(max(abs(gm[j] - g[j]) for gm in pair) for pair in moved)
                         + step * terms[j]) for j in range(len(g))]
