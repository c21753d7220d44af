"""Accuracy study: the references and the frameworks against the mathematical loss.

A :class:`Case` is one sample of one loss at an input where naive arithmetic fails
(extreme logits, probabilities next to 0 or 1, huge, tiny and nearly equal inputs,
tiny vectors, large counts).  :func:`study` evaluates the ``lossbook`` reference
(float64), PyTorch, TensorFlow/Keras and JAX/optax (float64 and float32) on every case,
values and gradients, and scores each against the ground truth of :mod:`lossbook.truth`:
the mathematical loss, computed with ``mpmath`` from the exact binary inputs.

Three things are kept apart:

- **by design**: a guard an implementation applies on purpose (PyTorch's ``-100`` clamp
  of ``log p``, Keras' clipping of probabilities to ``[1e-7, 1 - 1e-7]``, the ``eps`` of a
  variance or of a cosine) changes the value.  Where the implementation returns what its
  guard defines (to round-off) it is marked ``design``, not scored as an error;
- **input rounding**: float32 runs receive the inputs rounded to float32, which alone can
  change the loss (``1e8 + 1`` becomes ``1e8``; ``1e300`` becomes ``inf``).  Their errors
  are measured against the truth at the rounded inputs, and the change of the truth
  itself is the separate column ``f32 input``;
- **algorithmic error**: what remains.

PyTorch runs on the CPU here, whatever :func:`lossbook.environment.torch_device` says, so
that the table is the same on every machine (CUDA's ``exp`` and ``log`` may round
differently in the last bit); TensorFlow and JAX run on the CPU anyway.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import mpmath
import numpy as np

from . import truth
from .fmt import Table, table
from .frameworks import run_jax
from .registry import REGISTRY
from .spec import resolve

#: Implementations in the study, in table order: name -> (library, dtype).
IMPLEMENTATIONS = {
    "lossbook": ("lossbook", "float64"),
    "torch64": ("torch", "float64"),
    "tf64": ("tf", "float64"),
    "jax64": ("jax", "float64"),
    "torch32": ("torch", "float32"),
    "tf32": ("tf", "float32"),
    "jax32": ("jax", "float32"),
}

#: Relative errors up to this size are round-off ("ok").
ROUNDOFF = {"float64": 1e-15, "float32": 1e-6}

#: The grade of a guard's value, see :func:`score`.
DESIGN = "design"


@dataclass(frozen=True, eq=False)
class Case:
    """One sample of loss ``key`` (a registry key): ``pred``, ``target``, ``params``.

    Element-wise losses take arrays of shape ``(1,)``, losses of rows ``(1, C)``; tuple
    targets (``(x2, y)``, ``(y, var)``) hold one array per part.
    """

    key: str
    what: str  # the inputs, briefly (unique): x logits, f scores, p probabilities,
    #            e residual, t counts
    pred: np.ndarray
    target: object
    params: dict = field(default_factory=dict)


def _case(key: str, what: str, pred, target, **params) -> Case:
    if isinstance(target, tuple):
        target = tuple(np.asarray(t, dtype=np.float64) for t in target)
    else:
        target = np.asarray(target)
    return Case(key, what, np.asarray(pred, dtype=np.float64), target, params)


#: The stress set: samples where a naive formula loses digits, overflows or underflows.
CASES: list[Case] = [
    _case("bce_with_logits", "x=800, y=0", [800.0], [0.0]),
    _case("bce_with_logits", "x=-800, y=1", [-800.0], [1.0]),
    _case("bce_with_logits", "x=40, y=1 (tiny loss)", [40.0], [1.0]),
    _case("bce_with_logits", "x=-30, y=0 (tiny loss)", [-30.0], [0.0]),
    _case("bce_with_logits", "x=-40, y=0 (tiny gradient)", [-40.0], [0.0]),
    _case("bce_with_logits", "x=1e-10, y=1", [1e-10], [1.0]),
    _case("bce_with_logits", "x=20, y=0.3, pos_weight=3", [20.0], [0.3],
          pos_weight=[3.0]),
    _case("bce_with_logits", "x=30, y=1-1e-7 (soft label)", [30.0], [1.0 - 1e-7]),
    _case("binary_cross_entropy", "p=1e-12, y=0 (tiny loss)", [1e-12], [0.0]),
    _case("binary_cross_entropy", "p=1e-8, y=1", [1e-8], [1.0]),
    _case("binary_cross_entropy", "p=1e-30, y=1", [1e-30], [1.0]),
    _case("binary_cross_entropy", "p=1e-50, y=1", [1e-50], [1.0]),
    _case("binary_cross_entropy", "p=1-1e-12, y=0", [1.0 - 1e-12], [0.0]),
    _case("binary_cross_entropy", "p=0.3, y=0.7", [0.3], [0.7]),
    _case("cross_entropy", "x=(1000, 999, 998), y=2", [[1000.0, 999.0, 998.0]], [2]),
    _case("cross_entropy", "x=(-1000, -1001), y=1", [[-1000.0, -1001.0]], [1]),
    _case("cross_entropy", "x=(30, 0, 0), y=0 (tiny loss)", [[30.0, 0.0, 0.0]], [0]),
    _case("cross_entropy", "x=(0, 800), y=0", [[0.0, 800.0]], [0]),
    _case("cross_entropy", "x=(1e-9, 0), y=1", [[1e-9, 0.0]], [1]),
    _case("categorical_cross_entropy", "x=(500, -500), y=(.9, .1)",
          [[500.0, -500.0]], [[0.9, 0.1]]),
    _case("categorical_cross_entropy", "x=(20, 0, -20), y=(1, 0, 0)",
          [[20.0, 0.0, -20.0]], [[1.0, 0.0, 0.0]]),
    _case("soft_margin", "f=-800, y=1 (exp overflows)", [-800.0], [1.0]),
    _case("soft_margin", "f=-100, y=1", [-100.0], [1.0]),
    _case("soft_margin", "f=40, y=1 (tiny loss)", [40.0], [1.0]),
    _case("mse", "e=1e20 (e² > float32 max)", [1e20], [0.0]),
    _case("mse", "e=1e-25 (e² < float32 min)", [1e-25], [0.0]),
    _case("mse", "e=1e-160 (e² subnormal)", [1e-160], [0.0]),
    _case("mse", "pred=1e8+1, target=1e8", [1e8 + 1.0], [1e8]),
    _case("huber", "e=1e300", [1e300], [0.0]),
    _case("huber", "e=3e-5", [3e-5], [0.0]),
    _case("log_cosh", "e=800 (cosh overflows)", [800.0], [0.0]),
    _case("log_cosh", "e=2.5", [2.5], [0.0]),
    _case("log_cosh", "e=1e-3", [1e-3], [0.0]),
    _case("log_cosh", "e=1e-8 (small residual)", [1e-8], [0.0]),
    _case("msle", "pred=3, target=3+1e-9", [3.0], [3.0 + 1e-9]),
    _case("msle", "pred=1e15, target=1e15+2", [1e15], [1e15 + 2.0]),
    _case("msle", "pred=0, target=1e-8", [0.0], [1e-8]),
    _case("poisson_nll", "x=100, t=0", [100.0], [0.0]),
    _case("poisson_nll", "x=-50, t=3", [-50.0], [3.0]),
    _case("poisson_nll", "x=log 1e6, t=1e6", [math.log(1e6)], [1e6]),
    _case("poisson_nll", "x=log 1e6, t=1e6, full", [math.log(1e6)], [1e6], full=True),
    _case("poisson_nll", "x=28, t=1e12, full", [28.0], [1e12], full=True),
    _case("gaussian_nll", "e=1e-8, var=1e-12", [1e-8], ([0.0], [1e-12])),
    _case("gaussian_nll", "e=1e150, var=1", [1e150], ([0.0], [1.0])),
    _case("cosine_embedding", "tiny x1, x2 (1e-7), y=1", [[1e-7, 2e-7]],
          ([[3e-7, -1e-7]], [1.0])),
    _case("cosine_embedding", "x1=(1e10, 100), x2=(1e10, 0), y=1", [[1e10, 100.0]],
          ([[1e10, 0.0]], [1.0])),
    _case("cosine_embedding", "x1=(1, 2), x2=(3, -1), y=-1", [[1.0, 2.0]],
          ([[3.0, -1.0]], [-1.0])),
    _case("cosine_similarity", "tiny pred, target (1e-9)", [[1e-9, 2e-9]], [[3e-9, -1e-9]]),
    _case("cosine_similarity", "pred=(1e200, 2e200)", [[1e200, 2e200]], [[3.0, -1.0]]),
]


# ---------------------------------------------------------------- ground truth


def _rounded(x, dtype: str):
    """Float arrays rounded to ``dtype`` and back to float64 (beyond float32's range:
    inf), recursively through tuples; integer arrays unchanged."""
    if isinstance(x, tuple):
        return tuple(_rounded(v, dtype) for v in x)
    if isinstance(x, list):
        return [_rounded(v, dtype) for v in x]
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        return x
    with np.errstate(over="ignore"):
        return a.astype(dtype).astype(np.float64)


@dataclass(frozen=True)
class Truth:
    """The value and the gradient (one entry per prediction element) of a formula."""

    value: mpmath.mpf
    grad: list


def _finite(x) -> bool:
    if isinstance(x, tuple):
        return all(map(_finite, x))
    a = np.asarray(x)
    return not np.issubdtype(a.dtype, np.floating) or bool(np.all(np.isfinite(a)))


def _truth(case: Case, params: dict, dtype: str) -> Truth | None:
    """The formula of ``case.key`` with ``params``, at the inputs rounded to ``dtype``
    (``None`` if an input overflows there)."""
    pred, target = _rounded(case.pred, dtype), _rounded(case.target, dtype)
    params = {k: _rounded(v, dtype) if isinstance(v, list) else v for k, v in params.items()}
    if not (_finite(pred) and _finite(target)):
        return None
    s = truth.sample(case.key, pred, target, params)
    return Truth(truth.value(s), truth.gradient(s))


def exact(case: Case, dtype: str = "float64") -> Truth | None:
    """The mathematical loss of ``case`` (all guards off) at its inputs rounded to
    ``dtype``: the float64 inputs themselves, or what a float32 model receives
    (``None`` if an input overflows float32)."""
    return _truth(case, truth.math_params(case.key, case.params), dtype)


def designed(case: Case, library: str, dtype: str = "float64") -> Truth | None:
    """What ``library`` computes for ``case`` by its definition, guards included (at the
    inputs rounded to ``dtype``); ``None`` when it has no guard for this loss."""
    params = truth.design_params(case.key, library, case.params, dtype)
    if params == truth.math_params(case.key, case.params):
        return None
    return _truth(case, params, dtype)


# ---------------------------------------------------------------- evaluation


def _cast(x, dtype: str) -> np.ndarray:
    """Float arrays in ``dtype`` (values beyond float32's range become inf, silently)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        return x
    with np.errstate(over="ignore"):
        return x.astype(dtype)


@dataclass(frozen=True)
class Computed:
    """An implementation's value and gradient of one case (as float64)."""

    value: float
    grad: np.ndarray


def lossbook_run(case: Case) -> Computed:
    """The reference's value and gradient of ``case`` (float64)."""
    with np.errstate(over="ignore"):  # e.g. huber's unused branch 0.5 e**2 at e = 1e300
        r = REGISTRY[case.key].reference.value_and_grad(
            case.pred, case.target, reduction="sum", **case.params)
    return Computed(float(r.value), np.ravel(r.grad))


def torch_run(case: Case, dtype: str) -> Computed | None:
    """PyTorch's ``torch.nn`` loss of ``case`` in ``dtype``, on the CPU, with autograd."""
    api = REGISTRY[case.key].torch
    if api is None:
        return None
    import torch

    dt = getattr(torch, dtype)

    def tensor(x):
        x = _cast(x, dtype)
        kind = dt if np.issubdtype(x.dtype, np.floating) else torch.int64
        return torch.tensor(x, dtype=kind, device="cpu")

    params = {api.params.get(k, k): tensor(v) if isinstance(v, list) else v
              for k, v in case.params.items()}  # e.g. pos_weight: a tensor, same name
    loss = resolve(api.name)(**api.fixed, **params, reduction="sum")
    pred = tensor(case.pred).requires_grad_(True)
    targets = case.target if isinstance(case.target, tuple) else (case.target,)
    out = loss(pred, *map(tensor, targets))
    out.backward()
    return Computed(out.item(), pred.grad.double().numpy().ravel())


def tf_run(case: Case, dtype: str) -> Computed | None:
    """TensorFlow's loss of ``case`` in ``dtype`` with ``tf.GradientTape``: Keras, or
    ``tf.nn.log_poisson_loss`` (the log-rate Poisson loss) and
    ``tf.nn.weighted_cross_entropy_with_logits`` (``pos_weight``), which Keras lacks;
    ``None`` when TensorFlow has no such loss."""
    import tensorflow as tf

    with tf.device("/CPU:0"):
        pred = tf.Variable(_cast(case.pred, dtype))
        target = tf.constant(_cast(case.target, dtype)) if not isinstance(
            case.target, tuple) else None
        if case.key == "poisson_nll":
            def loss():
                return tf.nn.log_poisson_loss(target, pred, case.params.get("full", False))
        elif case.key == "bce_with_logits" and "pos_weight" in case.params:
            pos_weight = tf.constant(_cast(case.params["pos_weight"], dtype))

            def loss():
                return tf.nn.weighted_cross_entropy_with_logits(target, pred, pos_weight)
        else:
            api = REGISTRY[case.key].keras
            if api is None or not set(case.params) <= set(api.params):
                return None
            keras_loss = api.build(case.params, reduction="sum", dtype=dtype)

            def loss():
                return keras_loss(target, pred)
        with tf.GradientTape() as tape:
            out = tf.reduce_sum(loss())
        grad = tape.gradient(out, pred)
    return Computed(float(out), np.ravel(grad.numpy()).astype(np.float64))


def jax_run(case: Case, dtype: str) -> Computed | None:
    """optax's loss of ``case`` in ``dtype`` (the registry's optax API: target converted,
    divided by its scale) with ``jax.value_and_grad`` of its sum, on the CPU; ``None`` when
    optax has no such loss or not its parameters (``pos_weight``).  optax 0.2.8 has no loss
    on probabilities (BCE), no MSLE, Poisson, Gaussian or cosine embedding loss."""
    api = REGISTRY[case.key].optax
    if api is None or case.params or api.then or api.sums_last_axis or api.reference_params:
        return None
    r = run_jax(_optax_loss(case.key), _cast(case.pred, dtype),
                _cast(api.target(np.asarray(case.target)), dtype), dtype=dtype)
    return Computed(float(np.sum(r.value)), np.ravel(r.grad).astype(np.float64))


@functools.cache
def _optax_loss(key: str) -> Callable:
    """The registry's optax loss of ``key``, divided by its scale: one function per loss,
    which :func:`run_jax` compiles once per input shape and dtype, not once per case."""
    api = REGISTRY[key].optax
    loss = api.build()
    return lambda p, t: loss(p, t) / api.scale


def run(case: Case, implementation: str) -> Computed | None:
    """``case`` under one of :data:`IMPLEMENTATIONS` (``None``: no such loss)."""
    library, dtype = IMPLEMENTATIONS[implementation]
    runs = {"torch": torch_run, "tf": tf_run, "jax": jax_run}
    return lossbook_run(case) if library == "lossbook" else runs[library](case, dtype)


def value(case: Case, implementation: str) -> float | None:
    """The value of ``case`` under one of :data:`IMPLEMENTATIONS` (``None``: no such loss)."""
    computed = run(case, implementation)
    return None if computed is None else computed.value


# ---------------------------------------------------------------- scores


def relative_error(computed, exact, dtype: str = "float64", normwise: bool = False) -> float:
    """``|computed - exact| / max(|exact|, tiny)``, ``tiny`` the smallest normal number
    of ``dtype`` (below it no format keeps relative digits), the largest over the entries
    of an array; ``normwise``: one denominator, the largest ``|exact|``.  Equal
    infinities count as exact; a NaN gives NaN, any other infinity ``inf``."""
    computed = np.atleast_1d(np.asarray(computed, dtype=np.float64))
    exact = list(exact) if isinstance(exact, (list, tuple)) else [exact]
    tiny = mpmath.mpf(float(np.finfo(dtype).tiny))
    with mpmath.workdps(truth.DIGITS):
        sizes = [abs(t) for t in exact]
        if normwise:
            sizes = [max(sizes)] * len(sizes)
        worst = 0.0
        for c, t, size in zip(computed, exact, sizes, strict=True):
            if math.isnan(c) or mpmath.isnan(t):
                return math.nan
            if math.isinf(c) or mpmath.isinf(t):
                err = 0.0 if mpmath.mpf(c) == t else math.inf
            else:
                err = float(abs(mpmath.mpf(c) - t) / max(size, tiny))
            worst = max(worst, err)
        return worst


@dataclass(frozen=True)
class Score:
    """A relative error against the mathematical loss, whether a guard changes the value
    (``by_design``), the error of the implementation against its guard's value
    (``algorithmic``: the error itself where no guard is active), and the grade."""

    error: float
    by_design: bool
    algorithmic: float
    grade: str


def score(computed, exact, design, dtype: str, normwise: bool = False) -> Score:
    """Grade ``computed`` against the mathematical ``exact`` (see :func:`grade`).  Where a
    guard changes the value (``design`` differs from ``exact`` beyond round-off), the
    grade is :data:`DESIGN` if ``computed`` is the guard's value to round-off, else
    ``"d "`` and the grade of its error against the guard's value."""
    if computed is None or exact is None:
        return Score(math.nan, False, math.nan, "-")
    err = relative_error(computed, exact, dtype, normwise)
    if err > ROUNDOFF[dtype] and design is not None and \
            relative_error(design, exact, dtype, normwise) > ROUNDOFF[dtype]:
        algorithmic = relative_error(computed, design, dtype, normwise)
        label = grade(algorithmic, dtype)
        return Score(err, True, algorithmic, DESIGN if label == "ok" else f"d {label}")
    return Score(err, False, err, grade(err, dtype))


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


@dataclass(frozen=True)
class Row:
    """One case of the study: the truth at the float64 inputs, and per implementation
    the score of its value and of its gradient; ``input32`` scores the truth at the
    float32-rounded inputs against the truth (value, gradient)."""

    case: Case
    exact: Truth
    value: dict[str, Score]
    grad: dict[str, Score]
    input32: tuple[Score, Score]


def study_case(case: Case) -> Row:
    """Score every implementation on ``case``."""
    normwise = case.key in truth.VECTORS
    truths = {dtype: exact(case, dtype) for dtype in ROUNDOFF}
    values, grads = {}, {}
    for name, (library, dtype) in IMPLEMENTATIONS.items():
        computed, t = run(case, name), truths[dtype]
        d = designed(case, library, dtype)
        values[name] = score(computed and computed.value, t and t.value, d and d.value,
                             dtype)
        grads[name] = score(computed and computed.grad, t and t.grad, d and d.grad, dtype,
                            normwise)
    t64, t32 = truths["float64"], truths["float32"]
    if t32 is None:  # an input overflows float32
        input32 = (Score(math.inf, False, math.inf, "inf"),) * 2
    else:
        errors = (relative_error(float(t32.value), t64.value, "float32"),
                  relative_error([float(g) for g in t32.grad], t64.grad, "float32", normwise))
        input32 = tuple(Score(e, False, e, grade(e, "float32")) for e in errors)
    return Row(case, t64, values, grads, input32)


def study(cases: list[Case] | None = None) -> list[Row]:
    """Every implementation on every case (default: :data:`CASES`)."""
    return [study_case(c) for c in (CASES if cases is None else cases)]


# ---------------------------------------------------------------- display


def sci(x, digits: int = 3) -> str:
    """``x`` in scientific notation with ``digits`` significant digits (``1.23e+45``)."""
    x = float(x)
    return f"{x:.{digits - 1}e}" if math.isfinite(x) else str(x)


def accuracy_table(rows: list[Row], quantity: str = "value") -> Table:
    """The study as a table of grades (see :func:`score`): per case its number and
    description, the implementations' ``"value"`` or ``"gradient"`` grades (``-``: no such
    loss, or for float32 an input beyond float32's range), the float32 input column, and
    for values the exact value."""
    if quantity not in ("value", "gradient"):
        raise ValueError(f"quantity must be 'value' or 'gradient', got {quantity!r}")
    names = list(IMPLEMENTATIONS)
    body = []
    for i, r in enumerate(rows):
        scores = r.value if quantity == "value" else r.grad
        cells = [scores[n].grade for n in names]
        cells.append(r.input32[0 if quantity == "value" else 1].grade)
        if quantity == "value":
            cells.append(sci(r.exact.value))
        body.append([str(i), f"{r.case.key.replace('_', ' ')}: {r.case.what}", *cells])
    exact = ["exact"] if quantity == "value" else []
    return table(body, ["#", "case", *names, "f32 input", *exact])


#: Categories of the study's heat map, in legend order, with their colours.
CATEGORIES = {
    "ok (round-off)": "#ffffff",
    "error <= 1e-12": "#fee391",
    "<= 1e-6": "#fe9929",
    "<= 1e-2": "#cc4c02",
    "> 1e-2": "#662506",
    "inf or nan": "#000000",
    "by design": "#6baed6",
    "no such loss": "#d9d9d9",
}


def category(s: Score, dtype: str) -> int:
    """The index in :data:`CATEGORIES` of a score: its grade, or for an error (against
    the guard's value where a guard acts) the bin of its size."""
    if s.grade == "-":
        return 7
    if s.grade == DESIGN:
        return 6
    err = s.algorithmic
    if not math.isfinite(err):
        return 5
    return next(i for i, bound in enumerate((ROUNDOFF[dtype], 1e-12, 1e-6, 1e-2, math.inf))
                if err <= bound)


def grid(rows: list[Row], quantity: str = "value") -> tuple[np.ndarray, np.ndarray]:
    """The study as two arrays of shape ``(implementations + 1, cases)``: the
    :func:`category` of each cell (the last row: float32 input rounding), and whether a
    guard acts on it."""
    names = list(IMPLEMENTATIONS)
    cats = np.empty((len(names) + 1, len(rows)), dtype=int)
    guarded = np.zeros(cats.shape, dtype=bool)
    for j, r in enumerate(rows):
        scores = r.value if quantity == "value" else r.grad
        for i, n in enumerate(names):
            cats[i, j] = category(scores[n], IMPLEMENTATIONS[n][1])
            guarded[i, j] = scores[n].by_design
        cats[-1, j] = category(r.input32[0 if quantity == "value" else 1], "float32")
    return cats, guarded
