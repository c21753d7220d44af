"""lossbook: NumPy references and helpers for the Loss Functions Book.

``import lossbook`` imports neither PyTorch nor TensorFlow; the adapters in
:mod:`lossbook.frameworks` and :func:`setup` import them when called.
"""

from .check import Disagreement, check
from .data import line_with_outliers, regression_batch, rng
from .environment import setup, torch_device
from .fmt import fmt, table
from .frameworks import run_tf, run_torch
from .plot import loss_curves
from .reduction import REDUCTIONS, reduce
from .reference import Reference, Result
from .registry import ARGUMENT_ORDER, REGISTRY, LossSpec
from .regression import huber, l1, log_cosh, mape, mse, msle, pinball, smooth_l1

__all__ = [
    "ARGUMENT_ORDER", "REDUCTIONS", "REGISTRY", "Disagreement", "LossSpec", "Reference",
    "Result", "check", "fmt", "huber", "l1", "line_with_outliers", "log_cosh", "loss_curves",
    "mape", "mse", "msle", "pinball", "reduce", "regression_batch", "rng", "run_tf",
    "run_torch", "setup", "smooth_l1", "table", "torch_device",
]
