"""Confidence intervals for proportions and means."""
from __future__ import annotations

import numpy as np

__all__ = ["wilson_interval", "mean_interval", "q_function", "q_inverse"]


def q_function(x):
    """Gaussian tail ``Q(x) = P(N(0, 1) > x)``, elementwise."""
    from scipy import special  # here, not at import: keeps the command line's start fast

    return special.ndtr(-np.asarray(x, dtype=float))


def q_inverse(p):
    """Inverse of :func:`q_function`, elementwise, for 0 < p < 1."""
    from scipy import special

    return -special.ndtri(np.asarray(p, dtype=float))


def wilson_interval(successes, n_trials, confidence=0.99):
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes : array_like of int
        Success counts.
    n_trials : int
        Trials per count, >= 1.
    confidence : float
        Two-sided confidence level in (0, 1).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds, each shaped like ``successes``.
    """
    k = np.asarray(successes, dtype=float)
    z = q_inverse((1.0 - confidence) / 2.0)
    p = k / n_trials
    denominator = 1.0 + z**2 / n_trials
    centre = (p + z**2 / (2 * n_trials)) / denominator
    half = z * np.sqrt(p * (1 - p) / n_trials + z**2 / (4 * n_trials**2)) / denominator
    # the interval always holds the estimate itself (rounding could miss it by an ulp at k = 0 or n)
    return np.minimum(np.clip(centre - half, 0.0, 1.0), p), np.maximum(np.clip(centre + half, 0.0, 1.0), p)


def mean_interval(values, confidence=0.95):
    """Student-t confidence interval of a mean.

    Parameters
    ----------
    values : array_like, shape (n,)
        Samples.
    confidence : float
        Two-sided level.

    Returns
    -------
    (float, float, float)
        Mean, lower and upper bound; the bounds are NaN when n < 2.
    """
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    if n < 2:
        return mean, np.nan, np.nan
    from scipy import special

    half = special.stdtrit(n - 1, 0.5 + confidence / 2.0) * values.std(ddof=1) / np.sqrt(n)  # Student-t quantile
    return mean, float(mean - half), float(mean + half)
