"""Distributions and counts (chapter 06) against PyTorch, TensorFlow/Keras and optax.

The frameworks disagree on the input space (PyTorch's KL takes log-probabilities, Keras'
probabilities; PyTorch's Poisson NLL a log-rate by default, Keras' a rate), on the shape
of the KL (PyTorch: one term per element; Keras and optax: one KL per distribution; optax
has one function per target space) and Gaussian NLL
takes a variance as a third input, so the registry-driven tests cannot call them
generically: the comparisons are here, values and gradients, property-based.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossbook as lb
from compare import (
    ON_TOP,
    PROPERTIES,
    REDUCTIONS,
    SETTINGS,
    assert_gradient,
    assert_matches_optax,
    assert_matches_pytorch,
    assert_same,
    keras_per_sample,
)
from lossbook.distributions import stirling
from strategies import pairs, params_for

#: Compared with the frameworks here (their input spaces differ), not by the
#: registry-driven tests.
COVERS = ("kl_div", "poisson_nll", "gaussian_nll", "wasserstein")


def batchmean(ref: lb.Result, pred: np.ndarray) -> lb.Result:
    """PyTorch's ``'batchmean'``: the sum divided by ``pred.shape[0]``."""
    return ref.scaled(1.0 / pred.shape[0])


# --- KL divergence ----------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), reduction=st.sampled_from(["none", "sum", "batchmean", "mean"]),
       log_target=st.booleans())
def test_kl_div_matches_pytorch(frameworks, data, reduction, log_target):
    torch, _ = frameworks
    log_q, p = data.draw(pairs("kl_div"))
    if log_target:
        p = np.where(p > 0, p, 1e-3)
        p /= p.sum(axis=-1, keepdims=True)
        p = np.log(p)
    ours = "sum" if reduction == "batchmean" else reduction
    ref = lb.kl_div.value_and_grad(log_q, p, reduction=ours, log_target=log_target)
    if reduction == "batchmean":
        ref = batchmean(ref, log_q)
    module = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = lb.run_torch(module, log_q, p)
    assert len(caught) == (reduction == "mean")  # 'mean' warns: not the KL of the math
    assert_same(got, ref)


@SETTINGS
@given(data=st.data())
def test_kl_div_matches_keras_on_probabilities(frameworks, data):
    """Keras takes probabilities (here ``exp(log q)``) and sums over the last axis; its
    default reduction is then the mean over the samples, PyTorch's ``'batchmean'``."""
    _, keras = frameworks
    log_q, p = data.draw(pairs("kl_div", min_dims=2))
    p = np.maximum(p, 0.01)
    p /= p.sum(axis=-1, keepdims=True)  # no zero targets: Keras clips them to 1e-7
    import tensorflow as tf

    loss = keras.losses.KLDivergence(dtype="float64")
    got = lb.run_tf(lambda lq, t: loss(t, tf.exp(lq)), log_q, p)
    n_samples = log_q.size // log_q.shape[-1]
    ref = lb.kl_div.value_and_grad(log_q, p, reduction="sum").scaled(1.0 / n_samples)
    assert_same(got, ref)


KL_OPTAX = [a for a in lb.REGISTRY["kl_div"].apis if a.framework.key == "optax"]


@pytest.mark.parametrize("api", KL_OPTAX, ids=lambda a: a.name.rsplit(".", 1)[1])
@SETTINGS
@given(data=st.data(), reduction=ON_TOP)
def test_kl_div_matches_optax(optax, api, data, reduction):
    """optax sums over the last axis (one KL per distribution), so ``jnp.mean`` on top is
    PyTorch's ``'batchmean'``; ``kl_divergence_with_log_targets`` is ``log_target=True``."""
    log_q, p = data.draw(pairs("kl_div"))
    if api.reference_params.get("log_target"):
        p = np.log(np.maximum(p, 1e-3) / np.maximum(p, 1e-3).sum(axis=-1, keepdims=True))
    got = assert_matches_optax("kl_div", api, log_q, p, reduction=reduction)
    if reduction == "mean" and log_q.ndim == 2:
        ref = lb.kl_div.value_and_grad(log_q, p, reduction="sum", **api.reference_params)
        assert_same(got, batchmean(ref, log_q))


