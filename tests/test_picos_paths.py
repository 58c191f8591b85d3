"""The generic solver paths: memory estimates, refusal before building, and the PICOS reduced dual."""
import ctypes
import gc
import math

import numpy as np
import pytest

from isacsim.designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from isacsim.solvers import memory, picos_dual, picos_model
from isacsim.solvers.memory import LIMIT_VARIABLE, SolverMemoryError, check_memory, format_bytes
from isacsim.solvers.picos_dual import solve_picos_dual
from isacsim.designers.rankone import rank_one_beams
from isacsim.solvers.registry import DEFAULT_SOLVER, PROGRAM_SOLVERS, primal_solver, program_solver
from isacsim.designers.verify import check_design
from isacsim.detection import Detector
from isacsim.receivers import TypeI, TypeII
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.testing import small_problem

from reference import paper_formulation

picos = pytest.importorskip("picos")
PICOS_SOLVERS = [name for name in ("cvxopt", "qics") if name in picos.available_solvers()]


def _program(designer, problem, receiver, detector):
    detector = designer.detector_for(detector)
    return designer._program(problem, receiver, detector, designer._unit_directions(problem))


# ------------------------------------------------------------------ estimates
def test_primal_estimate_grows_with_the_square_of_the_unknowns():
    # (LK + L) Nt^2 real unknowns; the dense solver matrices hold their square.
    overhead = memory.primal_model_bytes([], "cvxopt", False)
    k1 = memory.primal_model_bytes([16] * 6, "cvxopt", False) - overhead  # L = 3, K = 1
    assert (memory.primal_model_bytes([32] * 6, "cvxopt", False) - overhead) / k1 == pytest.approx(2**4)
    assert (memory.primal_model_bytes([16] * 9, "cvxopt", False) - overhead) / k1 == pytest.approx((9 / 6) ** 2)
    assert memory.primal_model_bytes([16] * 6, "cvxopt", True) > memory.primal_model_bytes([16] * 6, "cvxopt", False)
    # An uncalibrated solver is priced like the costliest calibrated one.
    assert memory.primal_model_bytes([16] * 6, "mosek", False) >= memory.primal_model_bytes([16] * 6, "qics", False)


def test_fixed_directions_leave_only_the_sensing_covariances_in_the_primal():
    problem = small_problem(n_users_per_cell=2, n_tx=8)
    free = memory.picos_primal_bytes(problem, "cvxopt")
    fixed = memory.picos_primal_bytes(problem, "cvxopt", directions=np.ones((3, 2, 8)))
    overhead = memory.primal_model_bytes([], "cvxopt", False)
    assert (free - overhead) / (fixed - overhead) == pytest.approx(((3 * 2 + 3) / 3) ** 2)


def test_paper_size_primal_is_over_the_default_limit_and_its_reduced_dual_far_below():
    problem = ScenarioConfig(n_users_per_cell=3).build(realization_rng(0, 0))  # L = 3, Q = 9, K = 3, Nt = 32
    program = _program(SDRDesigner(), problem, TypeII(), Detector())
    for solver in ("cvxopt", "qics"):
        assert memory.picos_primal_bytes(problem, solver) > memory.DEFAULT_LIMIT  # it used 12.5 GB, then crashed
        assert memory.picos_dual_bytes(program, solver) < 2**30
    assert memory.cvxopt_dual_bytes(program) < 2**30
    assert memory.structured_bytes(program) < 2**27  # the default solver's memory grows only linearly


def _peak_growth(run):
    """Peak resident memory [bytes] that ``run()`` adds, from the kernel's high-water mark (Linux)."""

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

    gc.collect()
    try:  # hand memory freed by earlier tests back to the OS, or run() would reuse it unseen (glibc)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size
    except OSError:
        pytest.skip("needs /proc/self/clear_refs to reset the peak memory")
    start = status("VmRSS:")
    if status("VmHWM:") > start + 2**20:
        pytest.skip("the peak-memory mark did not reset")
    run()
    return status("VmHWM:") - start


@pytest.mark.skipif("cvxopt" not in PICOS_SOLVERS, reason="needs PICOS with CVXOPT")
def test_estimates_cover_the_measured_peak_memory():
    warm = small_problem(n_users_per_cell=1, n_tx=2)  # load the solver code first
    picos_model.solve_picos(paper_formulation(warm, TypeII(), Detector()), solver="cvxopt")
    solve_picos_dual(_program(SDRDesigner(), warm, TypeII(), Detector()))

    primal = ScenarioConfig(n_users_per_cell=1, n_tx=12, n_rx=12, points_per_side=2).build(realization_rng(0, 0))
    used = _peak_growth(lambda: picos_model.solve_picos(paper_formulation(primal, TypeII(), Detector()), solver="cvxopt"))
    estimate = memory.picos_primal_bytes(primal, "cvxopt")
    assert used <= estimate <= 4 * used + 32 * 2**20

    large = ScenarioConfig(n_users_per_cell=4, n_tx=64, n_rx=64, points_per_side=7).build(realization_rng(0, 0))
    program = _program(SDRDesigner(), large, TypeII(), Detector())
    used = _peak_growth(lambda: solve_picos_dual(program, solver="cvxopt"))
    estimate = memory.picos_dual_bytes(program, "cvxopt")
    assert used <= estimate <= 4 * used + 32 * 2**20


