"""Composing a designer's program from the family: rows, the sensing covariances, the limits.

A designer's program is a :class:`~isacsim.solvers.formulation.Formulation`:
an objective plus row sets (:mod:`isacsim.solvers.formulation`,
:mod:`isacsim.solvers.requirements`). This module holds what every designer
composes the same way:

* :func:`requirement_rows`: what a problem asks of every design (SINR
  targets, in expectation under a CSI error; per-BS budgets; per-antenna
  budgets; the reflected-power floors of a detection target);
* :func:`sensing_redundant`: whether the sensing covariances can be left
  out of the relaxation without loss (then the rank-one construction
  rebuilds them);
* :func:`limits_of`: the limits in watts that verification recomputes from
  the returned beams, read from the formulation's rows;
* lazy rows (:data:`LAZY_KINDS`, :func:`split_lazy`, :func:`select_rows`,
  :func:`violated_rows`): rows that are many, cheap to check and often
  slack (the per-antenna budgets: one per antenna), which the pipeline adds
  to the solved program only where a relaxed solution violates them.
"""
from __future__ import annotations

import attrs
import numpy as np

from ..solvers.formulation import budget_rows, sinr_rows
from ..solvers.requirements import antenna_rows, floor_rows, robust_sinr_rows
from .verify import Limits, covariance_row_values

__all__ = ["requirement_rows", "sensing_redundant", "limits_of", "MODEL_KINDS", "LAZY_KINDS", "split_lazy", "select_rows", "violated_rows"]

#: Row kinds solved lazily: without them first, then with those a relaxed
#: solution violates, until none is violated. Exact: a solution of fewer rows
#: that meets the others solves the whole program, and the bound and any
#: infeasibility certificate of fewer rows hold for the whole program.
LAZY_KINDS = ("antenna",)
#: Relative shortfall of a lazy row that counts as violated (against
#: ``max(|rhs|, scale max(P_max))``); smaller misses are left to verification
#: and repair.
LAZY_RTOL = 1e-7

#: Row kinds whose limits verification recomputes with the model's own
#: functions (SINR, transmit power, per-antenna power, reflected power); the
#: echo rows define the max-min objective, which is recomputed too. Rows of
#: any other kind are evaluated from their own data.
MODEL_KINDS = ("echo", "sinr", "budget", "antenna", "floor")


def requirement_rows(problem, receiver, detector):
    """The rows every design of ``problem`` must meet.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
        Its ``sensing_leakage`` sets the SINR rows.
    detector : Detector
        Which echoes count toward a detection target's floors, at which
        false-alarm probability.

    Returns
    -------
    tuple of RowSet
        The SINR rows (in expectation when ``problem.csi_error_var`` is set),
        the per-BS budgets, the per-antenna budgets (when
        ``problem.p_antenna`` is set) and the reflected-power floors (when
        ``problem.pd_target`` asks for more than the false-alarm probability
        somewhere).
    """
    leakage = receiver.sensing_leakage
    sinr = sinr_rows(problem, leakage) if problem.csi_error_var is None else robust_sinr_rows(problem, leakage, problem.csi_error_var)
    rows = [sinr, budget_rows(problem)]
    if problem.p_antenna is not None:
        rows.append(antenna_rows(problem, problem.p_antenna))
    floors = detector.reflected_power_floors(problem)
    if floors is not None and np.any(floors > 0):
        rows.append(floor_rows(problem, detector.link_weights(problem), floors, detector.information_echoes))
    return tuple(rows)


