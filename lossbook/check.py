"""Check and show: several implementations of one loss, side by side, must agree.

When they agree, :func:`check` shows one line (the table of every implementation's value,
dtype and gradient opens from it in a notebook); when they do not, it prints the table
and raises :class:`Disagreement`.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import numpy as np

from .fmt import DECIMALS, breakable, fmt, show
from .reference import Result

RTOL, ATOL = 1e-5, 1e-7  # default tolerance: a float32 result against a float64 one
MAX_ITEMS = 6  # values shown per array, so that tables fit the page
SUMMARY_ITEMS = 4  # values shown in the one-line summary


class Disagreement(AssertionError):
    """Two implementations of a loss disagree beyond the stated tolerance."""


class Comparison:
    """The values and gradients of several implementations, as text and as HTML.

    Each implementation gets a row (name, dtype, value) and, below it, its gradient, so
    that both stay readable in a narrow column.
    """

    def __init__(self, results: Mapping[str, Result], summary: str, *, grad: bool,
                 decimals: int, max_items: int):
        self.summary = summary
        self.rows = [(name, r.dtype, fmt(r.value, decimals, max_items),
                      fmt(r.grad, decimals, max_items) if grad and r.grad is not None
                      else ("missing" if grad else None))
                     for name, r in results.items()]

    def __str__(self) -> str:
        width = max(len(name) for name, *_ in self.rows)
        lines = [self.summary]
        for name, dtype, value, grad in self.rows:
            lines.append(f"{name.ljust(width)}  {dtype:<7}  value {value}")
            if grad is not None:
                lines.append(f"{'':{width}}  {'':7}  grad  {grad}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = []
        for name, dtype, value, grad in self.rows:
            body.append(f"<tr><td>{breakable(name)}</td><td>{dtype}</td>"
                        f"<td>{escape(value)}</td></tr>")
            if grad is not None:
                body.append(f'<tr class="lb-grad"><td colspan="3">gradient '
                            f"{escape(grad)}</td></tr>")
        table = ('<table class="lb-table"><thead><tr><th>implementation</th><th>dtype</th>'
                 f'<th>value</th></tr></thead><tbody>{"".join(body)}</tbody></table>')
        return (f'<details class="lb-check"><summary>{escape(self.summary)}</summary>'
                f"{table}</details>")


def check(results: Mapping[str, Result], *, rtol: float = RTOL, atol: float = ATOL,
          decimals: int = DECIMALS, grad: bool = True, max_items: int = MAX_ITEMS) -> None:
    """Compare the value (and gradient) of every implementation with the first one's.

    When all agree within ``atol + rtol * |first|``, shows one line with the first value;
    in a notebook the full table (every value, dtype and gradient) opens from that line.
    Otherwise prints the table and raises :class:`Disagreement` naming the
    implementations and the largest difference.  The default tolerance suits float32
    results compared with a float64 reference.  Arrays show at most ``max_items``
    values; the comparison always uses all of them.
    """
    if len(results) < 2:
        raise ValueError(f"check() needs at least two implementations, got {len(results)}")
    (base_name, base), *others = results.items()
    try:
        for name, r in others:
            _compare(f"value of {name}", r.value, f"value of {base_name}", base.value,
                     rtol, atol)
            if grad:
                _compare(f"gradient of {name}", r.grad, f"gradient of {base_name}",
                         base.grad, rtol, atol)
    except Disagreement as err:
        print(Comparison(results, f"✗ {err}", grad=grad, decimals=decimals,
                         max_items=max_items))
        raise
    what = "value and gradient" if grad else "value"
    summary = (f"✓ all {len(results)} agree on {what} (rtol={rtol:g}, atol={atol:g}): "
               f"value {fmt(base.value, decimals, SUMMARY_ITEMS)}")
    show(Comparison(results, summary, grad=grad, decimals=decimals, max_items=max_items))


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
