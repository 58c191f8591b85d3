"""``isacsim bench``: solve times of the designers at paper size.

Prints, in one run:

* the median design time of the SDR designer (all four SDR variants) over
  seeded paper-size instances (L = 3, Q = 9) for K = 1, Nt = 32; K = 3,
  Nt = 32; K = 3, Nt = 64, next to the targets of the design card;
* on a small instance, the speed-up of the fast path over the straightforward
  PICOS primal model (and over CVXPY with Clarabel when installed: extra
  ``bench``), with the objectives' agreement;
* the process's peak memory.
"""
from __future__ import annotations

import resource
import statistics
import time

from .detection import Detector
from .designers import SDRDesigner
from .receivers import TypeI, TypeII
from .scenario import ScenarioConfig, realization_rng

__all__ = ["run_benchmark", "CASES"]

#: (K, Nt, target median [s]) of the design card.
CASES = ((1, 32, 0.050), (3, 32, 0.250), (3, 64, 0.500))
VARIANTS = [(receiver, synchronized) for receiver in (TypeI(), TypeII()) for synchronized in (True, False)]


def _time(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _case_times(n_users, n_tx, n_instances, designer):
    config = ScenarioConfig(n_users_per_cell=n_users, n_tx=n_tx, n_rx=n_tx)
    times, statuses = [], []
    for seed in range(n_instances):
        problem = config.build(realization_rng(seed, 0))
        for receiver, synchronized in VARIANTS:
            elapsed, design = _time(lambda: designer.design(problem, receiver, Detector(synchronized=synchronized)))
            times.append(elapsed)
            statuses.append(design.status)
    return times, statuses


def _cvxpy_primal(problem, receiver, detector):
    """The straightforward primal SDR in CVXPY (for the baseline only)."""
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


def _baselines(print_line, repeats=3):
    """Speed-up of the fast path over the generic primal models, small instance."""
    from .designers.picos_model import solve_picos

    config = ScenarioConfig(n_users_per_cell=1, n_tx=8, n_rx=8)
    problem = config.build(realization_rng(0, 0))
    receiver, detector = TypeII(), Detector(synchronized=True)
    fast = [_time(lambda: SDRDesigner().design(problem, receiver, detector)) for _ in range(repeats + 1)][1:]
    fast_median = statistics.median(t for t, _ in fast)
    fast_value = fast[0][1].certificate.bound
    print_line(f"baselines on a small instance (K=1, Nt=8, L=3, Q=9; SDR, Type-II, synchronized), median of {repeats}:")
    print_line(f"  {'fast path (reduced dual, CVXOPT)':<44} {fast_median * 1e3:9.1f} ms")
    picos = [_time(lambda: solve_picos(problem, receiver, detector, solver="cvxopt", options={"dualize": False})) for _ in range(repeats)]
    picos_median = statistics.median(t for t, _ in picos)
    agreement = abs(picos[0][1].value - fast_value) / fast_value
    print_line(
        f"  {'straightforward PICOS primal + CVXOPT':<44} {picos_median * 1e3:9.1f} ms   "
        f"speed-up x{picos_median / fast_median:,.0f}   objective rel. diff {agreement:.1e}"
    )
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        print_line("  CVXPY + Clarabel: not installed (pip install 'isacsim[bench]')")
        return
    clarabel = [_time(lambda: _cvxpy_primal(problem, receiver, detector)) for _ in range(repeats)]
    clarabel_median = statistics.median(t for t, _ in clarabel)
    agreement = abs(clarabel[0][1] - fast_value) / fast_value
    print_line(
        f"  {'straightforward CVXPY primal + Clarabel':<44} {clarabel_median * 1e3:9.1f} ms   "
        f"speed-up x{clarabel_median / fast_median:,.0f}   objective rel. diff {agreement:.1e}"
    )


def run_benchmark(n_instances=10, baselines=True, print_line=print):
    """Run the benchmark and print its table.

    Parameters
    ----------
    n_instances : int
        Seeded instances per case (each solved for all four SDR variants).
    baselines : bool
        Also time the straightforward primal models on a small instance.
    print_line : callable
        Where lines go.
    """
    designer = SDRDesigner()
    _case_times(1, 8, 1, designer)  # warm-up: imports and first-call costs
    print_line(f"SDR design time, L=3, Q=9, {n_instances} seeded instances x 4 variants (Type-I/II x sync/unsync):")
    print_line(f"  {'case':<16} {'median':>10} {'min':>10} {'max':>10} {'target':>10}  status")
    for n_users, n_tx, target in CASES:
        times, statuses = _case_times(n_users, n_tx, n_instances, designer)
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        median = statistics.median(times)
        verdict = "meets" if median <= target else "MISSES"
        print_line(
            f"  {f'K={n_users}, Nt={n_tx}':<16} {median * 1e3:8.1f}ms {min(times) * 1e3:8.1f}ms "
            f"{max(times) * 1e3:8.1f}ms {target * 1e3:8.0f}ms  {verdict} target; {counts}"
        )
    if baselines:
        _baselines(print_line)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_line(f"peak memory (max RSS of this process): {peak:.0f} MiB")
