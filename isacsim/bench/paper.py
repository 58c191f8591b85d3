"""``isacsim bench``: solve times of the SDR designer at paper size.

Every case is solved twice, in the same run and on the same seeded
instances: by the default ``structured`` solver and by the in-run baseline,
the previous default ``cvxopt`` (the reduced dual in CVXOPT's generic
``solvers.sdp``). For each case the table shows both medians, the speed-up
(the median over solves of the baseline's time divided by the new solver's
on the same solve, which a noisy machine disturbs less than a ratio of
medians), the development target, the largest relative difference of the two
relaxation bounds (which must stay <= 1e-7) and the statuses
(:mod:`isacsim.bench.compare`).

:func:`run_benchmark` prints that table for the paper-size cases
(:data:`CASES`); :mod:`isacsim.bench.scale` measures time and memory
against the network size and the number of antennas;
:mod:`isacsim.bench.primal` compares with the straightforward primal
models on a small instance.
"""
from __future__ import annotations

import functools

from .compare import BASELINE_SOLVER, NEW_SOLVER, Comparison, SolverRuns, comparison_header, comparison_line, peak_rss_mib, timed

__all__ = ["CASES", "run_benchmark"]

#: (K, Nt, target median [s]) at L = 3, Q = 9: the project's development targets for the default solver.
CASES = ((1, 32, 0.005), (3, 32, 0.025), (3, 64, 0.040))


def _variants():
    """The four SDR variants: (receiver, detector) for Type-I/II x sync/unsync."""
    from ..detection import Detector
    from ..receivers import TypeI, TypeII

    return [(receiver, Detector(synchronized=synchronized)) for receiver in (TypeI(), TypeII()) for synchronized in (True, False)]


def _compare_case(n_users, n_tx, target, n_instances, designers):
    """Both solvers on ``n_instances`` seeded instances x the four variants, interleaved."""
    from ..scenario import ScenarioConfig, realization_rng

    config = ScenarioConfig(n_users_per_cell=n_users, n_tx=n_tx, n_rx=n_tx)
    runs = {solver: {"seconds": [], "statuses": [], "bounds": []} for solver in designers}
    for seed in range(n_instances):
        problem = config.build(realization_rng(seed, 0))
        for receiver, detector in _variants():
            for solver, designer in designers.items():
                seconds, design = timed(functools.partial(designer.design, problem, receiver, detector))
                runs[solver]["seconds"].append(seconds)
                runs[solver]["statuses"].append(design.status)
                runs[solver]["bounds"].append(design.certificate.bound)
    new, baseline = (SolverRuns(solver=solver, **runs[solver]) for solver in designers)
    return Comparison(label=f"K={n_users}, Nt={n_tx}", new=new, baseline=baseline, target_seconds=target)


def run_benchmark(n_instances=10, primal=False, print_line=print, cases=CASES):
    """Time both solvers on seeded paper-size instances and print the table.

    Parameters
    ----------
    n_instances : int
        Seeded instances per case; each is solved for all four SDR variants
        by both solvers.
    primal : bool
        Also compare with the straightforward primal models on a small
        instance (:func:`isacsim.bench.primal.run_primal_comparison`).
    print_line : callable
        Where lines go.
    cases : sequence of (int, int, float)
        ``(K, Nt, target [s])`` at L = 3, Q = 9.

    Returns
    -------
    list of Comparison
        One per case, for :func:`~isacsim.bench.compare.check_failures`.
    """
    from ..designers import SDRDesigner

    designers = {solver: SDRDesigner(solver=solver) for solver in (NEW_SOLVER, BASELINE_SOLVER)}
    _compare_case(1, 8, None, 1, designers)  # warm-up: imports and first-call costs
    print_line(
        f"SDR design time, L=3, Q=9: {n_instances} seeded instances x 4 variants (Type-I/II x sync/unsync) "
        f"= {4 * n_instances} solves per case and solver; medians; ratio = median of per-solve ratios"
    )
    print_line("targets: development targets of the default solver on a 2-core machine ('isacsim bench --help')")
    print_line(comparison_header())
    comparisons = []
    for n_users, n_tx, target in cases:
        comparisons.append(_compare_case(n_users, n_tx, target, n_instances, designers))
        print_line(comparison_line(comparisons[-1]))
    if primal:
        from .primal import run_primal_comparison

        run_primal_comparison(print_line)
    print_line(f"peak memory (max RSS of this process, all solvers): {peak_rss_mib():.0f} MiB")
    return comparisons
