"""Statuses come from certificates and recomputed constraints, on extreme but valid problems too.

Each expected status is established independently of the solver: by a closed
form that proves infeasibility, or by a design of another receiver type that
proves feasibility.
"""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII, cli
from isacsim.designers import SDRDesigner
from isacsim.designers import base as designer_base
from isacsim.designers.verify import check_design
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.testing import TOLERANCE, small_problem

RECEIVERS = (TypeI(), TypeII())


def _assert_verified(problem, receiver, design):
    """Recompute every constraint from the returned beams."""
    sinr = receiver.sinr(problem, design.w, design.R)
    assert np.all(np.isfinite(sinr)) and np.all(sinr >= problem.gamma * (1 - TOLERANCE))
    power = np.einsum("lkn,lkn->l", design.w.conj(), design.w).real + np.einsum("lnn->l", design.R).real
    assert np.all(power <= problem.p_max * (1 + TOLERANCE))


def test_a_nan_sinr_never_counts_as_a_met_constraint():
    problem = small_problem(seed=0)
    w = np.full((problem.n_bs, problem.n_users_per_cell, problem.n_tx), np.nan, dtype=complex)
    R = np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex)
    check = check_design(problem, TypeII(), Detector(), w, R)
    assert not check.finite and check.sinr_violation == np.inf and check.worst == np.inf


def test_a_design_with_non_finite_beams_is_an_error_never_optimal(monkeypatch):
    real = designer_base.rank_one_beams

    def poisoned(problem, W, R):
        w, R = real(problem, W, R)
        w = w.copy()
        w[0, 0, 0] = np.nan
        return w, R

    monkeypatch.setattr(designer_base, "rank_one_beams", poisoned)
    design = SDRDesigner().design(small_problem(seed=0), TypeII(), Detector())
    assert design.status == "error" and "not finite" in design.reason


@pytest.mark.parametrize("scale", [1e150, 1e200])
def test_channels_whose_powers_overflow_are_refused_naming_h(scale, tmp_path, capsys):
    problem = small_problem(seed=1)
    fields = {name: getattr(problem, name) for name in ("A", "G", "gamma", "p_max", "sigma_c2", "sigma_d2", "n_rx", "p_fa")}
    np.savez(tmp_path / "huge.npz", H=problem.H * scale, **fields)
    assert cli.main(["solve", str(tmp_path / "huge.npz"), "--receiver", "type-i"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "H, p_max, sigma_c2:" in err[0] and "double precision" in err[0]


@pytest.mark.parametrize("receiver", RECEIVERS, ids=lambda r: r.name)
def test_identical_channels_are_infeasible(receiver):
    # Every user sees every beam through the same channel, so with n = L K
    # users the targets need gamma (n - 1) < 1 (sum the n SINR constraints);
    # at 5 dB and n = 6 that fails: provably infeasible.
    problem = small_problem(seed=0, n_users_per_cell=2, sinr_target_db=5.0)
    assert problem.gamma.max() * (problem.gamma.size - 1) > 1
    ones = problem.evolve(H=np.ones_like(problem.H))
    assert SDRDesigner().design(ones, receiver, Detector()).status == "infeasible"


@pytest.mark.parametrize("receiver", RECEIVERS, ids=lambda r: r.name)
def test_faint_channels_with_unreachable_targets_are_infeasible(receiver):
    problem = small_problem(seed=2, n_users_per_cell=1)
    faint = problem.evolve(H=problem.H * 1e-10)
    # Upper bound on any user's SINR: every BS's whole budget on that user,
    # coherently, and no interference: (sum_l sqrt(P_l) |h_lk|)^2 / sigma_c^2.
    gains = np.linalg.norm(faint.H, axis=3)  # (L, L, K): BS l to user k of cell m
    best = (np.sqrt(faint.p_max)[:, None, None] * gains).sum(axis=0) ** 2 / faint.sigma_c2
    assert np.all(best < faint.gamma)
    assert SDRDesigner().design(faint, receiver, Detector()).status == "infeasible"


@pytest.mark.parametrize("config", [dict(n_users_per_cell=2, n_tx=8, n_rx=8, points_per_side=2), dict(n_users_per_cell=1)],
                         ids=["small", "paper-size"])
def test_a_tiny_user_noise_is_feasible_for_type_ii_when_type_i_is(config):
    problem = ScenarioConfig(**config).build(realization_rng(1, 0)).evolve(sigma_c2=1e-20)
    type_i = SDRDesigner().design(problem, TypeI(), Detector())
    assert type_i.status == "optimal"
    _assert_verified(problem, TypeII(), type_i)  # a Type-II receiver cancels more: feasible
    type_ii = SDRDesigner().design(problem, TypeII(), Detector())
    assert type_ii.status == "optimal", type_ii.reason
    _assert_verified(problem, TypeII(), type_ii)
    assert type_ii.certificate.objective >= type_i.certificate.objective * (1 - 1e-9)  # Type-II never worse
    # The noise is already negligible at 1e-16 W, where CVXOPT's generic solver converges: same optimum.
    reference = SDRDesigner(solver="cvxopt").design(problem.evolve(sigma_c2=1e-16), TypeII(), Detector())
    assert reference.status == "optimal"
    assert type_ii.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-6)


@pytest.mark.parametrize("receiver", RECEIVERS, ids=lambda r: r.name)
def test_a_single_antenna_at_0_db_is_optimal_and_verified(receiver):
    config = ScenarioConfig(n_users_per_cell=1, n_tx=1, n_rx=1, sinr_target_db=0.0, points_per_side=2)
    problem = config.build(realization_rng(0, 0))
    design = SDRDesigner().design(problem, receiver, Detector())
    assert design.status == "optimal", design.reason
    _assert_verified(problem, receiver, design)
