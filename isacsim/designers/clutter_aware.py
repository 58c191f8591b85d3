"""The clutter-aware design: max-min signal-to-clutter-plus-noise ratio by bisection.

With clutter (:mod:`isacsim.clutter`) the paper's objective, the reflected
power ``E_q`` of eq. (20)/(28), no longer says how well point q is detected:
the clutter the same transmit covariances light up competes with it. This
designer maximizes the minimum over the sample points of the guaranteed
signal-to-clutter-plus-noise ratio (:mod:`isacsim.clutter.scnr`)

    ``SCNR_q(S) = E_q(S) / (sigma_d^2 + I_q(S))``,

a ratio of two linear functions of the BSs' matched covariances ``S_l``,
under the paper's SINR rows and budgets. By the chain of inequalities of
:mod:`isacsim.clutter.scnr` it is a lower bound on both detectors' SCNR,
so ``pD >= Q(Q^-1(pFA) - sqrt(2 SCNR_q))`` for both.

Quasi-convexity and bisection. For a ratio ``tau`` the set
``{S : SCNR_q(S) >= tau for all q}`` is convex (``E_q - tau I_q >=
tau sigma_d^2``, linear in S), so the relaxed problem is quasi-convex. Each
step solves the convex program

    ``v(tau) = max_S min_q [E_q(S) - tau I_q(S)]``  (SINR rows, budgets)

(the paper's max-min program with signed rank-(1 + C) rows per point), and
``tau`` is achievable iff ``v(tau) >= tau sigma_d^2``. Each step tightens a
bracket ``[low, high]`` on the optimal ratio ``tau*`` from both sides:

* its primal point, verified, achieves ``min_q SCNR_q``: ``low`` rises to it
  (at least ``tau`` when ``tau`` is achievable);
* its certified dual bound ``D >= v(tau)`` gives
  ``tau* <= max(tau, D / sigma_d^2)``, because ``v`` falls with ``tau``
  (``I_q >= 0``): for ``tau' > tau``, ``v(tau') <= D``, and ``tau'``
  achievable needs ``tau' sigma_d^2 <= v(tau')``.

The first step is ``tau = 0``, the paper's clutter-blind program: its
design starts ``low`` and its bound starts ``high``. The next ``tau`` lies
inside the bracket, by the regula falsi on ``v(tau) / sigma_d^2 - tau``
(Illinois variant; the plain midpoint on request), until
``high - low <= rtol high``. The beams are then made
rank one by Propositions 1/2, which keep every ``S_l`` (so every SCNR),
and verified like every design.

The certificate: ``objective`` is the achieved ``min_q SCNR_q`` of the
returned beams (a ratio, not a power), ``bound`` the certified ``high``,
``duality_gap`` their relative gap and ``iterations`` the number of
bisection steps; :attr:`ClutterAwareDesigner.last_steps` is not kept
(designers are stateless): :func:`bisect_scnr` returns every step.
"""
from __future__ import annotations

import math
import time
from typing import ClassVar

import attrs
import numpy as np

from .. import validation as v
from ..blas import single_threaded_blas
from ..clutter.scnr import clutter_energy_weights, clutter_statistics
from ..errors import InputError
from .base import _check_types, _finish
from .design import Certificate, Design
from .verify import TOLERANCE

__all__ = ["ClutterAwareDesigner", "BisectionStep", "Bisection", "bisect_scnr", "scnr_step_picos"]


@attrs.frozen
class BisectionStep:
    """One convex step of the bisection.

    Attributes
    ----------
    tau : float
        The ratio tried.
    value : float
        ``min_q (E_q - tau I_q)`` of the step's verified primal point [W].
    bound : float
        Certified upper bound on ``v(tau)`` [W] (the primal value where the
        step's solver certifies none).
    certified : bool
        Whether ``bound`` is certified by a dual point.
    achieved : float
        ``min_q SCNR_q`` of the step's primal point.
    low, high : float
        The bracket after the step.
    """

    tau: float
    value: float
    bound: float
    certified: bool
    achieved: float
    low: float
    high: float


@attrs.frozen
class Bisection:
    """Result of :func:`bisect_scnr`.

    Attributes
    ----------
    W, R : numpy.ndarray
        Relaxed covariances of the best step (L, K, Nt, Nt) and (L, Nt, Nt) [W].
    low, high : float
        Final bracket of the optimal ratio (``low`` achieved by ``W, R``).
    steps : tuple of BisectionStep
    status : str
        ``"optimal"``, ``"infeasible"`` or ``"unknown"`` (a step failed).
    message : str
    solver : str
    """

    W: np.ndarray | None
    R: np.ndarray | None
    low: float
    high: float
    steps: tuple
    status: str
    message: str = ""
    solver: str = ""


