"""Deterministic data for the chapters: NumPy ``default_rng(seed)`` on the CPU, float64."""

from __future__ import annotations

import numpy as np


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def regression_batch(shape: tuple[int, ...] = (4, 3), seed: int = 0,
                     scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """A random ``(pred, target)`` pair of the given shape."""
    g = rng(seed)
    return scale * g.normal(size=shape), scale * g.normal(size=shape)


def line_with_outliers(n: int = 40, n_outliers: int = 4, slope: float = 2.0,
                       intercept: float = 1.0, noise: float = 0.3, outlier_shift: float = 12.0,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on ``y = slope x + intercept`` plus Gaussian noise, a few of them shifted up.

    Returns ``x`` (in [0, 1]), ``y`` and a boolean mask of the outliers.
    """
    g = rng(seed)
    x = np.sort(g.uniform(0.0, 1.0, n))
    y = slope * x + intercept + noise * g.normal(size=n)
    outlier = np.zeros(n, dtype=bool)
    outlier[g.choice(n, n_outliers, replace=False)] = True
    y[outlier] += outlier_shift
    return x, y, outlier
