"""isacsim's audit of every design: graded verdicts, honest optimality, batches, read-only problems."""
import attrs
import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.designers.audit import audit_design, audit_designs
from isacsim.designers.verify import check_designs, stack_problems
from isacsim.guard import read_only, run_designer, run_designer_batch
from isacsim.testing import small_problem

SOURCE = "designer 'test'"


def _sinr_by_loops(problem, leakage, w, R):
    """Eqs. (3)/(4) term by term, for user k of cell m."""
    L, K, _ = w.shape
    sinr = np.empty((L, K))
    for m in range(L):
        for k in range(K):
            signal = abs(np.vdot(problem.H[m, m, k], w[m, k])) ** 2
            others = sum(abs(np.vdot(problem.H[l, m, k], w[l, i])) ** 2 for l in range(L) for i in range(K) if (l, i) != (m, k))
            sensing = sum(np.vdot(problem.H[l, m, k], R[l] @ problem.H[l, m, k]).real for l in range(L))
            sinr[m, k] = signal / (others + leakage * sensing + problem.sigma_c2)
    return sinr


@pytest.fixture(scope="module")
def designs():
    """Three problems of one shape and the SDR's Type-I design of each."""
    problems = [small_problem(seed=s, n_users_per_cell=2, n_tx=6) for s in range(3)]
    return problems, [SDRDesigner().design(p, TypeI(), Detector()) for p in problems]


def test_the_batched_check_is_the_model_term_by_term(designs, rng):
    problems, found = designs
    w = np.stack([d.w for d in found]) * (1 + 0.1 * rng.standard_normal((3, 1, 1, 1)))
    R = np.stack([d.R for d in found])
    checks = check_designs(stack_problems(problems), TypeI(), Detector(), w, R)
    for problem, check, wb, Rb in zip(problems, checks, w, R):
        np.testing.assert_allclose(check.sinr, _sinr_by_loops(problem, 1.0, wb, Rb), rtol=1e-10)
        power = np.array([np.sum(np.abs(wb[l]) ** 2) + np.trace(Rb[l]).real for l in range(3)])
        np.testing.assert_allclose(check.tx_power, power, rtol=1e-12)
        assert check.power_violation == pytest.approx(max(0.0, np.max(power / problem.p_max - 1)), rel=1e-9, abs=1e-15)


def test_isacsim_designs_pass_the_audit_unchanged(designs):
    problems, found = designs
    for problem, design in zip(problems, found):
        audited = audit_design(problem, TypeI(), Detector(), design, designer="sdr", source=SOURCE)
        assert audited.status == design.status == "optimal"
        assert np.array_equal(audited.w, design.w) and audited.certificate == design.certificate
    for designer in (ZFDesigner(), SensingOnlyDesigner()):
        design = designer.design(problems[0], TypeII(), Detector(synchronized=False))
        assert audit_design(problems[0], TypeII(), Detector(synchronized=False), design, designer=designer.name, source=SOURCE).status == "optimal"


@pytest.mark.parametrize("excess, status", [(1e-8, "optimal"), (1e-5, "inaccurate"), (1e-2, "error")])
def test_a_broken_budget_is_graded_and_named(designs, excess, status):
    problem, design = designs[0][0], designs[1][0]
    scale = np.sqrt(problem.p_max / (np.sum(np.abs(design.w) ** 2, axis=(1, 2)) + np.einsum("lnn->l", design.R).real) * (1 + excess))
    louder = attrs.evolve(design, w=design.w * scale[:, None, None], R=design.R * scale[:, None, None] ** 2)
    audited = audit_design(problem, TypeI(), Detector(), louder, designer="test", source=SOURCE)
    assert audited.status == status
    if status != "optimal":
        assert "the power budget of BS" in audited.reason and audited.reason.count(SOURCE) == 1
    if status == "error":
        assert not np.any(audited.w) and not np.any(audited.R)  # no beams deployed


def test_optimal_needs_a_bound_at_least_the_objective_and_within_the_gap(designs):
    problem, design = designs[0][0], designs[1][0]
    objective = design.certificate.objective

    def claimed(bound):
        honest = attrs.evolve(design, certificate=attrs.evolve(design.certificate, bound=bound))
        return audit_design(problem, TypeI(), Detector(), honest, designer="test", source=SOURCE)

    assert claimed(objective * (1 + 1e-7)).status == "optimal"
    assert claimed(objective * 1.01).status == "feasible"  # a gap of 1 %: optimality not proven
    assert claimed(float("nan")).status == "feasible"
    assert claimed(objective * 0.99).status == "error"  # a bound below what the beams achieve is false


def test_a_design_for_another_receiver_or_detector_is_refused(designs):
    problem, design = designs[0][0], designs[1][0]
    assert "receiver" in audit_design(problem, TypeII(), Detector(), design, designer="test", source=SOURCE).reason
    audited = audit_design(problem, TypeI(), Detector(synchronized=False), design, designer="test", source=SOURCE)
    assert audited.status == "error" and "detector" in audited.reason


def test_a_batch_audit_is_each_members_audit(designs):
    problems, found = designs
    mixed = [found[0], attrs.evolve(found[1], w=found[1].w * 3.0), attrs.evolve(found[2], w=found[2].w * np.nan)]
    batch = audit_designs(problems, TypeI(), Detector(), mixed, designer="test", source=SOURCE)
    singles = [audit_design(p, TypeI(), Detector(), d, designer="test", source=SOURCE) for p, d in zip(problems, mixed)]
    assert [d.status for d in batch] == ["optimal", "error", "error"]
    for one, alone in zip(batch, singles):  # NaN-aware: as_dict turns NaN into None
        assert (one.status, one.reason, one.certificate.as_dict()) == (alone.status, alone.reason, alone.certificate.as_dict())
        assert np.array_equal(one.w, alone.w) and np.array_equal(one.R, alone.R)


def test_the_batched_guard_gives_each_problems_own_audited_design(designs):
    problems, found = designs
    batched = run_designer_batch(SDRDesigner(), problems, TypeI(), Detector())
    assert [d.status for d in batched] == ["optimal"] * 3
    for design, alone in zip(batched, found):
        assert np.array_equal(design.w, alone.w) and design.certificate.objective == alone.certificate.objective


def test_a_designer_gets_read_only_arrays_and_the_caller_keeps_its_own(designs):
    problem = designs[0][0]
    view = read_only(problem)
    assert view == problem
    for name in ("H", "A", "G", "gamma", "p_max"):
        assert not getattr(view, name).flags.writeable and getattr(problem, name).flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view.p_max[:] = 1e6
    assert run_designer(SDRDesigner(), problem, TypeI(), Detector()).status == "optimal"


def test_with_a_time_limit_isacsims_own_designer_runs_in_a_child_and_gives_the_same_design(designs):
    problem, alone = designs[0][0], designs[1][0]
    limited = run_designer(SDRDesigner(), problem, TypeI(), Detector(), timeout=120)
    assert limited.status == "optimal" and np.array_equal(limited.w, alone.w) and np.array_equal(limited.R, alone.R)


def test_a_receiver_registered_from_a_script_serves_designs(designs):
    from isacsim import Receiver, plugins, register

    class Half(Receiver):
        name, sensing_leakage = "half-leak", 0.5

    try:
        register(Half)
        receiver = plugins.get_receiver("half-leak")()
        design = run_designer(SDRDesigner(), designs[0][0], receiver, Detector())
        assert design.status == "optimal" and design.receiver == receiver
    finally:
        plugins._REGISTERED.clear()
        plugins._GENERATION[0] += 1
