"""Reliability bins and the expected calibration error (lossbook.calibration)."""

from __future__ import annotations

import numpy as np
import pytest

import lossbook as lb
from lossbook.calibration import expected_calibration_error, reliability


def ece_by_definition(prob, target, bins):
    """Guo et al. (2017), eq. (3), one bin at a time: bin m holds ((m-1)/M, m/M]."""
    confidence, predicted = prob.max(axis=1), prob.argmax(axis=1)
    total = 0.0
    for m in range(1, bins + 1):
        lo, hi = (m - 1) / bins, m / bins
        inside = [i for i, c in enumerate(confidence) if lo < c <= hi or (m == 1 and c == 0)]
        if inside:
            acc = np.mean([predicted[i] == target[i] for i in inside])
            conf = np.mean([confidence[i] for i in inside])
            total += len(inside) / len(confidence) * abs(acc - conf)
    return total


def test_by_hand():
    prob = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.5, 0.5]])
    target = np.array([0, 1, 1, 1])
    r = reliability(prob, target, bins=2)
    # (0, 0.5]: the tie 0.5 (predicts class 0, wrong); (0.5, 1]: 0.9 right, 0.8 wrong, 0.6 right
    np.testing.assert_array_equal(r.count, [1, 3])
    np.testing.assert_allclose(r.confidence, [0.5, (0.9 + 0.8 + 0.6) / 3])
    np.testing.assert_allclose(r.accuracy, [0.0, 2 / 3])
    expected = 0.25 * 0.5 + 0.75 * abs(2 / 3 - 2.3 / 3)
    assert r.ece == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bins", [1, 4, 10, 15])
def test_matches_the_definition(bins):
    g = lb.rng(3)
    logits = 3.0 * g.normal(size=(500, 4))
    prob = lb.softmax(logits)
    target = g.integers(0, 4, size=500)
    prob[:20] = [0.4, 0.2, 0.2, 0.2]  # on a bin edge for bins=10 and 15; correct, so the
    target[:20] = 0  # bin they fall in changes the ECE
    assert expected_calibration_error(prob, target, bins=bins) == pytest.approx(
        ece_by_definition(prob, target, bins), rel=1e-12, abs=1e-15)


def test_empty_bins_and_edges():
    prob = np.array([[1.0, 0.0], [0.5, 0.5]])
    r = reliability(prob, np.array([0, 0]), bins=4)
    np.testing.assert_array_equal(r.count, [0, 1, 0, 1])
    assert np.isnan(r.accuracy[0]) and np.isnan(r.confidence[2])
    assert r.ece == 0.25  # the tie at 0.5 is right (class 0), so its gap is 0.5 on half the data
    np.testing.assert_allclose(r.edges, [0.0, 0.25, 0.5, 0.75, 1.0])


def test_calibrated_and_overconfident():
    g = lb.rng(0)
    prob = lb.softmax(g.normal(size=(20000, 3)))
    drawn = (g.uniform(size=(20000, 1)) > np.cumsum(prob, axis=1)).sum(axis=1)
    assert expected_calibration_error(prob, drawn) < 0.02  # labels drawn from prob
    sharp = lb.softmax(4.0 * np.log(prob))  # same ranking, overconfident
    assert expected_calibration_error(sharp, drawn) > 0.2


@pytest.mark.parametrize("prob, target, bins, message", [
    ([[0.7, 0.2]], [0], 15, "prob must sum to 1"),
    ([[1.2, -0.2]], [0], 15, "prob must be probabilities in"),
    ([0.5, 0.5], [0], 15, r"prob must have shape \(N, C\)"),
    ([[0.5, 0.5]], [2], 15, r"target must be class indices in \[0, 1\]"),
    ([[0.5, 0.5]], [0.0], 15, "target must hold integer class indices"),
    ([[0.5, 0.5]], [0, 1], 15, r"target must have shape \(1,\)"),
    ([[0.5, 0.5]], [0], 0, "bins must be a positive integer"),
    ([[0.5, 0.5]], [0], 2.5, "bins must be a positive integer"),
])
def test_bad_input(prob, target, bins, message):
    with pytest.raises((ValueError, TypeError), match=message):
        reliability(np.array(prob), np.array(target), bins=bins)
