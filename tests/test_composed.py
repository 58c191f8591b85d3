"""Composed optimal designers: a program of one's own from the family, certified by the structured solver."""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import PowerMinDesigner, SDRDesigner
from isacsim.designers.verify import row_values
from isacsim.solvers.formulation import RowSet, budget_rows
from isacsim.solvers.requirements import antenna_rows, floor_rows, robust_sinr_rows
from isacsim.testing import small_problem

from reference import antenna_powers_loop, expected_sinr, reflected_power_eq20


class CappedSDR(SDRDesigner):
    """The paper's SDR with every power amplifier rated for an equal share of its BS's budget (the README's example)."""

    name = "sdr-capped"

    def rows(self, problem, receiver, detector):
        cap = np.repeat(problem.p_max[:, None] / problem.n_tx, problem.n_tx, axis=1)
        return super().rows(problem, receiver, detector) + (antenna_rows(problem, cap),)


def network_budget(problem, total):
    """A row kind of one's own: the whole network radiates at most ``total`` W, ``-sum_l tr X_l >= -total``."""
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    return RowSet(
        kind="network", labels=[("network",)], rhs=np.array([-total]), scale=np.ones(1), t=np.zeros(1),
        atoms=np.zeros((L, 0, Nt), complex), atom_rows=np.zeros((L, 0), int), beam=np.zeros((L, K, 0)),
        sensing=np.zeros((L, 0)), beam_identity=-np.ones((1, L, K)), sensing_identity=-np.ones((1, L)),
    )


class NetworkBudgetSDR(SDRDesigner):
    """The paper's SDR under a network-wide budget of half the sum of the BSs' budgets."""

    name = "sdr-network-budget"

    def rows(self, problem, receiver, detector):
        return super().rows(problem, receiver, detector) + (network_budget(problem, 0.5 * problem.p_max.sum()),)


@pytest.mark.parametrize("receiver", [TypeI(), TypeII()], ids=lambda r: r.name)
def test_the_capped_sdr_meets_its_caps_and_agrees_with_the_picos_primal(receiver):
    problem = small_problem(seed=3, n_users_per_cell=1, n_tx=6)
    design = CappedSDR().design(problem, receiver, Detector())
    reference = CappedSDR(solver="picos:cvxopt").design(problem, receiver, Detector())
    plain = SDRDesigner().design(problem, receiver, Detector())
    assert design.status == reference.status == plain.status == "optimal"
    cap = problem.p_max[:, None] / problem.n_tx
    assert np.all(antenna_powers_loop(design.w, design.R) <= cap * (1 + 1e-6))
    assert design.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-6)
    assert design.certificate.objective <= plain.certificate.objective * (1 + 1e-9)
    assert design.certificate.max_antenna_violation <= 1e-6  # the designer's own caps (the problem has none)


def test_a_row_kind_of_ones_own_is_solved_certified_and_verified_from_its_data():
    problem = small_problem(seed=1, n_users_per_cell=2, n_tx=6)
    design = NetworkBudgetSDR().design(problem, TypeII(), Detector())
    reference = NetworkBudgetSDR(solver="picos:cvxopt").design(problem, TypeII(), Detector())
    assert design.status == reference.status == "optimal"
    total = np.sum(np.abs(design.w) ** 2) + np.trace(design.R, axis1=1, axis2=2).real.sum()
    assert total <= 0.5 * problem.p_max.sum() * (1 + 1e-6)
    assert design.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-6)


def test_a_broken_row_of_ones_own_is_caught_by_verification(monkeypatch):
    """Beams with 1.8x the power break the network budget: verification finds it from the row's own data."""
    import isacsim.designers.base as base

    real = base.rank_one_beams
    monkeypatch.setattr(base, "rank_one_beams", lambda problem, W, R: (real(problem, W, R)[0] * np.sqrt(1.8), real(problem, W, R)[1] * 1.8))
    monkeypatch.setattr(base, "repair_design", lambda problem, receiver, detector, w, R, limits: (w, R))  # no repair
    design = NetworkBudgetSDR().design(small_problem(seed=1, n_users_per_cell=2, n_tx=6), TypeII(), Detector())
    assert design.status == "error" and "other rows 8.00e-01" in design.reason


