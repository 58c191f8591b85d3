"""The clutter-aware designer: the bisection's optimum, its certificate, and its limits."""
import attrs
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.clutter import ClutterEchoes, ClutterScene
from isacsim.clutter.scnr import clutter_statistics
from isacsim.designers import ClutterAwareDesigner, SDRDesigner
from isacsim.designers.clutter_aware import bisect_scnr, scnr_step_picos
from isacsim.errors import InputError
from isacsim.scenario import ScenarioConfig, realization_rng

CONFIG = ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2, sinr_target_db=10.0, kappa_r_db=-40.0)


@pytest.fixture(scope="module")
def case():
    problem = CONFIG.build(realization_rng(3, 0))
    echoes = ClutterEchoes.from_config(CONFIG, ClutterScene.patch(side=14.0, n_per_side=4, total_power=40.0))
    return problem, echoes


@pytest.mark.parametrize("receiver", [TypeII(), TypeI()])
@pytest.mark.parametrize("synchronized", [True, False])
def test_the_design_is_verified_certified_and_beats_the_clutter_blind_one(case, receiver, synchronized):
    problem, echoes = case
    detector = Detector(synchronized=synchronized, clutter=echoes)
    design = ClutterAwareDesigner().design(problem, receiver, detector)
    assert design.status == "optimal", design.reason
    achieved = clutter_statistics(problem, echoes, detector, design.w, design.R).scnr_bound.min()
    assert design.certificate.objective == pytest.approx(achieved, rel=1e-12)  # recomputed from the beams
    assert design.certificate.bound >= achieved and design.certificate.duality_gap <= 2e-7
    blind = SDRDesigner().design(problem, receiver, Detector(synchronized=synchronized))
    assert achieved >= clutter_statistics(problem, echoes, detector, blind.w, blind.R).scnr_bound.min() * (1 - 1e-9)
    assert np.all(np.abs(np.linalg.norm(design.w, axis=2)) > 0)


def test_the_optimum_is_the_boundary_of_the_feasible_ratios(case):
    """An independent look at tau*: the step program says tau* (1 - 1e-4) is achievable and tau* (1 + 1e-4) is not."""
    problem, echoes = case
    detector = Detector(clutter=echoes)
    optimum = ClutterAwareDesigner().design(problem, TypeII(), detector).certificate.objective
    step = scnr_step_picos(problem, TypeII(), detector)
    for factor, achievable in ((1 - 1e-4, True), (1 + 1e-4, False)):
        tau = optimum * factor
        assert (step(tau).value >= tau * problem.sigma_d2) is achievable


def test_plain_bisection_and_regula_falsi_agree(case):
    problem, echoes = case
    detector = Detector(clutter=echoes)
    step = scnr_step_picos(problem, TypeII(), detector)
    fast = bisect_scnr(problem, TypeII(), detector, step, update="illinois")
    plain = bisect_scnr(problem, TypeII(), detector, step, update="midpoint")
    assert fast.status == plain.status == "optimal"
    assert fast.low == pytest.approx(plain.low, rel=1e-6)
    assert len(fast.steps) < len(plain.steps)
    assert all(a.low <= b.low and a.high >= b.high for a, b in zip(fast.steps, fast.steps[1:]))  # the bracket only shrinks


def test_without_clutter_power_it_is_the_papers_design(case):
    problem, echoes = case
    silent = Detector(clutter=echoes.scaled(0.0))
    design = ClutterAwareDesigner().design(problem, TypeII(), silent)
    sdr = SDRDesigner().design(problem, TypeII(), Detector())
    assert design.certificate.objective == pytest.approx(sdr.certificate.objective / problem.sigma_d2, rel=1e-6)


def test_inputs_are_checked(case):
    problem, echoes = case
    with pytest.raises(InputError, match="detector.clutter"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector())
    with pytest.raises(InputError, match="information_echoes"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector(clutter=echoes, information_echoes=False))
    with pytest.raises(ValueError, match="update"):
        ClutterAwareDesigner(update="golden")
    other = ClutterEchoes.from_config(CONFIG.evolve(n_tx=6, n_rx=6), ClutterScene.patch(total_power=1.0))
    with pytest.raises(InputError, match="clutter: built for"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector(clutter=other))