def test_keras_kl_clips_zero_targets_to_epsilon(frameworks):
    _, keras = frameworks
    q = np.array([[0.5, 0.3, 0.2]])
    p = np.array([[0.0, 0.4, 0.6]])
    got = keras.losses.KLDivergence(dtype="float64")(p, q)
    extra = 1e-7 * math.log(1e-7 / 0.5)  # the clipped zero target's term
    assert float(got) == pytest.approx(lb.kl_div(np.log(q), p, reduction="sum") + extra,
                                       rel=1e-12)


@PROPERTIES
@given(pairs("kl_div"))
def test_kl_is_cross_entropy_minus_entropy_and_non_negative(pair):
    log_q, p = pair
    kl = lb.kl_div(log_q, p, reduction="none").sum(axis=-1)
    safe_log_p = np.log(np.where(p > 0, p, 1.0))
    cross_entropy = -(p * log_q).sum(axis=-1)
    entropy = -(p * safe_log_p).sum(axis=-1)
    np.testing.assert_allclose(kl, cross_entropy - entropy, atol=1e-12)
    assert np.all(kl >= -1e-12)
    np.testing.assert_allclose(
        lb.kl_div(safe_log_p + np.where(p > 0, 0.0, -30.0), p, reduction="sum"), 0.0,
        atol=1e-6)  # KL(p || p) = 0 (the zero entries get a tiny probability)


# --- Poisson NLL --------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS, log_input=st.booleans(), full=st.booleans(),
       eps=st.sampled_from([1e-8, 1e-3]))
def test_poisson_nll_matches_pytorch(frameworks, data, reduction, log_input, full, eps):
    x, t = data.draw(pairs("poisson_nll"))
    if not log_input:
        x = np.exp(x)  # a rate
    assert_matches_pytorch("poisson_nll", x, t, reduction=reduction, log_input=log_input,
                           full=full, eps=eps)


@SETTINGS
@given(data=st.data(), full=st.booleans())
def test_poisson_nll_matches_tf_log_poisson_loss(frameworks, data, full):
    import tensorflow as tf

    x, t = data.draw(pairs("poisson_nll"))
    got = lb.run_tf(lambda lx, tt: tf.nn.log_poisson_loss(tt, lx, compute_full_loss=full),
                    x, t)
    assert_same(got, lb.poisson_nll.value_and_grad(x, t, reduction="none", full=full))


@SETTINGS
@given(data=st.data())
def test_poisson_nll_matches_keras_poisson_on_rates(frameworks, data):
    """Keras' ``Poisson`` takes the rate, uses eps = 1e-7 and averages the last axis."""
    _, keras = frameworks
    x, t = data.draw(pairs("poisson_nll", min_dims=2))
    rate = np.exp(x)
    loss = keras.losses.Poisson(reduction=None, dtype="float64")
    got = lb.run_tf(lambda r, tt: loss(tt, r), rate, t)
    ref = lb.poisson_nll.value_and_grad(rate, t, reduction="none", log_input=False, eps=1e-7)
    assert_same(got, keras_per_sample(ref, rate))


@PROPERTIES
@given(pairs("poisson_nll"))
def test_full_adds_the_complete_stirling_term_only_where_target_exceeds_one(pair):
    x, t = pair
    plain = lb.poisson_nll.value_and_grad(x, t, reduction="none")
    full = lb.poisson_nll.value_and_grad(x, t, reduction="none", full=True)
    np.testing.assert_array_equal(full.grad, plain.grad)  # the term has no gradient
    np.testing.assert_allclose(full.value - plain.value, stirling(t), atol=1e-12)
    assert np.all(stirling(t)[t <= 1] == 0)
    big = t > 1  # Stirling is within 1/(12 t) of log(t!)
    log_factorial = np.array([math.lgamma(v + 1) for v in t[big]])
    assert np.all(np.abs(stirling(t)[big] - log_factorial) <= 1 / (12 * t[big]))


# --- Gaussian NLL -------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_gaussian_nll_matches_pytorch(frameworks, data, reduction):
    mean, target = data.draw(pairs("gaussian_nll"))
    assert_matches_pytorch("gaussian_nll", mean, target, reduction=reduction,
                           **data.draw(params_for("gaussian_nll")))