def _ratios(problem, echoes, detector, W, R):
    """``SCNR_q`` and ``E_q - tau I_q``'s ingredients of relaxed covariances."""
    # the matched covariance of relaxed W is sum_i W_li (+ R_l): evaluate through an equivalent beam set
    S = R + (W.sum(axis=1) if detector.information_echoes else 0.0)
    energy = problem.n_rx * np.einsum("ql,qln,lnp,qlp->q", detector.link_weights(problem), problem.A, S, problem.A.conj()).real
    clutter = np.einsum("qlc,cln,lnp,clp->q", clutter_energy_weights(problem, echoes, detector), echoes.A, S, echoes.A.conj()).real
    return energy, clutter


#: How the next ratio is chosen inside the bracket.
UPDATES = ("illinois", "midpoint")


def bisect_scnr(problem, receiver, detector, step, *, rtol=1e-7, max_steps=60, update="illinois"):
    """Maximize ``min_q E_q / (sigma_d^2 + I_q)`` over the relaxed covariances.

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
        With ``clutter``.
    step : callable
        ``step(tau) -> RelaxedSolution`` of ``max min_q (E_q - tau I_q)``
        (value and bound in [W]).
    rtol : float
        Relative width of the final bracket.
    max_steps : int
    update : {"illinois", "midpoint"}
        The next ratio: the regula falsi (Illinois variant) on
        ``phi(tau) = v(tau) / sigma_d^2 - tau`` between the last achievable
        and the last unachievable ratio tried (superlinear, and it keeps the
        bracket), or the midpoint of the bracket (plain bisection).

    Returns
    -------
    Bisection
    """
    if update not in UPDATES:
        raise InputError(f"update: expected one of {', '.join(UPDATES)}, got {update!r}")
    echoes = detector.clutter
    sigma = problem.sigma_d2
    low, high, best, steps, solver = 0.0, math.inf, None, [], ""
    ends = {}  # "feasible" / "infeasible" -> [tau, phi(tau)], the regula falsi's bracket
    stale = None  # which end stayed put last time (Illinois: halve its phi when it stays twice)
    tau = 0.0
    for _ in range(max_steps):
        relaxed = step(tau)
        solver = relaxed.solver
        if relaxed.status == "infeasible":
            return Bisection(None, None, 0.0, 0.0, tuple(steps), "infeasible", relaxed.message, solver)
        if relaxed.W is None or relaxed.status != "optimal" and not relaxed.bound_certified:
            return Bisection(*(best or (None, None)), low, high, tuple(steps), "unknown",
                             f"step at tau = {tau:.6g}: {relaxed.message or relaxed.status}", solver)
        energy, clutter = _ratios(problem, echoes, detector, relaxed.W, relaxed.R)
        achieved = float(np.min(energy / (sigma + clutter)))
        value = float(np.min(energy - tau * clutter))
        certified = bool(relaxed.bound_certified and np.isfinite(relaxed.bound))
        bound = float(relaxed.bound) if certified else value
        if best is None or achieved > low:
            low, best = max(low, achieved), (relaxed.W, relaxed.R)
        high = min(high, max(tau, bound / sigma))
        steps.append(BisectionStep(tau, value, bound, certified, achieved, low, high))
        if high - low <= rtol * high:
            break
        side = "feasible" if value >= tau * sigma else "infeasible"
        if stale == side and side in ends:  # this end moves again: Illinois halves the other end's phi
            other = "infeasible" if side == "feasible" else "feasible"
            if other in ends:
                ends[other][1] *= 0.5
        ends[side], stale = [tau, value / sigma - tau], side
        tau = _next_ratio(ends, low, high, update)
    status = "optimal" if high - low <= rtol * high else "unknown"
    message = "" if status == "optimal" else f"bracket [{low:.6g}, {high:.6g}] after {len(steps)} steps"
    return Bisection(best[0], best[1], low, high, tuple(steps), status, message, solver)


def _next_ratio(ends, low, high, update):
    """The next ratio to try, strictly inside ``(low, high)``."""
    midpoint = 0.5 * (low + high)
    if update == "midpoint" or "feasible" not in ends or "infeasible" not in ends or not math.isfinite(high):
        return midpoint if math.isfinite(high) else 2.0 * max(low, 1e-300)
    (a, phi_a), (b, phi_b) = ends["feasible"], ends["infeasible"]
    guess = a + phi_a * (b - a) / (phi_a - phi_b) if phi_a > phi_b else midpoint
    # stay inside the bracket, off its ends (whose sides are known)
    margin = 1e-3 * (high - low)
    return min(max(guess, low + margin), high - margin)


