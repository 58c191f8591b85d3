"""`Simulation`: a parameter sweep over seeded channel realizations.

Every (swept value, realization) pair is solved by every scheme. Channel
realization ``r`` comes from a stream derived only from ``(seed, r)``
(:func:`isacsim.scenario.realization_rng`), so all schemes and swept values
see the same channels (common random numbers) and the results do not depend
on the number of workers or the order tasks run in.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InputError
from .. import __version__
from .. import validation as v
from ..guard import run_designer, run_designer_batch
from ..plugins import get_designer, get_receiver
from ..scenario import ScenarioConfig, realization_rng, realization_seed
from .aggregate import SUMMARY_COLUMNS, summarize_sweep
from .rows import SOLVE_COLUMNS, error_row, solve_row
from .schemes import PAPER_SCHEMES, Scheme, describe_schemes, require_schemes
from ..designers.batch import batch_limit, design_batch
from ..evaluation import evaluate_each

if TYPE_CHECKING:
    from ..problem import DesignProblem

__all__ = ["Simulation", "EVALUATION_ONLY"]

#: Fields that change the detector's evaluation but not the design: a sweep
#: over them solves once per realization and evaluates every value.
EVALUATION_ONLY = ("p_fa", "sigma_d2_dbm")


def _as_values(values):
    try:
        return tuple(float(x) for x in values)
    except (TypeError, ValueError):
        raise InputError(f"x_values: expected a sequence of numbers, got {v.shown(values)}") from None


def _check_sweep(instance, attribute, value):
    if not value:
        raise InputError("x_values: expected at least one value")


@attrs.frozen
class _Point:
    """One swept value of one task, with its problem (or why it could not be built)."""

    position: int
    task: str
    realization: int
    x_index: int
    x: float
    evaluation_only: bool
    problem: object


def _designs(scheme, problems):
    """The scheme's design of every problem, in one batch; a design that failed is its exception."""
    if not problems:
        return []
    try:
        designer, receiver, detector = scheme.make()
        return run_designer_batch(designer, problems, receiver, detector, batch=design_batch)
    except Exception:  # noqa: BLE001 - one by one, so that a failure is its own problem's
        pass
    designs = []
    for problem in problems:
        try:
            designer, receiver, detector = scheme.make()
            designs.append(run_designer(designer, problem, receiver, detector))
        except Exception as error:  # noqa: BLE001 - recorded in the problem's row
            designs.append(error)
    return designs


