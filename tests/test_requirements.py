"""The problem's optional requirements: detection targets as reflected-power floors, CSI error in expectation."""
import numpy as np
import pytest

from isacsim.detection import Detector, detection_probability, reflected_power_floor
from isacsim.receivers import TypeI, received_powers, sensing_interference_by_bs
from isacsim.testing import small_problem


@pytest.mark.parametrize("p_fa", [1e-6, 1e-3, 0.2])
def test_the_floor_is_the_least_power_that_reaches_the_target(p_fa):
    sigma_d2 = 3e-13
    targets = np.array([0.5, 0.9, 0.99, 0.999999])
    floors = reflected_power_floor(targets, sigma_d2, p_fa)
    # eqs. (26)/(29) at the floor give the target back, and any less power falls short
    np.testing.assert_allclose(detection_probability(floors, sigma_d2, p_fa), np.maximum(targets, p_fa), rtol=1e-10)
    assert np.all(detection_probability(floors * (1 - 1e-6), sigma_d2, p_fa) < targets)


def test_a_target_at_or_below_the_false_alarm_rate_needs_no_power():
    # p_D(E = 0) = p_FA already: a target that asks no more than chance has floor 0
    floors = reflected_power_floor(np.array([1e-4, 1e-3, 1e-3 + 1e-9]), 1.0, 1e-3)
    assert floors[0] == 0.0 and floors[1] == 0.0 and 0.0 < floors[2] < 1e-12


def test_the_detector_uses_its_own_false_alarm_rate():
    problem = small_problem(seed=0).evolve(pd_target=0.9)
    assert Detector().reflected_power_floors(small_problem(seed=0)) is None
    default, strict = Detector().reflected_power_floors(problem), Detector(p_fa=1e-6).reflected_power_floors(problem)
    assert default.shape == (problem.n_points,) and np.all(strict > default)
    np.testing.assert_allclose(detection_probability(strict, problem.sigma_d2, 1e-6), 0.9, rtol=1e-12)


def test_received_powers_are_expectations_over_the_csi_error():
    """Monte Carlo over the error of H: the mean received powers lie within their 5-sigma intervals."""
    rng = np.random.default_rng(3)
    problem = small_problem(seed=1, n_users_per_cell=2, n_tx=4)
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    variance = rng.uniform(0.2, 2.0, (L, L, K)) * np.mean(np.abs(problem.H) ** 2)
    robust = problem.evolve(csi_error_var=variance)
    w = rng.standard_normal((L, K, Nt)) + 1j * rng.standard_normal((L, K, Nt))
    B = rng.standard_normal((L, Nt, 2)) + 1j * rng.standard_normal((L, Nt, 2))
    R = B @ np.conj(np.swapaxes(B, 1, 2))
    n = 20000
    error = (rng.standard_normal((n, L, L, K, Nt)) + 1j * rng.standard_normal((n, L, L, K, Nt))) * np.sqrt(variance / 2)[None, ..., None]
    H = problem.H[None] + error
    beams = np.abs(np.einsum("slmkn,lin->slimk", H.conj(), w)) ** 2
    sensing = np.einsum("slmkn,lnp,slmkp->slmk", H.conj(), R, H).real
    cases = (
        (beams, received_powers(robust, w), received_powers(problem, w)),
        (sensing, sensing_interference_by_bs(robust, R), sensing_interference_by_bs(problem, R)),
    )
    for draws, expected, nominal in cases:
        mean, spread = draws.mean(axis=0), draws.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(mean - expected) <= 5 * spread)
        assert np.max(np.abs(mean - nominal) / spread) > 20  # the test tells the expectation from the estimate's power
    # the SINR is the ratio of the expectations; a zero error variance changes nothing
    np.testing.assert_array_equal(TypeI().sinr(problem.evolve(csi_error_var=np.zeros((L, L, K))), w, R), TypeI().sinr(problem, w, R))
