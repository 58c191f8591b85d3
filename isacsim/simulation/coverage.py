"""`CoverageMap`: detection probability over a fine grid of target positions.

The designs are made for the Q sample points of the configuration, as in
the paper; they are then evaluated at every point of a fine grid, which shows
what happens between and beyond the design points.
"""
from __future__ import annotations

import math

import attrs
import numpy as np

from .. import __version__
from .. import validation as v
from ..guard import run_designer
from ..scenario import ScenarioConfig, realization_rng, realization_seed
from ..targets import TargetGrid
from .aggregate import summarize_sweep
from .schemes import Scheme, describe_schemes, require_schemes

__all__ = ["CoverageMap"]


@attrs.frozen(kw_only=True)
class CoverageMap:
    """Mean p_D of some schemes over a square grid of target positions.

    Parameters
    ----------
    config : ScenarioConfig
        Designs are made for its Q sample points.
    schemes : tuple of Scheme
    half_width_m : float
        The map covers ``[-half_width_m, half_width_m]^2`` around the origin [m].
    n_per_side : int
        Grid points per side.
    n_realizations : int
        Channel realizations averaged.
    seed : int
        Root seed (common random numbers, as for :class:`Simulation`).
    """

    config: ScenarioConfig = attrs.field(factory=ScenarioConfig)
    schemes: tuple = attrs.field(converter=v.as_tuple, factory=lambda: (Scheme("sdr", "type-ii", True),))
    half_width_m: float = attrs.field(default=10.0, validator=v.positive)
    n_per_side: int = attrs.field(default=41, validator=v.integer_at_least(2))
    n_realizations: int = attrs.field(default=10, validator=v.integer_at_least(1))
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))

    #: Realization r depends only on (seed, r): a run into the same directory
    #: may add realizations (only the new ones are computed) or use fewer.
    extendable_fields = ("n_realizations",)
    columns = ("task", "scenario", "designer", "receiver", "realization", "seed", "status", "point", "x_m", "y_m", "p_d", "reflected_power_w")
    summary_columns = (
        "scenario", "designer", "receiver", "x_name", "x", "y_m", "p_d_mean", "p_d_low", "p_d_high",
        "p_d_mean_feasible", "reflected_power_mean_w", "n_realizations", "n_ok", "n_feasible", "n_inaccurate", "n_infeasible", "n_error",
    )

    def __attrs_post_init__(self):
        require_schemes(self.schemes)
        self.config.check_memory(self.n_per_side**2)  # the fine grid's problem fits, or nothing starts

    def describe(self):
        """JSON-friendly description."""
        return {
            "kind": "coverage",
            "config": self.config.as_dict(),
            **describe_schemes(self.schemes),
            "half_width_m": self.half_width_m,
            "n_per_side": self.n_per_side,
            "n_realizations": self.n_realizations,
            "seed": self.seed,
            "isacsim": __version__,
        }

    def fine_grid(self):
        """The evaluation grid (:class:`TargetGrid`)."""
        return TargetGrid.square(center=(0.0, 0.0), side=2 * self.half_width_m, n_per_side=self.n_per_side)

    def tasks(self):
        """One task per realization."""
        return [f"r{r}" for r in range(self.n_realizations)]

    def size(self):
        """``(tasks, result rows)`` of the whole map, counted without listing them."""
        return self.n_realizations, self.n_realizations * len(self.schemes) * self.n_per_side**2

    def rows_per_task(self, task):
        """One row per scheme and grid point."""
        return len(self.schemes) * self.n_per_side**2

    def run_task(self, task):
        """Design on the Q points, evaluate on the fine grid (same channel draw)."""
        realization = int(task[1:])
        problem = self.config.build(realization_rng(self.seed, realization))
        fine = self.config.build(realization_rng(self.seed, realization), grid=self.fine_grid())
        points = self.fine_grid().points
        rows = []
        for scheme in self.schemes:
            base = {"task": task, "scenario": scheme.scenario, "designer": scheme.designer, "receiver": scheme.receiver,
                    "realization": realization, "seed": realization_seed(self.seed, realization)}
            try:
                designer, receiver, detector = scheme.make()
                design = run_designer(designer, problem, receiver, detector)
                status = design.status
                if design.usable:
                    p_d = design.detector.detection_probability(fine, design.w, design.R)
                    power = design.detector.reflected_power(fine, design.w, design.R)
                else:
                    p_d = power = np.full(len(points), math.nan)
            except Exception:  # noqa: BLE001 - recorded, never fatal
                status, p_d, power = "error", np.full(len(points), math.nan), np.full(len(points), math.nan)
            for q, (x, y) in enumerate(points):
                rows.append({**base, "status": status, "point": q, "x_m": x, "y_m": y, "p_d": p_d[q], "reflected_power_w": power[q]})
        return rows

    def summarize(self, rows):
        """Mean p_D per scheme and grid point, aggregated like a sweep over points.

        Same conventions as :func:`summarize_sweep` (infeasible counts as 0);
        each point is reported by its coordinates ``x`` and ``y_m`` [m].
        """
        position = {}

        def by_point():
            for row in rows:
                position[int(row["point"])] = (float(row["x_m"]), float(row["y_m"]))
                yield {**row, "x_name": "point", "x": row["point"], "x_index": row["point"], "min_p_d": row["p_d"],
                       "min_reflected_power_w": row["reflected_power_w"]}

        summary = summarize_sweep(by_point())
        for entry in summary:
            entry["x"], entry["y_m"] = position[int(entry["x"])]
            entry["x_name"] = "x_m"
        return [{k: entry[k] for k in self.summary_columns} for entry in summary]
