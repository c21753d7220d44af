"""Every reference against PyTorch, Keras/TensorFlow and optax: values and gradients, float64.

Driven by the registry, so a new loss with a PyTorch, Keras or optax name is tested
automatically;
losses that need more than ``loss(pred, target)`` are compared in the test module that
declares them in ``COVERS``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lossbook as lb
from compare import (
    ATOL,
    ON_TOP,
    REDUCTIONS,
    SETTINGS,
    TESTS,
    assert_matches_optax,
    assert_same,
    covered_by_own_module,
    keras_per_sample,
)
from lossbook.registry import FRAMEWORKS, KERAS, OPTAX
from strategies import pairs, params_for, weights

COVERED = covered_by_own_module()
GENERIC = [s for s in lb.REGISTRY.values() if s.key not in COVERED]
WITH_TORCH = [s for s in GENERIC if s.torch]
WITH_KERAS = [s for s in GENERIC if s.keras]
WITH_OPTAX = [(s, a) for s in GENERIC for a in s.apis if a.framework is OPTAX]


# Keras' log_cosh subtracts ops.log(2.0) evaluated in float32 even for float64 inputs
# (keras/src/losses/losses.py, log_cosh): a constant offset of 1.9e-9 per element.
KERAS_VALUE_ATOL = {"log_cosh": 2e-9}


@pytest.mark.parametrize("spec", WITH_TORCH, ids=lambda s: s.key)
@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_matches_pytorch(frameworks, spec, data, reduction):
    pred, target = data.draw(pairs(spec.key))
    params = data.draw(params_for(spec.key))
    module = spec.torch.build(params, reduction=reduction)
    assert_same(lb.run_torch(module, pred, target),
                spec.reference.value_and_grad(pred, target, reduction=reduction, **params))


@pytest.mark.parametrize("spec", WITH_KERAS, ids=lambda s: s.key)
@SETTINGS
@given(data=st.data())
def test_matches_keras_per_sample(frameworks, spec, data):
    pred, target = data.draw(pairs(spec.key))
    params = data.draw(params_for(spec.key))
    loss = spec.keras.build(params, reduction="none", dtype="float64")
    got = lb.run_tf(lambda p, t: loss(t, p), pred, target)
    ref = spec.reference.value_and_grad(pred, target, reduction="none", **params)
    assert_same(got, keras_per_sample(ref, pred), KERAS_VALUE_ATOL.get(spec.key, ATOL))


@pytest.mark.parametrize("spec", WITH_KERAS, ids=lambda s: s.key)
@SETTINGS
@given(data=st.data(), keras_reduction=st.sampled_from(
    [r for r in KERAS.reductions if r != "none"]))
def test_matches_keras_with_sample_weight(frameworks, spec, data, keras_reduction):
    """Keras weights per sample; the reference weights per element of its unreduced loss."""
    pred, target = data.draw(pairs(spec.key, min_dims=2))
    params = data.draw(params_for(spec.key))
    unreduced = spec.reference(pred, target, reduction="none", **params)
    elementwise = unreduced.shape == pred.shape
    w = data.draw(weights(pred.shape[:-1] if elementwise else unreduced.shape))
    if keras_reduction == "mean_with_sample_weight" and w.sum() == 0:
        w[...] = 1.0
    loss = spec.keras.build(params, reduction=keras_reduction, dtype="float64")
    got = lb.run_tf(lambda p, t: loss(t, p, sample_weight=w), pred, target)
    reduction = KERAS.reductions[keras_reduction]
    ref = spec.reference.value_and_grad(pred, target, reduction=reduction,
                                        weight=w[..., None] if elementwise else w, **params)
    if reduction == "sum" and elementwise:  # Keras sums per-sample means
        ref = ref.scaled(1 / pred.shape[-1])
    atol = KERAS_VALUE_ATOL.get(spec.key, ATOL) * max(1.0, w.sum())
    assert_same(got, ref, atol)


@pytest.mark.parametrize("spec, api", WITH_OPTAX,
                         ids=[f"{s.key}-{a.name.rsplit('.', 1)[1]}" for s, a in WITH_OPTAX])
@SETTINGS
@given(data=st.data(), reduction=ON_TOP)
def test_matches_optax(optax, spec, api, data, reduction):
    """optax's unreduced loss (and jnp.sum / jnp.mean of it) is the reference's, as the
    registry states: converted target, reference parameters, scale, last-axis reduction."""
    pred, target = data.draw(pairs(spec.key))
    assert_matches_optax(spec.key, api, pred, target, reduction=reduction,
                         **data.draw(params_for(spec.key)))


def test_every_reference_is_tested_against_a_framework_or_listed_here():
    """Losses with no framework implementation are tested by properties only (the
    Wasserstein loss also against its objective written in each framework)."""
    untested = {s.key for s in lb.REGISTRY.values() if not (s.torch or s.keras)}
    assert untested == {"pinball", "contrastive", "wasserstein"}


#: The toolbox's helpers that run a framework's loss, besides its runner (``lb.run_*``).
HELPERS = {"torch": {"assert_matches_pytorch"}, "optax": {"assert_matches_optax", "run_optax"}}


@pytest.mark.parametrize("key, module", sorted(COVERED.items()))
def test_losses_covered_elsewhere_are_compared_with_a_framework_there(key, module):
    """Each framework with an API for the loss is run in that module."""
    text = (TESTS / f"{module}.py").read_text()
    assert key in lb.REGISTRY, f"{module} covers {key!r}, which is not a registered loss"
    assert re.search(rf"\blb\.{key}\b", text), f"{module} does not call lb.{key}"
    for framework in {api.framework.key for api in lb.REGISTRY[key].apis}:
        runners = {FRAMEWORKS[framework].runner, *HELPERS.get(framework, ())}
        assert any(re.search(rf"\b{r}\(", text) for r in runners), \
            f"{module} does not run {key}'s {framework} loss"
