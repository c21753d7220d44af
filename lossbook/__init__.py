"""lossbook: NumPy references and helpers for the Loss Functions Book.

``import lossbook`` imports neither PyTorch, TensorFlow nor JAX; the adapters in
:mod:`lossbook.frameworks` and :func:`setup` import them when called.
"""

from . import accuracy, conventions, truth
from .adaptive import adaptive_log_prob, adaptive_softmax
from .calibration import Reliability, expected_calibration_error, reliability
from .check import Disagreement, check
from .classification import (
    bce_with_logits,
    binary_cross_entropy,
    categorical_cross_entropy,
    cross_entropy,
    focal,
    nll,
)
from .ctc import ctc, ctc_alignments, ctc_collapse
from .data import line_with_outliers, regression_batch, rng
from .distributions import gaussian_nll, kl_div, poisson_nll, wasserstein
from .environment import setup, torch_device
from .fmt import Table, fmt, glue, show, table
from .frameworks import adaptive_weights, run_jax, run_tf, run_torch
from .margin import (
    categorical_hinge,
    hinge,
    multi_margin,
    multilabel_margin,
    multilabel_soft_margin,
    soft_margin,
    squared_hinge,
)
from .numerics import log_softmax, sigmoid, softmax
from .plot import loss_curves
from .ranking import (
    contrastive,
    cosine_embedding,
    cosine_similarity,
    hinge_embedding,
    margin_ranking,
    triplet_margin,
)
from .reduction import REDUCTIONS, reduce
from .reference import Reference, Result
from .registry import ARGUMENT_ORDER, REGISTRY, LossSpec
from .regression import huber, l1, log_cosh, mape, mse, msle, pinball, smooth_l1

__all__ = [
    "accuracy", "conventions", "truth",
    "ARGUMENT_ORDER", "REDUCTIONS", "REGISTRY", "Disagreement", "LossSpec", "Reference",
    "Result", "check", "fmt", "huber", "l1", "line_with_outliers", "log_cosh", "loss_curves",
    "mape", "mse", "msle", "pinball", "reduce", "regression_batch", "rng", "run_tf",
    "run_jax", "run_torch", "setup", "glue", "show", "smooth_l1", "Table", "table", "torch_device",
    "ctc", "ctc_alignments", "ctc_collapse",
    "adaptive_log_prob", "adaptive_softmax", "adaptive_weights",
    "Reliability", "expected_calibration_error", "reliability",
    "contrastive", "cosine_embedding", "cosine_similarity", "hinge_embedding",
    "margin_ranking", "triplet_margin",
    "gaussian_nll", "kl_div", "poisson_nll", "wasserstein",
    "bce_with_logits", "binary_cross_entropy", "categorical_cross_entropy", "cross_entropy",
    "focal", "log_softmax", "nll", "sigmoid", "softmax",
    "categorical_hinge", "hinge", "multi_margin", "multilabel_margin",
    "multilabel_soft_margin", "soft_margin", "squared_hinge",
]
