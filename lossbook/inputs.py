"""Input validation shared by every reference: clear errors instead of silent wrong numbers.

Each helper names the argument, what was expected and what was given.
"""

from __future__ import annotations

import numpy as np


def float_array(name: str, x) -> np.ndarray:
    """``x`` as a non-empty, finite float64 array."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise ValueError(f"{name} must be finite, got {bad} in {name}")
    return arr


def same_shape(pred, target) -> tuple[np.ndarray, np.ndarray]:
    """Prediction and target as float64 arrays of one shape (no silent broadcasting)."""
    pred, target = float_array("pred", pred), float_array("target", target)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got pred {pred.shape} "
            f"and target {target.shape}"
        )
    return pred, target


def at_least(name: str, x: np.ndarray, bound: float, *, strict: bool = False) -> np.ndarray:
    """Check ``x > bound`` (strict) or ``x >= bound`` element-wise."""
    bad = x <= bound if strict else x < bound
    if np.any(bad):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be {op} {bound:g}, got {x[bad].flat[0]:g}")
    return x


def scalar(name: str, x, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:
    """A finite real parameter inside an interval; open ends are excluded."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if not np.isfinite(x) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {x:g}")
    return x
