"""Aggregation of per-solve rows into the summary table.

Conventions (also in the README):

* An ``infeasible`` realization is a design that fails its users: it counts
  as ``p_D = 0`` in ``p_d_mean``; ``n_infeasible`` reports how many.
* ``p_d_mean_feasible`` averages over the realizations with a design
  (``optimal``, ``feasible`` or ``inaccurate``) only.
* ``n_ok`` counts the ``optimal`` designs, ``n_feasible`` the verified
  designs that claim no optimality (closed-form and heuristic designers).
* ``error`` rows (a solver or input failure) are excluded from both means and
  counted in ``n_error``.
* ``p_d_low``/``p_d_high`` are the 95 % Student-t interval of ``p_d_mean``
  over realizations, clipped to [0, 1].

Values are ordered by realization before averaging, so the summary is
bit-for-bit independent of the order the tasks finished in.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..designers.design import USABLE_STATUSES, reported_detection_probability
from ..stats import mean_interval

__all__ = ["SUMMARY_COLUMNS", "SOLVE_TIME_COLUMNS", "summarize_sweep", "summarize_solve_times", "as_float"]

SUMMARY_COLUMNS = (
    "scenario",
    "designer",
    "receiver",
    "x_name",
    "x",
    "p_d_mean",
    "p_d_low",
    "p_d_high",
    "p_d_mean_feasible",
    "reflected_power_mean_w",
    "n_realizations",
    "n_ok",
    "n_feasible",
    "n_inaccurate",
    "n_infeasible",
    "n_error",
)

#: Columns of :func:`summarize_solve_times`.
SOLVE_TIME_COLUMNS = (
    "scenario",
    "designer",
    "receiver",
    "x_name",
    "x",
    "solve_seconds_median",
    "solve_seconds_max",
    "n_solves",
)


def as_float(value):
    """CSV cell -> float (empty or 'nan' -> NaN)."""
    if value in ("", None):
        return math.nan
    return float(value)


def _by_point(rows):
    """Rows grouped by (scenario, designer, receiver, x_name, x_index), sorted, each by realization."""
    groups = defaultdict(list)
    for row in rows:
        groups[row["scenario"], row["designer"], row["receiver"], row["x_name"], int(row["x_index"])].append(row)
    return {key: sorted(groups[key], key=lambda row: int(row["realization"])) for key in sorted(groups)}


def summarize_sweep(rows):
    """Summary rows, one per (scenario, designer, receiver, swept value).

    Parameters
    ----------
    rows : iterable of dict
        Result rows (typed, or strings as read back from ``results.csv``).

    Returns
    -------
    list of dict
        With the keys of :data:`SUMMARY_COLUMNS`, ordered by scenario,
        designer, receiver and swept value.
    """
    summary = []
    for key, group in _by_point(rows).items():
        scenario, designer, receiver, x_name, _ = key
        entries = [(int(r["realization"]), as_float(r["x"]), r["status"], as_float(r["min_p_d"]), as_float(r["min_reflected_power_w"])) for r in group]
        status = [e[2] for e in entries]
        counted = [reported_detection_probability(s, e[3]) for e, s in zip(entries, status) if s != "error"]
        feasible = [e[3] for e, s in zip(entries, status) if s in USABLE_STATUSES]
        power = [e[4] for e, s in zip(entries, status) if s in USABLE_STATUSES]
        mean, low, high = mean_interval(counted)
        low, high = (min(max(bound, 0.0), 1.0) if math.isfinite(bound) else bound for bound in (low, high))
        summary.append(
            {
                "scenario": scenario,
                "designer": designer,
                "receiver": receiver,
                "x_name": x_name,
                "x": entries[0][1],
                "p_d_mean": mean,
                "p_d_low": low,
                "p_d_high": high,
                "p_d_mean_feasible": float(np.mean(feasible)) if feasible else math.nan,
                "reflected_power_mean_w": float(np.mean(power)) if power else math.nan,
                "n_realizations": len(entries),
                "n_ok": status.count("optimal"),
                "n_feasible": status.count("feasible"),
                "n_inaccurate": status.count("inaccurate"),
                "n_infeasible": status.count("infeasible"),
                "n_error": status.count("error"),
            }
        )
    return summary


def summarize_solve_times(rows):
    """Median and largest solve time per (scenario, designer, receiver, swept value).

    Every solve that returned a design or an infeasibility certificate
    counts; ``error`` rows (no solve) do not. Solve times vary from run to
    run, which is why they are not part of :func:`summarize_sweep`.

    Parameters
    ----------
    rows : iterable of dict
        Result rows with ``solve_seconds``.

    Returns
    -------
    list of dict
        With the keys of :data:`SOLVE_TIME_COLUMNS` (times in [s]; NaN where
        no solve counted), ordered like :func:`summarize_sweep`.
    """
    summary = []
    for (scenario, designer, receiver, x_name, _), group in _by_point(rows).items():
        seconds = [as_float(r["solve_seconds"]) for r in group if r["status"] != "error"]
        seconds = [s for s in seconds if math.isfinite(s)]
        summary.append(
            {
                "scenario": scenario,
                "designer": designer,
                "receiver": receiver,
                "x_name": x_name,
                "x": as_float(group[0]["x"]),
                "solve_seconds_median": float(np.median(seconds)) if seconds else math.nan,
                "solve_seconds_max": max(seconds) if seconds else math.nan,
                "n_solves": len(seconds),
            }
        )
    return summary
