"""The test toolbox: comparisons, numeric gradients, settings and reductions, defined once.

Test modules import what they need from here; the input strategies are in ``strategies``.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import lossbook as lb
from lossbook.registry import OPTAX, TORCH
from lossbook.spec import Api

RTOL, ATOL = 1e-9, 1e-10  # float64 against float64

#: Property tests that call a framework (its fixture is session-wide), and other costly ones.
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
#: Other property tests of the references.
PROPERTIES = settings(max_examples=60, deadline=None)

#: Reductions PyTorch and lossbook share (PyTorch's names are lossbook's, see TORCH).
REDUCTIONS = st.sampled_from(list(TORCH.reductions))
#: What the caller applies on top of optax's unreduced losses (jnp.<name>; see OPTAX).
ON_TOP = st.sampled_from(list(OPTAX.reductions))
#: Every lossbook reduction (e.g. for gradients, with positive weights).
ALL_REDUCTIONS = st.sampled_from(lb.REDUCTIONS)

TESTS = Path(__file__).resolve().parent


def assert_same(got: lb.Result, ref: lb.Result, value_atol: float = ATOL) -> None:
    """Values and gradients agree to float64 round-off (``value_atol`` for the value)."""
    np.testing.assert_allclose(got.value, ref.value, rtol=RTOL, atol=value_atol)
    np.testing.assert_allclose(got.grad, ref.grad, rtol=RTOL, atol=ATOL)


def keras_per_sample(ref: lb.Result, pred: np.ndarray) -> lb.Result:
    """Keras' unreduced loss: one value per sample. Element-wise references (loss of the
    prediction's shape) are averaged over the last axis, as Keras' loss functions do."""
    if ref.value.shape != pred.shape:
        return ref
    return lb.Result(ref.value.mean(axis=-1), ref.grad / pred.shape[-1], "float64")


def assert_matches_pytorch(key: str, pred, target, *, reduction: str,
                           **params) -> lb.Result:
    """The registry's PyTorch loss for ``key`` (array parameters passed as tensors on the
    device) agrees with the reference; returns the reference's result. A tuple ``target``
    holds the loss's other inputs, in PyTorch's order."""
    import torch

    spec = lb.REGISTRY[key]
    tensors = {k: torch.tensor(v, device=lb.torch_device()) if isinstance(v, np.ndarray)
               else v for k, v in params.items()}
    module = spec.torch.build(tensors, reduction=reduction)
    others = target if isinstance(target, tuple) else (target,)
    ref = spec.reference.value_and_grad(pred, target, reduction=reduction, **params)
    assert_same(lb.run_torch(module, pred, *others), ref)
    return ref


def run_optax(api: Api, pred, *others, params: dict | None = None,
              reduction: str = "none") -> lb.Result:
    """The registry's optax loss ``api`` with reference-named ``params``: its ``then`` over
    the last axis, and ``reduction`` (a key of ``OPTAX.reductions``) on top, in JAX."""
    params = params or {}
    static = tuple(sorted((k, v) for k, v in params.items() if isinstance(v, (bool, int))))
    traced = {api.params[k]: v for k, v in params.items() if (k, v) not in static}
    return lb.run_jax(optax_loss(api, static, reduction), pred, *others, **traced)


@functools.cache
def optax_loss(api: Api, static: tuple, reduction: str):
    """What :func:`run_optax` runs: the optax function with its integer (static)
    parameters bound, ``then`` and ``reduction`` applied.  The same function for the same
    arguments, so that ``lb.run_jax`` compiles it once per input shape, with the float
    parameters traced: a property test compiles once per shape it draws, not per example."""
    import jax.numpy as jnp

    loss = api.build(dict(static))

    def reduced(p, *args, **traced):
        out = loss(p, *args, **traced)
        if api.then:
            out = getattr(jnp, api.then)(out, axis=-1)
        return out if reduction == "none" else getattr(jnp, reduction)(out)
    return reduced


def optax_expected(api: Api, ref: lb.Reference, pred, target, *, reduction: str = "none",
                   **params) -> lb.Result:
    """What the optax loss ``api`` with ``reduction`` on top must return, from the
    reference: at the API's ``reference_params``, summed over the last axis where optax
    sums (then the reduction on top is over what is left), times its ``scale``."""
    params = {**params, **api.reference_params}
    ours = OPTAX.reductions[reduction]
    if not api.sums_last_axis:
        return ref.value_and_grad(pred, target, reduction=ours, **params).scaled(api.scale)
    r = ref.value_and_grad(pred, target, reduction="none", **params)
    value = r.value.sum(axis=-1)
    grad = r.grad / value.size if ours == "mean" else r.grad
    value = {"none": value, "sum": value.sum(), "mean": value.mean()}[ours]
    return lb.Result(value, grad, r.dtype).scaled(api.scale)


def assert_matches_optax(key: str, api: Api, pred, target, *, reduction: str = "none",
                         **params) -> lb.Result:
    """The registry's optax loss ``api`` of ``key`` (with ``reduction`` on top) agrees with
    the reference; returns the expected result.  Parameters it does not take stay at the
    reference's defaults; a tuple ``target`` holds the loss's other inputs, in order."""
    params = {k: v for k, v in params.items() if k in api.params}
    others = target if isinstance(target, tuple) else (api.target(target),)
    expected = optax_expected(api, lb.REGISTRY[key].reference, pred, target,
                              reduction=reduction, **params)
    assert_same(run_optax(api, pred, *others, params=params, reduction=reduction), expected)
    return expected


def numeric_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function ``f`` at ``x``, one element at a time."""
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def assert_gradient(ref: lb.Reference, pred, target, *, reduction: str = "sum",
                    rtol: float = 1e-5, atol: float = 1e-6, **kwargs) -> None:
    """The reference's gradient (with respect to ``pred``) is its numeric gradient:
    ``atol`` scales with the largest gradient entry. ``kwargs`` (``weight`` and the loss's
    parameters) go to the reference."""
    r = ref.value_and_grad(pred, target, reduction=reduction, **kwargs)
    numeric = numeric_gradient(
        lambda x: np.sum(ref(x, target, reduction=reduction, **kwargs)), pred)
    np.testing.assert_allclose(r.grad, numeric, rtol=rtol,
                               atol=atol * max(1.0, np.abs(r.grad).max()))


def covered_by_own_module() -> dict[str, str]:
    """Losses whose framework comparisons and gradient checks live in their own test module
    (it declares them in ``COVERS``) rather than in the registry-driven tests: key -> module."""
    covered = {}
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "COVERS" for t in node.targets):
                covered.update(dict.fromkeys(ast.literal_eval(node.value), path.stem))
    return covered
