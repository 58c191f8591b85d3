"""Reproducible figures: a job (what to compute) plus a plot (how to show it).

``reproduce(figure, ...)`` runs the job into an output directory (resumable,
parallel) and draws ``DIR/NAME.png`` (or ``.pdf``, ``.svg``) from the
summary. The paper's figures are defined in the ``scenarios/`` scripts
(:mod:`isacsim.reproduce`).
"""
from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np

from .errors import InputError
from . import plotting
from .plotting import IMAGE_FORMATS
from .scenario import ScenarioConfig
from .simulation import SOLVE_TIME_COLUMNS, CoverageMap, Simulation, Topology, run, summarize_solve_times
from .simulation.store import write_csv
from .validation import shown

__all__ = ["CurveFigure", "TopologyFigure", "CoverageFigure", "reproduce", "plot_report", "designer_labels", "figure_file", "IMAGE_FORMATS"]


def figure_file(name, image_format="png"):
    """The file name of figure ``name`` in ``image_format``, e.g. ``fig3.pdf``.

    Raises
    ------
    InputError
        For a format not in :data:`IMAGE_FORMATS`.
    """
    if image_format not in IMAGE_FORMATS:
        raise InputError(f"image_format: expected one of {', '.join(IMAGE_FORMATS)}, got {shown(image_format)}")
    return f"{name}.{image_format}"


def designer_labels(rows):
    """Legend name of every designer of ``rows``: its class's ``label``, else its registered name.

    Parameters
    ----------
    rows : iterable of dict
        Summary (or result) rows with a ``designer`` column.

    Returns
    -------
    dict
        ``{designer name: label}``.
    """
    from .plugins import designer_registry

    registry = designer_registry()
    names = {row["designer"] for row in rows}
    return {name: (getattr(registry[name][0], "label", "") if name in registry else "") or name for name in names}


def _evolve(job, quick_changes, quick, realizations, seed):
    changes = dict(quick_changes) if quick else {}
    if realizations is not None:
        if not (isinstance(realizations, int) and realizations >= 1):
            raise InputError(f"--realizations: expected an integer >= 1, got {shown(realizations)}")
        changes["n_realizations"] = realizations
    if seed is not None:
        changes["seed"] = seed
    return attrs.evolve(job, **changes)


@attrs.frozen(kw_only=True)
class CurveFigure:
    """p_D versus one swept parameter, Scenario I and II panels.

    Parameters
    ----------
    name, title : str
    simulation : Simulation
        The full-fidelity sweep.
    x_label : str
        Axis label of the swept value.
    x_scale : {"linear", "log"}
    x_ticks : tuple of float or None
        Label exactly these swept values (default: matplotlib's ticks).
    solve_times : bool
        Also show the median solve time per design against the swept value
        (a second row of panels) and write it to ``solve_times.csv``
        (:func:`isacsim.simulation.summarize_solve_times`).
    quick : dict
        :class:`Simulation` fields replaced in ``--quick`` mode.
    """

    name: str
    title: str
    simulation: Simulation
    x_label: str
    x_scale: str = "linear"
    x_ticks: tuple | None = None
    solve_times: bool = False
    quick: dict = attrs.field(factory=lambda: {"n_realizations": 4})

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`Simulation` to run."""
        return _evolve(self.simulation, self.quick, quick, realizations, seed)

    def plot(self, job, report, path):
        """Draw the two panels (and the solve times, if asked for)."""
        times = None
        if self.solve_times:
            times = summarize_solve_times(report.rows)  # this run's rows, as summarized
            write_csv(report.directory / "solve_times.csv", SOLVE_TIME_COLUMNS, times)
        plotting.plot_curves(
            report.summary, path, title=self.title, x_label=self.x_label, x_scale=self.x_scale, x_ticks=self.x_ticks, solve_times=times,
            labels=designer_labels(report.summary),
        )


@attrs.frozen(kw_only=True)
class TopologyFigure:
    """The network layout of a configuration."""

    name: str
    title: str
    config: ScenarioConfig

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`Topology` (no realizations: ``quick`` changes nothing)."""
        return Topology(config=self.config)

    def plot(self, job, report, path):
        """Draw the layout."""
        plotting.plot_topology(report.rows, path, title=self.title)


