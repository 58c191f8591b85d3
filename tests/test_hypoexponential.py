"""The law of a weighted sum of unit exponentials against independent formulas."""
import numpy as np
import pytest
from scipy import stats

from isacsim.errors import InputError
from isacsim.hypoexponential import weighted_exponential_isf, weighted_exponential_sf


def partial_fractions(x, c):
    """The textbook hypoexponential tail for distinct, well-separated weights."""
    c = np.asarray(c, dtype=float)
    return sum(np.prod([c[j] / (c[j] - c[k]) for k in range(c.size) if k != j]) * np.exp(-x / c[j]) for j in range(c.size))


@pytest.mark.parametrize("weights", [[1.0, 3.0], [1.0, 2.0, 4.0, 8.0, 0.1], [3.0, 0.5, 1e-3, 1e-5]])
def test_distinct_weights_match_the_partial_fractions(weights):
    x = np.array([0.3, 2.0, 10.0, 40.0])
    np.testing.assert_allclose(weighted_exponential_sf(x, weights), partial_fractions(x, weights), rtol=1e-12)


@pytest.mark.parametrize("n, scale", [(1, 0.7), (3, 2.0), (9, 1.3)])
def test_equal_weights_are_erlang(n, scale):
    x = np.array([0.1, 1.0, 5.0, 30.0])
    np.testing.assert_allclose(weighted_exponential_sf(x, [scale] * n), stats.gamma(n, scale=scale).sf(x), rtol=1e-11)
    np.testing.assert_allclose(weighted_exponential_isf([0.5, 1e-3, 1e-7], [scale] * n), stats.gamma(n, scale=scale).isf([0.5, 1e-3, 1e-7]), rtol=1e-11)


@pytest.mark.parametrize("gap", [1e-12, 1e-9, 1e-7, 1e-5, 1e-4])
def test_nearly_equal_weights_are_continuous(gap):
    """Weights a hair apart give the Erlang mixture's tail (the naive forms cancel or divide by zero here)."""
    near = [1.0, 1.0 + gap, 1.0 + 2 * gap, 3.0]
    exact = weighted_exponential_sf(24.0, [1.0, 1.0, 1.0, 3.0])
    # moving three weights by up to 2 gap moves the tail by at most about x / c * 2 gap relative
    assert weighted_exponential_sf(24.0, near) == pytest.approx(exact, rel=60 * gap + 1e-10)


def test_quantile_inverts_the_tail_and_zero_weights_do_not_count():
    weights = [2.0, 1.0, 0.0, 0.5, 0.0]
    p = np.array([0.9, 0.3, 1e-3, 1e-9])
    x = weighted_exponential_isf(p, weights)
    np.testing.assert_allclose(weighted_exponential_sf(x, weights), p, rtol=1e-10)
    np.testing.assert_allclose(x, weighted_exponential_isf(p, [2.0, 1.0, 0.5]), rtol=1e-13)
    assert np.all(np.diff(x) > 0)


def test_against_sampling():
    rng = np.random.default_rng(0)
    weights = np.array([2.0, 1.1, 1.1, 0.3])
    samples = rng.exponential(size=(400_000, 4)) @ weights
    for x in (1.0, 4.0, 9.0):
        hits = int(np.sum(samples > x))
        low, high = stats.binomtest(hits, samples.size).proportion_ci(0.999)
        assert low <= weighted_exponential_sf(x, weights) <= high


def test_inputs_are_checked():
    with pytest.raises(InputError, match="weights"):
        weighted_exponential_sf(1.0, [1.0, -1.0])
    with pytest.raises(InputError, match="weights"):
        weighted_exponential_isf(0.1, [0.0, 0.0])
    with pytest.raises(InputError, match="p"):
        weighted_exponential_isf(1.5, [1.0])
    assert weighted_exponential_sf(-1.0, [0.0]) == 1.0 and weighted_exponential_sf(1.0, [0.0]) == 0.0
