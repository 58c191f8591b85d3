"""The structured interior-point solver (the default) against independent solvers
and facts: the straightforward PICOS primal model, CVXOPT on the reduced dual,
infeasibility by a second solver, scale invariance and the certified bound."""
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.solvers.picos_model import solve_picos
from isacsim.problem import DesignProblem
from isacsim.testing import small_problem

from reference import paper_formulation, sinr_eq2


def random_problem(seed, n_bs, n_users, n_tx=5, n_points=3, gamma_db=5.0):
    """A random problem in physical units, with a non-symmetric echo-gain tensor G.

    Own-cell channels are ~10 dB stronger than cross-cell ones; noise and
    gains have the magnitudes of the paper's setting (1e-12 W, 1e-14).
    """
    rng = np.random.default_rng(seed)
    cn = lambda *shape: (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)  # noqa: E731
    gain = np.where(np.eye(n_bs, dtype=bool), 1e-8, 1e-9 * rng.uniform(0.2, 1.0, (n_bs, n_bs)))
    H = cn(n_bs, n_bs, n_users, n_tx) * np.sqrt(gain)[:, :, None, None]
    angles = rng.uniform(-np.pi / 3, np.pi / 3, (n_points, n_bs))
    A = np.exp(1j * np.pi * np.arange(n_tx) * np.sin(angles)[..., None])
    G = 1e-14 * rng.uniform(0.1, 1.0, (n_points, n_bs, n_bs))
    assert n_bs == 1 or not np.allclose(G, np.swapaxes(G, 1, 2), rtol=1e-3, atol=0.0)
    return DesignProblem(
        H=H, A=A, G=G, gamma=np.full((n_bs, n_users), 10 ** (gamma_db / 10)), p_max=rng.uniform(5.0, 15.0, n_bs),
        sigma_c2=4e-12, sigma_d2=6e-16, n_rx=4, p_fa=1e-3,
    )


SDR_VARIANTS = [(SDRDesigner, r, s) for r in (TypeI(), TypeII()) for s in (True, False)]
BENCHMARKS = [(ZFDesigner, TypeII(), True), (ZFDesigner, TypeI(), False), (SensingOnlyDesigner, TypeI(), True), (SensingOnlyDesigner, TypeII(), False)]
SIZES = [(1, 2), (2, 1), (3, 1), (4, 1)]  # (L, K)


def _reference(designer, problem, receiver, detector):
    """The PICOS primal (CVXOPT) for what the designer solves."""
    detector = designer.detector_for(detector)
    directions = designer._unit_directions(problem)
    return solve_picos(paper_formulation(problem, receiver, detector, directions), solver="cvxopt", options={"dualize": False})


@pytest.mark.parametrize("n_bs, n_users", SIZES)
@pytest.mark.parametrize("cls, receiver, synchronized", SDR_VARIANTS + BENCHMARKS, ids=lambda v: getattr(v, "name", str(v)))
def test_agrees_with_the_straightforward_primal_on_random_networks(n_bs, n_users, cls, receiver, synchronized):
    problem = random_problem(seed=10 * n_bs + n_users, n_bs=n_bs, n_users=n_users)
    designer = cls()
    design = designer.design(problem, receiver, Detector(synchronized=synchronized))
    reference = _reference(designer, problem, receiver, Detector(synchronized=synchronized))
    assert design.status == "optimal" and reference.status == "optimal", design.reason
    assert design.certificate.solver == "structured"
    assert design.certificate.objective == pytest.approx(reference.value, rel=1e-6)
    # The bound comes from a dual-feasible point: never below what a design achieves
    # (up to the 1e-7 target tightening the reference does not apply).
    assert design.certificate.bound >= reference.value * (1 - 1e-6)
    assert design.certificate.bound >= design.certificate.objective
    assert design.certificate.duality_gap <= 1e-8


@pytest.mark.parametrize("n_bs, n_users", SIZES)
@pytest.mark.parametrize("cls, receiver, synchronized", [SDR_VARIANTS[0], SDR_VARIANTS[3], BENCHMARKS[0]], ids=lambda v: getattr(v, "name", str(v)))
def test_infeasible_targets_are_certified_and_confirmed_by_the_primal(n_bs, n_users, cls, receiver, synchronized):
    problem = random_problem(seed=7 * n_bs + n_users, n_bs=n_bs, n_users=n_users, gamma_db=60.0)
    designer = cls()
    design = designer.design(problem, receiver, Detector(synchronized=synchronized))
    assert design.status == "infeasible", design.reason
    assert "cell" in design.reason  # the certificate names users
    reference = _reference(designer, problem, receiver, Detector(synchronized=synchronized))
    assert reference.status == "infeasible"


