"""The JAX adapter: value and gradient through jax.value_and_grad, in float64 on the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb

jax = pytest.importorskip("jax")


def test_run_jax_matches_the_reference_in_float64():
    import jax.numpy as jnp
    import optax

    lb.setup()
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    got = lb.run_jax(lambda p, t: jnp.mean(optax.huber_loss(p, t, delta=0.5)), pred, target)
    want = lb.huber.value_and_grad(pred, target, delta=0.5)
    assert got.dtype == "float64"
    np.testing.assert_allclose(got.value, want.value, rtol=1e-14)
    np.testing.assert_allclose(got.grad, want.grad, rtol=1e-14, atol=1e-16)
    assert jax.devices()[0].platform == "cpu"


def test_run_jax_unreduced_output_and_integer_arguments():
    import optax

    lb.setup()
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    labels = np.array([0, 2])
    got = lb.run_jax(optax.softmax_cross_entropy_with_integer_labels, logits, labels)
    want = lb.cross_entropy.value_and_grad(logits, labels, reduction="none")
    assert got.value.shape == (2,)
    np.testing.assert_allclose(got.value, want.value, rtol=1e-14)
    np.testing.assert_allclose(got.grad, want.grad, rtol=1e-13, atol=1e-16)


def test_run_jax_float32():
    import optax

    lb.setup()
    got = lb.run_jax(lambda p, t: optax.l2_loss(p, t).sum(), [1.0, 2.0], [0.0, 0.0],
                     dtype="float32")
    assert got.dtype == "float32"
    assert float(got.value) == 2.5
    np.testing.assert_array_equal(got.grad, [1.0, 2.0])


def test_fmt_refuses_jax_arrays():
    import jax.numpy as jnp

    with pytest.raises(TypeError, match="takes NumPy values"):
        lb.fmt(jnp.ones(2))
