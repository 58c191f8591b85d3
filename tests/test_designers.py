"""Designers: optimality against an independent solver path, orderings,
constraints recomputed from the returned beams, and infeasibility."""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import Design, SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.solvers.picos_model import solve_picos
from isacsim.testing import check_designer, small_problem

from reference import paper_formulation, reflected_power_eq20, sinr_eq2

RECEIVERS = [TypeI(), TypeII()]
VARIANTS = [(r, s) for r in RECEIVERS for s in (True, False)]  # SDR1.1, SDR3.1, SDR2.1, SDR4.1
INSTANCES = [(seed, k, nt) for seed, k, nt in [(0, 1, 4), (1, 1, 6), (2, 2, 6), (3, 2, 8)]]


@pytest.mark.parametrize("seed, n_users, n_tx", INSTANCES)
@pytest.mark.parametrize("receiver, synchronized", VARIANTS, ids=lambda v: getattr(v, "name", str(v)))
def test_sdr_optimum_matches_straightforward_picos_primal(seed, n_users, n_tx, receiver, synchronized):
    problem = small_problem(seed=seed, n_users_per_cell=n_users, n_tx=n_tx, sinr_target_db=10.0)
    detector = Detector(synchronized=synchronized)
    design = SDRDesigner().design(problem, receiver, detector)
    reference = solve_picos(paper_formulation(problem, receiver, detector), solver="cvxopt", options={"dualize": False})
    assert design.status == "optimal" and reference.status == "optimal"
    assert design.certificate.objective == pytest.approx(reference.value, rel=1e-5)
    assert design.certificate.bound == pytest.approx(reference.value, rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_orderings_of_the_paper(seed):
    problem = small_problem(seed=seed, n_users_per_cell=2, n_tx=8, sinr_target_db=12.0)
    value = {}
    for designer in (SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()):
        for receiver in RECEIVERS:
            for synchronized in (True, False):
                design = designer.design(problem, receiver, Detector(synchronized=synchronized))
                assert design.status == "optimal", design.reason
                value[designer.name, receiver.name, synchronized] = design.certificate.objective
    slack = 1 + 1e-6
    for d in ("sdr", "zf", "sensing-only"):
        for s in (True, False):
            assert value[d, "type-ii", s] * slack >= value[d, "type-i", s]  # Type-II >= Type-I
        for r in ("type-i", "type-ii"):
            assert value[d, r, True] * slack >= value[d, r, False]  # synchronized >= unsynchronized
    for r in ("type-i", "type-ii"):
        for s in (True, False):
            assert value["sdr", r, s] * slack >= value["zf", r, s]
            assert value["sdr", r, s] * slack >= value["sensing-only", r, s]


@pytest.mark.parametrize("designer", [SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()], ids=lambda d: d.name)
@pytest.mark.parametrize("receiver, synchronized", VARIANTS, ids=lambda v: getattr(v, "name", str(v)))
def test_beams_are_rank_one_and_meet_every_constraint(designer, receiver, synchronized):
    problem = small_problem(seed=5, n_users_per_cell=2, n_tx=8, sinr_target_db=15.0)
    design = designer.design(problem, receiver, Detector(synchronized=synchronized))
    assert design.status == "optimal", design.reason
    # One vector per user: W_li = w w^H is rank one by construction; recheck with eq. (2).
    assert design.w.shape == (3, 2, 8)
    sinr = sinr_eq2(problem, design.w, design.R, cancels_sensing=receiver.name == "type-ii")
    assert np.all(sinr >= problem.gamma * (1 - 1e-6))
    power = np.sum(np.abs(design.w) ** 2, axis=(1, 2)) + np.trace(design.R, axis1=1, axis2=2).real
    assert np.all(power <= problem.p_max * (1 + 1e-6))
    assert np.linalg.eigvalsh(design.R).min() >= -1e-9 * problem.p_max.max()
    energy = reflected_power_eq20(problem, design.w, design.R, synchronized, information_echoes=designer.name != "sensing-only")
    assert design.certificate.objective == pytest.approx(energy.min(), rel=1e-9)
    assert design.certificate.rank_one_residual == pytest.approx(0.0, abs=1e-6)  # the SDR is tight


def test_type_i_optimum_needs_no_dedicated_sensing_signal():
    """Remark 1: for Type-I users, R = 0 loses nothing."""
    problem = small_problem(seed=6, n_users_per_cell=1, n_tx=6, sinr_target_db=10.0)
    detector = Detector()
    reference = solve_picos(paper_formulation(problem, TypeI(), detector), solver="cvxopt", options={"dualize": False})
    no_sensing = SDRDesigner().design(problem, TypeI(), detector)  # solved with R dropped
    assert no_sensing.certificate.objective == pytest.approx(reference.value, rel=1e-5)


@pytest.mark.parametrize("designer", [SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()], ids=lambda d: d.name)
def test_unreachable_targets_are_a_result_naming_the_users(designer):
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=8)
    gamma = problem.gamma.copy()
    gamma[1, 0] = 1e9  # 90 dB for one user only
    design = designer.design(problem.evolve(gamma=gamma), TypeII(), Detector())
    assert isinstance(design, Design)
    assert design.status == "infeasible"
    assert "cell 1 user 0" in design.reason


