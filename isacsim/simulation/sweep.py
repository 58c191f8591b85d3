"""`Simulation`: a parameter sweep over seeded channel realizations.

Every (swept value, realization) pair is solved by every scheme. Channel
realization ``r`` comes from a stream derived only from ``(seed, r)``
(:func:`isacsim.scenario.realization_rng`), so all schemes and swept values
see the same channels (common random numbers) and the results do not depend
on the number of workers or the order tasks run in.
"""
from __future__ import annotations

import attrs

from ..errors import InputError
from .. import __version__
from .. import validation as v
from ..plugins import get_designer, get_receiver
from ..scenario import ScenarioConfig, realization_rng, realization_seed
from .aggregate import SUMMARY_COLUMNS, summarize_sweep
from .rows import SOLVE_COLUMNS, error_row, solve_row
from .schemes import PAPER_SCHEMES, Scheme, require_schemes

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
    schemes: tuple = attrs.field(default=PAPER_SCHEMES, converter=tuple)
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

    def describe(self):
        """JSON-friendly description; equal descriptions mean equal results."""
        return {
            "kind": "sweep",
            "config": self.config.as_dict(),
            "x_name": self.x_name,
            "x_values": list(self.x_values),
            "schemes": [attrs.asdict(s) for s in self.schemes],
            "n_realizations": self.n_realizations,
            "seed": self.seed,
            "isacsim": __version__,
        }

    # ------------------------------------------------------------------ tasks
    def tasks(self):
        """Task ids, ``"r{realization}-x{index}"`` (or ``-xall`` for evaluation-only sweeps)."""
        if self.x_name in EVALUATION_ONLY:
            return [f"r{r}-xall" for r in range(self.n_realizations)]
        return [f"r{r}-x{i}" for r in range(self.n_realizations) for i in range(len(self.x_values))]

    def size(self):
        """``(tasks, result rows)`` of the whole sweep, counted without listing them."""
        n_values = len(self.x_values)
        return self.n_realizations * (1 if self.x_name in EVALUATION_ONLY else n_values), self.n_realizations * n_values * len(self.schemes)

    def rows_per_task(self, task):
        """How many rows a finished task has written."""
        return len(self.schemes) * (len(self.x_values) if task.endswith("xall") else 1)

    def run_task(self, task):
        """Solve one task; never raises for a failed solve (the row says so).

        Returns
        -------
        list of dict
            One row per (scheme, swept value) of the task.
        """
        realization, index = task[1:].split("-x")
        realization = int(realization)
        evaluation_only = index == "all"
        indices = range(len(self.x_values)) if evaluation_only else [int(index)]

        def build(value):
            return self.config.evolve(**{self.x_name: value}).build(realization_rng(self.seed, realization))

        # An evaluation-only sweep keeps each scheme's design from its first
        # problem (the swept value changes only the evaluation); others redesign.
        rows, designs = [], {}
        seed = realization_seed(self.seed, realization)
        for i in indices:
            x = self.x_values[i]
            try:
                problem = build(x)
            except Exception as error:  # noqa: BLE001 - a point that cannot be built is recorded
                rows.extend(error_row(task, scheme, self.x_name, x, i, realization, seed, error) for scheme in self.schemes)
                continue
            for scheme in self.schemes:
                coordinates = (task, scheme, self.x_name, x, i, realization, seed)
                try:
                    if scheme not in designs:
                        designer, receiver, detector = scheme.make()
                        designs[scheme] = designer.design(problem, receiver, detector)
                    design = designs[scheme]
                    rows.append(solve_row(*coordinates, design, design.evaluate(problem)))
                except Exception as error:  # noqa: BLE001 - a failed point never kills the sweep
                    rows.append(error_row(*coordinates, error))
            if not evaluation_only:
                designs.clear()
        return rows

    def summarize(self, rows):
        """Aggregate rows into the summary table (see :func:`summarize_sweep`)."""
        return summarize_sweep(rows)