def test_infeasibility_is_a_property_of_the_budgets():
    """The same targets become feasible with enough power, and the designs meet them (eq. 2)."""
    problem = random_problem(seed=3, n_bs=3, n_users=1, gamma_db=60.0)
    assert SDRDesigner().design(problem, TypeII(), Detector()).status == "infeasible"
    rich = problem.evolve(p_max=problem.p_max * 1e4)
    design = SDRDesigner().design(rich, TypeII(), Detector())
    assert design.status == "optimal", design.reason
    sinr = sinr_eq2(rich, design.w, design.R, cancels_sensing=True)
    assert np.all(sinr >= rich.gamma * (1 - 1e-6))


@pytest.mark.parametrize("gamma_db, status", [(10.0, "optimal"), (60.0, "infeasible")])
def test_the_design_does_not_depend_on_the_physical_scale(gamma_db, status):
    """H * c and sigma_c^2 * c^2 leave every SINR unchanged: same status, same beams.

    The objective agrees to rounding; the beams to 1e-5, or to 30 times the
    square root of the larger duality gap where that is looser (an
    interior-point optimum fixes the beams only to the order of the square
    root of its gap, and the solver stops at a gap of 1e-9).
    """
    problem = random_problem(seed=5, n_bs=3, n_users=2, gamma_db=gamma_db)
    reference = SDRDesigner().design(problem, TypeII(), Detector())
    assert reference.status == status
    for c in (1e-10, 1e-5, 1e5, 1e10):
        scaled = problem.evolve(H=problem.H * c, sigma_c2=problem.sigma_c2 * c**2)
        design = SDRDesigner().design(scaled, TypeII(), Detector())
        assert design.status == status, f"c = {c:g}: {design.reason}"
        if status == "optimal":
            assert design.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-9)
            gap = max(abs(design.certificate.duality_gap), abs(reference.certificate.duality_gap))
            np.testing.assert_allclose(design.w, reference.w, atol=max(1e-5, 30 * np.sqrt(gap)) * np.abs(reference.w).max())


def test_vanishing_channels_with_unreachable_targets_are_infeasible_not_errors():
    problem = small_problem(seed=1, n_users_per_cell=1, n_tx=6, sinr_target_db=10.0)
    faint = problem.evolve(H=problem.H * 1e-10 / np.abs(problem.H).max())  # channel gains ~1e-20
    for designer in (SDRDesigner(), ZFDesigner(), SensingOnlyDesigner()):
        design = designer.design(faint, TypeI(), Detector())
        assert design.status == "infeasible", f"{designer.name}: {design.status} {design.reason}"


@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_cvxopt_on_the_reduced_dual(seed):
    problem = small_problem(seed=seed, n_users_per_cell=2, n_tx=8, sinr_target_db=12.0)
    for receiver in (TypeI(), TypeII()):
        for synchronized in (True, False):
            fast = SDRDesigner().design(problem, receiver, Detector(synchronized=synchronized))
            baseline = SDRDesigner(solver="cvxopt").design(problem, receiver, Detector(synchronized=synchronized))
            assert fast.status == baseline.status == "optimal"
            assert baseline.certificate.solver == "dual-cvxopt"
            assert fast.certificate.bound == pytest.approx(baseline.certificate.bound, rel=1e-7)


def test_unknown_options_are_named():
    with pytest.raises(ValueError, match="tolerance"):
        SDRDesigner(options={"tolerance": 1e-3}).design(small_problem(), TypeII(), Detector())


def test_an_optimum_of_zero_converges():
    """With no echo from one point (G = 0 there, a valid input) the optimum is 0; it is reached and certified."""
    problem = random_problem(seed=1, n_bs=2, n_users=1, n_points=3, n_tx=4)
    G = problem.G.copy()
    G[1] = 0.0
    design = SDRDesigner().design(problem.evolve(G=G), TypeII(), Detector())
    assert design.status == "optimal", design.reason
    assert design.certificate.objective == 0.0
    assert 0.0 <= design.certificate.bound < 1e-12 * reference_echo(problem)


def reference_echo(problem):
    """An echo power [W] that a design could reach: every budget pointed at one point through its gain."""
    return float(problem.n_rx * (problem.G.max(axis=0).sum(axis=0) * problem.p_max * problem.A.shape[2]).max())


def test_a_numerical_breakdown_is_a_result_not_an_error():
    """Targets at the edge of feasibility make the Schur complement singular to working precision."""
    base = random_problem(seed=2, n_bs=2, n_users=2, n_points=3, n_tx=5, gamma_db=10.0)
    edge = base.evolve(gamma=base.gamma * 1255.97900390625)
    design = SensingOnlyDesigner().design(edge, TypeII(), Detector())
    assert design.status in ("optimal", "feasible", "inaccurate", "infeasible"), design.reason
