"""Fluctuating targets: the LRTs' closed forms against three independent simulations."""
import attrs
import numpy as np
import pytest

from isacsim import Detector, TypeII
from isacsim.detection import detection_probability
from isacsim.designers import SDRDesigner
from isacsim.errors import InputError
from isacsim.framesim import simulate_frames
from isacsim.fluctuation import TARGET_MODELS

from conftest import detection_case, inside, simulated

P_FA = np.array([1e-3, 1e-2, 0.1])


def test_the_default_is_the_papers_detector_to_the_last_bit(rng, problem):
    from conftest import random_design

    w, R = random_design(problem, rng)
    energy = Detector().reflected_power(problem, w, R)
    paper = detection_probability(energy, problem.sigma_d2, problem.p_fa)
    assert Detector().target == "deterministic"
    np.testing.assert_array_equal(Detector().detection_probability(problem, w, R), paper)
    np.testing.assert_array_equal(Detector(target="deterministic").detection_probability(problem, w, R), paper)
    law = Detector().statistic_law(problem, w, R)
    np.testing.assert_allclose(law.p_detect(law.threshold(problem.p_fa)), paper, rtol=1e-13)


@pytest.mark.parametrize("synchronized", [True, False])
def test_swerling1_is_pfa_to_the_power_one_over_one_plus_snr(synchronized):
    _, problem, w, R = detection_case(seed=1)
    energy = Detector(synchronized=synchronized).reflected_power(problem, w, R)
    expected = problem.p_fa ** (1.0 / (1.0 + energy / problem.sigma_d2))
    np.testing.assert_allclose(Detector(synchronized=synchronized, target="swerling1").detection_probability(problem, w, R), expected, rtol=1e-13)


def test_one_link_with_echo_makes_both_swerling_models_equal():
    _, problem, w, R = detection_case(seed=2)
    G = np.zeros_like(problem.G)
    G[:, 1, 2] = problem.G[:, 1, 2] * 9  # only the cross link 2 -> q -> 1 echoes
    problem = problem.evolve(G=G)
    common = Detector(target="swerling1").detection_probability(problem, w, R)
    links = Detector(target="swerling1-links").detection_probability(problem, w, R)
    np.testing.assert_allclose(links, common, rtol=1e-10)
    assert np.all(common > 0.1)


def test_per_link_diversity_pays_only_at_high_snr():
    """The textbook ordering: a fluctuating target costs pD, and spreading it over links wins back at high SNR."""
    _, low, w, R = detection_case(seed=3, snr=6.0, p_fa=1e-3)
    _, high, _, _ = detection_case(seed=3, snr=60.0, p_fa=1e-3)
    pd = {(name, t): Detector(target=t).detection_probability(problem, w, R).min()
          for name, problem in (("low", low), ("high", high)) for t in TARGET_MODELS}
    assert pd["low", "deterministic"] > pd["low", "swerling1"] > pd["low", "swerling1-links"]
    assert pd["high", "deterministic"] > pd["high", "swerling1-links"] > pd["high", "swerling1"]


@pytest.mark.parametrize("target", TARGET_MODELS)
@pytest.mark.parametrize("synchronized", [True, False])
def test_closed_forms_agree_with_the_sufficient_statistics_monte_carlo(target, synchronized):
    _, problem, w, R = detection_case(seed=4, snr=10.0)
    detector = Detector(synchronized=synchronized, target=target)
    law, thresholds, counts = simulated(detector, problem, w, R, P_FA, rng=7)
    p_d = law.p_detect(thresholds)
    assert np.all(p_d[:, -1] > 0.2) and np.all(p_d < 0.99)  # in the range where the check has power
    assert inside(counts.p_d_interval(0.999), p_d), (p_d, counts.p_d)
    assert inside(counts.p_fa_interval(0.999), law.p_false_alarm(thresholds))
    np.testing.assert_allclose(law.p_false_alarm(thresholds), np.broadcast_to(P_FA, thresholds.shape), rtol=1e-9)


@pytest.mark.parametrize("target", TARGET_MODELS)
@pytest.mark.parametrize("synchronized", [True, False])
def test_closed_forms_agree_with_the_monte_carlo_of_eq_14(target, synchronized):
    """The stacked observation d of eq. (14) in its full dimension, statistic computed from d."""
    _, problem, w, R = detection_case(seed=5, snr=10.0)
    detector = Detector(synchronized=synchronized, target=target)
    law = detector.statistic_law(problem, w, R)
    thresholds = law.threshold(problem.p_fa) if target == "swerling1-links" else None
    result = detector.monte_carlo(problem, w, R, n_trials=20_000, rng=8, confidence=0.999, thresholds=thresholds)
    closed = detector.detection_probability(problem, w, R)
    assert inside(result.p_d_interval.T, closed), (closed, result.p_d)
    assert inside(result.p_fa_interval.T, np.full(problem.n_points, problem.p_fa))


@pytest.mark.parametrize("target", ["swerling1", "swerling1-links"])
@pytest.mark.parametrize("synchronized", [True, False])
def test_closed_forms_agree_with_the_frame_level_simulation(target, synchronized):
    """Frames of N = 2^20 Gaussian symbols (finite-N effects ~1e-3) carry the fluctuating echo."""
    problem = detection_case(seed=6)[1]
    design = SDRDesigner().design(problem, TypeII(), Detector(synchronized=synchronized))
    energy = design.detector.reflected_power(problem, design.w, design.R)
    problem = problem.evolve(G=problem.G * 12 * problem.sigma_d2 / (2 * energy.mean()))
    design = attrs.evolve(design, detector=Detector(synchronized=synchronized, target=target))
    result = simulate_frames(problem, design, n_symbols=2**20, n_trials=40_000, seed=9, calibration_trials=0, receivers=[TypeII()])
    assert result.target == target
    np.testing.assert_allclose(result.p_d_closed, design.detector.detection_probability(problem, design.w, design.R))
    assert inside(result.p_d_interval("asymptotic", 0.999), result.p_d_closed), (result.p_d_closed, result.p_d())
    assert inside(result.p_fa_interval("asymptotic", 0.999), np.full(problem.n_points, problem.p_fa))


def test_the_checks_can_fail():
    """The per-link law in place of the common one lies outside the simulated intervals."""
    _, problem, w, R = detection_case(seed=4, snr=10.0)
    common = Detector(target="swerling1")
    law, thresholds, counts = simulated(common, problem, w, R, P_FA, rng=7)
    wrong = Detector(target="swerling1-links").detection_probability(problem, w, R)
    low, high = counts.p_d_interval(0.999)
    assert np.all((wrong < low[:, 1]) | (wrong > high[:, 1]))


def test_unknown_target_is_refused_naming_the_choices():
    with pytest.raises(InputError, match="target: expected one of deterministic, swerling1, swerling1-links"):
        Detector(target="swerling2")
