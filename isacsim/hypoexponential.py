"""Law of a weighted sum of independent unit exponentials.

``T = sum_j c_j X_j`` with ``X_j ~ Exp(1)`` independent and weights
``c_j >= 0`` is the statistic of the square-law detectors of
:mod:`isacsim.fluctuation` (a complex Gaussian projection has
``|y|^2 / E|y|^2 ~ Exp(1)``). Its law is hypoexponential: ``T`` is the time
to absorption of a Markov chain that passes through states ``1, 2, ..., J``
in turn and leaves state j at rate ``1 / c_j``. With the (upper bidiagonal)
generator ``S`` of those states, ``S_jj = -1 / c_j`` and
``S_j,j+1 = 1 / c_j``,

    ``P(T > x) = e_1^T exp(S x) 1``.

The partial-fraction form ``sum_j prod_{k != j} c_j / (c_j - c_k) e^{-x / c_j}``
is the same number but cancels catastrophically when two weights are close
(and is undefined when they are equal, which symmetric layouts produce); the
matrix exponential of the bidiagonal generator is the accurate way to
evaluate these divided differences of the exponential (McCurdy, Ng and
Parlett, Math. Comp. 43, 1984) and is exact for repeated weights (Erlang
laws). Zero weights contribute nothing and are dropped.
"""
from __future__ import annotations

import numpy as np
from .blas import single_threaded_blas
from .errors import InputError

__all__ = ["weighted_exponential_sf", "weighted_exponential_isf"]

#: Weights below this fraction of the largest one are dropped: their terms
#: move ``T`` by less than a rounding error of the largest.
_NEGLIGIBLE = 1e-15
#: Weights within this relative spread are replaced by their mean. The
#: exponential of a bidiagonal generator loses accuracy when two diagonal
#: entries differ by a hair (1e-7 relative error at a relative gap of 1e-9),
#: but is accurate for equal entries and for gaps of 5e-6 or more (~1e-11);
#: replacing a cluster by its mean keeps E[T] and moves the law only at
#: second order (~(x/c tol)^2 relative: ~1e-10 in a 1e-6 tail).
_CLUSTER = 1e-5


def _weights(weights):
    """Positive weights, decreasing, with near-equal ones merged (see :data:`_CLUSTER`)."""
    c = np.asarray(weights, dtype=float).ravel()
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise InputError(f"weights: expected finite numbers >= 0, got {weights!r}")
    largest = c.max(initial=0.0)
    if largest <= 0:
        return c[:0]
    c = np.sort(c[c > _NEGLIGIBLE * largest])[::-1]
    merged, start = c.copy(), 0
    for index in range(1, c.size + 1):
        if index == c.size or c[index] < c[start] * (1.0 - _CLUSTER):
            merged[start:index] = c[start:index].mean()
            start = index
    return merged


def _generator(c):
    rate = 1.0 / c
    return np.diag(-rate) + np.diag(rate[:-1], k=1)


def _tail_and_density(x, c, generator):
    """``P(T > x)`` and the density of T at ``x > 0``, from one matrix exponential."""
    from scipy import linalg

    row = linalg.expm(generator * x)[0]
    exit_rates = np.zeros(c.size)
    exit_rates[-1] = 1.0 / c[-1]  # only the last state leaves the chain
    return min(1.0, max(0.0, float(row.sum()))), max(0.0, float(row @ exit_rates))


def weighted_exponential_sf(x, weights):
    """``P(sum_j c_j X_j > x)`` for independent ``X_j ~ Exp(1)``.

    Parameters
    ----------
    x : float or array_like
        Thresholds.
    weights : array_like, shape (J,)
        ``c_j >= 0``.

    Returns
    -------
    numpy.ndarray
        Survival probabilities, shaped like ``x``. With no positive weight
        the sum is 0: 1 for ``x < 0``, else 0.
    """
    c = _weights(weights)
    x = np.asarray(x, dtype=float)
    if c.size == 0:
        return np.where(x < 0, 1.0, 0.0)
    if c.size == 1:
        return np.exp(-np.maximum(x, 0.0) / c[0])
    generator = _generator(c)
    with single_threaded_blas():  # tiny matrices: threads only cost
        values = [_tail_and_density(value, c, generator)[0] if value > 0 else 1.0 for value in x.ravel()]
    return np.array(values).reshape(x.shape)


def weighted_exponential_isf(p, weights):
    """The ``x`` with ``P(sum_j c_j X_j > x) = p``.

    Newton's method on ``log P(T > x)`` (the density comes with the tail from
    the same matrix exponential), kept inside a bracket.

    Parameters
    ----------
    p : float or array_like
        Tail probabilities in (0, 1).
    weights : array_like, shape (J,)
        ``c_j >= 0``, at least one positive.

    Returns
    -------
    numpy.ndarray
        Thresholds, shaped like ``p``, to a relative accuracy of about 1e-13.
    """
    from scipy import special

    c = _weights(weights)
    p = np.asarray(p, dtype=float)
    if not np.all((p > 0) & (p < 1)):
        raise InputError(f"p: expected probabilities in (0, 1), got {p!r}")
    if c.size == 0:
        raise InputError("weights: expected at least one positive weight (the sum is identically 0)")
    if c.size == 1:
        return c[0] * -np.log(p)
    generator = _generator(c)
    out = np.empty(p.shape)
    with single_threaded_blas():
        for index, tail in np.ndenumerate(p):
            out[index] = _quantile(tail, c, generator, special.gammainccinv(c.size, tail))
    return out


def _quantile(tail, c, generator, erlang_quantile, max_iterations=100):
    # c_max X_1 <= T <= c_max (X_1 + ... + X_J): the root lies between their quantiles.
    low, high = c[0] * -np.log(tail), c[0] * erlang_quantile
    x = 0.5 * (low + high)
    for _ in range(max_iterations):
        survival, density = _tail_and_density(x, c, generator)
        if survival > tail:
            low = x
        else:
            high = x
        step = (np.log(survival) - np.log(tail)) * survival / density if survival > 0 and density > 0 else np.inf
        candidate = x + step
        if not low < candidate < high:
            candidate = 0.5 * (low + high)
        if abs(candidate - x) <= 1e-14 * x or high - low <= 1e-14 * high:
            return candidate
        x = candidate
    return x