@attrs.frozen(kw_only=True)
class CoverageFigure:
    """Heat maps of mean p_D between and beyond the design points."""

    name: str
    title: str
    coverage: CoverageMap
    quick: dict = attrs.field(factory=lambda: {"n_realizations": 2, "n_per_side": 21})

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`CoverageMap` to run."""
        return _evolve(self.coverage, self.quick, quick, realizations, seed)

    def plot(self, job, report, path):
        """Draw one heat map per scheme."""
        plotting.plot_coverage(report.summary, path, title=self.title, design_points=np.asarray(job.config.grid().points),
                               labels=designer_labels(report.summary))


def reproduce(
    figure, out=None, *, quick=False, realizations=None, seed=None, workers=None, scheduler=None, progress=None, image_format="png",
    timeout=None,
):
    """Compute a figure's numbers and draw it.

    Parameters
    ----------
    figure : CurveFigure or TopologyFigure or CoverageFigure
    out : str or Path or None
        Output directory; default ``results/NAME`` (``results/NAME-quick``).
    quick : bool
        Fewer realizations and points, for a first look or CI.
    realizations : int or None
        Override the number of channel realizations.
    seed : int or None
        Override the root seed.
    workers : int or None
        Local worker processes (default: all cores).
    scheduler : str or None
        Dask scheduler address (``tcp://host:port``).
    progress : bool or None
        Progress bar (default: only on a terminal).
    image_format : {"png", "pdf", "svg"}
        File format of the figure (:data:`IMAGE_FORMATS`); PDF and SVG are
        vector graphics.
    timeout : float or None
        Time limit of every design [s] (see :func:`isacsim.simulation.run`);
        ``None``: ``$ISACSIM_DESIGN_TIMEOUT``, else no limit.

    Returns
    -------
    RunReport
        With ``directory`` holding ``results.csv``, ``summary.csv``, the
        figure (:func:`figure_file`) and ``metadata.json``.
    """
    file_name = figure_file(figure.name, image_format)
    directory = Path(out) if out is not None else Path("results") / (figure.name + ("-quick" if quick else ""))
    job = figure.job(quick=quick, realizations=realizations, seed=seed)
    report = run(
        job,
        directory,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=figure.name,
        extra_metadata={"figure": figure.name, "title": figure.title, "quick": quick},
        timeout=timeout,
    )
    figure.plot(job, report, directory / file_name)
    return report


def plot_report(report, path=None, *, title=None, x_label=None, x_scale="linear", x_ticks=None, solve_times=False):
    """The figure of a sweep of one's own, in the paper's style, from what :func:`isacsim.simulation.run` returned.

    Two panels (Scenario I, II) of the mean p_D with its 95 % interval
    against the swept value, one curve per designer and receiver, each
    designer under its ``label`` (:func:`designer_labels`); the look of
    ``isacsim reproduce`` (:func:`isacsim.plotting.plot_curves`).

    Parameters
    ----------
    report : RunReport
        Of a :class:`~isacsim.simulation.Simulation` run.
    path : str or Path or None
        Where to write it; its suffix sets the format (``.png``, ``.pdf``,
        ``.svg``). Default: ``figure.png`` in the run's directory.
    title : str or None
        Default: the run directory's name.
    x_label : str or None
        Default: the swept field's name.
    x_scale : {"linear", "log"}
    x_ticks : sequence of float or None
        Label exactly these swept values.
    solve_times : bool
        Add the panels of the median solve time per design.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> report = run(sweep, "results/antennas")               # doctest: +SKIP
    >>> plot_report(report, x_label="transmit antennas $N_t$")  # doctest: +SKIP
    """
    if not report.summary or "x_name" not in report.summary[0]:
        raise InputError("report: expected the report of a Simulation run (a summary with x_name), got none")
    path = Path(path) if path is not None else Path(report.directory) / "figure.png"
    figure_file(path.stem, path.suffix.lstrip(".").lower() or "png")  # a known format, or one clear line
    times = summarize_solve_times(report.rows) if solve_times else None
    plotting.plot_curves(
        report.summary, path, title=title if title is not None else Path(report.directory).name,
        x_label=x_label or report.summary[0]["x_name"], x_scale=x_scale, x_ticks=x_ticks, solve_times=times,
        labels=designer_labels(report.summary),
    )
    return path
