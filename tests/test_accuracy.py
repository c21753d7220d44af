"""The accuracy study: its ground truths, the references' accuracy, and the chapter's table.

The main test asserts, on every stress case, that the ``lossbook`` reference (float64)
is at least as accurate as the best framework in float64, with a slack of a factor 2
plus 1e-15 in relative error (a reference may round differently by an ulp or two).
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath
import nbformat
import numpy as np
import pytest

import lossbook as lb
from lossbook import accuracy as acc

CHAPTER = Path(__file__).resolve().parent.parent / "chapters/09_numerical_stability.ipynb"
FACTOR, SLACK = 2.0, 1e-15  # reference error <= FACTOR * best framework error + SLACK

#: Cases where a reference is less accurate than a framework, with the reason.
KNOWN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def rows(frameworks):
    return acc.study()


def case(key, pred, target, **params):
    return acc._case(key, "test", pred, target, **params)


LOG2, LOG3 = math.log(2.0), math.log(3.0)

HAND_CHECKED = [  # (case, exact value by hand)
    (case("mse", [3.0], [1.0]), 4.0),
    (case("huber", [0.5], [0.0]), 0.125),
    (case("huber", [3.0], [0.0], delta=2.0), 4.0),  # 2 (3 - 1)
    (case("log_cosh", [0.0], [0.0]), 0.0),
    (case("bce_with_logits", [0.0], [1.0]), LOG2),
    (case("bce_with_logits", [0.0], [1.0], pos_weight=[3.0]), 3 * LOG2),
    (case("binary_cross_entropy", [0.25], [1.0]), 2 * LOG2),
    (case("binary_cross_entropy", [0.5], [0.3]), LOG2),
    (case("cross_entropy", [[7.0, 7.0, 7.0]], [1]), LOG3),
    (case("cross_entropy", [[1000.0, 1000.0]], [0]), LOG2),
    (case("categorical_cross_entropy", [[-900.0] * 3], [[0.2, 0.3, 0.5]]), LOG3),
    (case("poisson_nll", [0.0], [5.0]), 1.0),
    (case("poisson_nll", [0.0], [2.0], full=True), 1 + 2 * LOG2 - 2 + math.log(4 * math.pi) / 2),
    (case("poisson_nll", [0.0], [1.0], full=True), 1.0),  # no Stirling term for t <= 1
    (case("gaussian_nll", [1.0], ([0.0], [4.0])), (math.log(4.0) + 0.25) / 2),
    (case("gaussian_nll", [0.0], ([0.0], [0.0])), math.log(1e-6) / 2),  # var clamped
]


@pytest.mark.parametrize("c, expected", HAND_CHECKED,
                         ids=[f"{c.key}-{i}" for i, (c, _) in enumerate(HAND_CHECKED)])
def test_ground_truth_by_hand(c, expected):
    assert float(acc.exact(c)) == pytest.approx(expected, rel=1e-15, abs=1e-300)


def test_ground_truth_exact_beyond_float64():
    # (x=-30, y=0): log1p(exp(-30)) = exp(-30) - exp(-60)/2 + ..., far below a float64 ulp
    c = case("bce_with_logits", [-30.0], [0.0])
    with mpmath.workdps(60):
        series = mpmath.fsum((-1) ** (k + 1) * mpmath.exp(-30 * k) / k for k in range(1, 5))
        assert abs(acc.exact(c) - series) < mpmath.mpf(10) ** -50 * series


def test_ground_truth_has_its_digits():
    """Every case's truth agrees with one computed with twice the guard digits."""
    for c in acc.CASES:
        precise = acc.exact(c, guard=2 * acc.GUARD)
        rel = abs(acc.exact(c) - precise) / abs(precise)
        assert rel < mpmath.mpf(10) ** (1 - acc.DIGITS), c.what


