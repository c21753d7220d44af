"""Fixed-precision formatting: the only way notebooks print numbers.

Rounding happens before formatting and ``-0`` is turned into ``0``, so CPU and GPU
runs (and float32 vs float64 results that agree to the shown digits) print the same text.
"""

from __future__ import annotations

import numpy as np

DECIMALS = 6
MAX_ITEMS = 8


def _clean(x: np.ndarray, decimals: int) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64), decimals) + 0.0  # + 0.0 drops -0


def _number(v: float, decimals: int) -> str:
    return f"{v:.{decimals}f}" if np.isfinite(v) else str(v)  # nan, inf, -inf


def fmt(x, decimals: int = DECIMALS, max_items: int = MAX_ITEMS) -> str:
    """Format a number or an array with ``decimals`` fixed decimals.

    Arrays print flattened, showing at most ``max_items`` values and the total count.
    Tensors must be converted to NumPy first (``lossbook.frameworks`` does that).
    """
    if type(x).__module__.split(".")[0] in ("torch", "tensorflow", "keras"):
        raise TypeError("fmt() takes NumPy values; convert tensors with .numpy() first")
    arr = np.asarray(x)
    if arr.dtype == bool:
        return str(arr.tolist())
    if np.issubdtype(arr.dtype, np.integer):
        return str(arr.tolist())
    arr = _clean(arr, decimals)
    if arr.ndim == 0:
        return _number(arr[()], decimals)
    flat = arr.ravel()
    items = [_number(v, decimals) for v in flat[:max_items]]
    width = max(len(s) for s in items)
    body = " ".join(s.rjust(width) for s in items)
    more = f" ... ({flat.size} values)" if flat.size > max_items else ""
    return f"[{body}{more}]"


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain-text table with left-aligned columns."""
    cols = [headers, *rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
