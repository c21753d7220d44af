"""The registry: one entry per loss, the single source of truth for names and defaults.

The conventions chapter and the coverage tests are generated from ``REGISTRY``; a test
checks every PyTorch and Keras name and default against the installed frameworks.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from . import regression as reg
from .reference import Reference

#: How each framework orders a loss call's arguments.
ARGUMENT_ORDER = {
    "PyTorch": "loss(input, target): prediction first",
    "Keras": "loss(y_true, y_pred, sample_weight=None): target first",
    "TF1": "tf.compat.v1.losses.*(labels, predictions, weights=1.0)",
    "optax": "loss(predictions, targets): prediction first, unreduced",
    "Flux": "loss(ŷ, y; agg=mean): prediction first",
    "Gluon": "loss(pred, label, sample_weight=None): prediction first",
}


def resolve(dotted: str):
    """Import ``"package.module.Name"`` and return the object."""
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Api:
    """A framework's implementation of a loss.

    ``params`` maps the reference's parameter names to the framework's argument names;
    ``defaults`` are the framework's constructor defaults (verified by a test).
    """

    name: str
    params: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)

    def build(self, params: dict | None = None, **options):
        """Instantiate the framework's loss with reference-named ``params`` translated to
        the framework's argument names, plus framework ``options`` (``reduction``, ``dtype``)."""
        kwargs = {self.params[k]: v for k, v in (params or {}).items()}
        return resolve(self.name)(**kwargs, **options)


@dataclass(frozen=True)
class LossSpec:
    """One loss: its reference, chapter, and names in PyTorch, Keras/TF and elsewhere."""

    key: str
    title: str
    chapter: str
    reference: Reference
    torch: Api | None = None
    keras: Api | None = None
    others: dict[str, str] = field(default_factory=dict)  # TF1, optax, Flux, Gluon names


def _torch(name: str, **defaults) -> Api:
    return Api(f"torch.nn.{name}", {k: k for k in defaults}, {**defaults, "reduction": "mean"})


def _keras(name: str, **defaults) -> Api:
    return Api(f"keras.losses.{name}", {k: k for k in defaults},
               {**defaults, "reduction": "sum_over_batch_size"})


_SPECS = [
    LossSpec("l1", "L1 / mean absolute error", "02_regression", reg.l1,
             _torch("L1Loss"), _keras("MeanAbsoluteError"),
             {"TF1": "tf.compat.v1.losses.absolute_difference", "Flux": "mae",
              "Gluon": "L1Loss"}),
    LossSpec("mse", "Mean squared error", "02_regression", reg.mse,
             _torch("MSELoss"), _keras("MeanSquaredError"),
             {"TF1": "tf.compat.v1.losses.mean_squared_error",
              "optax": "squared_error (l2_loss is half of it)", "Flux": "mse",
              "Gluon": "L2Loss (half of it)"}),
    LossSpec("huber", "Huber", "02_regression", reg.huber,
             _torch("HuberLoss", delta=1.0), _keras("Huber", delta=1.0),
             {"TF1": "tf.compat.v1.losses.huber_loss(delta=1.0)",
              "optax": "huber_loss(delta=1.0)", "Flux": "huber_loss(delta=1)"}),
    LossSpec("smooth_l1", "Smooth L1", "02_regression", reg.smooth_l1,
             _torch("SmoothL1Loss", beta=1.0), None,
             {"Gluon": "HuberLoss(rho=1) (named Huber, computes Smooth L1)"}),
    LossSpec("log_cosh", "log-cosh", "02_regression", reg.log_cosh,
             None, _keras("LogCosh"), {"optax": "log_cosh"}),
    LossSpec("mape", "Mean absolute percentage error", "02_regression", reg.mape,
             None, _keras("MeanAbsolutePercentageError")),
    LossSpec("msle", "Mean squared logarithmic error", "02_regression", reg.msle,
             None, _keras("MeanSquaredLogarithmicError"),
             {"Flux": "msle (no +1: (log((ŷ+ε)/(y+ε)))²)"}),
    LossSpec("pinball", "Quantile (pinball)", "02_regression", reg.pinball,
             None, None, {"TF Addons": "tfa.losses.PinballLoss(tau=0.5) (not in Keras 3)"}),
]

#: Every loss in the book, by reference name.
REGISTRY: dict[str, LossSpec] = {s.key: s for s in _SPECS}
