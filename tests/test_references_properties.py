"""Reference properties that need no framework: finite differences, identities, reductions."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import lossbook as lb
from compare import ALL_REDUCTIONS, PROPERTIES, assert_gradient
from lossbook.inputs import same_shape
from lossbook.reference import reference
from lossbook.registry import REGRESSION
from strategies import STRATEGIES, pairs, params_for, weights

#: Every loss the strategies can draw (the adaptive softmax needs weights: test_adaptive).
DRAWN = [s for s in lb.REGISTRY.values() if s.key in STRATEGIES]


def kinks(key: str, params: dict) -> list[float]:
    """Residuals |e| where the loss is not twice differentiable."""
    return {
        "l1": [0.0], "mape": [0.0], "pinball": [0.0],
        "huber": [params.get("delta", 1.0)],
        "smooth_l1": [0.0, params.get("beta", 1.0)],
        "hinge": [0.0],  # |f - y| = 0 is the kink y f = 1 for labels y = ±1
    }.get(key, [])


@pytest.mark.parametrize("spec", DRAWN, ids=lambda s: s.key)
@PROPERTIES
@given(data=st.data(), reduction=ALL_REDUCTIONS)
def test_gradient_matches_central_differences(spec, data, reduction):
    """With respect to the prediction (the first input), weights of the loss's shape."""
    pred, target = data.draw(pairs(spec.key))
    params = data.draw(params_for(spec.key))
    unreduced = spec.reference(pred, target, reduction="none", **params)
    w = data.draw(weights(unreduced.shape)) + 0.5
    for k in kinks(spec.key, params):
        assume(np.all(np.abs(np.abs(pred - target) - k) > 1e-3))
    if spec.key == "msle":
        assume(np.all(pred > 1e-3))  # central differences stay inside the domain
    assert_gradient(spec.reference, pred, target, reduction=reduction, weight=w, **params)


@pytest.mark.parametrize("spec", DRAWN, ids=lambda s: s.key)
@PROPERTIES
@given(data=st.data())
def test_reductions_are_consistent(spec, data):
    pred, target = data.draw(pairs(spec.key))
    params = data.draw(params_for(spec.key))
    ref = spec.reference
    none = ref(pred, target, reduction="none", **params)
    np.testing.assert_allclose(ref(pred, target, reduction="sum", **params), none.sum())
    np.testing.assert_allclose(  # a uniform weight does not change a (weighted) mean
        ref(pred, target, reduction="weighted_mean", weight=np.full(none.shape, 2.0), **params),
        ref(pred, target, **params))
    if spec.chapter == REGRESSION:  # element-wise, on residuals
        np.testing.assert_allclose(ref(pred, target, **params), none.mean())
        assert ref(target, target, reduction="sum", **params) == 0.0


@PROPERTIES
@given(pairs("huber"), st.floats(0.05, 5.0))
def test_huber_is_delta_times_smooth_l1(pair, delta):
    pred, target = pair
    np.testing.assert_allclose(
        lb.huber(pred, target, reduction="none", delta=delta),
        delta * lb.smooth_l1(pred, target, reduction="none", beta=delta), rtol=1e-12, atol=1e-12)


@PROPERTIES
@given(pairs("l1"))
@example((np.array([2.5e-162]), np.array([0.0])))  # e**2 / 2 rounds to 0 or 5e-324
def test_limits_and_special_cases(pair):
    pred, target = pair
    e = pred - target
    l1 = lb.l1(pred, target, reduction="none")
    np.testing.assert_array_equal(lb.smooth_l1(pred, target, reduction="none", beta=0.0), l1)
    np.testing.assert_allclose(lb.pinball(pred, target, reduction="none", tau=0.5), 0.5 * l1)
    # Both are e**2 / 2 rounded, mse's twice: equal to 1e-15, or, where the result is
    # subnormal (|e| < 2e-154), to one unit of the subnormal spacing (5e-324).
    np.testing.assert_allclose(lb.huber(pred, target, reduction="none", delta=1e3),
                               0.5 * lb.mse(pred, target, reduction="none"),
                               rtol=1e-15, atol=np.finfo(np.float64).smallest_subnormal)
    np.testing.assert_allclose(lb.log_cosh(pred, target, reduction="none"),
                               np.log(np.cosh(e)), rtol=1e-12, atol=1e-15)
    for nonnegative in (lb.l1, lb.mse, lb.huber, lb.smooth_l1, lb.log_cosh, lb.pinball):
        assert np.all(nonnegative(pred, target, reduction="none") >= 0)
    for symmetric in (lb.l1, lb.mse, lb.huber, lb.smooth_l1, lb.log_cosh):
        np.testing.assert_array_equal(symmetric(pred, target, reduction="none"),
                                      symmetric(target, pred, reduction="none"))


