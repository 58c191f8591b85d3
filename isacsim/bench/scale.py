"""``isacsim bench --scale``: time and memory per solve against L and Nt.

Two sweeps of the SDR design (Type-II receiver, synchronized BSs), the new
solver and the CVXOPT baseline in the same run, on the same seeded
instances, K = 4 users per cell and Q = 49 sample points (a 7 x 7 grid):

* against the number of cells L in (3, 7, 19) at Nt = 64: L = 3 is the
  paper's layout, 7 and 19 are hexagonal (``ScenarioConfig.n_cells``);
* against the number of antennas Nt in (16, 32, 64, 128) at L = 3, where
  the baseline runs at every Nt (at L = 7 it needs minutes per solve).

Every solve runs in a fresh process (:mod:`isacsim.bench.process`), which
gives each its own peak memory and lets a budget stop it. Before a point,
each solver's time and memory there are extrapolated from the power law
fitted to the smaller points of the sweep; a solver over its budget there,
or one that already overran it at a smaller point, is skipped and says why.
The medians feed a least-squares fit of ``time ~ c x^a`` on log-log axes,
per sweep and solver; :mod:`isacsim.bench.report` writes the figure and CSV.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import attrs
import numpy as np

from .compare import BASELINE_SOLVER, NEW_SOLVER, Comparison, SolverRuns, comparison_header, comparison_line
from .process import OVERRUNS, Measurement, measure_in_fresh_process

__all__ = ["ScaleSetup", "QUICK_SETUP", "ScalePoint", "PowerLaw", "fit_power_law", "run_scale", "SCALE_TARGETS"]

#: Development targets of the default solver by (L, K, Nt, points per side): (median [s], peak memory [MiB] or None).
SCALE_TARGETS = {(7, 4, 64, 7): (0.5, None), (19, 4, 64, 7): (5.0, 1024.0)}
_SOLVERS = (NEW_SOLVER, BASELINE_SOLVER)
_SWEEPS = ("L", "Nt")


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class ScaleSetup:
    """What ``--scale`` measures.

    Attributes
    ----------
    cells : tuple of int
        L of the first sweep (3, or hexagonal counts 7, 19, ...).
    n_tx_values : tuple of int
        Nt of the second sweep.
    n_tx_of_cell_sweep : int
        Nt of the L sweep.
    cells_of_antenna_sweep : int
        L of the Nt sweep.
    n_users_per_cell : int
        K.
    points_per_side : int
        Sample points per side of the target area (Q = its square).
    n_instances : int
        Seeded instances per point; medians are reported.
    budget_seconds : float
        Longest a single solve may take (the child process included) [s].
    memory_cap_gib : float
        Address-space cap of each solve's process [GiB].
    """

    cells: tuple[int, ...] = attrs.field(default=(3, 7, 19), converter=_int_tuple)
    n_tx_values: tuple[int, ...] = attrs.field(default=(16, 32, 64, 128), converter=_int_tuple)
    n_tx_of_cell_sweep: int = 64
    cells_of_antenna_sweep: int = 3
    n_users_per_cell: int = 4
    points_per_side: int = 7
    n_instances: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    budget_seconds: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    memory_cap_gib: float = attrs.field(default=4.0, validator=attrs.validators.gt(0))

    def fields(self, sweep, value):
        """The ScenarioConfig fields of point ``value`` of ``sweep`` (``L`` or ``Nt``)."""
        n_cells, n_tx = (value, self.n_tx_of_cell_sweep) if sweep == "L" else (self.cells_of_antenna_sweep, value)
        return dict(n_cells=n_cells, n_users_per_cell=self.n_users_per_cell, n_tx=n_tx, n_rx=n_tx, points_per_side=self.points_per_side)


#: A tiny setup for tests and a first look: seconds, not minutes.
QUICK_SETUP = ScaleSetup(
    cells=(3, 7), n_tx_values=(4, 8), n_tx_of_cell_sweep=8, cells_of_antenna_sweep=3, n_users_per_cell=1, points_per_side=2, n_instances=1
)


@attrs.frozen(kw_only=True)
class PowerLaw:
    """``y = coefficient * x ** exponent``, fitted to ``n_points`` points."""

    exponent: float
    coefficient: float
    n_points: int

    def __call__(self, x):
        return self.coefficient * np.asarray(x, dtype=float) ** self.exponent


def fit_power_law(x, y):
    """Least-squares fit of ``log y = log c + a log x``.

    Parameters
    ----------
    x, y : sequence of float
        Positive values; pairs with a non-finite or non-positive member are
        left out.

    Returns
    -------
    PowerLaw or None
        ``None`` with fewer than two distinct ``x`` left.
    """
    pairs = [(float(a), float(b)) for a, b in zip(x, y) if math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0]
    if len({a for a, _ in pairs}) < 2:
        return None
    log_x, log_y = np.log([a for a, _ in pairs]), np.log([b for _, b in pairs])
    exponent, intercept = np.polyfit(log_x, log_y, 1)
    return PowerLaw(exponent=float(exponent), coefficient=float(np.exp(intercept)), n_points=len(pairs))


@attrs.frozen(kw_only=True)
class ScalePoint:
    """One point of a sweep: its configuration, raw measurements and comparison.

    Attributes
    ----------
    sweep : str
        ``L`` or ``Nt``.
    value : int
        The swept value.
    fields : dict
        ScenarioConfig fields.
    measurements : dict
        Solver name -> list of :class:`~isacsim.bench.process.Measurement`, one per instance.
    comparison : Comparison
    """

    sweep: str
    value: int
    fields: dict
    measurements: dict
    comparison: Comparison


def _skip_reason(solver, sweep, value, earlier, setup):
    """Why ``solver`` should not run at ``value``, from the smaller points of the sweep ('' to run)."""
    for point in earlier:
        if any(m.outcome in OVERRUNS for m in point.measurements[solver]):
            return f"{sweep}={point.value} already overran the budget"
    runs = [point.comparison.runs_of(solver) for point in earlier]
    values = [point.value for point in earlier]
    time_law = fit_power_law(values, [r.median_seconds for r in runs])
    if time_law is not None and time_law(value) > setup.budget_seconds:
        return f"estimated {float(time_law(value)):.3g} s per solve > {setup.budget_seconds:g} s budget"
    memory_law = fit_power_law(values, [r.median_peak_rss_mib for r in runs])
    if memory_law is not None and memory_law(value) > setup.memory_cap_gib * 1024:
        return f"estimated {float(memory_law(value)) / 1024:.3g} GiB > {setup.memory_cap_gib:g} GiB cap"
    return ""


def _measure_point(fields, skip_reasons, setup):
    """Every instance by both solvers, interleaved; solver -> list of Measurement.

    A solver skipped by ``skip_reasons`` (solver -> reason, '' to run) does
    not run; one that overruns its budget on an instance skips the rest.
    """
    stopped = dict(skip_reasons)
    measurements = {solver: [] for solver in _SOLVERS}
    for seed in range(setup.n_instances):
        for solver in _SOLVERS:
            if stopped[solver]:
                measurement = Measurement(outcome="skipped", status="skipped", message=stopped[solver])
            else:
                measurement = measure_in_fresh_process(
                    fields, seed, solver, budget_seconds=setup.budget_seconds, memory_cap_bytes=int(setup.memory_cap_gib * 2**30)
                )
                if measurement.outcome in OVERRUNS:
                    stopped[solver] = f"instance {seed} ended in {measurement.status}"
            measurements[solver].append(measurement)
    return measurements


def _runs(solver, measurements):
    notes = sorted({m.message for m in measurements if m.outcome != "ok" and m.message})
    return SolverRuns(
        solver=solver,
        seconds=[m.seconds for m in measurements],
        statuses=[m.status for m in measurements],
        bounds=[m.bound for m in measurements],
        peak_rss_mib=[m.peak_rss_mib for m in measurements],
        note="; ".join(notes),
    )


def _label(fields):
    return f"L={fields['n_cells']}, Nt={fields['n_tx']}"


def _comparison(fields, measurements):
    target = SCALE_TARGETS.get((fields["n_cells"], fields["n_users_per_cell"], fields["n_tx"], fields["points_per_side"]), (None, None))
    return Comparison(
        label=_label(fields),
        new=_runs(NEW_SOLVER, measurements[NEW_SOLVER]),
        baseline=_runs(BASELINE_SOLVER, measurements[BASELINE_SOLVER]),
        target_seconds=target[0],
        target_peak_rss_mib=target[1],
    )


def fit_exponents(points):
    """``{(sweep, solver): PowerLaw or None}`` of the median times of ``points``."""
    fits = {}
    for sweep in _SWEEPS:
        swept = [point for point in points if point.sweep == sweep]
        for solver in _SOLVERS:
            times = [point.comparison.runs_of(solver).median_seconds for point in swept]
            fits[sweep, solver] = fit_power_law([point.value for point in swept], times)
    return fits


def _print_exponents(fits, print_line):
    print_line("scaling exponents, least squares on log(median time) vs log(x):")
    for sweep, letter in zip(_SWEEPS, "ab"):
        parts = []
        for solver in _SOLVERS:
            law = fits[sweep, solver]
            parts.append(f"{solver} {letter} = {law.exponent:.2f} ({law.n_points} points)" if law else f"{solver}: fewer than 2 points")
        print_line(f"  {f'time ~ c {sweep}^{letter}:':<16} " + ";   ".join(parts))


def run_scale(setup=ScaleSetup(), out="results/bench-scale.png", print_line=print):
    """Measure both sweeps, print the table and exponents, write the PNG and CSV.

    Parameters
    ----------
    setup : ScaleSetup
    out : str or os.PathLike
        The PNG; the CSV of every measurement goes beside it (same name,
        ``.csv``). Missing directories are created.
    print_line : callable
        Where lines go.

    Returns
    -------
    list of ScalePoint
        In sweep order; a point shared by both sweeps is measured once and
        listed in each.

    Raises
    ------
    ValueError
        If a point is no valid :class:`~isacsim.scenario.ScenarioConfig`.

    Notes
    -----
    The solves run in child processes started by a forkserver, which
    imports the calling script anew: call this from a script under
    ``if __name__ == "__main__":``.
    """
    from .report import plot_scale, write_scale_csv
    from ..scenario import ScenarioConfig

    sweeps = (("L", sorted(setup.cells)), ("Nt", sorted(setup.n_tx_values)))
    for sweep, values in sweeps:
        for value in values:
            ScenarioConfig(**setup.fields(sweep, value))  # refuse a bad point before measuring anything

    print_line(
        f"time per solve: SDR, Type-II, synchronized; K={setup.n_users_per_cell}, Q={setup.points_per_side ** 2}; "
        f"median of {setup.n_instances} seeded instance(s); each solve in a fresh process "
        f"(budget {setup.budget_seconds:g} s, address space <= {setup.memory_cap_gib:g} GiB)"
    )
    print_line(
        f"peak = max RSS of that process (Python, NumPy, SciPy, CVXOPT, isacsim, the problem and the solve); "
        f"L sweep at Nt={setup.n_tx_of_cell_sweep} (L=3 paper layout, else hexagonal), Nt sweep at L={setup.cells_of_antenna_sweep}"
    )
    print_line(comparison_header(memory=True, label_width=14))
    measured, points = {}, []
    for sweep, values in sweeps:
        print_line(f"  against {sweep}:")
        earlier = []
        for value in values:
            fields = setup.fields(sweep, value)
            key = tuple(sorted(fields.items()))
            if key not in measured:  # a point of both sweeps is measured once
                skip_reasons = {solver: _skip_reason(solver, sweep, value, earlier, setup) for solver in _SOLVERS}
                measured[key] = _measure_point(fields, skip_reasons, setup)
            point = ScalePoint(sweep=sweep, value=value, fields=fields, measurements=measured[key], comparison=_comparison(fields, measured[key]))
            print_line(comparison_line(point.comparison, memory=True, label_width=14))
            points.append(point)
            earlier.append(point)
    fits = fit_exponents(points)
    _print_exponents(fits, print_line)
    png = Path(out)
    png.parent.mkdir(parents=True, exist_ok=True)
    csv = png.with_suffix(".csv")
    write_scale_csv(points, csv)
    plot_scale(points, fits, png)
    print_line(f"wrote {png} and {csv}")
    return points
