"""Accuracy study: the references and the frameworks against a high-precision ground truth.

A :class:`Case` is one sample of one loss at an input where naive arithmetic fails
(extreme logits, probabilities next to 0 or 1, huge and tiny residuals, large counts).
:func:`exact` evaluates the loss's formula for it with ``mpmath`` at ``DIGITS``
significant digits, from the exact binary value of each float64 input.  :func:`study`
evaluates the ``lossbook`` reference (float64), PyTorch and TensorFlow/Keras (float32 and
float64) on every case and returns their relative errors ``|computed - exact| / |exact|``.

Float32 runs receive the inputs rounded to float32, so their error includes that
rounding: it is what a float32 model sees.  PyTorch runs on the CPU here, whatever
:func:`lossbook.environment.torch_device` says, so that the table is the same on every
machine (CUDA's ``exp`` and ``log`` may round differently in the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import mpmath
import numpy as np

from .fmt import Table, table
from .registry import REGISTRY
from .spec import resolve

#: Significant decimal digits of the ground truth, and the extra working digits that
#: absorb cancellations in its formulas (float64 spans about 630 orders of magnitude).
DIGITS, GUARD = 50, 700

#: Implementations in the study, in table order: name -> (library, dtype).
IMPLEMENTATIONS = {
    "lossbook": ("lossbook", "float64"),
    "torch64": ("torch", "float64"),
    "tf64": ("tf", "float64"),
    "torch32": ("torch", "float32"),
    "tf32": ("tf", "float32"),
}

#: Relative errors up to this size are shown as round-off ("ok") in the table.
ROUNDOFF = {"float64": 1e-15, "float32": 1e-6}


@dataclass(frozen=True, eq=False)
class Case:
    """One sample of loss ``key`` (a registry key): ``pred``, ``target``, ``params``.

    Element-wise losses take arrays of shape ``(1,)``; class losses take ``(1, C)`` scores
    with a ``(1,)`` target.  ``gaussian_nll`` takes ``target = (y, var)``.
    """

    key: str
    what: str  # the inputs, briefly: x logits, p probabilities, e residual, t counts
    pred: np.ndarray
    target: object
    params: dict = field(default_factory=dict)


def _case(key: str, what: str, pred, target, **params) -> Case:
    if isinstance(target, tuple):
        target = tuple(np.asarray(t, dtype=np.float64) for t in target)
    else:
        target = np.asarray(target)
    return Case(key, what, np.asarray(pred, dtype=np.float64), target, params)


#: The stress set: a few dozen samples where a naive formula loses digits or overflows.
CASES: list[Case] = [
    _case("bce_with_logits", "x=800, y=0", [800.0], [0.0]),
    _case("bce_with_logits", "x=-800, y=1", [-800.0], [1.0]),
    _case("bce_with_logits", "x=40, y=1 (tiny loss)", [40.0], [1.0]),
    _case("bce_with_logits", "x=-30, y=0 (tiny loss)", [-30.0], [0.0]),
    _case("bce_with_logits", "x=1e-10, y=1", [1e-10], [1.0]),
    _case("bce_with_logits", "x=20, y=0.3, pos_weight=3", [20.0], [0.3],
          pos_weight=[3.0]),
    _case("binary_cross_entropy", "p=1e-12, y=0 (tiny loss)", [1e-12], [0.0]),
    _case("binary_cross_entropy", "p=1e-8, y=1", [1e-8], [1.0]),
    _case("binary_cross_entropy", "p=1e-30, y=1", [1e-30], [1.0]),
    _case("binary_cross_entropy", "p=1e-50, y=1 (clamped)", [1e-50], [1.0]),
    _case("binary_cross_entropy", "p=1-1e-12, y=0", [1.0 - 1e-12], [0.0]),
    _case("binary_cross_entropy", "p=0.3, y=0.7", [0.3], [0.7]),
    _case("cross_entropy", "x=(1000, 999, 998), y=2", [[1000.0, 999.0, 998.0]], [2]),
    _case("cross_entropy", "x=(-1000, -1001), y=1", [[-1000.0, -1001.0]], [1]),
    _case("cross_entropy", "x=(30, 0, 0), y=0 (tiny)", [[30.0, 0.0, 0.0]], [0]),
    _case("cross_entropy", "x=(0, 800), y=0", [[0.0, 800.0]], [0]),
    _case("cross_entropy", "x=(1e-9, 0), y=1", [[1e-9, 0.0]], [1]),
    _case("categorical_cross_entropy", "x=(500, -500), y=(.9, .1)",
          [[500.0, -500.0]], [[0.9, 0.1]]),
    _case("categorical_cross_entropy", "x=(20, 0, -20), y=(1, 0, 0)",
          [[20.0, 0.0, -20.0]], [[1.0, 0.0, 0.0]]),
    _case("soft_margin", "x=-800, y=1 (exp overflows)", [-800.0], [1.0]),
    _case("soft_margin", "x=-100, y=1", [-100.0], [1.0]),
    _case("soft_margin", "x=40, y=1 (tiny loss)", [40.0], [1.0]),
    _case("mse", "e=1e20 (e² > float32 max)", [1e20], [0.0]),
    _case("mse", "e=1e-25 (e² < float32 min)", [1e-25], [0.0]),
    _case("mse", "e=1e-160 (e² subnormal)", [1e-160], [0.0]),
    _case("mse", "pred=1e8+1, target=1e8", [1e8 + 1.0], [1e8]),
    _case("huber", "e=1e300", [1e300], [0.0]),
    _case("huber", "e=3e-5", [3e-5], [0.0]),
    _case("log_cosh", "e=800 (cosh overflows)", [800.0], [0.0]),
    _case("log_cosh", "e=1e-3", [1e-3], [0.0]),
    _case("log_cosh", "e=2.5", [2.5], [0.0]),
    _case("poisson_nll", "x=100, t=0", [100.0], [0.0]),
    _case("poisson_nll", "x=-50, t=3", [-50.0], [3.0]),
    _case("poisson_nll", "x=log 1e6, t=1e6", [math.log(1e6)], [1e6]),
    _case("poisson_nll", "x=log 1e6, t=1e6, full", [math.log(1e6)], [1e6], full=True),
    _case("gaussian_nll", "e=1e-8, var=1e-12", [1e-8], ([0.0], [1e-12])),
    _case("gaussian_nll", "e=1e150, var=1", [1e150], ([0.0], [1.0])),
]


# ---------------------------------------------------------------- ground truth


def _mp(x) -> list:
    """Exact binary values of float64 inputs as mpmath numbers (flat list)."""
    return [mpmath.mpf(float(v)) for v in np.ravel(x)]


def _softplus(x):
    """``log(1 + exp(x))``, evaluated at the working precision."""
    return mpmath.log1p(mpmath.exp(x))


def _logsumexp(xs: list):
    m = max(xs)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(x - m) for x in xs))


def _bce_with_logits(c: Case):
    (x,), (y,) = _mp(c.pred), _mp(c.target)
    (pw,) = _mp(c.params.get("pos_weight", [1.0]))
    return (1 - y) * x + (1 + (pw - 1) * y) * _softplus(-x)


def _binary_cross_entropy(c: Case):
    (p,), (y,) = _mp(c.pred), _mp(c.target)
    return -(y * mpmath.log(p) + (1 - y) * mpmath.log(1 - p))


def _cross_entropy(c: Case):
    xs = _mp(c.pred)
    return _logsumexp(xs) - xs[int(np.ravel(c.target)[0])]


def _categorical_cross_entropy(c: Case):
    xs, ys = _mp(c.pred), _mp(c.target)
    lse = _logsumexp(xs)
    return -mpmath.fsum(y * (x - lse) for x, y in zip(xs, ys, strict=True))


def _residual(c: Case):
    (p,), (t,) = _mp(c.pred), _mp(c.target)
    return p - t


def _huber(c: Case):
    e, delta = abs(_residual(c)), mpmath.mpf(c.params.get("delta", 1.0))
    return e * e / 2 if e <= delta else delta * (e - delta / 2)


def _poisson_nll(c: Case):
    (x,), (t,) = _mp(c.pred), _mp(c.target)
    loss = mpmath.exp(x) - t * x
    if c.params.get("full") and t > 1:  # Stirling's term, as the frameworks define it
        loss += t * mpmath.log(t) - t + mpmath.log(2 * mpmath.pi * t) / 2
    return loss


def _gaussian_nll(c: Case):
    (m,), (y,), (v,) = _mp(c.pred), *(_mp(t) for t in c.target)
    v = max(v, mpmath.mpf(1e-6))  # PyTorch's eps clamp of the variance
    return (mpmath.log(v) + (m - y) ** 2 / v) / 2


#: The formula of each loss in the study, one sample, in mpmath.
TRUTH: dict[str, Callable[[Case], mpmath.mpf]] = {
    "bce_with_logits": _bce_with_logits,
    "binary_cross_entropy": _binary_cross_entropy,
    "cross_entropy": _cross_entropy,
    "categorical_cross_entropy": _categorical_cross_entropy,
    "soft_margin": lambda c: _softplus(-_mp(c.pred)[0] * _mp(c.target)[0]),
    "mse": lambda c: _residual(c) ** 2,
    "huber": _huber,
    "log_cosh": lambda c: mpmath.log(mpmath.cosh(_residual(c))),
    "poisson_nll": _poisson_nll,
    "gaussian_nll": _gaussian_nll,
}


def exact(case: Case, guard: int = GUARD) -> mpmath.mpf:
    """The loss of ``case`` from its formula, to ``DIGITS`` significant digits.

    The formula is evaluated with ``guard`` extra digits, so that cancellations (such as
    ``-30 + log(1 + exp(30))``) cannot eat into the digits returned.
    """
    with mpmath.workdps(DIGITS + guard):
        value = TRUTH[case.key](case)
    with mpmath.workdps(DIGITS):
        return +value


def relative_error(value: float, truth) -> float:
    """``|value - truth| / |truth|`` (the absolute error when ``truth`` is 0);
    ``inf`` for an infinite ``value``, ``nan`` for a NaN."""
    value = float(value)
    if not math.isfinite(value):
        return value if math.isnan(value) else math.inf
    with mpmath.workdps(DIGITS):
        err = abs(mpmath.mpf(value) - truth)
        return float(err / abs(truth) if truth != 0 else err)


# ---------------------------------------------------------------- evaluation


def lossbook_value(case: Case) -> float:
    """The reference's value of ``case`` (float64)."""
    with np.errstate(over="ignore"):  # e.g. huber's unused branch 0.5 e**2 at e = 1e300
        return REGISTRY[case.key].reference(case.pred, case.target, reduction="sum",
                                            **case.params)


