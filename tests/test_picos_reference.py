"""The PICOS primal reference against closed forms, for every row type and both objectives.

One BS, one user, one sample point: each optimum is known in closed form,
so the reference model (which the solver paths are checked against) is
itself checked against something independent.
"""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.solvers.formulation import Formulation, budget_rows, echo_rows, max_min_reflected_power, min_total_power, sinr_rows
from isacsim.solvers.picos_model import solve_picos as solve_formulation
from isacsim.solvers.requirements import antenna_rows, floor_rows, robust_sinr_rows
from formulation_cases import random_problem


def solve_picos(problem, receiver, detector, *, power_weights=None, p_antenna=None, floors=None):
    """The reference on the formulation of these rows, built here from the row builders."""
    leakage = receiver.sensing_leakage
    sinr = sinr_rows(problem, leakage) if problem.csi_error_var is None else robust_sinr_rows(problem, leakage, problem.csi_error_var)
    rows = [sinr, budget_rows(problem)]
    if p_antenna is not None:
        rows.append(antenna_rows(problem, p_antenna))
    if floors is not None:
        rows.append(floor_rows(problem, detector.link_weights(problem), floors))
    if power_weights is None:
        rows.append(echo_rows(problem, detector.link_weights(problem)))
        objective = max_min_reflected_power()
    else:
        objective = min_total_power(problem, power_weights)
    return solve_formulation(Formulation(problem=problem, objective=objective, rows=tuple(rows)))


@pytest.fixture
def single():
    """L = K = Q = 1, Nt = 4."""
    return random_problem(1, 1, 4, 1, seed=5)


def test_least_power_for_the_sinr_alone_is_the_matched_filter(single):
    h = single.H[0, 0, 0]
    result = solve_picos(single, TypeII(), Detector(), power_weights=np.ones(1))
    assert result.status == "optimal"
    assert result.value == pytest.approx(single.gamma[0, 0] * single.sigma_c2 / np.vdot(h, h).real, rel=1e-6)


def test_least_power_under_csi_error_counts_the_error_in_the_gain(single):
    h, variance = single.H[0, 0, 0], 0.7
    robust = single.evolve(csi_error_var=np.full((1, 1, 1), variance))
    result = solve_picos(robust, TypeII(), Detector(), power_weights=np.ones(1))
    # min tr W s.t. tr((h h^H + s2 I) W) >= Gamma sigma: one beam along h
    assert result.value == pytest.approx(single.gamma[0, 0] * single.sigma_c2 / (np.vdot(h, h).real + variance), rel=1e-6)


def test_least_power_for_a_reflected_power_floor_beams_at_the_point(single):
    weak = single.evolve(gamma=np.full((1, 1), 1e-6))
    a = single.A[0, 0]
    gain = single.n_rx * single.G[0, 0, 0] * np.vdot(a, a).real  # E per watt along conj(a)
    floor = 0.4 * gain * single.p_max[0]
    result = solve_picos(weak, TypeI(), Detector(), power_weights=np.full(1, 2.0), floors=np.array([floor]))
    assert result.value == pytest.approx(2.0 * floor / gain, rel=1e-6)


def test_per_antenna_budgets_cap_the_echo_at_the_coherent_sum(single):
    weak = single.evolve(gamma=np.full((1, 1), 1e-6), p_max=np.full(1, 1e3))  # only the antennas bind
    p_antenna = np.array([[0.5, 1.0, 2.0, 0.25]])
    result = solve_picos(weak, TypeII(), Detector(), p_antenna=p_antenna)
    # max a^T X a* s.t. X_nn <= p_n: X = v v^H with |v_n| = sqrt(p_n), phases aligned with conj(a)
    best = single.n_rx * single.G[0, 0, 0] * np.sum(np.abs(single.A[0, 0]) * np.sqrt(p_antenna[0])) ** 2
    assert result.value == pytest.approx(best, rel=1e-6)


def test_an_unreachable_floor_is_infeasible(single):
    result = solve_picos(single, TypeII(), Detector(), power_weights=np.ones(1), floors=np.array([1e6]))
    assert result.status == "infeasible"
