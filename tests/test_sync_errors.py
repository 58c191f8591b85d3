"""Partial synchronization: limits, the cubature, and the Monte Carlo."""
import numpy as np
import pytest
from scipy import integrate

from isacsim import Detector
from isacsim.errors import InputError
from isacsim.sync_errors import SyncErrors, mean_timing_factor

from conftest import detection_case, inside, simulated


def test_no_error_is_scenario_i_to_the_last_bit():
    _, problem, w, R = detection_case(seed=0)
    for aware in (True, False):
        errors = SyncErrors(phase_spread=0.0, timing_spread=0.0, aware=aware)
        np.testing.assert_allclose(Detector(sync_errors=errors).detection_probability(problem, w, R),
                                   Detector().detection_probability(problem, w, R), rtol=1e-14)


def test_full_phase_spread_makes_the_aware_detector_scenario_ii():
    """Uniform phases: the cross links' mean phasor is 0, they get no weight, and pD is eq. (29)."""
    _, problem, w, R = detection_case(seed=1)
    full = Detector(sync_errors=SyncErrors(phase_spread=1.0, timing_spread=0.4)).detection_probability(problem, w, R)
    np.testing.assert_allclose(full, Detector(synchronized=False).detection_probability(problem, w, R), rtol=1e-12)


def test_the_blind_detector_at_full_spread_is_the_documented_average():
    """Scenario I's statistic with uniform phases: pD = E[Q(Q^-1(pFA) - mu)], mu averaging the cross links' cosines."""
    _, problem, w, R = detection_case(seed=2)
    energies = Detector().link_energies(problem, w, R)  # (Q, L, L)
    total = energies.sum(axis=(1, 2))
    direct = np.einsum("qmm->q", energies)
    from isacsim.stats import q_function, q_inverse

    rng = np.random.default_rng(0)
    phi = rng.uniform(-np.pi, np.pi, size=(200_000, 3))  # plain Monte Carlo of the average
    expected = []
    for q in range(problem.n_points):
        cross = energies[q] * (1 - np.eye(3))
        mu = (direct[q] + np.einsum("ml,tml->t", cross, np.cos(phi[:, None, :] - phi[:, :, None]))) / np.sqrt(problem.sigma_d2 * total[q] / 2)
        expected.append(q_function(q_inverse(problem.p_fa) - mu).mean())
    blind = Detector(sync_errors=SyncErrors(phase_spread=1.0, aware=False)).detection_probability(problem, w, R)
    np.testing.assert_allclose(blind, expected, atol=2e-3)
    assert np.all(blind < Detector(synchronized=False).detection_probability(problem, w, R))  # cross links now cost


def test_mean_timing_factor_is_the_average_sinc():
    for t in (1e-6, 1e-3, 0.2, 0.7, 1.0):
        expected = integrate.dblquad(lambda a, b: np.sinc(a - b), -t / 2, t / 2, -t / 2, t / 2, epsabs=1e-13)[0] / t**2
        assert mean_timing_factor(t) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("phase, timing, aware", [(0.3, 0.0, True), (0.6, 0.0, False), (0.8, 0.0, True), (0.4, 0.5, True), (0.2, 0.9, False)])
def test_closed_form_agrees_with_monte_carlo(phase, timing, aware):
    _, problem, w, R = detection_case(seed=3, snr=12.0)
    detector = Detector(sync_errors=SyncErrors(phase_spread=phase, timing_spread=timing, aware=aware))
    # seed 12: with seed 11 one H0 count of an exactly N(0, 1) statistic fell 3.5 sigma out (1109 of 1e5 at 1e-2)
    law, thresholds, counts = simulated(detector, problem, w, R, np.array([1e-3, 1e-2, 0.1]), rng=12)
    assert law.error_estimate < 1e-5
    assert inside(counts.p_d_interval(0.999), law.p_detect(thresholds)), (law.p_detect(thresholds), counts.p_d)
    assert inside(counts.p_fa_interval(0.999), law.p_false_alarm(thresholds))


def test_the_check_can_fail():
    """Ignoring the errors (Scenario I's pD) lies outside the simulated interval at a moderate spread."""
    _, problem, w, R = detection_case(seed=3, snr=12.0)
    detector = Detector(sync_errors=SyncErrors(phase_spread=0.5))
    law, thresholds, counts = simulated(detector, problem, w, R, np.array([1e-2]), rng=11)
    low, high = counts.p_d_interval(0.999)
    assert np.all(Detector().detection_probability(problem.evolve(p_fa=1e-2), w, R) > high[:, 0])


def test_pd_falls_with_the_spread_and_the_aware_detector_is_never_worse_at_the_extremes():
    _, problem, w, R = detection_case(seed=4, snr=10.0)
    aware = [Detector(sync_errors=SyncErrors(phase_spread=s)).detection_probability(problem, w, R).min() for s in np.linspace(0, 1, 6)]
    blind = [Detector(sync_errors=SyncErrors(phase_spread=s, aware=False)).detection_probability(problem, w, R).min() for s in np.linspace(0, 1, 6)]
    assert np.all(np.diff(aware) < 0) and np.all(np.diff(blind) < 0)
    assert aware[0] == pytest.approx(blind[0]) and aware[-1] > blind[-1]


def test_inputs_are_checked():
    with pytest.raises(InputError, match="phase_spread"):
        SyncErrors(phase_spread=1.5)
    with pytest.raises(InputError, match="timing_spread"):
        SyncErrors(timing_spread=-0.1)
    with pytest.raises(InputError, match="sync_errors"):
        Detector(synchronized=False, sync_errors=SyncErrors(phase_spread=0.1))
    with pytest.raises(InputError, match="sync_errors"):
        Detector(target="swerling1", sync_errors=SyncErrors(phase_spread=0.1))
