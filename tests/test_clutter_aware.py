"""The clutter-aware designer: its bisection against a PICOS reference, its certificate, and its limits."""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.clutter import ClutterEchoes, ClutterScene
from isacsim.clutter.scnr import clutter_statistics
from isacsim.designers import ClutterAwareDesigner, SDRDesigner
from isacsim.designers.clutter_aware import bisect_scnr, scnr_step
from isacsim.errors import InputError
from isacsim.scenario import ScenarioConfig, realization_rng

CONFIG = ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2, sinr_target_db=10.0, kappa_r_db=-40.0)


@pytest.fixture(scope="module")
def case():
    problem = CONFIG.build(realization_rng(3, 0))
    echoes = ClutterEchoes.from_config(CONFIG, ClutterScene.patch(side=14.0, n_per_side=4, total_power=40.0))
    return problem, echoes


@pytest.mark.parametrize("receiver", [TypeII(), TypeI()], ids=["type-ii", "type-i"])
@pytest.mark.parametrize("synchronized", [True, False], ids=["sync", "unsync"])
def test_the_structured_bisection_agrees_with_the_picos_reference(case, receiver, synchronized):
    """The same bisection with PICOS steps (the primal model restated from the equations): 1e-6."""
    problem, echoes = case
    detector = Detector(synchronized=synchronized, clutter=echoes)
    structured = bisect_scnr(problem, receiver, detector, scnr_step(problem, receiver, detector, "structured"))
    reference = bisect_scnr(problem, receiver, detector, scnr_step(problem, receiver, detector, "picos:cvxopt"))
    assert structured.status == reference.status == "optimal"
    assert structured.low == pytest.approx(reference.low, rel=1e-6)
    assert all(step.certified for step in structured.steps)  # every step's bound is a certified dual bound
    assert all(a.low <= b.low and a.high >= b.high for a, b in zip(structured.steps, structured.steps[1:]))  # the bracket only shrinks


@pytest.mark.parametrize("receiver", [TypeII(), TypeI()], ids=["type-ii", "type-i"])
def test_the_design_is_verified_certified_and_beats_the_clutter_blind_one(case, receiver):
    problem, echoes = case
    detector = Detector(clutter=echoes)
    design = ClutterAwareDesigner().design(problem, receiver, detector)
    assert design.status == "optimal", design.reason
    achieved = clutter_statistics(problem, echoes, detector, design.w, design.R).scnr_bound.min()
    assert design.certificate.objective == pytest.approx(achieved, rel=1e-12)  # recomputed from the beams
    assert design.certificate.bound >= achieved and design.certificate.duality_gap <= 2e-7
    blind = SDRDesigner().design(problem, receiver, Detector())
    assert achieved > clutter_statistics(problem, echoes, detector, blind.w, blind.R).scnr_bound.min() * 1.01


def test_the_optimum_is_the_boundary_of_the_achievable_ratios(case):
    """An independent look at tau*: the reference step says tau* (1 - 1e-4) is achievable and tau* (1 + 1e-4) is not."""
    problem, echoes = case
    detector = Detector(clutter=echoes)
    optimum = ClutterAwareDesigner().design(problem, TypeII(), detector).certificate.objective
    step = scnr_step(problem, TypeII(), detector, "picos:cvxopt")
    for factor, achievable in ((1 - 1e-4, True), (1 + 1e-4, False)):
        assert (step(optimum * factor).value >= 0.0) is achievable


def test_plain_bisection_agrees_and_takes_more_steps(case):
    problem, echoes = case
    detector = Detector(clutter=echoes)
    step = scnr_step(problem, TypeII(), detector)
    fast = bisect_scnr(problem, TypeII(), detector, step)
    plain = bisect_scnr(problem, TypeII(), detector, step, update="midpoint")
    assert fast.status == plain.status == "optimal"
    assert fast.low == pytest.approx(plain.low, rel=1e-7)
    assert len(fast.steps) < len(plain.steps)


def test_without_clutter_power_it_is_the_papers_design(case):
    problem, echoes = case
    design = ClutterAwareDesigner().design(problem, TypeII(), Detector(clutter=echoes.scaled(0.0)))
    sdr = SDRDesigner().design(problem, TypeII(), Detector())
    assert design.certificate.objective == pytest.approx(sdr.certificate.objective / problem.sigma_d2, rel=1e-6)
    assert design.certificate.iterations <= 2


def test_inputs_are_checked(case):
    problem, echoes = case
    with pytest.raises(InputError, match="detector.clutter"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector())
    with pytest.raises(InputError, match="information_echoes"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector(clutter=echoes, information_echoes=False))
    with pytest.raises(ValueError, match="update"):
        ClutterAwareDesigner(update="golden")
    with pytest.raises(InputError, match="solver"):
        ClutterAwareDesigner(solver="nope").design(problem, TypeII(), Detector(clutter=echoes))
    other = ClutterEchoes.from_config(CONFIG.evolve(n_tx=6, n_rx=6), ClutterScene.patch(total_power=1.0))
    with pytest.raises(InputError, match="clutter: built for"):
        ClutterAwareDesigner().design(problem, TypeII(), Detector(clutter=other))


def test_unreachable_sinr_targets_are_an_infeasible_result_naming_the_users(case):
    problem, echoes = case
    design = ClutterAwareDesigner().design(problem.evolve(gamma=problem.gamma * 1e6), TypeII(), Detector(clutter=echoes))
    assert design.status == "infeasible" and "cell 0 user 0" in design.reason
    assert not np.any(design.w)