def test_zero_forcing_without_enough_antennas_is_infeasible_not_an_error():
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=4)  # L K = 6 > 4: no ZF beam exists
    design = ZFDesigner().design(problem, TypeI(), Detector())
    assert design.status == "infeasible"
    assert "at least L*K = 6 transmit antennas" in design.reason and "every user" in design.reason


def test_zero_forcing_nulls_every_other_user():
    problem = small_problem(seed=1, n_users_per_cell=2, n_tx=8)
    design = ZFDesigner().design(problem, TypeII(), Detector())
    leak = np.einsum("lmkn,lin->limk", problem.H.conj(), design.w)
    for l in range(3):
        for i in range(2):
            leak[l, i, l, i] = 0
    assert np.abs(leak).max() < 1e-9 * np.abs(design.w).max() * np.abs(problem.H).max()


def test_bad_arguments_are_clear():
    problem = small_problem()
    with pytest.raises(TypeError, match="receiver"):
        SDRDesigner().design(problem, "type-i", Detector())
    with pytest.raises(ValueError, match="solver"):
        SDRDesigner(solver="no-such-solver").design(problem, TypeI(), Detector())


def test_physical_units_survive_extreme_scales():
    """Noise at -84/-102 dBm and echo gains ~1e-14 or ~1e-20 give the same design up to scale."""
    problem = small_problem(seed=2, n_users_per_cell=1, n_tx=6)
    base = SDRDesigner().design(problem, TypeII(), Detector())
    scaled = SDRDesigner().design(problem.evolve(G=problem.G * 1e6), TypeII(), Detector())
    assert scaled.status == base.status == "optimal"
    assert scaled.certificate.objective == pytest.approx(1e6 * base.certificate.objective, rel=1e-6)


@pytest.mark.parametrize("cls", [SDRDesigner, ZFDesigner, SensingOnlyDesigner], ids=lambda c: c.name)
def test_builtin_designers_pass_the_conformance_check(cls):
    check_designer(cls)


def test_conformance_check_catches_a_cheating_designer():
    class Cheater(SDRDesigner):
        name = "cheater"

        def design(self, problem, receiver, detector):
            import attrs

            honest = super().design(problem, receiver, detector)
            return attrs.evolve(honest, w=honest.w * 0.5)  # misses the SINR targets

    with pytest.raises(AssertionError, match="claims status 'optimal', but isacsim's audit finds 'error'.*SINR target"):
        check_designer(Cheater, sinr_target_db=5.0)
    with pytest.raises(AssertionError, match="claims status 'optimal', but isacsim's audit finds 'feasible'.*not proven"):
        check_designer(Cheater, sinr_target_db=-30.0)  # at -30 dB half the power still serves the users, but is not the optimum


PICOS_SOLVERS = ["cvxopt", "qics", "mosek", "clarabel", "scs", "smcp"]


@pytest.mark.parametrize("solver", PICOS_SOLVERS)
@pytest.mark.parametrize("designer", [SDRDesigner, ZFDesigner], ids=lambda c: c.name)
def test_every_installed_picos_solver_agrees_with_the_fast_path(solver, designer):
    import picos

    if solver not in picos.available_solvers():
        pytest.skip(f"PICOS solver {solver!r} is not installed")
    problem = small_problem(seed=4, n_users_per_cell=1, n_tx=6, sinr_target_db=10.0)
    fast = designer().design(problem, TypeII(), Detector())
    other = designer(solver=f"picos:{solver}").design(problem, TypeII(), Detector())
    assert other.status == fast.status == "optimal", other.reason
    assert other.certificate.objective == pytest.approx(fast.certificate.objective, rel=1e-5)
    assert other.certificate.solver == f"picos:{solver}"


def test_fixed_directions_of_any_length_give_the_same_design():
    class LongZF(ZFDesigner):
        name = "long-zf"

        def directions(self, problem):
            return 3.0 * super().directions(problem)

    problem = small_problem(seed=2, n_users_per_cell=1, n_tx=6)
    reference = ZFDesigner().design(problem, TypeII(), Detector())
    scaled = LongZF().design(problem, TypeII(), Detector())
    assert scaled.status == "optimal"
    assert scaled.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-6)


def test_zero_forcing_without_a_null_space_direction_is_infeasible():
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    H = problem.H.copy()
    H[0, 2, 0] = 2.0 * H[0, 0, 0]  # BS 0 sees user 0 of cell 2 along its own user's channel
    design = ZFDesigner().design(problem.evolve(H=H), TypeII(), Detector())
    assert design.status == "infeasible" and "cell 0 user 0" in design.reason