def scnr_step_picos(problem, receiver, detector, solver="cvxopt", options=None):
    """The bisection step as the primal PICOS model (the reference; small instances).

    Returns
    -------
    callable
        ``step(tau) -> RelaxedSolution``; the bound is the primal value (not
        certified by a dual point).
    """
    from ..solvers.picos_model import solve_picos

    weights = clutter_energy_weights(problem, detector.clutter, detector) / problem.n_rx

    def step(tau):
        return solve_picos(problem, receiver, detector, solver=solver, options=options, penalty=(detector.clutter.A, tau * weights))

    return step


@attrs.frozen(kw_only=True)
class ClutterAwareDesigner:
    """Max-min SCNR design in clutter: bisection on the ratio, a certified convex step each.

    Parameters
    ----------
    solver : str
        The steps' solver: ``"picos:NAME"`` (the primal model, small
        instances).
    options : dict
        That solver's options.
    rtol : float
        Relative width of the final bracket on the optimal ratio.
    max_steps : int
        Bisection steps at most.
    update : {"illinois", "midpoint"}
        How each next ratio is placed in the bracket (:func:`bisect_scnr`).
    """

    name: ClassVar[str] = "clutter-aware"
    solver: str = attrs.field(default="picos:cvxopt", validator=attrs.validators.instance_of(str))
    options: dict = attrs.field(factory=dict, converter=lambda value: dict(value or {}))
    rtol: float = attrs.field(default=1e-7, validator=v.positive)
    max_steps: int = attrs.field(default=60, validator=v.integer_at_least(2))
    update: str = attrs.field(default="illinois", validator=attrs.validators.in_(UPDATES))

    def design(self, problem, receiver, detector):
        """Design beams that maximize the minimum SCNR over the sample points.

        Parameters
        ----------
        problem : DesignProblem
        receiver : Receiver
        detector : Detector
            With ``clutter`` (:class:`~isacsim.clutter.ClutterEchoes`) and
            information echoes.

        Returns
        -------
        Design
        """
        started = time.perf_counter()
        _check_types(problem, receiver, detector)
        if detector.clutter is None:
            raise InputError("detector.clutter: the clutter-aware designer needs the clutter's echoes (a ClutterEchoes)")
        if not detector.information_echoes:
            raise InputError("detector.information_echoes: the clutter-aware designer matches every stream (True)")
        detector.clutter.check(problem)
        with single_threaded_blas():
            return self._design(problem, receiver, detector, started)

    def _step(self, problem, receiver, detector):
        if self.solver.startswith("picos:"):
            return scnr_step_picos(problem, receiver, detector, self.solver[len("picos:"):], self.options)
        raise InputError(f"solver: expected 'picos:NAME' for an installed PICOS solver NAME, got {self.solver!r}")

    def _design(self, problem, receiver, detector, started):
        result = bisect_scnr(problem, receiver, detector, self._step(problem, receiver, detector), rtol=self.rtol,
                             max_steps=self.max_steps, update=self.update)
        empty = dict(w=np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex),
                     R=np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex))
        if result.status == "infeasible" or result.W is None:
            status = "infeasible" if result.status == "infeasible" else "error"
            reason = "the SINR targets cannot all be met within the power budgets" if status == "infeasible" else result.message
            certificate = Certificate(solve_seconds=time.perf_counter() - started, solver=result.solver, iterations=len(result.steps))
            return Design(**empty, status=status, reason=reason, designer=self.name, receiver=receiver, detector=detector,
                          certificate=certificate)
        relaxed = _RelaxedView(result.W, result.R)
        w, R, check, repaired = _finish(problem, receiver, detector, relaxed)
        stats = clutter_statistics(problem, detector.clutter, detector, w, R)
        achieved = float(stats.scnr_bound.min())
        status, reasons = "optimal", []
        if result.status != "optimal":
            status, reasons = "inaccurate", [f"bisection did not close: {result.message}"]
        if not check.finite:
            status = "error"
            reasons.append("the design is not finite")
        elif check.worst > TOLERANCE:
            status = "inaccurate" if check.worst <= 1e-3 else "error"
            reasons.append(f"constraint miss after repair: SINR {check.sinr_violation:.2e}, power {check.power_violation:.2e}")
        certificate = Certificate(
            objective=achieved,
            bound=result.high,
            duality_gap=(result.high - achieved) / result.high if result.high > 0 else 0.0,
            max_sinr_violation=check.sinr_violation,
            max_power_violation=check.power_violation,
            min_eig_r=check.min_eig_r,
            rank_one_residual=(result.low - achieved) / result.low if result.low > 0 else 0.0,
            solve_seconds=time.perf_counter() - started,
            solver=f"bisection over {result.solver}",
            iterations=len(result.steps),
            repaired=bool(repaired),
        )
        return Design(w=w, R=R, status=status, reason="; ".join(reasons), designer=self.name, receiver=receiver,
                      detector=detector, certificate=certificate)


@attrs.frozen
class _RelaxedView:
    """The two fields of a relaxed solution that the rank-one construction reads."""

    W: np.ndarray
    R: np.ndarray