def test_ground_truth_survives_a_huge_cancellation():
    # x=-800, y=0: -800 + log(1 + exp(800)) = log1p(exp(-800)), 347 digits below 800
    c = case("bce_with_logits", [-800.0], [0.0])
    with mpmath.workdps(60):
        assert abs(acc.exact(c) / mpmath.exp(-800) - 1) < mpmath.mpf(10) ** -49


@pytest.mark.parametrize("key", sorted(acc.TRUTH))
def test_ground_truth_matches_the_reference_on_tame_inputs(key):
    """Same formula and conventions as the reference where float64 is accurate enough."""
    r = np.random.default_rng(0)
    for _ in range(5):
        x = r.uniform(0.1, 0.9, 1)
        if key in ("cross_entropy", "categorical_cross_entropy"):
            pred = r.normal(size=(1, 3))
            target = [int(r.integers(3))] if key == "cross_entropy" else [r.dirichlet([1] * 3)]
        elif key == "gaussian_nll":
            pred, target = x, (r.normal(size=1), r.uniform(0.5, 2.0, 1))
        elif key == "soft_margin":
            pred, target = r.normal(size=1), r.choice([-1.0, 1.0], 1)
        elif key == "poisson_nll":
            pred, target = r.normal(size=1), r.integers(0, 9, 1).astype(float)
        else:
            pred, target = (x if key == "binary_cross_entropy" else r.normal(size=1)), x
        c = case(key, pred, target)
        assert acc.lossbook_value(c) == pytest.approx(float(acc.exact(c)), rel=1e-12)


def test_relative_error_and_grade():
    assert acc.relative_error(1.5, mpmath.mpf(1)) == 0.5
    assert acc.relative_error(1e-300, mpmath.mpf(0)) == 1e-300  # absolute error at 0
    assert acc.relative_error(math.inf, mpmath.mpf(1)) == math.inf
    assert math.isnan(acc.relative_error(math.nan, mpmath.mpf(1)))
    assert [acc.grade(e, "float64") for e in (None, 0.0, 1e-15, 0.013, 0.04, 2.6, 5e3)] \
        == ["-", "ok", "ok", "1e-2", "1e-1", "1e+0", "1e+4"]
    assert [acc.grade(e, "float64") for e in (math.inf, math.nan)] == ["inf", "nan"]
    assert acc.grade(5e-7, "float32") == "ok" and acc.grade(5e-7, "float64") == "1e-6"


def test_cases_are_valid():
    assert 20 <= len(acc.CASES) <= 60
    for c in acc.CASES:
        assert c.key in lb.REGISTRY and c.key in acc.TRUTH
        assert math.isfinite(acc.exact(c)) and acc.exact(c) != 0


def _ids():
    return [f"{i:02d}-{c.key}" for i, c in enumerate(acc.CASES)]


def _marks():
    for c in acc.CASES:
        reason = KNOWN.get((c.key, c.what))
        yield [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.mark.parametrize("i", [pytest.param(i, marks=m) for i, m in enumerate(_marks())],
                         ids=_ids())
def test_reference_is_as_accurate_as_the_best_framework(rows, i):
    row = rows[i]
    framework = [row.errors[n] for n, (lib, dt) in acc.IMPLEMENTATIONS.items()
                 if lib != "lossbook" and dt == "float64" and row.errors[n] is not None]
    assert framework, "every case has a framework to compare with"
    assert row.errors["lossbook"] <= FACTOR * min(framework) + SLACK, row.errors


def test_known_cases_exist():
    assert set(KNOWN) <= {(c.key, c.what) for c in acc.CASES}


def test_the_chapter_prints_the_study(rows):
    nb = nbformat.read(CHAPTER, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "lb.accuracy.accuracy_table("
             in c.source]
    assert len(cells) == 1, "one cell prints the table"
    printed = "".join(o.text for o in cells[0].outputs if o.output_type == "stream")
    assert printed == str(acc.accuracy_table(rows)) + "\n"