def test_gaussian_nll_clamps_the_variance_but_torch_lets_its_gradient_through(frameworks):
    """Below eps the loss is constant in var, yet PyTorch's gradient w.r.t. var is not 0:
    the clamp runs under ``no_grad`` (torch/nn/functional.py, gaussian_nll_loss)."""
    torch, _ = frameworks
    var = torch.tensor([1e-9, 1e-7], dtype=torch.float64, requires_grad=True)
    x, y = torch.tensor([0.0, 0.0], dtype=torch.float64), torch.tensor([1e-2, 1e-2],
                                                                     dtype=torch.float64)
    out = torch.nn.GaussianNLLLoss(reduction="sum")(x, y, var)
    out.backward()
    ref = lb.gaussian_nll(x.numpy(), (y.numpy(), var.detach().numpy()), reduction="sum")
    assert out.item() == pytest.approx(ref, rel=1e-12)
    assert ref == pytest.approx(lb.gaussian_nll(x.numpy(), (y.numpy(), np.full(2, 1e-6)),
                                                reduction="sum"), rel=1e-12)
    clamped = 0.5 * (1 / 1e-6 - 1e-4 / 1e-12)  # d/dv of (log v + e^2 / v) / 2 at v = eps
    np.testing.assert_allclose(var.grad.numpy(), [clamped, clamped], rtol=1e-9)


@PROPERTIES
@given(pairs("gaussian_nll"), params_for("gaussian_nll"))
def test_gaussian_nll_properties(triple, params):
    mean, (y, var) = triple
    loss = lb.gaussian_nll(mean, (y, var), reduction="none", **params)
    target_value = lb.gaussian_nll(y, (y, var), reduction="none", **params)
    assert np.all(loss >= target_value)  # the mean at the target is best for any variance
    full = lb.gaussian_nll(mean, (y, var), reduction="none", **{**params, "full": True})
    np.testing.assert_allclose(full - lb.gaussian_nll(mean, (y, var), reduction="none",
                                                      **{**params, "full": False}),
                               0.5 * math.log(2 * math.pi))


# --- gradients of the parameter settings the generic test does not draw -----------------

@SETTINGS
@given(pairs("poisson_nll"), st.booleans())
def test_poisson_nll_gradient_of_rate_input(pair, full):
    x, t = pair
    assert_gradient(lb.poisson_nll, np.exp(x), t, log_input=False, full=full, atol=1e-5)


@SETTINGS
@given(pairs("kl_div"))
def test_kl_div_gradient_with_log_target(pair):
    log_q, p = pair
    log_p = np.log(np.maximum(p, 1e-3) / np.maximum(p, 1e-3).sum(axis=-1, keepdims=True))
    assert_gradient(lb.kl_div, log_q, log_p, log_target=True)


def test_known_values():
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    assert lb.kl_div(np.log(q), p, reduction="sum") == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert lb.poisson_nll(np.array([0.0]), np.array([3.0])) == pytest.approx(1.0)
    assert lb.poisson_nll(np.array([2.0]), np.array([3.0]), log_input=False,
                          eps=0.0) == pytest.approx(2 - 3 * math.log(2))
    assert lb.gaussian_nll(np.array([1.0]), (np.array([0.0]), np.array([4.0]))) == \
        pytest.approx(0.5 * (math.log(4) + 0.25))


# --- bad input -------------------------------------------------------------------------

LQ = np.log(np.array([[0.2, 0.8], [0.5, 0.5]]))
P = np.array([[0.3, 0.7], [1.0, 0.0]])


