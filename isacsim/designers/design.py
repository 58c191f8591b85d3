"""`Design`: what a beamforming designer hands out, with its certificate."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from os import PathLike

import attrs
import numpy as np

if TYPE_CHECKING:
    from ..detection import Detector
    from ..evaluation import Evaluation
    from ..problem import DesignProblem
    from ..receivers import Receiver

__all__ = [
    "Design", "Certificate", "STATUSES", "USABLE_STATUSES", "VERIFIED_STATUSES", "NoBeamDirection", "INFEASIBLE_P_D",
    "reported_detection_probability",
]

#: Every status a :class:`Design` can carry.
#:
#: ``optimal``     verified: meets every constraint to 1e-6 relative, and its
#:                 certificate's bound (the optimum of the relaxation: an upper
#:                 bound on a maximized objective of any design of its family,
#:                 a lower bound on a minimized one) lies within 1e-6 relative
#:                 of the design's objective.
#: ``feasible``    verified: meets every constraint to 1e-6 relative;
#:                 optimality is not claimed (a closed-form or heuristic
#:                 design) or not proven (a bound further than 1e-6, e.g.
#:                 rank-one beams under a statistical CSI error); ``reason``
#:                 says which.
#: ``inaccurate``  the design misses a constraint by more than 1e-6 (and at
#:                 most 1e-3) relative even after repair, or the solver
#:                 stopped short; see ``reason``.
#: ``infeasible``  the targets (SINR, detection) cannot all be met within the
#:                 budgets by this designer; ``reason`` names the users,
#:                 sample points, antennas and budgets of the certificate.
#: ``error``       the designer failed, or its design misses a constraint by
#:                 more than 1e-3; ``reason`` says how (and names the plugin
#:                 when the fault is a plugin's).
STATUSES = ("optimal", "feasible", "inaccurate", "infeasible", "error")
#: Statuses of a design whose beams are deployed and evaluated.
USABLE_STATUSES = ("optimal", "feasible", "inaccurate")
#: Statuses of a design that meets every constraint (to 1e-6 relative).
VERIFIED_STATUSES = ("optimal", "feasible")

#: The detection probability credited to an ``infeasible`` design, everywhere
#: (sweep summaries, ``isacsim solve``): it deploys no beams, so it detects
#: nothing. An ``error`` design has no detection probability (NaN / null).
INFEASIBLE_P_D = 0.0


def reported_detection_probability(status: str, evaluated: float) -> float:
    """The min detection probability to report for a design of ``status``.

    Parameters
    ----------
    status : str
        One of :data:`STATUSES`.
    evaluated : float
        The detection probability evaluated from the design's beams.

    Returns
    -------
    float
        ``evaluated`` for a usable design (:data:`USABLE_STATUSES`),
        :data:`INFEASIBLE_P_D` for ``infeasible`` and NaN for ``error``.
    """
    if status in USABLE_STATUSES:
        return evaluated
    return INFEASIBLE_P_D if status == "infeasible" else math.nan


class NoBeamDirection(Exception):
    """A fixed-direction designer has no beam direction for some users.

    Raised by :meth:`Designer.directions`; the designer then returns a design
    with status ``infeasible``.

    Parameters
    ----------
    message : str
    users : list of (int, int)
        The users (cell, index) concerned.
    """

    def __init__(self, message: str, users: Any) -> None:
        super().__init__(message)
        self.users = list(users)


@attrs.frozen(kw_only=True)
class Certificate:
    """Numbers that let a reader check a design without trusting the solver.

    Attributes
    ----------
    objective : float
        Achieved objective of the returned beams, recomputed from them:
        the minimum over the sample points of the reflected power E [W]
        counted by the detector (``objective_kind``
        ``"max-min-reflected-power"``), the (weighted) total transmit power
        [W] (``"min-power"``), or the minimum guaranteed
        signal-to-clutter-plus-noise ratio (``"max-min-scnr"``, the
        clutter-aware designer; a ratio).
    objective_kind : str
        What ``objective`` and ``bound`` measure (the kind of the
        designer's :class:`~isacsim.solvers.formulation.Objective`).
    bound : float
        Optimum of the convex relaxation [W]: an upper bound on any design
        of this family for a maximized objective, a lower bound for the
        minimized power (NaN when unknown).
    duality_gap : float
        Relative gap between the relaxation's primal and dual values.
    max_sinr_violation : float
        ``max(0, max (Gamma - SINR) / Gamma)``, recomputed from w, R.
    max_power_violation : float
        ``max(0, max (P - P_max) / P_max)``, recomputed from w, R.
    max_antenna_violation : float
        ``max(0, max (p - p_antenna) / p_antenna)`` over every antenna (0
        without per-antenna budgets), recomputed from w, R.
    max_floor_violation : float
        ``max(0, max (E* - E) / E*)`` over the points with a reflected-power
        floor E* of a detection target (0 without one), recomputed from w, R.
    min_eig_r : float
        Smallest eigenvalue of any R_l [W] (>= 0 up to rounding).
    rank_one_residual : float
        How much the rank-one beams (and their repair) lost against the
        relaxation's primal value, relative: ~0 when the SDR is tight.
    optimality_gap : float
        Relative distance of ``objective`` from the certified ``bound``, in
        the direction of worse (>= 0 up to rounding): at most 1e-6 for an
        ``optimal`` design, whatever the solver's own gap (NaN without a
        certified bound).
    rank_one : str
        How the rank-one beams were obtained: ``"construction"``
        (Propositions 1/2 from the relaxed solution), ``"fixed directions"``
        (the beams' directions were fixed: rank one by construction) or
        ``"randomization (best of N)"`` (candidate directions with their
        powers re-optimized exactly, where the construction fell short of the
        bound, e.g. under a statistical CSI error).
    solve_seconds : float
        Wall time of the design [s]: relaxation, rank-one construction,
        verification and repair, without the one-time work of a process
        (imports, loading the BLAS); a design of a batch reports its share
        of the batch's time.
    solver : str
        Which solver path produced it.
    iterations : int
        Interior-point iterations (-1 if unknown).
    repaired : bool
        Whether the constraints needed a repair: a re-optimization of the
        beams' powers, or a second solve with tightened SINR targets.
    """

    objective: float = math.nan
    objective_kind: str = "max-min-reflected-power"
    bound: float = math.nan
    duality_gap: float = math.nan
    max_sinr_violation: float = math.nan
    max_power_violation: float = math.nan
    max_antenna_violation: float = math.nan
    max_floor_violation: float = math.nan
    min_eig_r: float = math.nan
    rank_one_residual: float = math.nan
    optimality_gap: float = math.nan
    rank_one: str = ""
    solve_seconds: float = math.nan
    solver: str = ""
    iterations: int = -1
    repaired: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-friendly dict (NaN becomes None)."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in attrs.asdict(self).items()}


_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)


@attrs.frozen(kw_only=True)
class Design:
    """Beams and sensing covariances for one problem, with their status.

    Attributes
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
        Information beams; ``w[l, i]`` serves user i of cell l [sqrt(W)].
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Dedicated sensing covariances [W], Hermitian PSD.
    status : str
        One of :data:`STATUSES`.
    reason : str
        Why the status is not ``optimal``, or what qualifies it (empty for a
        plain ``optimal``).
    designer : str
        Name of the designer.
    receiver : Receiver
        The receiver the design was made for.
    detector : Detector
        The detector the design was optimized for (for the sensing-only
        benchmark it ignores information echoes); evaluate with it.
    certificate : Certificate
    """

    w: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    R: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    status: str = attrs.field(validator=attrs.validators.in_(STATUSES))
    reason: str = ""
    designer: str
    receiver: Receiver
    detector: Detector
    certificate: Certificate = attrs.field(factory=Certificate)

    @property
    def synchronized(self) -> bool:
        """Scenario I (True) or II (False)."""
        return self.detector.synchronized

    def evaluate(self, problem: DesignProblem) -> Evaluation:
        """Performance of the design on ``problem``; see :func:`isacsim.evaluation.evaluate`."""
        from ..evaluation import evaluate

        return evaluate(problem, self)

    @property
    def ok(self) -> bool:
        """True when the design is verified: ``optimal`` or ``feasible`` (:data:`VERIFIED_STATUSES`)."""
        return self.status in VERIFIED_STATUSES

    @property
    def usable(self) -> bool:
        """True when the design deploys beams that are evaluated (:data:`USABLE_STATUSES`)."""
        return self.status in USABLE_STATUSES

    def save(self, path: str | PathLike[str]) -> None:
        """Write ``w`` and ``R`` (and the status) to an ``.npz`` file (atomically)."""
        from ..atomic import atomic_write
        from ..npzfile import write_npz

        arrays = {"w": self.w, "R": self.R, "status": np.array(self.status), "reason": np.array(self.reason)}
        atomic_write(path, lambda handle: write_npz(handle, arrays), binary=True)
