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
from .simulation import SOLVE_TIME_COLUMNS, CoverageMap, Simulation, Topology, run, summarize_solve_times, with_designers
from .simulation.store import write_csv
from .validation import shown

__all__ = ["CurveFigure", "TopologyFigure", "CoverageFigure", "reproduce", "customize", "figure_file", "plain_title", "IMAGE_FORMATS"]


def plain_title(title):
    """A figure's title without its mathtext markup, for text: 'p_D vs. pFA (Pmax = 15 W)'."""
    return title.replace("$", "").replace("\\", "").replace("_{max}", "max").replace("_{FA}", "FA").replace("_D", "D")


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
            report.summary, path, title=self.title, x_label=self.x_label, x_scale=self.x_scale, x_ticks=self.x_ticks, solve_times=times
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
        plotting.plot_coverage(report.summary, path, title=self.title, design_points=np.asarray(job.config.grid().points))


def customize(job, *, designers=None, changes=None):
    """A figure's job with other designers or other :class:`ScenarioConfig` fields.

    Parameters
    ----------
    job : Simulation or CoverageMap or Topology or object
        What a figure computes; it has a ``config`` (and ``schemes`` for
        ``designers``).
    designers : sequence of str or None
        ``+NAME`` adds a designer to the figure's curves, plain names replace
        them (:func:`isacsim.simulation.with_designers`).
    changes : dict or None
        :class:`ScenarioConfig` fields to change (not the swept one).

    Returns
    -------
    object
        The changed job (``job`` itself when nothing changes).

    Raises
    ------
    InputError
        For the swept field, an unknown or invalid field, or designers on a
        figure without designs.
    """
    if changes:
        swept = getattr(job, "x_name", None)
        if swept in changes:
            raise InputError(f"--set {swept}: is the variable this figure sweeps; change its values in a script")
        job = attrs.evolve(job, config=job.config.evolve(**changes))
    if designers:
        if not hasattr(job, "schemes"):
            raise InputError("--designers: this figure draws no designs")
        job = attrs.evolve(job, schemes=with_designers(job.schemes, designers))
    return job


def _variant(designers, changes):
    """How a customized run differs from the figure: ``+rzf``, ``n_tx=64`` (empty: it does not)."""
    from .names import resolve_name
    from .plugins import designer_registry

    def canonical(name):
        added = name.strip().startswith("+")
        return "+" * added + resolve_name("--designers", name.strip().lstrip("+"), designer_registry())

    def shown(value):
        return f"{value:g}" if isinstance(value, float) else str(value)

    names = [canonical(name) for name in designers or ()]
    if names and not names[0].startswith("+"):  # chosen, not added
        names = [f"designers={','.join(names)}"]
    return [*names, *(f"{name}={shown(value)}" for name, value in (changes or {}).items())]


def _title(title, quick, job, variant):
    """The figure's title, saying whether it is a quick version and what was changed."""
    notes = []
    count = getattr(job, "n_realizations", None)
    if quick and count is not None:  # a figure without realizations (a topology) is the same when quick
        notes.append(f"quick: {count} realization{'s' if count != 1 else ''}")
    notes += variant
    return f"{title}\n[{'; '.join(notes)}]" if notes else title


def reproduce(
    figure,
    out=None,
    *,
    quick=False,
    realizations=None,
    seed=None,
    workers=None,
    scheduler=None,
    progress=None,
    image_format="png",
    designers=None,
    changes=None,
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
    designers : sequence of str or None
        Add (``+NAME``) or choose designers (:func:`customize`).
    changes : dict or None
        :class:`ScenarioConfig` fields to change (:func:`customize`).

    A customized run writes by default to its own directory, named after the
    changes (``results/fig3-quick+rzf+n_tx=64``), so that its results never
    mix with the figure's own; its title lists the changes, and a quick
    figure's title says so.

    Returns
    -------
    RunReport
        With ``directory`` holding ``results.csv``, ``summary.csv``, the
        figure (:func:`figure_file`) and ``metadata.json``.
    """
    file_name = figure_file(figure.name, image_format)
    variant = _variant(designers, changes)
    default = figure.name + ("-quick" if quick else "") + "".join(f"+{part.lstrip('+')}" for part in variant)
    directory = Path(out) if out is not None else Path("results") / default
    job = customize(figure.job(quick=quick, realizations=realizations, seed=seed), designers=designers, changes=changes)
    figure = attrs.evolve(figure, title=_title(figure.title, quick, job, variant))
    report = run(
        job,
        directory,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=figure.name,
        extra_metadata={"figure": figure.name, "title": figure.title, "quick": quick, "changes": variant},
    )
    figure.plot(job, report, directory / file_name)
    return report