@pytest.mark.parametrize("call, error, message", [
    (lambda: lb.kl_div(np.exp(LQ), P), ValueError,
     r"exp\(pred\) must sum to 1 along axis -1, got a sum of 3.44"),
    (lambda: lb.kl_div(LQ - 0.1, P), ValueError,
     r"exp\(pred\) must sum to 1 along axis -1, got a sum of 0.90"),
    (lambda: lb.kl_div(LQ, np.array([[0.3, 0.6], [1.0, 0.0]])), ValueError,
     r"target must sum to 1 along axis -1, got a sum of 0.9"),
    (lambda: lb.kl_div(LQ, np.array([[1.5, -0.5], [1.0, 0.0]])), ValueError,
     r"target must be probabilities in \[0, 1\], got 1.5"),
    (lambda: lb.kl_div(LQ, P, log_target=True), ValueError,
     r"exp\(target\) must sum to 1 along axis -1"),
    (lambda: lb.kl_div(LQ, P[:, :1]), ValueError,
     r"pred and target must have the same shape, got pred \(2, 2\) and target \(2, 1\)"),
    (lambda: lb.poisson_nll(np.zeros(2), np.array([1.0, -2.0])), ValueError,
     r"target must be >= 0, got -2"),
    (lambda: lb.poisson_nll(np.array([1.0, -0.5]), np.ones(2), log_input=False), ValueError,
     r"pred must be >= 0, got -0.5"),
    (lambda: lb.poisson_nll(np.array([1.0, 0.0]), np.ones(2), log_input=False, eps=0.0),
     ValueError, r"pred must be > 0, got 0"),
    (lambda: lb.poisson_nll(np.zeros(2), np.zeros(3)), ValueError,
     r"pred and target must have the same shape"),
    (lambda: lb.gaussian_nll(np.zeros(2), (np.zeros(2), np.array([1.0, -0.5]))), ValueError,
     r"var must be >= 0, got -0.5"),
    (lambda: lb.gaussian_nll(np.zeros((2, 3)), (np.zeros((2, 3)), np.ones(3))), ValueError,
     r"var of shape \(3,\) does not match pred of shape \(2, 3\)"),
    (lambda: lb.gaussian_nll(np.zeros(2), np.zeros(2)), TypeError,
     r"target must be a tuple \(target, var\), got ndarray"),
    (lambda: lb.gaussian_nll(np.zeros(2), (np.zeros(2), np.ones(2)), eps=0.0), ValueError,
     r"eps must be in \(0, inf\], got 0"),
])
def test_bad_input_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


@SETTINGS
@given(data=st.data())
def test_gaussian_nll_matches_the_loss_written_in_tensorflow(frameworks, data):
    """Keras 3 has no Gaussian NLL; the formula with tf ops, variance clamped at eps."""
    import tensorflow as tf

    mean, (y, var) = data.draw(pairs("gaussian_nll"))
    params = data.draw(params_for("gaussian_nll"))
    var_b = np.broadcast_to(var[..., None] if var.shape == mean.shape[:-1] != mean.shape
                            else var, mean.shape)

    def gaussian_nll_tf(mu, target, v):
        v = tf.maximum(v, params["eps"])
        loss = 0.5 * (tf.math.log(v) + (mu - target) ** 2 / v)
        return loss + 0.5 * math.log(2 * math.pi) if params["full"] else loss

    assert_same(lb.run_tf(gaussian_nll_tf, mean, y, np.array(var_b)),
                lb.gaussian_nll.value_and_grad(mean, (y, var), reduction="none", **params))


# --- Wasserstein (WGAN critic) ----------------------------------------------------------
# No framework ships it: the comparisons are with the critic objective as written in
# PyTorch, Keras and JAX, ``mean(y * f)`` with y = -1 for real and 1 for generated.

