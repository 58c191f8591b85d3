"""One tidy result row per solve."""
from __future__ import annotations

import math

__all__ = ["SOLVE_COLUMNS", "solve_row", "error_row"]

#: Columns of ``results.csv`` for parameter sweeps, in order.
SOLVE_COLUMNS = (
    "task",
    "scenario",
    "designer",
    "receiver",
    "x_name",
    "x",
    "x_index",
    "realization",
    "seed",
    "status",
    "min_p_d",
    "min_reflected_power_w",
    "solve_seconds",
    "objective_w",
    "bound_w",
    "duality_gap",
    "max_sinr_violation",
    "max_power_violation",
    "min_eig_r",
    "rank_one_residual",
    "iterations",
    "repaired",
    "solver",
    "reason",
)


def _base(task, scheme, x_name, x, x_index, realization, seed):
    return {
        "task": task,
        "scenario": scheme.scenario,
        "designer": scheme.designer,
        "receiver": scheme.receiver,
        "x_name": x_name,
        "x": float(x),
        "x_index": x_index,
        "realization": realization,
        "seed": seed,
    }


def solve_row(task, scheme, x_name, x, x_index, realization, seed, design, evaluation):
    """The row of one finished design (any status)."""
    certificate = design.certificate
    usable = design.usable
    return {
        **_base(task, scheme, x_name, x, x_index, realization, seed),
        "status": design.status,
        "min_p_d": evaluation.min_detection_probability if usable else math.nan,
        "min_reflected_power_w": evaluation.min_reflected_power_w if usable else math.nan,
        "solve_seconds": certificate.solve_seconds,
        "objective_w": certificate.objective,
        "bound_w": certificate.bound,
        "duality_gap": certificate.duality_gap,
        "max_sinr_violation": certificate.max_sinr_violation,
        "max_power_violation": certificate.max_power_violation,
        "min_eig_r": certificate.min_eig_r,
        "rank_one_residual": certificate.rank_one_residual,
        "iterations": certificate.iterations,
        "repaired": certificate.repaired,
        "solver": certificate.solver,
        "reason": design.reason,
    }


def error_row(task, scheme, x_name, x, x_index, realization, seed, error):
    """The row of a solve that raised: recorded, never fatal to the sweep."""
    row = dict.fromkeys(SOLVE_COLUMNS, math.nan)
    row.update(_base(task, scheme, x_name, x, x_index, realization, seed))
    row.update(status="error", reason=f"{type(error).__name__}: {error}", iterations=-1, repaired=False, solver="")
    return row