def sensing_redundant(objective, rows, directions):
    """Whether ``R = 0`` loses nothing in the relaxation.

    With free beams, moving ``R_l`` into any ``W_li`` keeps BS l's transmit
    covariance; if every row and the objective credit a beam's covariance at
    least as much as the same covariance in ``R_l`` (each atom's coefficient
    on every ``W_li`` >= its coefficient on ``R_l``, and the same for the
    identity terms), the move keeps every row met and the objective at least
    as good, so an optimum with ``R = 0`` exists. This holds for the paper's
    Type-I receivers whose information echoes count (and for every row of
    :func:`requirement_rows` with them); the rank-one construction then
    rebuilds ``R`` from what the beams leave over.

    Parameters
    ----------
    objective : Objective
    rows : sequence of RowSet
    directions : numpy.ndarray or None
        Fixed beam directions (then never: a fixed beam cannot absorb ``R``).

    Returns
    -------
    bool
    """
    if directions is not None:
        return False
    for row_set in rows:
        if np.any(row_set.beam < row_set.sensing[:, None, :]):
            return False
        if row_set.beam_identity is not None or row_set.sensing_identity is not None:
            beam = np.zeros((row_set.n_rows,) + row_set.beam.shape[:2]) if row_set.beam_identity is None else row_set.beam_identity
            sensing = np.zeros(beam.shape[:2]) if row_set.sensing_identity is None else row_set.sensing_identity
            if np.any(beam < sensing[:, :, None]):
                return False
    if objective.beam_identity is not None or objective.sensing_identity is not None:
        beam = 0.0 if objective.beam_identity is None else np.asarray(objective.beam_identity)
        sensing = 0.0 if objective.sensing_identity is None else np.asarray(objective.sensing_identity)[:, None]
        if np.any(beam < sensing):
            return False
    return True


def limits_of(formulation):
    """The limits of a formulation's rows in watts, for :func:`~isacsim.designers.verify.check_design`.

    Read from each row set's parameters: the SINR targets, the per-BS
    budgets, the per-antenna budgets and the reflected-power floors, and the
    per-BS weights of a power objective. A kind that is absent leaves its
    limit out (the SINR targets and budgets default to the problem's).

    Returns
    -------
    Limits
    """
    problem = formulation.problem

    def param(kind, name, default=None):
        row_set = formulation.row_set(kind)
        return default if row_set is None else row_set.params[name]

    objective = formulation.objective
    return Limits(
        gamma=param("sinr", "gamma", problem.gamma),
        p_max=param("budget", "p_max", problem.p_max),
        p_antenna=param("antenna", "p_antenna"),
        floors=param("floor", "floors"),
        power_weights=objective.params["weights"] if objective.kind == "min-power" else None,
        other_rows=tuple(rows for rows in formulation.rows if rows.kind not in MODEL_KINDS),
    )


def split_lazy(formulation):
    """``(rows solved at once, lazy row sets)`` of a formulation (:data:`LAZY_KINDS`)."""
    eager = tuple(rows for rows in formulation.rows if rows.kind not in LAZY_KINDS)
    lazy = tuple(rows for rows in formulation.rows if rows.kind in LAZY_KINDS)
    return eager, lazy


def select_rows(rows, keep):
    """The row set with only the rows ``keep`` (bool, shape (n,)); its parameters are dropped (they describe all rows)."""
    keep = np.asarray(keep, dtype=bool)
    index = np.cumsum(keep) - 1  # new index of each kept row
    n_bs = rows.atoms.shape[0]
    used = (rows.atom_rows >= 0) & keep[np.maximum(rows.atom_rows, 0)]
    width = int(used.sum(axis=1).max(initial=0))
    atoms = np.zeros((n_bs, width, rows.atoms.shape[2]), dtype=complex)
    atom_rows = np.full((n_bs, width), -1)
    beam = np.zeros((n_bs, rows.beam.shape[1], width))
    sensing = np.zeros((n_bs, width))
    for l in range(n_bs):
        slots = np.flatnonzero(used[l])
        atoms[l, : slots.size] = rows.atoms[l, slots]
        atom_rows[l, : slots.size] = index[rows.atom_rows[l, slots]]
        beam[l, :, : slots.size] = rows.beam[l][:, slots]
        sensing[l, : slots.size] = rows.sensing[l, slots]
    return attrs.evolve(
        rows,
        labels=[label for label, k in zip(rows.labels, keep) if k],
        rhs=np.asarray(rows.rhs)[keep], scale=np.asarray(rows.scale)[keep], t=np.asarray(rows.t)[keep],
        atoms=atoms, atom_rows=atom_rows, beam=beam, sensing=sensing,
        beam_identity=None if rows.beam_identity is None else rows.beam_identity[keep],
        sensing_identity=None if rows.sensing_identity is None else rows.sensing_identity[keep],
        params={},
    )


def violated_rows(rows, W, R, power_unit):
    """Which rows of a row set relaxed covariances miss by more than :data:`LAZY_RTOL`, shape (n,) bool."""
    rhs = np.asarray(rows.rhs)
    scale = np.maximum(np.abs(rhs), np.asarray(rows.scale) * power_unit)
    return rhs - covariance_row_values(rows, W, R) > LAZY_RTOL * scale
