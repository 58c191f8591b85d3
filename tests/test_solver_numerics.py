"""Numerics of the structured solver at the edges of the input range."""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.solvers.formulation import Formulation, budget_rows, echo_rows, max_min_reflected_power
from isacsim.testing import small_problem


# --------------------------------------------------------- extreme inputs
def _without_sinr_rows_optimum(problem, receiver):
    """The relaxation's optimum with the SINR rows left out, by the PICOS primal model (CVXOPT)."""
    from isacsim.solvers.picos_model import solve_picos

    detector = Detector()
    rows = (echo_rows(problem, detector.link_weights(problem), detector.information_echoes), budget_rows(problem))
    result = solve_picos(Formulation(problem=problem, objective=max_min_reflected_power(), rows=rows), solver="cvxopt")
    assert result.status == "optimal"
    return result.value


@pytest.mark.parametrize("gamma", [1e-10, 1e-20, 1e-300])
@pytest.mark.parametrize("receiver", [TypeI(), TypeII()], ids=["type-i", "type-ii"])
def test_vanishing_sinr_targets_are_inactive_rows_not_errors(gamma, receiver):
    """Targets of -100 dB, -200 dB and 1e-300: optimal, at the optimum without SINR rows."""
    pytest.importorskip("picos")
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=8)
    problem = problem.evolve(gamma=np.full_like(problem.gamma, gamma))
    reference = _without_sinr_rows_optimum(problem, receiver)
    design = SDRDesigner().design(problem, receiver, Detector())
    assert design.status == "optimal", design.reason
    assert design.certificate.objective == pytest.approx(reference, rel=1e-6)
    assert design.certificate.bound >= reference * (1 - 1e-7)
    for designer in (ZFDesigner(), SensingOnlyDesigner()):
        other = designer.design(problem, receiver, Detector())
        assert other.status == "optimal", (designer.name, other.reason)
        assert other.certificate.objective <= reference * (1 + 1e-7)  # a restriction of the same program


@pytest.mark.parametrize("designer", [SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()], ids=lambda d: d.name)
def test_huge_noise_power_is_infeasible_with_the_users_named(designer):
    """A noise power of 1e300 W: no power meets any target (a Farkas certificate), not an error."""
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=8).evolve(sigma_c2=1e300)
    design = designer.design(problem, TypeII(), Detector())
    assert design.status == "infeasible", design.reason
    assert "cell 0 user 0" in design.reason


# ------------------------------------------------- the feasibility threshold
@pytest.mark.parametrize(
    "designer, receiver, n_users",
    [(SDRDesigner(), TypeII(), 1), (ZFDesigner(), TypeI(), 1)],
    ids=["sdr-type-ii", "zf-type-i"],
)
def test_designs_next_to_the_feasibility_threshold_are_decided(designer, receiver, n_users):
    """Within 1e-6 of the threshold of the SINR targets (found independently by an SOCP bisection): decided, never
    inaccurate or an error: optimal, feasible (verified, optimality not claimed where the solver stalls) or
    infeasible; a design below it. A design meets every constraint within the tolerance; an optimal one reaches its
    certified bound within the solver's accuracy (its optimality gap reported) and never passes it. (A feasible one may pass the bound: next to the threshold the optimum
    moves like the square root of the targets' distance to it, so a miss within the tolerance is worth more.)"""
    pytest.importorskip("picos")
    from isacsim.designers.verify import TOLERANCE, check_design
    from isacsim.scenario import ScenarioConfig, realization_rng

    from reference import sinr_threshold

    config = ScenarioConfig(n_users_per_cell=n_users, n_tx=8, n_rx=8, points_per_side=2, sinr_target_db=10.0)
    problem = config.build(realization_rng(100, 0 if designer.name == "sdr" else 3))
    threshold = sinr_threshold(problem, designer.directions(problem) if designer.name == "zf" else None)
    for delta in (-1e-6, -1e-7, -1e-8, 0.0, 1e-8, 1e-7, 1e-6):
        near = problem.evolve(gamma=problem.gamma * threshold * (1 + delta))
        design = designer.design(near, receiver, Detector())
        assert design.status in ("optimal", "feasible", "infeasible"), (delta, design.reason)
        if delta <= -1e-7:
            assert design.status in ("optimal", "feasible"), (delta, design.reason)
        if design.status != "infeasible":
            check = check_design(near, receiver, Detector(), design.w, design.R)
            assert check.worst <= TOLERANCE
        if design.status == "optimal":  # a valid bound, reached within the solver's accuracy, the gap reported as it is
            bound = design.certificate.bound
            assert (1 - 1e-4) * bound <= check.objective <= (1 + 1e-6) * bound
            assert design.certificate.optimality_gap == pytest.approx((bound - check.objective) / bound, rel=1e-6, abs=1e-12)
