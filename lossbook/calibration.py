"""Calibration of predicted class probabilities: reliability bins and the expected
calibration error (ECE) as defined by Guo et al. (2017).

A prediction's *confidence* is its largest class probability; the prediction is
*correct* when that class is the target.  Confidences fall into ``bins`` bins of equal
width, ``((m - 1) / M, m / M]`` (a confidence of exactly 0 joins the first).  A
calibrated model's accuracy in each bin equals the bin's mean confidence;

``ECE = sum_m |B_m| / N * |accuracy(B_m) - confidence(B_m)|``

weighs each bin's gap by its share of the predictions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inputs import class_indices, probabilities


@dataclass(frozen=True)
class Reliability:
    """The bins of a reliability diagram.

    ``edges`` has ``bins + 1`` entries; ``count``, ``confidence`` (mean confidence) and
    ``accuracy`` (fraction correct) have one per bin, NaN where a bin is empty.
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: the count-weighted mean of ``|accuracy - confidence|``."""
        full = self.count > 0
        gaps = np.abs(self.accuracy[full] - self.confidence[full])
        return float(np.sum(self.count[full] * gaps) / np.sum(self.count))


def reliability(prob, target, *, bins: int = 15) -> Reliability:
    """Bin the top-class confidences of ``prob (N, C)`` (rows sum to 1) against the class
    indices ``target (N,)``; 15 bins as in Guo et al. (2017)."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    prob = probabilities("prob", prob, axis=-1)
    if prob.ndim != 2:
        raise ValueError(f"prob must have shape (N, C), got {prob.shape}")
    target = class_indices("target", target, prob.shape[1])
    if target.shape != prob.shape[:1]:
        raise ValueError(f"target must have shape ({prob.shape[0]},), got {target.shape}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    confidence = prob.max(axis=1)
    correct = prob.argmax(axis=1) == target
    which = np.maximum(np.searchsorted(edges, confidence, side="left") - 1, 0)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, weights=confidence, minlength=bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=bins) / count
    return Reliability(edges, count, mean_confidence, accuracy)


def expected_calibration_error(prob, target, *, bins: int = 15) -> float:
    """ECE of ``prob (N, C)`` against ``target (N,)``: ``reliability(...).ece``."""
    return reliability(prob, target, bins=bins).ece