def test_known_values():
    """Hand-computed values: e = [0.8, 0.5, -0.5, 3.0]."""
    pred, target = np.array([1.6, 0.5, -2.0, 3.0]), np.array([0.8, 0.0, -1.5, 0.0])
    assert lb.l1(pred, target) == pytest.approx((0.8 + 0.5 + 0.5 + 3.0) / 4)
    assert lb.mse(pred, target) == pytest.approx((0.64 + 0.25 + 0.25 + 9.0) / 4)
    assert lb.huber(pred, target, reduction="sum") == pytest.approx(0.32 + 0.125 + 0.125 + 2.5)
    assert lb.smooth_l1(pred, target, reduction="sum", beta=2.0) == pytest.approx(
        0.16 + 0.0625 + 0.0625 + 2.0)
    assert lb.pinball(pred, target, reduction="sum", tau=0.9) == pytest.approx(
        0.1 * (0.8 + 0.5 + 3.0) + 0.9 * 0.5)
    assert lb.mape(np.array([110.0]), np.array([100.0])) == pytest.approx(10.0)
    assert lb.msle(np.array([np.e - 1]), np.array([0.0])) == pytest.approx(1.0)
    assert lb.log_cosh(np.array([1e4]), np.array([0.0])) == pytest.approx(1e4 - np.log(2))


def test_log_cosh_does_not_overflow():
    r = lb.log_cosh.value_and_grad(np.array([1e308, -1e308]), np.zeros(2), reduction="none")
    assert np.all(np.isfinite(r.value)) and np.array_equal(r.grad, [1.0, -1.0])


def test_reduce_returns_its_own_derivative():
    loss = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([1.0, 3.0])
    value, scale = lb.reduce(loss, "weighted_mean", w)
    assert value == pytest.approx((1 + 6 + 3 + 12) / 8)
    np.testing.assert_allclose(scale, np.broadcast_to(w / 8, (2, 2)))
    value, scale = lb.reduce(loss, "mean")
    assert value == 2.5 and np.all(scale == 0.25)


def test_a_declared_mean_divides_by_what_each_value_counts():
    """``mean=`` says what each loss value counts (e.g. the class weight of its target):
    "mean" divides by their sum, "weighted_mean" by the sum of the weights times them."""
    counts = np.array([1.0, 3.0, 0.0])

    @reference(same_shape, mean=lambda pred, target: counts)
    def toy(pred, target):
        return (pred - target) ** 2, 2 * (pred - target)

    pred, target = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    r = toy.value_and_grad(pred, target)
    assert r.value == pytest.approx((1 + 4 + 9) / 4)
    np.testing.assert_allclose(r.grad, [2 / 4, 4 / 4, 6 / 4])
    assert toy(pred, target, reduction="sum") == pytest.approx(14)
    assert toy(pred, target, weight=[2.0, 1.0, 1.0]) == pytest.approx((2 + 4 + 9) / 4)
    assert toy(pred, target, reduction="weighted_mean", weight=[2.0, 1.0, 1.0]) == \
        pytest.approx((2 + 4 + 9) / (2 + 3))
    with pytest.raises(ValueError, match="positive sum"):
        toy(pred, target, reduction="weighted_mean", weight=[0.0, 0.0, 1.0])


def test_hypothesis_is_reproducible_in_ci():
    """CI=true (set by CI and by `.ci/run` users) selects a derandomised search."""
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None
    assert settings.default.derandomize == (os.environ.get("CI") == "true")
