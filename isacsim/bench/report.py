"""The files of ``isacsim bench --scale``: a CSV of every measurement and a log-log PNG."""
from __future__ import annotations

import csv
import math

import numpy as np

from ..atomic import atomic_write
from .compare import BASELINE_SOLVER, NEW_SOLVER

__all__ = ["CSV_COLUMNS", "write_scale_csv", "plot_scale"]

#: Columns of the CSV, one row per (sweep, point, instance, solver).
CSV_COLUMNS = (
    "sweep",
    "n_cells",
    "n_users_per_cell",
    "n_tx",
    "n_points",
    "instance",
    "solver",
    "outcome",
    "status",
    "seconds",
    "peak_rss_mib",
    "start_rss_mib",
    "bound_w",
    "message",
)
_STYLE = {NEW_SOLVER: dict(color="tab:red", marker="o"), BASELINE_SOLVER: dict(color="tab:blue", marker="s")}
_AXIS = {"L": "number of cells L", "Nt": "transmit antennas per BS Nt"}


def _cell(value):
    return "" if isinstance(value, float) and math.isnan(value) else value


def write_scale_csv(points, path):
    """Write every measurement of ``points`` (:class:`~isacsim.bench.scale.ScalePoint`) to ``path``.

    A point that belongs to both sweeps appears once under each, with the
    same numbers.
    """

    def write(handle):
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for point in points:
            fields = point.fields
            for solver, measurements in point.measurements.items():
                for instance, m in enumerate(measurements):
                    writer.writerow(
                        [
                            point.sweep,
                            fields["n_cells"],
                            fields["n_users_per_cell"],
                            fields["n_tx"],
                            fields["points_per_side"] ** 2,
                            instance,
                            solver,
                            m.outcome,
                            m.status,
                            *(_cell(x) for x in (m.seconds, m.peak_rss_mib, m.start_rss_mib, m.bound)),
                            m.message,
                        ]
                    )

    atomic_write(path, write)


def plot_scale(points, fits, path):
    """Log-log figure: time (top) and peak memory (bottom) against L (left) and Nt (right).

    Parameters
    ----------
    points : sequence of ScalePoint
    fits : dict
        ``{(sweep, solver): PowerLaw or None}`` of the median times, drawn
        dashed with their exponents.
    path : str or os.PathLike
    """
    from ..plotting import _pyplot, save_figure

    plt = _pyplot()
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        """The ticks LogFormatter labels, written as plain numbers (0.2, not 2e-01)."""

        def __call__(self, x, pos=None):
            return f"{x:g}" if super().__call__(x, pos) else ""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex="col", squeeze=False)
    for column, sweep in enumerate(_AXIS):
        swept = [point for point in points if point.sweep == sweep]
        values = np.array([point.value for point in swept], dtype=float)
        for solver, style in _STYLE.items():
            runs = [point.comparison.runs_of(solver) for point in swept]
            times = np.array([r.median_seconds for r in runs])
            memory = np.array([r.median_peak_rss_mib for r in runs])
            law = fits.get((sweep, solver))
            label = solver + (f" (slope {law.exponent:.2f})" if law else "")
            axes[0, column].plot(values, times, label=label, **style)
            axes[1, column].plot(values, memory, label=solver, **style)
            if law is not None:  # over the measured points only: no extrapolation drawn
                measured = values[np.isfinite(times)]
                axes[0, column].plot(measured, law(measured), color=style["color"], linestyle="--", linewidth=0.8)
        axes[0, column].set_ylabel("median time per solve [s]")
        axes[1, column].set_ylabel("median peak RSS per solve [MiB]")
        axes[1, column].set_xlabel(_AXIS[sweep])
        for row in (0, 1):
            axis = axes[row, column]
            axis.set_xscale("log")
            axis.set_yscale("log")
            if len(values):
                axis.set_xticks(values, [f"{v:g}" for v in values])
                axis.set_xticks([], minor=True)
            axis.yaxis.set_major_formatter(PlainLogFormatter())
            axis.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))  # labelled over short ranges only
            axis.grid(True, which="both", alpha=0.3)
            axis.legend(fontsize=8)
        fixed = swept[0].fields if swept else {}
        other = f"Nt={fixed.get('n_tx')}" if sweep == "L" else f"L={fixed.get('n_cells')}"
        axes[0, column].set_title(f"against {sweep} ({other}); dashed: least-squares power law", fontsize=9)
    fig.suptitle("SDR design (Type-II, synchronized): structured solver vs. CVXOPT baseline", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)  # atomically, never through a symlink
    plt.close(fig)
