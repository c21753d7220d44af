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


def integers(name: str, x, what: str = "integer class indices") -> np.ndarray:
    """``x`` as an int64 array; its dtype must be an integer type (``what`` names the
    content in the error)."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold {what}, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def integer(name: str, x) -> int:
    """An integer parameter (a bool is not one)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(x).__name__}")
    return int(x)


def class_index(name: str, x, n_classes: int) -> int:
    """One class index in ``[0, n_classes)``, e.g. the CTC blank."""
    x = integer(name, x)
    if not 0 <= x < n_classes:
        raise ValueError(f"{name} must be a class index in [0, {n_classes - 1}], got {x}")
    return x


def class_indices(name: str, x, n_classes: int, *, ignore_index: int | None = None,
                  padding: int | None = None, blank: int | None = None) -> np.ndarray:
    """Integer class indices in ``[0, n_classes)``, as int64.

    ``ignore_index`` (a target to skip) and ``padding`` (e.g. -1) may also occur;
    ``blank`` (CTC's blank class) may not.
    """
    arr = integers(name, x)
    valid = (arr >= 0) & (arr < n_classes)
    expected = f"class indices in [0, {n_classes - 1}]"
    if ignore_index is not None:
        valid |= arr == ignore_index
        expected += f" or ignore_index={ignore_index}"
    if padding is not None:
        valid |= arr == padding
        expected += f" padded with {padding}"
    if blank is not None:
        valid &= arr != blank
        expected += f" other than the blank {blank}"
    if not np.all(valid):
        raise ValueError(f"{name} must be {expected}, got {arr[~valid].flat[0]}")
    return arr


def class_weights(class_weight, n_classes: int) -> np.ndarray:
    """Per-class weights of shape ``(C,)``, all ``>= 0``; ``None`` means all ones."""
    if class_weight is None:
        return np.ones(n_classes)
    w = float_array("class_weight", class_weight)
    if w.shape != (n_classes,):
        raise ValueError(f"class_weight must have shape ({n_classes},) for {n_classes} "
                         f"classes, got shape {w.shape}")
    return at_least("class_weight", w, 0.0)


def lengths(name: str, x, n: int, *, low: int, high: int) -> np.ndarray:
    """Integer lengths, one per sequence (shape ``(n,)``), each in ``[low, high]``;
    ``None`` means ``high`` for every sequence."""
    if x is None:
        return np.full(n, high, dtype=np.int64)
    arr = integers(name, x, "integers")
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one length per sequence, "
                         f"got shape {arr.shape}")
    bad = (arr < low) | (arr > high)
    if np.any(bad):
        raise ValueError(f"{name} must be in [{low}, {high}] (the array's size), "
                         f"got {arr[bad][0]}")
    return arr


def probabilities(name: str, x, *, axis: int | None = None, atol: float = 1e-6) -> np.ndarray:
    """Finite values in [0, 1]; with ``axis``, each slice along it must also sum to 1."""
    arr = float_array(name, x)
    bad = (arr < 0) | (arr > 1)
    if np.any(bad):
        raise ValueError(f"{name} must be probabilities in [0, 1], got {arr[bad].flat[0]:g}")
    return arr if axis is None else sums_to_one(name, arr, axis=axis, atol=atol)


def labels(name: str, x, allowed: tuple[float, ...]) -> np.ndarray:
    """Float labels that take only the ``allowed`` values (e.g. ``(0, 1)`` or ``(-1, 1)``)."""
    arr = float_array(name, x)
    bad = ~np.isin(arr, allowed)
    if np.any(bad):
        shown = ", ".join(f"{a:g}" for a in allowed)
        raise ValueError(f"{name} must take only the values {{{shown}}}, got {arr[bad].flat[0]:g}")
    return arr


def signed_labels(pred, target) -> tuple[np.ndarray, np.ndarray]:
    """Scores and labels of one shape, the labels in {-1, 1} (the margin is ``y f``)."""
    pred, target = same_shape(pred, target)
    return pred, labels("target", target, (-1.0, 1.0))


def like(name: str, x, ref_name: str, ref: np.ndarray) -> np.ndarray:
    """``x`` as a float64 array with the shape of ``ref`` (the argument ``ref_name``)."""
    arr = float_array(name, x)
    if arr.shape != ref.shape:
        raise ValueError(
            f"{name} must have the shape of {ref_name} {ref.shape}, got {arr.shape}")
    return arr


def parts(name: str, x, names: tuple[str, ...]) -> tuple:
    """Unpack a tuple argument holding several inputs, e.g. ``target = (x2, y)``."""
    if not isinstance(x, tuple) or len(x) != len(names):
        given = f"a tuple of {len(x)}" if isinstance(x, tuple) else type(x).__name__
        raise TypeError(f"{name} must be a tuple ({', '.join(names)}), got {given}")
    return x


def scores_and_indices(pred, target) -> tuple[np.ndarray, np.ndarray]:
    """Scores ``(..., C)`` (class axis last) and integer targets of shape ``(...)``.

    Only the shapes and the integer dtype are checked here: the valid range depends on
    the loss (``ignore_index``, padding), so the kernel checks it.
    """
    pred = float_array("pred", pred)
    if pred.ndim == 0:
        raise ValueError("pred must have a class axis (the last one), got a scalar")
    target = integers("target", target)
    if target.shape != pred.shape[:-1]:
        raise ValueError(
            f"target must have the shape of pred without its last (class) axis, got pred "
            f"{pred.shape} and target {target.shape}"
        )
    return pred, target


def sums_to_one(name: str, x: np.ndarray, *, axis: int = -1, atol: float = 1e-6) -> np.ndarray:
    """Each slice of ``x`` along ``axis`` sums to 1 (e.g. ``exp`` of log-probabilities)."""
    sums = x.sum(axis=axis)
    off = np.abs(sums - 1.0) > atol
    if np.any(off):
        raise ValueError(
            f"{name} must sum to 1 along axis {axis}, got a sum of {sums[off].flat[0]:g}")
    return x
