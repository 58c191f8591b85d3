"""Two solvers on one benchmark case: their solves, the verdict, one table line.

:class:`Comparison` pairs the new solver's :class:`SolverRuns` with the
baseline's on the same instances and says what it misses
(:meth:`Comparison.failures`, the logic of ``isacsim bench --check``);
:func:`comparison_header` and :func:`comparison_line` print it. The
speed-up is the median over solves of the baseline's time divided by the
new solver's on the same solve, which a noisy machine disturbs less than a
ratio of medians.
"""
from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from collections import Counter

import attrs
from ..errors import InputError
from ..validation import as_tuple

__all__ = [
    "NEW_SOLVER",
    "BASELINE_SOLVER",
    "AGREEMENT_TOLERANCE",
    "SolverRuns",
    "Comparison",
    "comparison_header",
    "comparison_line",
    "check_failures",
    "format_statuses",
    "peak_rss_mib",
    "timed",
]

#: The solver under test and the in-run baseline (names of the solver registry).
NEW_SOLVER, BASELINE_SOLVER = "structured", "cvxopt"
#: Largest relative difference of the two solvers' relaxation bounds.
AGREEMENT_TOLERANCE = 1e-7
#: Statuses of the new solver that fail ``--check``.
_BAD_STATUSES = ("inaccurate", "error")


@attrs.frozen(kw_only=True)
class SolverRuns:
    """One solver's solves of one benchmark case.

    The tuples are aligned by solve: entry ``i`` of every tuple, of either
    solver of a :class:`Comparison`, belongs to the same instance.

    Attributes
    ----------
    solver : str
        Name in the solver registry.
    seconds : tuple of float
        Wall time of each design call [s]; NaN where the solve did not run
        or did not finish.
    statuses : tuple of str
        Design status, or what happened instead (``skipped``, ``timeout``,
        ``over memory``, ``crashed``).
    bounds : tuple of float
        Relaxation bound of each design [W] (NaN when there is none).
    peak_rss_mib : tuple of float
        Peak resident memory of the process that ran each solve [MiB];
        empty when not measured.
    note : str
        Why solves are missing, e.g. ``estimated 900 s per solve > 120 s budget``.
    """

    solver: str
    seconds: tuple = attrs.field(default=(), converter=as_tuple)
    statuses: tuple = attrs.field(default=(), converter=as_tuple)
    bounds: tuple = attrs.field(default=(), converter=as_tuple)
    peak_rss_mib: tuple = attrs.field(default=(), converter=as_tuple)
    note: str = ""

    @property
    def median_seconds(self):
        """Median time of the finished solves [s] (NaN if none finished)."""
        return _median_finite(self.seconds)

    @property
    def median_peak_rss_mib(self):
        """Median peak memory of the finished solves [MiB] (NaN if unmeasured)."""
        return _median_finite(self.peak_rss_mib)


@attrs.frozen(kw_only=True)
class Comparison:
    """The new solver against the baseline on one case, with its targets.

    Attributes
    ----------
    label : str
        The case, e.g. ``K=3, Nt=64``.
    new, baseline : SolverRuns
    target_seconds : float or None
        Largest acceptable median time of the new solver [s].
    target_peak_rss_mib : float or None
        Largest acceptable median peak memory of the new solver [MiB].
    """

    label: str
    new: SolverRuns
    baseline: SolverRuns
    target_seconds: float | None = None
    target_peak_rss_mib: float | None = None

    def runs_of(self, solver):
        """The :class:`SolverRuns` of the solver named ``solver``."""
        for runs in (self.new, self.baseline):
            if runs.solver == solver:
                return runs
        raise InputError(f"solver: expected {self.new.solver!r} or {self.baseline.solver!r}, got {solver!r}")

    @property
    def ratio(self):
        """Median over solves of baseline time / new time (NaN without a common solve)."""
        return _median_finite(b / n for n, b in zip(self.new.seconds, self.baseline.seconds))

    @property
    def agreement(self):
        """Largest relative difference of the bounds where both are optimal (NaN if none)."""
        differences = [
            abs(n - b) / max(abs(b), 1e-300)
            for n, b, status_n, status_b in zip(self.new.bounds, self.baseline.bounds, self.new.statuses, self.baseline.statuses)
            if status_n == status_b == "optimal"
        ]
        return max(differences) if differences else math.nan

    def failures(self):
        """What this case misses, one phrase each (empty when it meets everything).

        A target is missed when the new solver's median is over it or when no
        solve finished; the objectives must agree to
        :data:`AGREEMENT_TOLERANCE`; the new solver must not return
        ``inaccurate`` or ``error``.
        """
        missed = []
        median = self.new.median_seconds
        if self.target_seconds is not None and not median <= self.target_seconds:
            missed.append(f"median {_format_seconds(median)} over the {_format_seconds(self.target_seconds)} target")
        peak = self.new.median_peak_rss_mib
        if self.target_peak_rss_mib is not None and not peak <= self.target_peak_rss_mib:
            missed.append(f"peak memory {peak:.0f} MiB over the {self.target_peak_rss_mib:.0f} MiB target")
        if self.agreement > AGREEMENT_TOLERANCE:
            missed.append(f"bounds differ by {self.agreement:.1e} relative (> {AGREEMENT_TOLERANCE:g})")
        bad = [status for status in self.new.statuses if status in _BAD_STATUSES]
        if bad:
            missed.append(f"{self.new.solver} returned {format_statuses(bad)}")
        return missed


