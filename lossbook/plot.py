"""Figures: loss and gradient curves, and how every figure reaches a notebook (a PNG at
twice the density of the screen, see ``figure_png``)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np

from .reference import Reference, Result

Curve = Reference | tuple[Reference, dict] | Callable[[np.ndarray], Result]


def _evaluate(curve: Curve, x: np.ndarray, target: float) -> Result:
    if isinstance(curve, Reference):
        curve = (curve, {})
    if isinstance(curve, tuple):
        ref, params = curve
        return ref.value_and_grad(x, np.full_like(x, target), reduction="none", **params)
    return curve(x)


def loss_curves(curves: Mapping[str, Curve], x=None, *,
                xlabel: str = "residual  e = prediction − target", ylim=None, grad_ylim=None,
                title=None, target: float = 0.0):
    """Plot each loss against ``x`` and its derivative ``dl/dpred``, at a fixed ``target``
    (0 for residual-based losses; 1 plots a margin loss against the margin ``y f``).

    A curve is a reference, a ``(reference, params)`` pair, or a callable ``x -> Result``
    (for example a framework loss through :func:`lossbook.frameworks.run_torch`, unreduced).
    ``ylim`` and ``grad_ylim`` limit the two panels' vertical axes.
    The legend sits below the panels. Returns the figure; end the cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    x = np.linspace(-3.0, 3.0, 601) if x is None else np.asarray(x, dtype=np.float64)
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, layout="constrained")
    for label, curve in curves.items():
        r = _evaluate(curve, x, target)
        ax_loss.plot(x, r.value, label=label)
        ax_grad.plot(x, r.grad, label=label)
    ax_loss.set(xlabel=xlabel, ylabel="loss", title="loss")
    ax_grad.set(xlabel=xlabel, ylabel="d loss / d prediction", title="gradient")
    if ylim is not None:
        ax_loss.set_ylim(*ylim)
    if grad_ylim is not None:
        ax_grad.set_ylim(*grad_ylim)
    if title:
        fig.suptitle(title)
    # below the panels, off the data: one row if it fits the figure's width, else two
    one_row = 6 * sum(map(len, curves)) + 30 * len(curves) <= 72 * fig.get_figwidth()
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center",
               ncols=len(curves) if one_row else -(-len(curves) // 2))
    return fig


def figure_png(fig) -> tuple[bytes, dict]:
    """``fig`` as a notebook shows it: a PNG with twice the pixels of its size (crisp on
    high-density screens), quantized to 256 colours (a third of the bytes), and metadata
    that shows it at its size and records its smallest text in the PNG's pixels
    (``smallest_text_px``, which the site's browser test checks at the displayed size).

    :func:`lossbook.setup` makes it the notebook display of every figure.
    """
    from matplotlib.text import Text
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=2 * fig.dpi, bbox_inches="tight",
                facecolor=fig.get_facecolor())
    image = Image.open(raw).convert("RGB").quantize(
        256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    png = io.BytesIO()
    image.save(png, format="png", optimize=True)
    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    smallest = round(min(sizes) * 2 * fig.dpi / 72, 2) if sizes else None
    return png.getvalue(), {"width": image.width // 2, "smallest_text_px": smallest}
