"""``isacsim bench --batch``: amortized time per solve against the batch size.

For each case (the paper's size with K = 1 and K = 3, and L = 7), seeded
instances of the SDR design (Type-II receiver, synchronized BSs) are
compiled once into their relaxations; then, in the same run,

* the unbatched structured solver solves them one per call (the median
  time per solve is its column);
* the batched entry point (:func:`isacsim.designers.batch.solve_programs`)
  solves them in batches of B = 1, 2, 4, ..., 256 (at least a case's
  ``min_solves`` per size, on distinct instances): the amortized time is
  the time of the calls over the number of solves;
* every batched solve is compared with the unbatched one of its instance:
  the same status and the objective within :data:`AGREEMENT` relative.

A second table times the whole design (relaxation, rank-one beams,
verification) the same way: :func:`~isacsim.designers.batch.design_batch`
against ``Designer.design`` one by one.
"""
from __future__ import annotations

import math
import statistics
import time

import attrs

__all__ = ["BATCH_SIZES", "QUICK_SIZES", "BatchCase", "BatchResult", "CASES", "QUICK_CASES", "AGREEMENT", "run_batch_benchmark"]

#: Batch sizes of the full benchmark.
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Batch sizes of ``--quick``.
QUICK_SIZES = (1, 4, 16, 64)
#: Largest relative difference of a batched and an unbatched objective.
AGREEMENT = 1e-9


@attrs.frozen
class BatchCase:
    """One size of problem.

    Attributes
    ----------
    label : str
    fields : dict
        :class:`~isacsim.scenario.ScenarioConfig` fields.
    largest_batch : int
        Largest B timed (the larger sizes are skipped: their solves take
        too long for a benchmark run).
    min_solves : int
        Fewest solves timed per batch size (several batches for the small
        sizes), on distinct instances where there are enough.
    target_seconds : float
        Amortized time per solve to reach at the best batch size [s].
    """

    label: str
    fields: dict
    largest_batch: int
    min_solves: int
    target_seconds: float


#: The cases: the paper's L = 3, Q = 9 with K = 1 and 3 at Nt = 32, and
#: the 7-cell hexagonal network with K = 4, Nt = 64, Q = 49.
CASES = (
    BatchCase("L=3, K=1, Nt=32, Q=9", dict(n_users_per_cell=1, n_tx=32, n_rx=32), 256, 32, 0.001),
    BatchCase("L=3, K=3, Nt=32, Q=9", dict(n_users_per_cell=3, n_tx=32, n_rx=32), 256, 32, 0.004),
    BatchCase("L=7, K=4, Nt=64, Q=49", dict(n_cells=7, n_users_per_cell=4, n_tx=64, n_rx=64, points_per_side=7), 16, 16, 0.2),
)
#: ``--quick``: fewer solves, and L = 7 in batches of at most 4.
QUICK_CASES = tuple(
    attrs.evolve(case, largest_batch=min(case.largest_batch, 4 if case.fields.get("n_cells") else 64), min_solves=min(case.min_solves, 8))
    for case in CASES
)


@attrs.frozen(kw_only=True)
class BatchResult:
    """The measurements of one case and one kind (``solve`` or ``design``).

    Attributes
    ----------
    case : BatchCase
    kind : str
        ``solve``: the relaxation alone; ``design``: the whole design.
    unbatched_seconds : float
        Median time of one solve per call [s].
    amortized_seconds : dict of int -> float
        Per batch size B, the time of the calls over their solves [s].
    max_difference : float
        Largest relative difference of a batched objective from the
        unbatched one of its instance.
    mismatched : int
        Batched solves whose status differs from the unbatched one.
    statuses : dict of str -> int
        Statuses of the unbatched solves.
    """

    case: BatchCase
    kind: str
    unbatched_seconds: float
    amortized_seconds: dict
    max_difference: float
    mismatched: int
    statuses: dict

    @property
    def best(self):
        """``(B, seconds)`` of the lowest amortized time."""
        return min(self.amortized_seconds.items(), key=lambda item: item[1])

    def failures(self):
        """What the case misses (``--check``): its target, the agreement, the statuses."""
        missed = []
        size, seconds = self.best
        if self.kind == "solve" and not seconds <= self.case.target_seconds:
            missed.append(f"best amortized {_format(seconds)} (B={size}) over the {_format(self.case.target_seconds)} target")
        if not self.max_difference <= AGREEMENT:
            missed.append(f"batched objectives differ by {self.max_difference:.1e} relative (> {AGREEMENT:g})")
        if self.mismatched:
            missed.append(f"{self.mismatched} batched status(es) differ from the unbatched ones")
        return [f"{self.case.label} ({self.kind}): {text}" for text in missed]


def _format(seconds):
    if not math.isfinite(seconds):
        return "-"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def _instances(case, count):
    from ..detection import Detector
    from ..receivers import TypeII
    from ..scenario import ScenarioConfig, realization_rng

    config = ScenarioConfig(**case.fields)
    return [config.build(realization_rng(seed, 0)) for seed in range(count)], TypeII(), Detector(synchronized=True)


