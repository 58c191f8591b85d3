"""`RelaxedSolution`: what a solver returns for a compiled beam program."""
from __future__ import annotations

import math

import attrs
import numpy as np

__all__ = ["RelaxedSolution"]


@attrs.frozen(kw_only=True)
class RelaxedSolution:
    """Solution of a compiled beam program (:class:`~isacsim.solvers.program.Program`), in physical units.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"infeasible"`` or ``"unknown"``.
    W : numpy.ndarray or None, complex, shape (L, K, Nt, Nt)
        Relaxed information covariances [W] (None without a primal point).
    R : numpy.ndarray or None, complex, shape (L, Nt, Nt)
        Relaxed sensing covariances [W].
    value : float
        Primal objective in physical units (e.g. the min reflected power
        [W] of (W, R), or the total power [W] for an objective of sense min).
    bound : float
        Dual objective: a bound on the optimum of the user's (untightened)
        program, upper for sense max, lower for sense min [physical units]
        (NaN if unknown).
    bound_certified : bool
        Whether ``bound`` comes from a dual point checked to be feasible for
        the user's program (then it bounds the optimum even when the solver
        stopped short).
    gap : float
        Relative duality gap of the solve, on the program as solved (with
        its tightened rows), ``(dual - value) / |dual|`` (NaN if unknown).
    iterations : int
        Solver iterations (-1 if unknown).
    infeasibility_certified : bool
        For ``"infeasible"``: whether the solver's Farkas certificate was
        checked on the user's (untightened) rows, so that it proves the
        user's problem infeasible whatever tightening was solved.
    rows : tuple of tuple
        For ``"infeasible"``: labels of the rows (e.g. ``("sinr", m, k)``)
        named by the infeasibility certificate, strongest first (empty if
        the solver gives none).
    message : str
        Solver's own words when not optimal.
    solver : str
        Name of the solver path.
    """

    status: str
    W: np.ndarray | None = None
    R: np.ndarray | None = None
    value: float = math.nan
    bound: float = math.nan
    bound_certified: bool = False
    gap: float = math.nan
    iterations: int = -1
    infeasibility_certified: bool = False
    rows: tuple = ()
    message: str = ""
    solver: str = ""
