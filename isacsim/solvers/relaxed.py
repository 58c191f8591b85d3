"""`RelaxedSolution`: what a convex solver returns for the relaxed design."""
from __future__ import annotations

import math

import attrs
import numpy as np

__all__ = ["RelaxedSolution", "users_named"]


@attrs.frozen(kw_only=True)
class RelaxedSolution:
    """Solution of the relaxed (SDR) design problem, in physical units.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"infeasible"`` or ``"unknown"``.
    W : numpy.ndarray or None, complex, shape (L, K, Nt, Nt)
        Relaxed information covariances [W] (None without a primal point).
    R : numpy.ndarray or None, complex, shape (L, Nt, Nt)
        Relaxed sensing covariances [W].
    value : float
        Primal objective: min reflected power of (W, R) [W].
    bound : float
        Dual objective: upper bound on the optimum [W] (NaN if unknown).
    bound_certified : bool
        Whether ``bound`` comes from a dual point checked to be feasible (then
        it bounds the optimum even when the solver stopped short).
    gap : float
        Relative duality gap reported by the solver (NaN if unknown).
    iterations : int
        Solver iterations (-1 if unknown).
    culprits : tuple of (int, int)
        For ``"infeasible"``: users (cell, index) named by the infeasibility
        certificate, strongest first (empty if the solver gives none).
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
    culprits: tuple = ()
    message: str = ""
    solver: str = ""


def users_named(weights, n_users_per_cell):
    """The users an infeasibility certificate names, strongest first.

    Parameters
    ----------
    weights : array_like or None, shape (LK,)
        The certificate's weight on each user's SINR row (cell-major); None
        when the solver gave no certificate.
    n_users_per_cell : int

    Returns
    -------
    tuple of (int, int)
        ``(cell, index)`` of every user with a weight above 1e-6 of the
        largest.
    """
    if weights is None:
        return ()
    weights = np.maximum(np.asarray(weights, dtype=float).ravel(), 0.0)
    if not weights.size or weights.max() <= 0:
        return ()
    order = [int(i) for i in np.argsort(-weights) if weights[i] > 1e-6 * weights.max()]
    return tuple(divmod(i, n_users_per_cell) for i in order)