def _median_finite(values):
    finite = [value for value in values if math.isfinite(value)]
    return statistics.median(finite) if finite else math.nan


def _format_seconds(seconds):
    if not math.isfinite(seconds):
        return "-"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def peak_rss_mib():
    """Peak resident memory of this process so far [MiB] (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


def format_statuses(statuses):
    """Counts of statuses as text, most frequent first: ``38 optimal, 2 inaccurate``."""
    return ", ".join(f"{count} {status}" for status, count in Counter(statuses).most_common()) or "none"


def check_failures(comparisons):
    """Every missed target of ``comparisons`` as ``label: what`` lines (empty: all met)."""
    return [f"{comparison.label}: {missed}" for comparison in comparisons for missed in comparison.failures()]


def comparison_header(new=NEW_SOLVER, baseline=BASELINE_SOLVER, memory=False, label_width=22):
    """The column header of :func:`comparison_line`."""
    header = f"  {'case':<{label_width}} {new:>10} {baseline:>10} {baseline + '/' + new:>18}"
    if memory:
        header += f" {'peak ' + new:>16} {'peak ' + baseline:>16}"
    return header + f" {'target':>16} {'verdict':<7} {'max rel. diff':>13}  statuses: {new} | {baseline}"


def comparison_line(comparison, memory=False, label_width=22):
    """One table line: both medians, ratio, (peak memory,) target, verdict, agreement, statuses."""
    line = (
        f"  {comparison.label:<{label_width}} {_format_seconds(comparison.new.median_seconds):>10} "
        f"{_format_seconds(comparison.baseline.median_seconds):>10} {_format_ratio(comparison.ratio):>18}"
    )
    if memory:
        line += f" {_format_mib(comparison.new.median_peak_rss_mib):>16} {_format_mib(comparison.baseline.median_peak_rss_mib):>16}"
    targets = [_format_seconds(comparison.target_seconds)] if comparison.target_seconds is not None else []
    if comparison.target_peak_rss_mib is not None:
        targets.append(_format_mib(comparison.target_peak_rss_mib))
    verdict = ("MISSES" if comparison.failures() else "meets") if targets else ""
    agreement = f"{comparison.agreement:.1e}" if math.isfinite(comparison.agreement) else "-"
    statuses = f"{_describe_runs(comparison.new)} | {_describe_runs(comparison.baseline)}"
    return line + f" {', '.join(targets) or '-':>16} {verdict:<7} {agreement:>13}  {statuses}"


def _format_ratio(ratio):
    return f"x{ratio:.1f}" if math.isfinite(ratio) else "-"


def _format_mib(mib):
    return f"{mib:.0f} MiB" if math.isfinite(mib) else "-"


def _describe_runs(runs):
    text = format_statuses(runs.statuses)
    return f"{text} ({runs.note})" if runs.note else text


def timed(function):
    """``(seconds, result)``: one call of ``function()`` and its wall time [s]."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result