def _cast(x, dtype: str) -> np.ndarray:
    """Float arrays in ``dtype`` (values beyond float32's range become inf, silently)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        return x
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def torch_value(case: Case, dtype: str) -> float:
    """PyTorch's ``torch.nn`` loss of ``case`` in ``dtype``, on the CPU."""
    import torch

    dt = getattr(torch, dtype)

    def tensor(x):
        x = _cast(x, dtype)
        kind = dt if np.issubdtype(x.dtype, np.floating) else torch.int64
        return torch.tensor(x, dtype=kind, device="cpu")

    api = REGISTRY[case.key].torch
    params = {api.params.get(k, k): tensor(v) if isinstance(v, list) else v
              for k, v in case.params.items()}  # e.g. pos_weight: a tensor, same name
    loss = resolve(api.name)(**api.fixed, **params, reduction="sum")
    targets = case.target if isinstance(case.target, tuple) else (case.target,)
    return float(loss(tensor(case.pred), *map(tensor, targets)))


def tf_value(case: Case, dtype: str) -> float | None:
    """TensorFlow's loss of ``case`` in ``dtype`` (Keras; ``tf.nn.log_poisson_loss`` for
    the log-rate Poisson loss); ``None`` when Keras has no such loss or parameter."""
    import tensorflow as tf

    with tf.device("/CPU:0"):
        pred = tf.constant(_cast(case.pred, dtype))
        if case.key == "poisson_nll":
            target = tf.constant(_cast(case.target, dtype))
            full = case.params.get("full", False)
            return float(tf.reduce_sum(tf.nn.log_poisson_loss(target, pred, full)))
        api = REGISTRY[case.key].keras
        if api is None or not set(case.params) <= set(api.params):
            return None  # no such loss, or no such parameter (pos_weight)
        loss = api.build(case.params, reduction="sum", dtype=dtype)
        return float(loss(case.target, pred))


