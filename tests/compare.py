"""Comparison of a framework result with a reference result, shared by the test modules."""

from __future__ import annotations

import numpy as np

import lossbook as lb

RTOL, ATOL = 1e-9, 1e-10  # float64 against float64


def assert_same(got: lb.Result, ref: lb.Result, value_atol: float = ATOL) -> None:
    """Values and gradients agree to float64 round-off (``value_atol`` for the value)."""
    np.testing.assert_allclose(got.value, ref.value, rtol=RTOL, atol=value_atol)
    np.testing.assert_allclose(got.grad, ref.grad, rtol=RTOL, atol=ATOL)
