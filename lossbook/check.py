"""Check and show: several implementations of one loss, side by side, must agree."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .fmt import DECIMALS, fmt, table
from .reference import Result

RTOL, ATOL = 1e-5, 1e-7  # default tolerance: a float32 result against a float64 one
MAX_ITEMS = 6  # values shown per array, so that tables fit the page


class Disagreement(AssertionError):
    """Two implementations of a loss disagree beyond the stated tolerance."""


def check(results: Mapping[str, Result], *, rtol: float = RTOL, atol: float = ATOL,
          decimals: int = DECIMALS, grad: bool = True, max_items: int = MAX_ITEMS) -> None:
    """Print values (and gradients) of every implementation, then compare each with the first.

    Raises :class:`Disagreement` naming the implementations and the largest difference
    when a value or gradient differs by more than ``atol + rtol * |first|``.
    The default tolerance suits float32 results compared with a float64 reference.
    Arrays show at most ``max_items`` values; the comparison always uses all of them.
    """
    if len(results) < 2:
        raise ValueError(f"check() needs at least two implementations, got {len(results)}")
    headers = ["implementation", "dtype", "value"] + (["gradient"] if grad else [])
    rows = [[name, r.dtype, fmt(r.value, decimals, max_items)]
            + ([fmt(r.grad, decimals, max_items)] if grad else [])
            for name, r in results.items()]
    print(table(rows, headers))
    (base_name, base), *others = results.items()
    for name, r in others:
        _compare(f"value of {name}", r.value, f"value of {base_name}", base.value, rtol, atol)
        if grad:
            _compare(f"gradient of {name}", r.grad, f"gradient of {base_name}", base.grad,
                     rtol, atol)
    print(f"all {len(results)} agree (rtol={rtol:g}, atol={atol:g})")


def _compare(what: str, x, base_what: str, base, rtol: float, atol: float) -> None:
    if x is None or base is None:
        raise Disagreement(f"{what if x is None else base_what} is missing")
    x, base = np.asarray(x, dtype=np.float64), np.asarray(base, dtype=np.float64)
    if x.shape != base.shape:
        raise Disagreement(f"{what} has shape {x.shape}, {base_what} has shape {base.shape}")
    if not np.allclose(x, base, rtol=rtol, atol=atol, equal_nan=True):
        err = np.abs(x - base)
        i = tuple(int(k) for k in np.unravel_index(np.nanargmax(err), err.shape))
        where = f" at index {i}" if i else ""
        raise Disagreement(
            f"{what} differs from {base_what}: {float(x[i])!r} vs {float(base[i])!r}{where} "
            f"(rtol={rtol:g}, atol={atol:g})"
        )