# ---------------------------------------------------------------- the limit
def test_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv(LIMIT_VARIABLE, "8GiB")
    assert memory.memory_limit() == 8 * 2**30
    monkeypatch.setenv(LIMIT_VARIABLE, "123456")
    assert memory.memory_limit() == 123456
    monkeypatch.setenv(LIMIT_VARIABLE, "inf")
    problem = ScenarioConfig(n_users_per_cell=3).build(realization_rng(0, 0))
    check_memory("picos:cvxopt", memory.picos_primal_bytes(problem, "cvxopt"), alternative=DEFAULT_SOLVER)
    for bad in ("lots", "0", "-5", "8 parsecs"):
        monkeypatch.setenv(LIMIT_VARIABLE, bad)
        with pytest.raises(ValueError, match=LIMIT_VARIABLE):
            memory.memory_limit()
    monkeypatch.delenv(LIMIT_VARIABLE)
    assert 0 < memory.memory_limit() <= memory.DEFAULT_LIMIT


def test_refusal_is_one_line_naming_estimate_limit_variable_and_default_solver():
    problem = small_problem()
    estimate = memory.picos_primal_bytes(problem, "qics")
    with pytest.raises(SolverMemoryError) as caught:
        check_memory("picos:qics", estimate, alternative=DEFAULT_SOLVER, limit=estimate / 2)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in message
    for part in (format_bytes(estimate), format_bytes(estimate / 2), LIMIT_VARIABLE, f"'{DEFAULT_SOLVER}'", "picos:qics"):
        assert part in message
    assert caught.value.estimate == estimate
    check_memory("picos:qics", estimate, alternative=DEFAULT_SOLVER, limit=estimate * 2)  # under the limit: no refusal


def test_refusal_happens_before_any_model_is_built(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a model was built")

    monkeypatch.setenv(LIMIT_VARIABLE, "1MiB")
    monkeypatch.setattr(picos_model, "build_model", forbidden)
    monkeypatch.setattr(picos_dual, "build_dual_model", forbidden)
    problem = small_problem()
    with pytest.raises(SolverMemoryError):
        primal_solver("picos:cvxopt")(paper_formulation(problem, TypeII(), Detector()))
    with pytest.raises(SolverMemoryError):
        program_solver("picos-dual:cvxopt")(_program(SDRDesigner(), problem, TypeII(), Detector()))
    with pytest.raises(SolverMemoryError):
        program_solver("cvxopt")(_program(SDRDesigner(), problem, TypeII(), Detector()))


def test_cli_refuses_an_oversized_model_with_exit_2_and_one_line(tmp_path, monkeypatch, capsys):
    from isacsim.cli import main

    path = tmp_path / "p.npz"
    small_problem().save(path)
    monkeypatch.setenv(LIMIT_VARIABLE, "1MiB")
    monkeypatch.setattr(picos_model, "build_model", lambda *a, **k: pytest.fail("a model was built"))
    code = main(["solve", str(path), "--solver", "picos:cvxopt"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and "estimate" in lines[0] and f"'{DEFAULT_SOLVER}'" in lines[0]


# ----------------------------------------------------- the PICOS reduced dual
@pytest.mark.parametrize("solver", PICOS_SOLVERS)
@pytest.mark.parametrize(
    "designer, receiver, synchronized, seed",
    [
        (SDRDesigner(), TypeII(), True, 0),
        (SDRDesigner(), TypeII(), False, 1),
        (SDRDesigner(), TypeI(), True, 2),
        (SDRDesigner(), TypeI(), False, 3),
        (ZFDesigner(), TypeII(), True, 4),
        (SensingOnlyDesigner(), TypeI(), False, 5),
    ],
)
def test_picos_reduced_dual_agrees_with_the_default_solver(solver, designer, receiver, synchronized, seed):
    problem = small_problem(seed=seed, n_users_per_cell=2, n_tx=8)
    detector = Detector(synchronized=synchronized)
    reference = designer.design(problem, receiver, detector)
    assert reference.status == "optimal"
    relaxed = solve_picos_dual(_program(designer, problem, receiver, detector), {"solver": solver})
    assert relaxed.status == "optimal"
    assert relaxed.solver == f"picos-dual:{solver}"
    assert relaxed.value == pytest.approx(reference.certificate.objective, rel=1e-6)
    assert relaxed.bound == pytest.approx(reference.certificate.bound, rel=1e-6)
    # The primal blocks are read from the LMI multipliers (conjugated): they must
    # give beams that meet every constraint, before any repair.
    w, R = rank_one_beams(problem, relaxed.W, relaxed.R)
    check = check_design(problem, receiver, designer.detector_for(detector), w, R)
    assert check.worst <= 1e-6
    assert check.objective == pytest.approx(reference.certificate.objective, rel=1e-6)


@pytest.mark.parametrize("solver", PICOS_SOLVERS)
def test_picos_reduced_dual_names_users_of_unreachable_targets(solver):
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=8, sinr_target_db=120.0)
    relaxed = solve_picos_dual(_program(SDRDesigner(), problem, TypeII(), Detector()), {"solver": solver})
    assert relaxed.status == "infeasible"
    assert relaxed.W is None and math.isnan(relaxed.value)
    assert relaxed.rows and all(kind == "sinr" and 0 <= m < 3 and 0 <= k < 2 for kind, m, k in relaxed.rows)


@pytest.mark.parametrize("solver", ["picos-dual:cvxopt"])
def test_designer_runs_on_the_registered_picos_reduced_dual(solver):
    problem = small_problem(seed=6, n_users_per_cell=2, n_tx=8)
    reference = SDRDesigner().design(problem, TypeII(), Detector())
    design = SDRDesigner(solver=solver).design(problem, TypeII(), Detector())
    assert design.status == "optimal"
    assert design.certificate.solver == solver
    assert design.certificate.objective == pytest.approx(reference.certificate.objective, rel=1e-6)