@st.composite
def critic_scores(draw, min_dims: int = 1):
    """Critic scores and labels in {-1, 1} of one shape."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-50.0, 50.0))),
            draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))))


@SETTINGS
@given(pair=critic_scores(), reduction=REDUCTIONS)
def test_wasserstein_matches_the_critic_objective_in_each_framework(frameworks, pair,
                                                                    reduction):
    torch, keras = frameworks
    import jax.numpy as jnp

    f, y = pair
    reduce = {"mean": "mean", "sum": "sum", "none": None}[reduction]
    ref = lb.wasserstein.value_and_grad(f, y, reduction=reduction)
    torch_reduce = {"mean": torch.mean, "sum": torch.sum, "none": lambda x: x}[reduction]
    assert_same(lb.run_torch(lambda s, t: torch_reduce(t * s), f, y), ref)
    keras_reduce = getattr(keras.ops, reduce) if reduce else (lambda x: x)
    assert_same(lb.run_tf(lambda s, t: keras_reduce(t * s), f, y), ref)
    jax_reduce = getattr(jnp, reduce) if reduce else (lambda x: x)
    assert_same(lb.run_jax(lambda s, t: jax_reduce(t * s), f, y), ref)


@PROPERTIES
@given(critic_scores(), st.sampled_from(lb.REDUCTIONS))
def test_wasserstein_gradient(pair, reduction):
    f, y = pair
    weight = np.linspace(0.5, 2.0, f.size).reshape(f.shape)
    assert_gradient(lb.wasserstein, f, y, reduction=reduction, weight=weight)


SAMPLES = hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-5.0, 5.0))


def critic_loss(critic, real: np.ndarray, fake: np.ndarray) -> float:
    """``mean f(fake) - mean f(real)``: the two batches with their labels."""
    return (lb.wasserstein(critic(real), -np.ones_like(real))
            + lb.wasserstein(critic(fake), np.ones_like(fake)))


def w1(real: np.ndarray, fake: np.ndarray) -> float:
    """Wasserstein-1 distance of two samples of one size: sorted values, paired."""
    return float(np.mean(np.abs(np.sort(real) - np.sort(fake))))


def optimal_critic(real: np.ndarray, fake: np.ndarray):
    """A 1-Lipschitz critic with slope sign(F_fake - F_real) between the sample points,
    which attains the supremum of mean f(real) - mean f(fake) (in one dimension)."""
    knots = np.unique(np.concatenate([real, fake]))
    gap = (np.searchsorted(np.sort(fake), knots[:-1], side="right")
           - np.searchsorted(np.sort(real), knots[:-1], side="right"))
    values = np.concatenate([[0.0], np.cumsum(np.sign(gap) * np.diff(knots))])
    return lambda x: np.interp(x, knots, values)


@PROPERTIES
@given(data=st.data())
def test_wasserstein_critic_loss_is_minus_w1_at_best_and_at_least_that(data):
    """Kantorovich-Rubinstein in one dimension: over 1-Lipschitz critics, the critic loss
    is never below -W1, and the best critic reaches it."""
    real = data.draw(SAMPLES)
    fake = data.draw(hnp.arrays(np.float64, real.shape, elements=st.floats(-5.0, 5.0)))
    distance = w1(real, fake)
    best = critic_loss(optimal_critic(real, fake), real, fake)
    assert best == pytest.approx(-distance, abs=1e-9)
    a = data.draw(st.floats(-1.0, 1.0))
    c = data.draw(st.floats(-5.0, 5.0))
    b = (1.0 - abs(a)) * data.draw(st.floats(-1.0, 1.0))  # |a| + |b| <= 1: 1-Lipschitz
    assert critic_loss(lambda x: a * x + b * np.abs(x - c), real, fake) >= -distance - 1e-9


@PROPERTIES
@given(SAMPLES, st.floats(-10.0, 10.0), st.floats(0.5, 100.0))
def test_wasserstein_ignores_a_constant_and_scales_with_the_critic(real, shift, scale):
    """With one batch of each, adding a constant to the critic changes nothing, and a
    critic scaled by c has c times the loss: unbounded below without a constraint."""
    fake = real[::-1] - 1.0
    base = critic_loss(np.tanh, real, fake)
    assert critic_loss(lambda x: np.tanh(x) + shift, real, fake) == pytest.approx(
        base, abs=1e-9)
    assert critic_loss(lambda x: scale * np.tanh(x), real, fake) == pytest.approx(
        scale * base, rel=1e-12, abs=1e-12)
    balanced = lb.wasserstein(np.tanh(np.concatenate([real, fake])),
                              np.repeat([-1.0, 1.0], real.size))
    assert balanced == pytest.approx(base / 2, abs=1e-12)  # one batch of both: half


def test_wasserstein_known_values_and_bad_labels():
    f = np.array([2.0, 0.5, -1.0, 1.0])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    assert lb.wasserstein(f, y) == pytest.approx((-2.0 - 0.5 - 1.0 + 1.0) / 4)
    np.testing.assert_array_equal(lb.wasserstein.value_and_grad(f, y).grad, y / 4)
    with pytest.raises(ValueError, match=r"target must take only the values \{-1, 1\}, got 0"):
        lb.wasserstein(f, np.array([0.0, 1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="pred and target must have the same shape"):
        lb.wasserstein(f, y[:2])
