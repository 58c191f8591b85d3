"""Shared fixtures: small seeded networks and random designs."""
import numpy as np
import pytest

from isacsim.testing import small_problem


def random_design(problem, rng, rank=None):
    """Random beams w (L, K, Nt) and PSD R (L, Nt, Nt) of a given rank, scaled to ~p_max.

    rank=None draws full-rank R; rank=0 gives R = 0.
    """
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    rank = Nt if rank is None else rank
    w = (rng.standard_normal((L, K, Nt)) + 1j * rng.standard_normal((L, K, Nt))) * np.sqrt(problem.p_max.max() / (4 * K * Nt))
    B = (rng.standard_normal((L, Nt, rank)) + 1j * rng.standard_normal((L, Nt, rank))) * np.sqrt(problem.p_max.max() / (4 * Nt * max(rank, 1)))
    R = B @ np.conj(np.swapaxes(B, 1, 2))
    return w, R


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def problem():
    """L = 3, K = 2, Nt = 8, Q = 4, Gamma = 5 dB."""
    return small_problem(seed=0, n_users_per_cell=2, n_tx=8)


def detection_case(seed=0, snr=8.0, p_fa=1e-2, rank=2, n_tx=4, n_users_per_cell=1, points_per_side=2):
    """A small problem (L = 3) and a random design whose mean 2E / sigma_d^2 (Scenario I) is ``snr``.

    Returns (config, problem, w, R); ``config`` builds the problem's network and grid.
    """
    from isacsim import Detector
    from isacsim.scenario import ScenarioConfig, realization_rng

    config = ScenarioConfig(n_users_per_cell=n_users_per_cell, n_tx=n_tx, n_rx=n_tx, points_per_side=points_per_side)
    problem = config.build(realization_rng(seed, 0))
    w, R = random_design(problem, np.random.default_rng(seed), rank=rank)
    energy = Detector().reflected_power(problem, w, R)
    problem = problem.evolve(G=problem.G * snr * problem.sigma_d2 / (2 * energy.mean()), p_fa=p_fa)
    return config, problem, w, R


def inside(interval, values):
    """Whether every value lies in its (lower, upper) interval."""
    low, high = interval
    return bool(np.all((low <= values) & (values <= high)))


def simulated(detector, problem, w, R, p_fa, rng, n_trials=100_000):
    """The detector's law, its thresholds at ``p_fa`` (a sequence) and the Monte Carlo counts there.

    Returns (law, thresholds (Q, n), ExceedanceCounts).
    """
    from isacsim.detector_mc import simulate_statistics

    law = detector.statistic_law(problem, w, R)
    thresholds = law.threshold(np.asarray(p_fa, dtype=float))
    return law, thresholds, simulate_statistics(detector, problem, w, R, thresholds, n_trials=n_trials, rng=rng)
