"""Confidence intervals for experiment results (t-distribution, as for small seed counts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its 95% confidence interval over n seeds (NaN bounds when n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely on one side of zero (a clear difference)."""
        return bool(self.low > 0 or self.high < 0)


def interval(values: npt.ArrayLike) -> Interval:
    """Mean and t-interval of the finite values (NaN values, e.g. never paid back, are left out)."""
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(data.mean())
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), n)
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * data.std(ddof=1) / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(a: npt.ArrayLike, b: npt.ArrayLike) -> Interval:
    """Interval of b - a over seeds, pairing seed k of a with seed k of b."""
    return interval(np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64))