def test_row_values_agree_with_the_models_own_functions():
    """The generic evaluation used for rows of one's own, on built-in kinds, against the equations."""
    rng = np.random.default_rng(0)
    problem = small_problem(seed=2, n_users_per_cell=2, n_tx=5).evolve(csi_error_var=np.full((3, 3, 2), 1e-12))
    w = (rng.standard_normal((3, 2, 5)) + 1j * rng.standard_normal((3, 2, 5))) * 0.3
    B = rng.standard_normal((3, 5, 2)) + 1j * rng.standard_normal((3, 5, 2))
    R = B @ np.conj(np.swapaxes(B, 1, 2)) * 0.1

    s2 = problem.csi_error_var
    signal = np.array([np.abs(np.vdot(problem.H[m, m, k], w[m, k])) ** 2 + s2[m, m, k] * np.vdot(w[m, k], w[m, k]).real
                       for m in range(3) for k in range(2)])  # expected own signal power
    for leakage in (0.0, 1.0):
        # a row reads signal / gamma - interference >= sigma_c^2, and SINR = signal / (interference + sigma_c^2)
        interference = signal / expected_sinr(problem, w, R, leakage).ravel() - problem.sigma_c2
        lhs = row_values(robust_sinr_rows(problem, leakage, s2), w, R)
        np.testing.assert_allclose(lhs, signal / problem.gamma.ravel() - interference, rtol=1e-9)
    np.testing.assert_allclose(row_values(antenna_rows(problem, np.ones((3, 5))), w, R), -antenna_powers_loop(w, R).ravel(), rtol=1e-12)
    np.testing.assert_allclose(row_values(budget_rows(problem), w, R), -antenna_powers_loop(w, R).sum(axis=1), rtol=1e-12)
    floors = floor_rows(problem, Detector().link_weights(problem), np.ones(problem.n_points))
    np.testing.assert_allclose(row_values(floors, w, R), reflected_power_eq20(problem, w, R, True), rtol=1e-9)


def test_a_new_objective_weight_is_a_parameter():
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    problem = problem.evolve(pd_target=0.6, p_max=problem.p_max * 20)
    plain = PowerMinDesigner().design(problem, TypeII(), Detector())
    weighted = PowerMinDesigner(weights=(5.0, 1.0, 1.0)).design(problem, TypeII(), Detector())
    assert plain.status == weighted.status == "optimal"
    assert weighted.certificate.objective_kind == "min-power"
    assert weighted.certificate.objective == pytest.approx(np.array([5.0, 1.0, 1.0]) @ weighted.evaluate(problem).tx_power_w, rel=1e-9)
    assert weighted.evaluate(problem).tx_power_w[0] < plain.evaluate(problem).tx_power_w[0]  # BS 0's watts cost more


def test_the_documented_examples_run():
    """docs/formulations.md: the composed designers and the row of one's own, run as printed."""
    import pathlib
    import re

    page = pathlib.Path(__file__).resolve().parents[1] / "docs" / "formulations.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) == 2 and all(len(block.strip().splitlines()) < 30 for block in blocks)
    namespace = {}
    for block in blocks:
        exec(compile(block, "formulations.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["design"].status == "optimal"
    problem = namespace["problem"]
    assert namespace["network_budget"](problem, 10.0).n_rows == 1


def test_the_readme_composed_designer_runs_in_under_30_lines():
    import pathlib
    import re

    readme = pathlib.Path(__file__).resolve().parents[1] / "README.md"
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme.read_text(), flags=re.S) if "class CappedSDR" in b)
    assert len(block.strip().splitlines()) < 30
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["design"].status == "optimal"
