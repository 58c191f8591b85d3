"""`PowerMinStudy`: the least transmit power that meets a detection target, against the target.

A job for :func:`isacsim.simulation.run`: for every channel realization and
every detection target pD*, each scheme (a power-minimizing designer x
receiver x scenario) finds the minimum total transmit power at which every
user meets its SINR target and every sample point is detected with
probability at least pD*, within the per-BS budgets ("budget" panel) and,
in a second panel, within per-antenna budgets as well ("antenna" panel).
Channels are the paper's figures' (:func:`isacsim.scenario.realization_rng`),
so every scheme, target and panel sees the same realizations.

``results.csv`` has one row per (realization, pD*, panel, scheme): status,
total power [W] (``nan`` unless a design was returned), the relaxation's
certified lower bound [W], the design's worst detection probability, solve
time and certificate numbers.
"""
from __future__ import annotations

import math
from collections import defaultdict

import attrs
import numpy as np

from .. import __version__
from ..designers.design import USABLE_STATUSES
from ..errors import InputError
from ..evaluation import antenna_powers
from ..guard import run_designer
from .. import validation as v
from ..scenario import ScenarioConfig, realization_rng
from ..simulation.aggregate import as_float
from ..simulation.outcomes import describe_exception
from ..simulation.schemes import Scheme, describe_schemes
from ..stats import mean_interval

__all__ = ["PowerMinStudy", "POWER_MIN_SCHEMES", "PD_TARGETS", "PANELS", "summarize_power_min"]

#: The detection targets pD* of the study.
PD_TARGETS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
#: The power-minimizing forms of the paper's three designs, for both receivers, in both scenarios.
POWER_MIN_SCHEMES = tuple(
    Scheme(designer, receiver, synchronized)
    for synchronized in (True, False)
    for designer in ("power-min", "power-min-zf", "power-min-sensing-only")
    for receiver in ("type-i", "type-ii")
)
#: The panels: per-BS budgets only, and per-antenna budgets too.
PANELS = ("budget", "antenna")
_USABLE = USABLE_STATUSES

_COLUMNS = (
    "task", "panel", "scenario", "designer", "receiver", "pd_target", "x_index", "realization", "seed", "status",
    "total_power_w", "bound_w", "min_p_d", "max_antenna_power_w", "solve_seconds", "iterations", "repaired", "solver", "reason",
)
_SUMMARY = (
    "panel", "scenario", "designer", "receiver", "pd_target", "power_mean_w", "power_low_w", "power_high_w",
    "power_mean_feasible_w", "n_common", "n_realizations", "n_ok", "n_feasible", "n_inaccurate", "n_infeasible", "n_error",
)


def _as_targets(values):
    try:
        targets = tuple(float(x) for x in values)
    except (TypeError, ValueError):
        targets = ()
    if not targets or not all(0.0 < x < 1.0 for x in targets):
        raise InputError(f"pd_targets: expected a non-empty sequence of probabilities in (0, 1), got {values!r}")
    return targets


@attrs.frozen(kw_only=True)
class PowerMinStudy:
    """Minimum total transmit power against the detection target pD*.

    Parameters
    ----------
    config : ScenarioConfig
        The fixed setting (the study uses Fig. 8's, K = 3).
    pd_targets : tuple of float
        The detection targets pD*, each in (0, 1), required at every point.
    schemes : tuple of Scheme
        Power-minimizing designs.
    p_antenna_w : float
        Per-antenna budget of the "antenna" panel [W], the same for every
        antenna of every BS.
    n_realizations : int
        Channel realizations.
    seed : int
        Root seed of the channels.
    """

    config: ScenarioConfig = attrs.field(factory=ScenarioConfig)
    pd_targets: tuple = attrs.field(default=PD_TARGETS, converter=_as_targets)
    schemes: tuple = attrs.field(default=POWER_MIN_SCHEMES, converter=v.as_tuple)
    p_antenna_w: float = attrs.field(default=0.25, validator=v.positive)
    n_realizations: int = attrs.field(default=50, validator=v.integer_at_least(1))
    seed: int = attrs.field(default=2024, validator=v.integer_at_least(0))

    extendable_fields = ("n_realizations",)
    columns = _COLUMNS
    summary_columns = _SUMMARY

    def __attrs_post_init__(self):
        for scheme in self.schemes:  # unknown names fail now, not in every task
            scheme.make()

    def describe(self):
        """JSON-friendly description; equal descriptions mean equal results."""
        return {
            "kind": "power-min",
            "config": self.config.as_dict(),
            "pd_targets": list(self.pd_targets),
            **describe_schemes(self.schemes),
            "p_antenna_w": self.p_antenna_w,
            "n_realizations": self.n_realizations,
            "seed": self.seed,
            "isacsim": __version__,
        }

    # ------------------------------------------------------------------ tasks
    def tasks(self):
        """Task ids ``"r{realization}-x{index}"``."""
        return [f"r{r}-x{i}" for r in range(self.n_realizations) for i in range(len(self.pd_targets))]

    def rows_per_task(self, task):
        """One row per panel and scheme."""
        return len(PANELS) * len(self.schemes)

    def problems(self, realization, index):
        """The two panels' problems of one task: ``{panel: DesignProblem}``."""
        problem = self.config.build(realization_rng(self.seed, realization)).evolve(pd_target=self.pd_targets[index])
        per_antenna = np.full((problem.n_bs, problem.n_tx), self.p_antenna_w)
        return {"budget": problem, "antenna": problem.evolve(p_antenna=per_antenna)}

    def run_task(self, task):
        """Design every scheme in both panels; never raises for a failed design (its row says so)."""
        realization, index = (int(part) for part in task[1:].split("-x"))
        base = {"task": task, "pd_target": self.pd_targets[index], "x_index": index, "realization": realization, "seed": self.seed}
        try:
            problems = self.problems(realization, index)
        except Exception as error:  # noqa: BLE001 - a point that cannot be built is recorded
            return [_error_row(base, panel, scheme, error) for panel in PANELS for scheme in self.schemes]
        rows = []
        for panel, problem in problems.items():
            for scheme in self.schemes:
                try:
                    designer, receiver, detector = scheme.make()
                    rows.append(_design_row(base, panel, scheme, problem, run_designer(designer, problem, receiver, detector)))
                except Exception as error:  # noqa: BLE001 - a failed point never kills the study
                    rows.append(_error_row(base, panel, scheme, error))
        return rows

    def summarize(self, rows):
        """One summary row per (panel, scenario, designer, receiver, pD*); see :func:`summarize_power_min`."""
        return summarize_power_min(rows)


