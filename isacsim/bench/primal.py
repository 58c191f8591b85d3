"""``isacsim bench --primal``: the solvers against the straightforward primal models.

On a small instance (K = 1, Nt = 8, L = 3, Q = 9; SDR, Type-II,
synchronized) the registered solvers of the reduced dual are timed next to
the primal SDR as the paper writes it, in PICOS with CVXOPT and (extra
``bench``) in CVXPY with Clarabel, with the objectives' agreement. At paper
size the primal models take minutes and gigabytes.
"""
from __future__ import annotations

import statistics

from .compare import BASELINE_SOLVER, NEW_SOLVER, timed

__all__ = ["run_primal_comparison"]


def _cvxpy_primal(problem, receiver, detector):
    """The straightforward primal SDR in CVXPY + Clarabel; returns its optimum [W]."""
    import cvxpy as cp
    import numpy as np

    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    scale = float(problem.p_max.max())
    link = detector.link_weights(problem)
    unit = float(np.max(np.sum(link * np.sum(np.abs(problem.A) ** 2, axis=2), axis=1)))
    W = [[cp.Variable((n_tx, n_tx), hermitian=True) for _ in range(n_users)] for _ in range(n_bs)]
    R = [cp.Variable((n_tx, n_tx), hermitian=True) for _ in range(n_bs)]
    t = cp.Variable()
    constraints = [x >> 0 for row in W for x in row] + [r >> 0 for r in R]
    for q in range(problem.n_points):
        echo = 0
        for l in range(n_bs):
            a = problem.A[q, l]
            echo += link[q, l] / unit * cp.real(a @ (sum(W[l]) + R[l]) @ a.conj())
        constraints.append(echo >= t)
    for m in range(n_bs):
        for k in range(n_users):
            own = np.vdot(problem.H[m, m, k], problem.H[m, m, k]).real
            received = 0
            for l in range(n_bs):
                h = problem.H[l, m, k] / np.sqrt(own)
                received += cp.real(h.conj() @ sum(W[l]) @ h)
                if receiver.sensing_leakage:
                    received += receiver.sensing_leakage * cp.real(h.conj() @ R[l] @ h)
            h = problem.H[m, m, k] / np.sqrt(own)
            desired = cp.real(h.conj() @ W[m][k] @ h)
            constraints.append(received + problem.sigma_c2 / (scale * own) <= (1 + 1 / problem.gamma[m, k]) * desired)
    for l in range(n_bs):
        constraints.append(sum(cp.real(cp.trace(x)) for x in W[l]) + cp.real(cp.trace(R[l])) <= problem.p_max[l] / scale)
    model = cp.Problem(cp.Maximize(t), constraints)
    model.solve(solver=cp.CLARABEL)
    return problem.n_rx * scale * unit * float(t.value)


def _median_run(function, repeats):
    """``(median seconds, first result)`` of ``repeats`` calls of ``function()``."""
    runs = [timed(function) for _ in range(repeats)]
    return statistics.median(seconds for seconds, _ in runs), runs[0][1]


def run_primal_comparison(print_line=print, repeats=3):
    """Print the registered solvers' times next to the primal models' on a small instance.

    Parameters
    ----------
    print_line : callable
        Where lines go.
    repeats : int
        Timed calls per solver (median reported), after one warm-up call each.
    """
    from ..designers import SDRDesigner
    from ..solvers.picos_model import solve_picos
    from ..detection import Detector
    from ..receivers import TypeII
    from ..scenario import ScenarioConfig, realization_rng

    problem = ScenarioConfig(n_users_per_cell=1, n_tx=8, n_rx=8).build(realization_rng(0, 0))
    receiver, detector = TypeII(), Detector(synchronized=True)
    print_line(f"primal models on a small instance (K=1, Nt=8, L=3, Q=9; SDR, Type-II, synchronized), median of {repeats}:")
    reference_seconds = reference_value = None
    for solver in (NEW_SOLVER, BASELINE_SOLVER):
        designer = SDRDesigner(solver=solver)
        designer.design(problem, receiver, detector)  # warm-up
        seconds, design = _median_run(lambda: designer.design(problem, receiver, detector), repeats)
        if reference_seconds is None:
            reference_seconds, reference_value = seconds, design.certificate.bound
        print_line(f"  {'reduced dual, ' + solver:<44} {seconds * 1e3:9.1f} ms")

    def report(label, seconds, value):
        agreement = abs(value - reference_value) / reference_value
        print_line(
            f"  {label:<44} {seconds * 1e3:9.1f} ms   x{seconds / reference_seconds:,.0f} the time of {NEW_SOLVER}   "
            f"objective rel. diff {agreement:.1e}"
        )

    seconds, solution = _median_run(lambda: solve_picos(problem, receiver, detector, solver="cvxopt", options={"dualize": False}), repeats)
    report("straightforward PICOS primal + CVXOPT", seconds, solution.value)
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        print_line("  CVXPY + Clarabel: not installed (pip install 'isacsim[bench]')")
        return
    seconds, value = _median_run(lambda: _cvxpy_primal(problem, receiver, detector), repeats)
    report("straightforward CVXPY primal + Clarabel", seconds, value)
