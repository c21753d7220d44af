"""The registry: one entry per loss, the single source of truth for names and defaults.

The conventions chapter and the coverage tests are generated from ``REGISTRY``; a test
checks every PyTorch and Keras name and default against the installed frameworks.
Each reference module lists its losses in ``SPECS`` (see :mod:`lossbook.spec`).
"""

from __future__ import annotations

from . import adaptive, classification, distributions, margin, ranking, regression
from .ctc import SPECS as CTC_SPECS  # lossbook.ctc is the reference, not the module
from .spec import Api, LossSpec, resolve

#: How each framework orders a loss call's arguments.
ARGUMENT_ORDER = {
    "PyTorch": "loss(input, target): prediction first",
    "Keras": "loss(y_true, y_pred, sample_weight=None): target first",
    "TF1": "tf.compat.v1.losses.*(labels, predictions, weights=1.0)",
    "optax": "loss(predictions, targets): prediction first, unreduced",
    "Flux": "loss(ŷ, y; agg=mean): prediction first",
    "Gluon": "loss(pred, label, sample_weight=None): prediction first",
}


#: Every loss in the book, by reference name.
REGISTRY: dict[str, LossSpec] = {s.key: s for s in (*regression.SPECS, *classification.SPECS,
                                                  *margin.SPECS, *ranking.SPECS, *CTC_SPECS,
                                                  *distributions.SPECS,
                                                  *adaptive.SPECS,)}

__all__ = ["ARGUMENT_ORDER", "REGISTRY", "Api", "LossSpec", "resolve"]