def _scheme_fields(base, panel, scheme):
    return {**base, "panel": panel, "scenario": scheme.scenario, "designer": scheme.designer, "receiver": scheme.receiver}


def _design_row(base, panel, scheme, problem, design):
    usable = design.status in _USABLE
    evaluation = design.evaluate(problem)
    antenna = antenna_powers(design.w, design.R)
    certificate = design.certificate
    return {
        **_scheme_fields(base, panel, scheme),
        "status": design.status,
        "total_power_w": float(evaluation.tx_power_w.sum()) if usable else math.nan,
        "bound_w": certificate.bound,
        "min_p_d": evaluation.min_detection_probability if usable else math.nan,
        "max_antenna_power_w": float(antenna.max()) if usable else math.nan,
        "solve_seconds": certificate.solve_seconds,
        "iterations": certificate.iterations,
        "repaired": certificate.repaired,
        "solver": certificate.solver,
        "reason": design.reason,
    }


def _error_row(base, panel, scheme, error):
    row = dict.fromkeys(_COLUMNS, math.nan)
    row.update(_scheme_fields(base, panel, scheme))
    row.update(status="error", reason=describe_exception(error), iterations=-1, repaired=False, solver="")
    return row


def summarize_power_min(rows):
    """Summary rows, one per (panel, scenario, designer, receiver, pD*).

    ``power_mean_w`` (with its 95 % Student-t interval) averages the total
    power over the *common* realizations: those in which every designer of
    the same panel, scenario and receiver returned a design, so that the
    designs compared for one receiver see the same channels. ``power_mean_feasible_w`` averages over
    the realizations this scheme itself could serve. ``n_infeasible`` counts
    the realizations in which the target cannot be met (certified).

    Parameters
    ----------
    rows : iterable of dict
        ``results.csv`` rows (typed, or strings as read back).

    Returns
    -------
    list of dict
    """
    groups, served = defaultdict(list), defaultdict(lambda: defaultdict(set))
    for row in rows:
        key = (row["panel"], row["scenario"], row["designer"], row["receiver"], int(row["x_index"]))
        groups[key].append(row)
    for (panel, scenario, designer, receiver, index), group in groups.items():
        served[panel, scenario, receiver, index][designer] = {int(r["realization"]) for r in group if r["status"] in _USABLE}
    order = {"budget": 0, "antenna": 1, "sync": 0, "unsync": 1}
    summary = []
    for key in sorted(groups, key=lambda k: (order.get(k[0], 2), order.get(k[1], 2), k[2], k[3], k[4])):
        panel, scenario, designer, receiver, index = key
        group = sorted(groups[key], key=lambda r: int(r["realization"]))
        common = set.intersection(*served[panel, scenario, receiver, index].values())
        status = [r["status"] for r in group]
        feasible = [as_float(r["total_power_w"]) for r in group if r["status"] in _USABLE]
        mean, low, high = mean_interval([as_float(r["total_power_w"]) for r in group if int(r["realization"]) in common])
        summary.append({
            "panel": panel, "scenario": scenario, "designer": designer, "receiver": receiver,
            "pd_target": as_float(group[0]["pd_target"]),
            "power_mean_w": mean, "power_low_w": low, "power_high_w": high,
            "power_mean_feasible_w": float(np.mean(feasible)) if feasible else math.nan,
            "n_common": len(common), "n_realizations": len(group),
            "n_ok": status.count("optimal"), "n_feasible": status.count("feasible"), "n_inaccurate": status.count("inaccurate"),
            "n_infeasible": status.count("infeasible"), "n_error": status.count("error"),
        })
    return summary
