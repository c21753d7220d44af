"""Fixed-precision formatting and tables: the only way notebooks print numbers.

Rounding happens before formatting and ``-0`` is turned into ``0``, so CPU and GPU
runs (and float32 vs float64 results that agree to the shown digits) print the same text.
A :class:`Table` prints as aligned text and renders as an HTML table in a notebook.
"""

from __future__ import annotations

import re
from html import escape

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
    if type(x).__module__.split(".")[0] in ("torch", "tensorflow", "keras", "jax", "jaxlib"):
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


class Table:
    """Rows of strings under headers: aligned text when printed, an HTML table in a notebook.

    ``print(t)`` gives the text; a notebook cell ending in ``t`` (or ``lb.show(t)``)
    renders it as a table that wraps within the page's column.
    """

    def __init__(self, rows: list[list[str]], headers: list[str]):
        if any(len(r) != len(headers) for r in rows):
            raise ValueError(f"every row needs {len(headers)} cells (one per header)")
        self.rows, self.headers = [list(map(str, r)) for r in rows], list(map(str, headers))

    def __str__(self) -> str:
        cols = [self.headers, *self.rows]
        widths = [max(len(r[i]) for r in cols) for i in range(len(self.headers))]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

        return "\n".join([line(self.headers), line(["-" * w for w in widths]),
                          *map(line, self.rows)])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{breakable(h)}</th>" for h in self.headers)
        body = "".join("<tr>" + "".join(f"<td>{breakable(c)}</td>" for c in r) + "</tr>"
                       for r in self.rows)
        return (f'<table class="lb-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")


def breakable(text: str) -> str:
    """``text`` as HTML that may also wrap after ``_``, ``/``, ``(``, a ``.`` before a
    letter and inside camel case, so that long names such as
    ``SparseCategoricalCrossentropy`` or ``tf.compat.v1.losses.sparse_softmax_cross_entropy``
    fit a narrow column (numbers never break)."""
    return re.sub(r"(\.(?=[^\W\d])|[_/(]|[a-z](?=[A-Z]))", r"\1<wbr>", escape(text))


def table(rows: list[list[str]], headers: list[str]) -> Table:
    """A :class:`Table` of ``rows`` (lists of strings) under ``headers``."""
    return Table(rows, headers)


def show(obj) -> None:
    """Display ``obj`` richly in a notebook (HTML where it has one), else print it."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(obj)
    else:
        print(obj)


#: How myst-nb marks a glued value that the cell does not show (``myst_nb.ext.glue``).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value, decimals: int = DECIMALS) -> None:
    """Keep a computed number for the text, rounded exactly as :func:`fmt` prints it.

    In a chapter's markdown, ``{glue:text}`name:.3f``` then shows the number (with the
    same or fewer decimals), so a sentence cannot drift from the output beside it.
    Integers are kept as they are.  The output is what ``myst_nb.glue(name, value,
    display=False)`` displays, written here with IPython: importing myst-nb takes a second
    in every notebook that glues.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"glue() keeps numbers; assert a claim like {name!r} in a cell instead")
    kept = int(value) if isinstance(value, (int, np.integer)) else float(fmt(value, decimals))
    bundle, metadata = format_display_data(kept)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