def _timed_batches(sizes, count, min_solves, solve_many):
    """Per size, ``(amortized seconds, outputs)`` of batches over the instances ``0 .. count - 1``, cycled."""
    out = {}
    for size in sizes:
        calls = max(1, math.ceil(min_solves / size))
        seconds, outputs = 0.0, []
        for call in range(calls):
            members = [(call * size + j) % count for j in range(size)]
            started = time.perf_counter()
            results = solve_many(members)
            seconds += time.perf_counter() - started
            outputs.extend(zip(members, results))
        out[size] = (seconds / (calls * size), outputs)
    return out


def _agreement(reference, outputs, status, value):
    """``(max relative difference, mismatched statuses)`` of ``outputs`` against ``reference``."""
    worst, mismatched = 0.0, 0
    for member, result in outputs:
        expected = reference[member]
        if status(result) != status(expected):
            mismatched += 1
        elif math.isfinite(value(expected)):
            worst = max(worst, abs(value(result) - value(expected)) / max(abs(value(expected)), 1e-300))
    return worst, mismatched


def _measure(case, sizes, kind):
    from ..blas import single_threaded_blas
    from ..designers import SDRDesigner
    from ..designers.batch import design_batch, relaxation_programs, solve_programs
    from ..solvers.registry import program_solver

    sizes = [size for size in sizes if size <= case.largest_batch]
    count = max(case.min_solves, max(sizes))
    problems, receiver, detector = _instances(case, count)
    designer = SDRDesigner()
    if kind == "solve":
        programs = relaxation_programs(designer, problems, receiver, detector)
        solve = program_solver("structured")

        def one(member):
            with single_threaded_blas():
                return solve(programs[member], {})

        def many(members):
            with single_threaded_blas():
                return solve_programs("structured", [programs[m] for m in members], {})

        status, value = (lambda r: r.status), (lambda r: r.value)
    else:
        def one(member):
            return designer.design(problems[member], receiver, detector)

        def many(members):
            return design_batch(designer, [problems[m] for m in members], receiver, detector)

        status, value = (lambda d: d.status), (lambda d: d.certificate.objective)
    one(0)  # warm-up: the process's one-time work
    unbatched, reference = [], []
    for member in range(case.min_solves):
        started = time.perf_counter()
        reference.append(one(member))
        unbatched.append(time.perf_counter() - started)
    reference += [one(member) for member in range(len(reference), count)]
    timed = _timed_batches(sizes, count, case.min_solves, many)
    worst, mismatched = 0.0, 0
    for _, outputs in timed.values():
        difference, wrong = _agreement(reference, outputs, status, value)
        worst, mismatched = max(worst, difference), mismatched + wrong
    statuses = {}
    for result in reference:
        statuses[status(result)] = statuses.get(status(result), 0) + 1
    return BatchResult(
        case=case, kind=kind, unbatched_seconds=statistics.median(unbatched),
        amortized_seconds={size: seconds for size, (seconds, _) in timed.items()},
        max_difference=worst, mismatched=mismatched, statuses=statuses,
    )


def _table(results, sizes, print_line):
    width = max(len(r.case.label) for r in results) + 2
    header = f"  {'case':<{width}} {'unbatched':>10} " + " ".join(f"{'B=' + str(size):>9}" for size in sizes)
    print_line(header + f" {'best/unbatched':>15} {'max rel. diff':>13}  statuses (unbatched)")
    for result in results:
        cells = " ".join(f"{_format(result.amortized_seconds[s]) if s in result.amortized_seconds else '-':>9}" for s in sizes)
        size, seconds = result.best
        ratio = f"x{result.unbatched_seconds / seconds:.1f} (B={size})" if seconds > 0 else "-"
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items(), key=lambda item: -item[1]))
        print_line(f"  {result.case.label:<{width}} {_format(result.unbatched_seconds):>10} {cells} {ratio:>15} {result.max_difference:>13.1e}  {statuses}")


def run_batch_benchmark(sizes=BATCH_SIZES, cases=CASES, kinds=("solve", "design"), print_line=print):
    """Time the batched and the unbatched paths on every case and print the tables.

    Parameters
    ----------
    sizes : sequence of int
        Batch sizes B (a case skips those over its ``largest_batch``).
    cases : sequence of BatchCase
    kinds : sequence of str
        ``solve`` (the relaxation alone) and/or ``design`` (the whole design).
    print_line : callable

    Returns
    -------
    list of BatchResult
    """
    results = []
    for kind in kinds:
        what = "relaxation alone (structured solver)" if kind == "solve" else "whole design (design_batch; verification included)"
        print_line(
            f"amortized time per {kind}, {what}, SDR Type-II synchronized, seeded instances: unbatched = median of one per call; "
            f"B = time of batches of B over their {kind}s; same run"
        )
        rows = [_measure(case, sizes, kind) for case in cases]
        _table(rows, sizes, print_line)
        results.extend(rows)
    return results