@attrs.frozen(kw_only=True)
class Simulation:
    """Sweep one :class:`ScenarioConfig` field over seeded realizations.

    Parameters
    ----------
    config : ScenarioConfig
        The fixed parameters.
    x_name : str
        The swept field of ``config`` (e.g. ``"sinr_target_db"``,
        ``"p_max_w"``, ``"p_fa"``, ``"user_angle_deg"``, ``"n_tx"``).
    x_values : tuple of float
        Its values.
    schemes : tuple of Scheme
        The curves: designer x receiver x scenario.
    n_realizations : int
        Channel realizations per value, >= 1.
    seed : int
        Root seed of the realizations.
    """

    config: ScenarioConfig = attrs.field(factory=ScenarioConfig)
    x_name: str = "sinr_target_db"
    x_values: tuple = attrs.field(default=(15.0,), converter=_as_values, validator=_check_sweep)
    schemes: tuple = attrs.field(default=PAPER_SCHEMES, converter=v.as_tuple)
    n_realizations: int = attrs.field(default=10, validator=v.integer_at_least(1))
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))

    def __attrs_post_init__(self):
        if self.x_name not in attrs.fields_dict(ScenarioConfig):
            raise InputError(f"x_name: {self.x_name!r} is not a ScenarioConfig field")
        for value in self.x_values:  # every point must be a valid configuration, of a size that fits in memory
            self.config.evolve(**{self.x_name: value}).check_memory()
        require_schemes(self.schemes)
        for scheme in self.schemes:
            # Unknown names fail now, not in every task; and the plugins load
            # (and a broken one is reported) once here, before any worker starts.
            get_designer(scheme.designer)
            get_receiver(scheme.receiver)

    #: Realization r depends only on (seed, r): a run into the same directory
    #: may add realizations (only the new ones are computed) or use fewer.
    extendable_fields = ("n_realizations",)
    columns = SOLVE_COLUMNS
    summary_columns = SUMMARY_COLUMNS

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description; equal descriptions mean equal results."""
        return {
            "kind": "sweep",
            "config": self.config.as_dict(),
            "x_name": self.x_name,
            "x_values": list(self.x_values),
            **describe_schemes(self.schemes),
            "n_realizations": self.n_realizations,
            "seed": self.seed,
            "isacsim": __version__,
        }

    # ------------------------------------------------------------------ tasks
    def tasks(self) -> list[str]:
        """Task ids, ``"r{realization}-x{index}"`` (or ``-xall`` for evaluation-only sweeps)."""
        if self.x_name in EVALUATION_ONLY:
            return [f"r{r}-xall" for r in range(self.n_realizations)]
        return [f"r{r}-x{i}" for r in range(self.n_realizations) for i in range(len(self.x_values))]

    def size(self) -> tuple[int, int]:
        """``(tasks, result rows)`` of the whole sweep, counted without listing them."""
        n_values = len(self.x_values)
        return self.n_realizations * (1 if self.x_name in EVALUATION_ONLY else n_values), self.n_realizations * n_values * len(self.schemes)

    def rows_per_task(self, task: str) -> int:
        """How many rows a finished task has written."""
        return len(self.schemes) * (len(self.x_values) if task.endswith("xall") else 1)

    def batch_key(self, task: str) -> str:
        """Tasks of one swept value share a shape and may run in one batch (:mod:`.batching`).

        Returns
        -------
        str
            The index of the swept value (``"all"`` for every task of an
            evaluation-only sweep).
        """
        return task.rsplit("-x", 1)[1]

    def batch_limit(self, key: str) -> int:
        """The largest batch of swept value ``key`` (:meth:`batch_key`) that fits a worker's memory."""
        return batch_limit(self.config if key == "all" else self.config.evolve(**{self.x_name: self.x_values[int(key)]}))

    def run_task(self, task: str) -> list[dict[str, Any]]:
        """Solve one task; never raises for a failed solve (the row says so).

        Returns
        -------
        list of dict
            One row per (scheme, swept value) of the task.
        """
        return self.run_batch([task])[0]

    def run_batch(self, tasks: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Solve several tasks, each scheme's designs of all of them in one batch.

        A task's rows do not depend on the other tasks of the batch
        (:func:`isacsim.designers.batch.design_batch`).

        Parameters
        ----------
        tasks : sequence of str
            Task ids (:meth:`tasks`).

        Returns
        -------
        list of list of dict
            Each task's rows, one per (scheme, swept value), as :meth:`run_task`.
        """
        points = [point for position, task in enumerate(tasks) for point in self._points(position, task)]
        # The problem each point's design is made for: its own, or in an
        # evaluation-only sweep (the swept value changes only the evaluation)
        # the first problem of its task that could be built.
        requests: list[DesignProblem] = []
        request_of: dict[int, int] = {}
        first: dict[Any, int] = {}
        for index, point in enumerate(points):
            if isinstance(point.problem, Exception):
                continue
            first.setdefault(point.position, index)
            key = first[point.position] if point.evaluation_only else index
            if key not in request_of:
                request_of[key] = len(requests)
                requests.append(points[key].problem)
            request_of[index] = request_of[key]
        built = [index for index, point in enumerate(points) if not isinstance(point.problem, Exception)]
        evaluated = {}  # (scheme, point index) -> (design, evaluation) or the exception of either
        for scheme in self.schemes:
            designs = _designs(scheme, requests)
            chosen = [designs[request_of[i]] for i in built]
            evaluations = evaluate_each([points[i].problem for i in built], chosen)
            for i, design, evaluation in zip(built, chosen, evaluations):
                failure = next((x for x in (design, evaluation) if isinstance(x, Exception)), None)
                evaluated[scheme, i] = failure or (design, evaluation)
        rows: list[list[dict[str, Any]]] = [[] for _ in tasks]
        seeds = {point.realization: realization_seed(self.seed, point.realization) for point in points}
        for index, point in enumerate(points):
            for scheme in self.schemes:
                coordinates = (point.task, scheme, self.x_name, point.x, point.x_index, point.realization, seeds[point.realization])
                outcome = point.problem if isinstance(point.problem, Exception) else evaluated[scheme, index]
                if isinstance(outcome, Exception):  # a failed point never kills the sweep
                    rows[point.position].append(error_row(*coordinates, outcome))
                else:
                    rows[point.position].append(solve_row(*coordinates, *outcome))
        return rows

    def _points(self, position, task):
        """The (swept value, problem) points of one task; a problem that cannot be built is its exception."""
        realization, index = task[1:].split("-x")
        realization = int(realization)
        evaluation_only = index == "all"
        for i in range(len(self.x_values)) if evaluation_only else [int(index)]:
            x = self.x_values[i]
            try:
                problem = self.config.evolve(**{self.x_name: x}).build(realization_rng(self.seed, realization))
            except Exception as error:  # noqa: BLE001 - a point that cannot be built is recorded
                problem = error
            yield _Point(position, task, realization, i, x, evaluation_only, problem)

    def summarize(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Aggregate rows into the summary table (see :func:`summarize_sweep`)."""
        return summarize_sweep(rows)
