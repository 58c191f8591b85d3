"""`ClosedFormDesigner`: a designer that computes its beams directly; isacsim verifies them.

Subclass it, give it a ``name`` (and a ``label`` for legends) and implement
``beams(problem, receiver, detector) -> (w, R)``; isacsim supplies the rest:

1. shapes are checked, and a BS whose beams exceed its power budget, or an
   antenna's (by more than 1e-9), is scaled down to it (never up), with
   ``certificate.repaired`` set;
2. every constraint is recomputed (:func:`isacsim.designers.verify.check_design`);
3. the status: ``feasible`` when every constraint holds to 1e-6 (optimality
   is never claimed: ``certificate.bound`` is NaN); ``infeasible`` when
   some users miss their SINR targets or some sample points the problem's
   detection target, naming them (these beams cannot serve them; another
   designer may); ``error`` for beams that are not finite or a sensing
   covariance that is not Hermitian PSD.

>>> class MRT(ClosedFormDesigner):                       # doctest: +SKIP
...     name = "mrt"
...     def beams(self, problem, receiver, detector):
...         ...
...         return w, R
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

import attrs
import numpy as np

from ..evaluation import antenna_powers, transmit_power
from .base import _check_types
from .design import Certificate, Design
from .verify import TOLERANCE, check_design

if TYPE_CHECKING:
    from ..detection import Detector
    from ..problem import DesignProblem
    from ..receivers import Receiver

__all__ = ["ClosedFormDesigner"]


@attrs.frozen(kw_only=True)
class ClosedFormDesigner:
    """Base of the designers whose beams are a formula (a heuristic, a benchmark).

    Attributes
    ----------
    name : str
        Registry name (class attribute), unique among designers.
    label : str
        Name in figure legends (class attribute; default: ``name``).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def beams(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> tuple[np.ndarray, np.ndarray]:
        """The design's beams (to be implemented).

        Parameters
        ----------
        problem : DesignProblem
            Read-only arrays.
        receiver : Receiver
        detector : Detector

        Returns
        -------
        w : numpy.ndarray, complex, shape (L, K, Nt)
            Information beams [sqrt(W)].
        R : numpy.ndarray, complex, shape (L, Nt, Nt)
            Sensing covariances [W], Hermitian PSD.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement beams(problem, receiver, detector)")

    def detector_for(self, detector: Detector) -> Detector:
        """The detector the design is evaluated with (default: the one asked for)."""
        return detector

    def design(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> Design:
        """The verified design of :meth:`beams`; see the module docstring.

        Returns
        -------
        Design
            ``feasible``, ``infeasible`` (the users named) or ``error``.

        Raises
        ------
        TypeError, ValueError
            For wrong kinds of arguments, or :meth:`beams` returning arrays of
            the wrong shape.
        """
        started = time.perf_counter()
        _check_types(problem, receiver, detector)
        detector = self.detector_for(detector)
        w, R = self._shaped(problem, *self.beams(problem, receiver, detector))
        w, R, scaled = _within_budgets(problem, w, R)
        check = check_design(problem, receiver, detector, w, R)
        status, reason = "feasible", ""
        if scaled:
            reason = f"BS {', '.join(str(l) for l in scaled)} scaled down to its power budget"
        budgets = max(check.power_violation, check.antenna_violation)
        if not check.finite or check.psd_violation > TOLERANCE or budgets > TOLERANCE:
            status, reason = "error", f"the beams of {self.name!r} break {check.broken}"
        elif max(check.sinr_violation, check.floor_violation) > TOLERANCE:
            status, reason = "infeasible", f"the beams of {self.name!r} miss {_missed(problem, detector, check, w, R)} (worst: {check.broken})"
        certificate = Certificate(
            objective=check.objective,
            max_sinr_violation=check.sinr_violation,
            max_power_violation=check.power_violation,
            min_eig_r=check.min_eig_r,
            solve_seconds=time.perf_counter() - started,
            solver="closed-form",
            repaired=bool(scaled),
        )
        if status != "feasible":
            w, R = np.zeros_like(w), np.zeros_like(R)
        return Design(w=w, R=R, status=status, reason=reason, designer=self.name, receiver=receiver, detector=detector,
                      certificate=certificate)

    def _shaped(self, problem, w, R):
        L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
        w, R = np.asarray(w, dtype=complex), np.asarray(R, dtype=complex)
        for name, value, shape in (("w", w, (L, K, Nt)), ("R", R, (L, Nt, Nt))):
            if value.shape != shape:
                raise ValueError(f"{type(self).__name__}.beams: expected {name} of shape {shape}, got {value.shape}")
        return w, R


def _missed(problem, detector, check, w, R):
    """The targets a design misses, in words: the users' SINR targets and the sample points' detection targets."""
    parts = []
    users = np.argwhere(check.sinr < problem.gamma * (1 - TOLERANCE))
    if users.size:
        parts.append("the SINR targets of " + ", ".join(f"cell {m} user {k}" for m, k in users))
    floors = detector.reflected_power_floors(problem)
    if floors is not None:
        points = np.flatnonzero((floors > 0) & (detector.reflected_power(problem, w, R) < floors * (1 - TOLERANCE)))
        if points.size:
            parts.append("the detection targets at sample points " + ", ".join(str(q) for q in points))
    return " and ".join(parts)


#: A BS over its budget by more than this (relative) is scaled down; less is rounding.
_OVER_BUDGET = 1e-9


def _within_budgets(problem, w, R):
    """``(w, R, scaled)``: every BS over its budget (or an antenna's) scaled down to it; ``scaled`` lists those BSs."""
    with np.errstate(all="ignore"):
        ratio = transmit_power(w, R) / problem.p_max  # (L,)
        if problem.p_antenna is not None:
            ratio = np.maximum(ratio, (antenna_powers(w, R) / problem.p_antenna).max(axis=1))
        factor = np.where(ratio > 1 + _OVER_BUDGET, 1.0 / ratio, 1.0)
    scaled = [int(l) for l in np.flatnonzero(factor < 1.0) if np.isfinite(factor[l])]
    if not scaled:
        return w, R, []
    factor = np.where(np.isfinite(factor), factor, 1.0)
    return w * np.sqrt(factor)[:, None, None], R * factor[:, None, None], scaled
