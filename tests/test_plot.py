"""loss_curves draws exactly the reference's values and gradients."""

from __future__ import annotations

import matplotlib
import numpy as np

import lossbook as lb

matplotlib.use("Agg")


def test_curves_are_the_reference_values_and_gradients():
    x = np.linspace(-2.0, 2.0, 9)
    fig = lb.loss_curves({"Huber": (lb.huber, {"delta": 0.5}), "L1": lb.l1}, x,
                         grad_ylim=(-1, 1))
    loss_ax, grad_ax = fig.axes
    (huber_loss, l1_loss), (huber_grad, _) = loss_ax.lines, grad_ax.lines
    expected = lb.huber.value_and_grad(x, np.zeros_like(x), reduction="none", delta=0.5)
    np.testing.assert_allclose(huber_loss.get_ydata(), expected.value)
    np.testing.assert_allclose(huber_grad.get_ydata(), expected.grad)
    np.testing.assert_allclose(l1_loss.get_ydata(), np.abs(x))
    assert grad_ax.get_ylim() == (-1, 1)


def test_target_moves_the_curves():
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    fig = lb.loss_curves({"hinge": lb.hinge}, x, target=1.0)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [2.0, 1.0, 0.0, 0.0])
