"""Detector: closed forms against explicit sums and against Monte Carlo."""
import numpy as np
import pytest

from isacsim import Detector
from isacsim.montecarlo import echo_signal
from isacsim.stats import q_function, q_inverse, wilson_interval
from isacsim.testing import small_problem

from conftest import random_design
from reference import reflected_power_eq20


def test_q_function_known_values():
    assert q_function(0.0) == pytest.approx(0.5)
    assert q_function(1.959963985) == pytest.approx(0.025, rel=1e-6)
    assert q_inverse(1e-3) == pytest.approx(3.090232306, rel=1e-8)


@pytest.mark.parametrize("synchronized", [True, False])
@pytest.mark.parametrize("rank", [None, 1, 0])
def test_reflected_power_matches_explicit_sums(synchronized, rank, rng, problem):
    w, R = random_design(problem, rng, rank=rank)
    detector = Detector(synchronized=synchronized)
    np.testing.assert_allclose(detector.reflected_power(problem, w, R), reflected_power_eq20(problem, w, R, synchronized), rtol=1e-10)
    sensing_only = Detector(synchronized=synchronized, information_echoes=False)
    np.testing.assert_allclose(
        sensing_only.reflected_power(problem, w, R), reflected_power_eq20(problem, w, R, synchronized, information_echoes=False), rtol=1e-10
    )


@pytest.mark.parametrize("synchronized", [True, False])
def test_reflected_power_is_the_energy_of_the_stacked_echo(synchronized, rng, problem):
    """E of eq. (20) equals alpha^H alpha of eq. (12), built from H_{m,l} and the EVD of R."""
    w, R = random_design(problem, rng, rank=3)
    detector = Detector(synchronized=synchronized)
    energy = [np.vdot(a, a).real for a in (echo_signal(detector, problem, w, R, q) for q in range(problem.n_points))]
    np.testing.assert_allclose(energy, detector.reflected_power(problem, w, R), rtol=1e-9)
    dimension = echo_signal(detector, problem, w, R, 0).size
    n_links = problem.n_bs**2 if synchronized else problem.n_bs
    assert dimension == problem.n_rx * (problem.n_users_per_cell + 3) * n_links  # N_r (K + r_t) L^2 or L


def test_synchronized_collects_at_least_the_unsynchronized_power(rng, problem):
    for _ in range(5):
        w, R = random_design(problem, rng)
        sync = Detector(synchronized=True).reflected_power(problem, w, R)
        unsync = Detector(synchronized=False).reflected_power(problem, w, R)
        assert np.all(sync >= unsync)
        assert np.all(Detector(synchronized=True).detection_probability(problem, w, R) >= Detector(synchronized=False).detection_probability(problem, w, R))


def test_detector_p_fa_overrides_the_problem(rng, problem):
    w, R = random_design(problem, rng)
    loose = Detector(p_fa=0.1).detection_probability(problem, w, R)
    strict = Detector(p_fa=1e-6).detection_probability(problem, w, R)
    assert np.all(loose > strict)
    with pytest.raises(ValueError, match="p_fa"):
        Detector(p_fa=1.5)


# Designs whose pD spans the interesting range at these radar gains.
CASES = [
    # (seed, rank of R (None: full), synchronized, p_fa, mean 2E / sigma_d^2)
    (0, None, True, 1e-2, 6.0),
    (1, 1, False, 5e-2, 3.0),
    (2, 0, True, 1e-3, 12.0),
    (3, 2, False, 1e-2, 5.0),
]


@pytest.mark.parametrize("seed, rank, synchronized, p_fa, snr", CASES)
def test_closed_form_agrees_with_monte_carlo(seed, rank, synchronized, p_fa, snr):
    problem = small_problem(seed=seed, n_users_per_cell=1, n_tx=4)
    rng = np.random.default_rng(seed)
    w, R = random_design(problem, rng, rank=rank)
    detector = Detector(synchronized=synchronized)
    energy = detector.reflected_power(problem, w, R)
    # Scale the echo gains to the wanted 2E / sigma_d^2: pD strictly inside (0, 1).
    problem = problem.evolve(G=problem.G * snr * problem.sigma_d2 / (2 * energy.mean()), p_fa=p_fa)
    closed = detector.detection_probability(problem, w, R)
    assert np.all((closed > 0.05) & (closed < 0.999))
    result = detector.monte_carlo(problem, w, R, n_trials=20_000, rng=seed, confidence=0.999)
    assert np.all((result.p_d_interval[:, 0] <= closed) & (closed <= result.p_d_interval[:, 1])), (closed, result.p_d_interval)
    assert np.all((result.p_fa_interval[:, 0] <= p_fa) & (p_fa <= result.p_fa_interval[:, 1])), result.p_fa_interval


def test_monte_carlo_detects_a_wrong_closed_form():
    """The check can fail: a pD computed with half the power lies outside the interval."""
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=4)
    rng = np.random.default_rng(0)
    w, R = random_design(problem, rng)
    detector = Detector()
    energy = detector.reflected_power(problem, w, R)
    problem = problem.evolve(G=problem.G * 6 * problem.sigma_d2 / (2 * energy.mean()), p_fa=1e-2)
    wrong = Detector(synchronized=False).detection_probability(problem, w, R)  # fewer links: less power
    result = detector.monte_carlo(problem, w, R, n_trials=20_000, rng=1, confidence=0.999)
    assert np.any((wrong < result.p_d_interval[:, 0]) | (wrong > result.p_d_interval[:, 1]))


def test_wilson_interval_covers_and_is_ordered():
    low, high = wilson_interval(np.array([0, 5, 100]), 100, confidence=0.95)
    assert np.all(low <= high) and low[0] == pytest.approx(0.0, abs=1e-12) and high[2] == pytest.approx(1.0)
    assert low[1] < 0.05 < high[1]