def value(case: Case, implementation: str) -> float | None:
    """The value of ``case`` under one of :data:`IMPLEMENTATIONS` (``None``: no such loss)."""
    library, dtype = IMPLEMENTATIONS[implementation]
    if library == "lossbook":
        return lossbook_value(case)
    if library == "torch":
        return torch_value(case, dtype) if REGISTRY[case.key].torch else None
    return tf_value(case, dtype)


@dataclass(frozen=True)
class Row:
    """One case of the study: its exact value and each implementation's relative error
    (``None`` where the framework has no such loss)."""

    case: Case
    exact: mpmath.mpf
    errors: dict[str, float | None]


def study(cases: list[Case] | None = None) -> list[Row]:
    """Relative errors of every implementation on every case (default: :data:`CASES`)."""
    rows = []
    for case in CASES if cases is None else cases:
        truth = exact(case)
        values = {name: value(case, name) for name in IMPLEMENTATIONS}
        errors = {name: None if v is None else relative_error(v, truth)
                  for name, v in values.items()}
        rows.append(Row(case, truth, errors))
    return rows


# ---------------------------------------------------------------- display


def sci(x, digits: int = 3) -> str:
    """``x`` in scientific notation with ``digits`` significant digits (``1.23e+45``)."""
    x = float(x)
    return f"{x:.{digits - 1}e}" if math.isfinite(x) else str(x)


def grade(err: float | None, dtype: str) -> str:
    """A relative error, coarsely: ``ok`` up to ``ROUNDOFF`` of ``dtype``, else its
    order of magnitude, the nearest power of ten (``1e-2`` for 0.013, ``1e-1`` for 0.04);
    ``inf``, ``nan``, or ``-`` (no such loss)."""
    if err is None:
        return "-"
    if not math.isfinite(err):
        return str(err)
    if err <= ROUNDOFF[dtype]:
        return "ok"
    return f"1e{round(math.log10(err)):+d}"


def accuracy_table(rows: list[Row]) -> Table:
    """The study as a plain-text table of graded relative errors (see :func:`grade`),
    the exact value and the case last."""
    names = list(IMPLEMENTATIONS)
    body = [[str(i), *(grade(r.errors[n], IMPLEMENTATIONS[n][1]) for n in names),
             sci(r.exact), r.case.key, r.case.what]
            for i, r in enumerate(rows)]
    return table(body, ["#", *names, "exact", "loss", "case"])
