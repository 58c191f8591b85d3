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
step solves, for a ratio ``tau`` and row weights ``w_q > 0``, the convex
program

    ``v(tau) = max_S min_q w_q [E_q(S) - tau I_q(S) - tau sigma_d^2]``  (SINR rows, budgets)

of the program family (:mod:`isacsim.solvers.formulation`: the paper's
max-min program with signed rows, one ``scnr`` row per point), certified
by the structured interior-point method; ``tau`` is achievable iff
``v(tau) >= 0``. Each step tightens a bracket ``[low, high]`` on the
optimal ratio ``tau*`` from both sides (:func:`bisect_scnr`):

* its primal point, verified, achieves ``min_q SCNR_q``: ``low`` rises to it;
* its certified dual bound ``D >= v(tau)`` caps ``tau*``: every row falls by
  at least ``(tau' - tau) w_q sigma_d^2`` from ``tau`` to ``tau' > tau``,
  so ``tau* <= tau + D / (sigma_d^2 min_q w_q)`` (and ``tau* < tau`` when
  ``D < 0``).

The first step is ``tau = 0``, the paper's clutter-blind program (solved as
such, on its smaller span): its design starts ``low`` and its bound starts
``high``. Each next step is warm-started from the best design so far: its
ratio is that design's ``min_q SCNR_q`` and its weights are
``w_q = min_p d_p / d_q`` with that design's denominators
``d_q = sigma_d^2 + I_q`` (the Dinkelbach-type step of Crouzeix, Ferland and
Schaible for generalized fractional programs, J. Optim. Theory Appl. 47,
1985, which converges superlinearly); should a step not improve ``low``,
the next ratio is the bracket's midpoint. It stops when
``high - low <= rtol high`` (``rtol = 1e-7``): 3 to 6 steps at paper size,
where the plain midpoint (``update="midpoint"``) takes about 27. The beams
are then made rank one by Propositions 1/2, which keep every ``S_l`` (so
every SCNR), and verified like every design.

The certificate: ``objective`` is the achieved ``min_q SCNR_q`` of the
returned beams (a ratio, not a power), ``bound`` the certified ``high``,
``duality_gap`` their relative gap and ``iterations`` the number of
bisection steps; :func:`bisect_scnr` returns every step.
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

__all__ = ["ClutterAwareDesigner", "BisectionStep", "Bisection", "bisect_scnr", "scnr_step", "scnr_formulation", "scnr_rows", "UPDATES",
           "ACTIVE_MARGIN"]


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
    """``E_q`` and ``I_q`` (each shape (Q,), [W]) of relaxed covariances ``W``, ``R``."""
    S = R + (W.sum(axis=1) if detector.information_echoes else 0.0)  # the matched covariance of BS l
    points = np.concatenate([problem.A, echoes.A])  # (Q + C, L, Nt)
    gains = np.stack([np.einsum("xn,xn->x", points[:, l] @ S[l], points[:, l].conj()).real for l in range(problem.n_bs)], axis=1)
    target, clutter = gains[: problem.n_points], gains[problem.n_points:]  # (Q, L), (C, L): a^T S_l a^*
    energy = problem.n_rx * np.einsum("ql,ql->q", detector.link_weights(problem), target)
    return energy, np.einsum("qlc,cl->q", clutter_energy_weights(problem, echoes, detector), clutter)


#: How the next ratio is chosen inside the bracket.
UPDATES = ("dinkelbach", "midpoint")
#: After the first step, the program keeps the rows of the points whose SCNR is
#: within this fraction of the smallest (and every point that ever was).
ACTIVE_MARGIN = 0.05


def bisect_scnr(problem, receiver, detector, step, *, rtol=1e-7, max_steps=60, update="dinkelbach"):
    """Maximize ``min_q E_q / (sigma_d^2 + I_q)`` over the relaxed covariances.

    Each step solves, for a ratio ``tau`` and positive row weights ``w_q``,

        ``v(tau) = max_S min_q w_q (E_q - tau I_q - tau sigma_d^2)``

    (SINR rows, budgets): ``tau`` is achievable iff ``v(tau) >= 0``. The step
    tightens the bracket ``[low, high]`` on the optimal ratio from both sides:
    its verified primal point achieves ``min_q SCNR_q``, which raises
    ``low``; its certified dual bound ``D >= v(tau)`` caps it, because for
    ``tau' > tau`` every row falls by at least ``(tau' - tau) w_q sigma_d^2``:
    ``high <= tau + D / (sigma_d^2 min_q w_q)`` when ``D >= 0``, and
    ``high <= tau`` when ``D < 0`` (``tau`` is not achievable).

    Parameters
    ----------
    problem : DesignProblem
    receiver : Receiver
    detector : Detector
        With ``clutter``.
    step : callable
        ``step(tau, weights, points) -> RelaxedSolution`` of that program on
        the rows of ``points`` (indices of sample points; value and bound in
        [W]; ``weights`` shape (Q,)).
    rtol : float
        Relative width of the final bracket.
    max_steps : int
    update : {"dinkelbach", "midpoint"}
        ``dinkelbach``: the next ratio is the best achieved so far, ``low``,
        with the weights ``w_q = min_p d_p / d_q``, ``d_q = sigma_d^2 + I_q``
        of its design: the step of Crouzeix, Ferland and Schaible for
        generalized fractional programs (J. Optim. Theory Appl. 47, 1985),
        superlinear; the midpoint when it stalls. ``midpoint``: plain
        bisection with unit weights.

    Returns
    -------
    Bisection

    Notes
    -----
    Active points. Only a few sample points bind at the optimum (the corners
    of the area), so after the first step the program carries the rows of
    the points whose SCNR is within :data:`ACTIVE_MARGIN` of the smallest,
    a set that only grows. Fewer rows make each step cheaper and lose
    nothing: leaving rows out only raises ``v(tau)``, so the step's bound is
    still an upper bound, and its design's ratio is evaluated at every point.
    A step whose design falls lowest at a point left out adds it and is
    repeated at the same ratio.
    """
    if update not in UPDATES:
        raise InputError(f"update: expected one of {', '.join(UPDATES)}, got {update!r}")
    echoes = detector.clutter
    sigma = problem.sigma_d2
    low, high, best, steps, solver = 0.0, math.inf, None, [], ""
    tau, weights = 0.0, np.ones(problem.n_points)
    active = np.ones(problem.n_points, dtype=bool)  # the first step (the paper's program) sees every point
    for _ in range(max_steps):
        relaxed = step(tau, weights, np.flatnonzero(active))
        solver = relaxed.solver
        if relaxed.status == "infeasible":
            users = ", ".join(f"cell {label[1]} user {label[2]}" for label in relaxed.rows if label[0] == "sinr")
            return Bisection(None, None, 0.0, 0.0, tuple(steps), "infeasible", f"users concerned: {users or 'not identified'}", solver)
        if relaxed.W is None or relaxed.status != "optimal" and not relaxed.bound_certified:
            return Bisection(*(best or (None, None)), low, high, tuple(steps), "unknown",
                             f"step at tau = {tau:.6g}: {relaxed.message or relaxed.status}", solver)
        energy, clutter = _ratios(problem, echoes, detector, relaxed.W, relaxed.R)
        ratios = energy / (sigma + clutter)
        achieved = float(ratios.min())
        value = float(np.min((weights * (energy - tau * clutter - tau * sigma))[active]))
        certified = bool(relaxed.bound_certified and np.isfinite(relaxed.bound))
        bound = float(relaxed.bound) if certified else value
        improved = best is None or achieved > low * (1.0 + rtol)
        if best is None or achieved > low:
            low, best = achieved, (relaxed.W, relaxed.R, sigma + clutter)
        high = min(high, tau + bound / (sigma * weights[active].min()) if bound >= 0 else tau)
        steps.append(BisectionStep(tau, value, bound, certified, achieved, low, high))
        if high - low <= rtol * high:
            break
        missed = not active[np.argmin(ratios)]
        if len(steps) == 1 or missed:
            active |= ratios <= (1.0 + ACTIVE_MARGIN) * achieved
        if missed:  # the design fell lowest at a point left out: repeat the ratio with it
            continue
        if update == "dinkelbach" and improved:
            tau, weights = low, best[2].min() / best[2]
        else:
            tau, weights = 0.5 * (low + high), np.ones(problem.n_points)
    status = "optimal" if high - low <= rtol * high else "unknown"
    message = "" if status == "optimal" else f"bracket [{low:.6g}, {high:.6g}] after {len(steps)} steps"
    return Bisection(best[0], best[1], low, high, tuple(steps), status, message, solver)


#: Eigenvalues of a row's data below this fraction of its largest are dropped. The
#: clutter's steering vectors are nearly dependent (a patch seen from 80 m), so
#: this shrinks the blocks the solver works on from Nt = 32 to about 20
#: dimensions (3x faster steps) while moving each row by at most 1e-9 of its
#: scale; the step's bound is raised by that much (:func:`scnr_rows`), so it
#: stays a certified bound on the exact program.
_EIGEN_RTOL = 1e-9


def scnr_rows(problem, detector, tau, weights=None, points=None):
    """The rows ``w_q (E_q - tau I_q) - t >= w_q tau sigma_d^2`` of a bisection step, one per point [W].

    On BS l, row q's data is the Hermitian matrix
    ``M_ql = n_rx c_ql a_ql a_ql^H - tau sum_c kappa_qlc b_cl b_cl^H``
    (``a = conj(A[q, l])``, ``b = conj(clutter.A[c, l])``, ``c_ql`` the
    detector's link weights, ``kappa`` of
    :func:`~isacsim.clutter.scnr.clutter_energy_weights`), applied to the
    matched covariance ``sum_i W_li + R_l``. It is given to the program family
    as its eigenvectors with their signed eigenvalues, those below
    :data:`_EIGEN_RTOL` of the largest dropped: the dropped part ``D_ql`` moves
    the row by at most ``sum_l ||D_ql|| tr S_l <= max_l ||D_ql|| sum_l p_max``,
    which is ``params["truncation"]`` [W] (the largest over the rows), added
    to the step's bound.

    Parameters
    ----------
    problem : DesignProblem
    detector : Detector
        With ``clutter`` and information echoes.
    tau : float
        The ratio of the step, >= 0.
    weights : numpy.ndarray or None, float, shape (Q,)
        Row weights ``w_q`` in (0, 1] (default 1).
    points : sequence of int or None
        The sample points that get a row (default every one).

    Returns
    -------
    RowSet
        Kind ``"scnr"``, labels ``("scnr", q)``; ``params`` restate the rows
        from the equations (:func:`_restate_scnr`).
    """
    from ..solvers.formulation import RowSet

    echoes = detector.clutter
    points = np.arange(problem.n_points) if points is None else np.asarray(points, dtype=int)
    weights = (np.ones(problem.n_points) if weights is None else np.asarray(weights, dtype=float))[points]
    link = detector.link_weights(problem)[points]  # (n, L)
    kappa = clutter_energy_weights(problem, echoes, detector)[points]  # (n, L, C)
    targets, scatterers = np.conj(problem.A[points]), np.conj(echoes.A)  # (n, L, Nt), (C, L, Nt)
    n_points, n_bs, n_users, n_tx = points.size, problem.n_bs, problem.n_users_per_cell, problem.n_tx
    # M[q, l] = w_q (n_rx c_ql a a^H - tau sum_c kappa_qlc b_c b_c^H), all at once; then one batched eigh
    target = problem.n_rx * link[:, :, None, None] * targets[:, :, :, None] * targets[:, :, None, :].conj()
    clutter = np.stack([(scatterers[:, l].T[None] * kappa[:, l, None, :]) @ scatterers[:, l].conj() for l in range(n_bs)], axis=1)
    data = weights[:, None, None, None] * (target - tau * clutter)
    eigenvalues, eigenvectors = np.linalg.eigh((data + np.conj(np.swapaxes(data, -1, -2))) / 2)  # (Q, L, Nt), (Q, L, Nt, Nt)
    largest = np.abs(eigenvalues).max(axis=2, keepdims=True)
    keep = np.abs(eigenvalues) > _EIGEN_RTOL * largest
    dropped = np.where(keep, 0.0, np.abs(eigenvalues)).max(axis=2)  # (Q, L)
    per_bs = []
    for l in range(n_bs):
        q_index, k_index = np.nonzero(keep[:, l])
        per_bs.append((eigenvectors[q_index, l, :, k_index], q_index, eigenvalues[q_index, l, k_index]))
    width = max(len(rows) for _, rows, _ in per_bs)
    atoms = np.zeros((n_bs, width, n_tx), dtype=complex)
    atom_rows = -np.ones((n_bs, width), dtype=int)
    sensing = np.zeros((n_bs, width))
    for l, (vectors, rows, values) in enumerate(per_bs):
        atoms[l, : len(rows)], atom_rows[l, : len(rows)], sensing[l, : len(rows)] = vectors, rows, values
    beam = np.repeat(sensing[:, None, :], n_users, axis=1) if detector.information_echoes else np.zeros((n_bs, n_users, width))
    return RowSet(
        kind="scnr",
        labels=[("scnr", int(q)) for q in points],
        rhs=weights * tau * problem.sigma_d2,
        scale=np.full(n_points, _row_scale(problem, detector)),
        t=-np.ones(n_points),
        atoms=atoms,
        atom_rows=atom_rows,
        beam=beam,
        sensing=sensing,
        params={"points": points, "link_weights": link, "tau": float(tau), "row_weights": weights, "clutter_steering": echoes.A,
                "clutter_weights": kappa,
                "information_echoes": bool(detector.information_echoes),
                "truncation": float(dropped.max(axis=1).max(initial=0.0) * np.sum(problem.p_max))},
    )


def _row_scale(problem, detector):
    """The size of the rows' terms per watt [W / W]: the largest clutter-free echo gain (as the echo rows')."""
    gain = np.sum(detector.link_weights(problem) * np.sum(np.abs(problem.A) ** 2, axis=2), axis=1)
    return problem.n_rx * (float(gain.max()) or 1.0)


def _restate_scnr(picos, model, problem, rows, W, R, t, context):
    """The PICOS restatement of the ``scnr`` rows from the equations (not from the atoms).

    ``w_q (n_rx sum_l c_ql <A_l(q), S_l> - tau sum_l sum_c kappa_qlc <B_l(c), S_l> - tau sigma_d^2) >= t``
    with ``A_l(q) = a* a^T`` of the sample point, ``B_l(c)`` of the
    scatterer and ``S_l = R_l + sum_i W_li``.
    """
    params = rows.params
    link, tau, kappa, clutter = params["link_weights"], params["tau"], params["clutter_weights"], params["clutter_steering"]
    weights = params["row_weights"]
    power_scale = context["power_scale"]
    for j, q in enumerate(params["points"]):  # row j is sample point q; link, kappa, weights are per row
        unit = power_scale * rows.scale[j]
        row = rows.t[j] * context["t_unit"] / unit * t
        for l in range(problem.n_bs):
            covariance = R[l]
            if params["information_echoes"]:
                covariance = picos.sum(W[l]) if covariance is None else covariance + picos.sum(W[l])
            if covariance is None:
                continue
            a = problem.A[q, l][:, None]
            data = problem.n_rx * link[j, l] * np.conj(a) @ a.T
            for c in range(clutter.shape[0]):
                b = clutter[c, l][:, None]
                data = data - tau * kappa[j, l, c] * np.conj(b) @ b.T
            row = row + (picos.Constant(weights[j] * data * power_scale / unit) | covariance).real
        model.add_constraint(row >= weights[j] * tau * problem.sigma_d2 / unit)


def scnr_formulation(problem, receiver, detector, tau, weights=None, points=None):
    """The bisection step's program: ``max t`` s.t. the ``scnr`` rows, the SINR rows and the budgets.

    ``t`` is free in sign; the objective is ``t / s`` with ``s`` the rows'
    scale, O(1) for every solver (the reported value and bound are ``v(tau) / s``).
    For Type-I users whose information echoes count, ``R`` folds into any
    ``W_li`` without changing a row (each row sees only ``sum_i W_li + R_l``),
    so R is left out, as in the paper's program.

    Returns
    -------
    Formulation
    """
    from ..solvers.formulation import Formulation, Objective, budget_rows, sinr_rows

    rows = (scnr_rows(problem, detector, tau, weights, points), sinr_rows(problem, receiver.sensing_leakage), budget_rows(problem))
    objective = Objective(kind="max-min-scnr-margin", t=1.0 / _row_scale(problem, detector), t_free=True, sense="max")
    sensing = not (receiver.sensing_leakage == 1.0 and detector.information_echoes)
    return Formulation(problem=problem, objective=objective, rows=rows, sensing=sensing)


def scnr_step(problem, receiver, detector, solver="structured", options=None):
    """The bisection's step on the program family: ``step(tau) -> RelaxedSolution``, value and bound in [W].

    ``structured`` (or any program solver of :mod:`isacsim.solvers.registry`)
    compiles the step's formulation and returns a certified bound (raised by
    the rows' truncation, :func:`scnr_rows`); ``picos:NAME`` solves the
    primal model restated from the equations (the reference; small
    instances), whose bound is its primal value. At ``tau = 0`` the step is
    the paper's program, solved as such (:class:`~isacsim.designers.Designer`'s
    formulation, on the smaller span of the steering vectors and channels).
    """
    from ..solvers.compile import compile_program
    from ..solvers.picos_model import ROW_BUILDERS
    from ..solvers.registry import PICOS_PREFIX, check_options, check_solver_name, primal_solver, program_solver

    check_solver_name(solver)
    check_options(solver, options or {})
    ROW_BUILDERS.setdefault("scnr", _restate_scnr)
    scale = _row_scale(problem, detector)
    if solver.startswith(PICOS_PREFIX):
        solve_primal = primal_solver(solver)
        solve = lambda formulation, settings: solve_primal(formulation, options=settings)  # noqa: E731
    else:
        solve_program = program_solver(solver)
        solve = lambda formulation, settings: solve_program(compile_program(formulation), settings)  # noqa: E731

    def step(tau, weights=None, points=None):
        every = points is None or len(points) == problem.n_points
        if tau == 0.0 and every and not solver.startswith(PICOS_PREFIX):  # min_q E_q: the paper's program
            from .base import Designer

            return solve_program(compile_program(Designer().formulation(problem, receiver, detector)), options)
        formulation = scnr_formulation(problem, receiver, detector, tau, weights, points)
        relaxed = solve(formulation, options)
        truncation = formulation.rows[0].params["truncation"]
        return attrs.evolve(relaxed, value=relaxed.value * scale, bound=relaxed.bound * scale + truncation)

    return step


@attrs.frozen(kw_only=True)
class ClutterAwareDesigner:
    """Max-min SCNR design in clutter: bisection on the ratio, a certified convex step each.

    Parameters
    ----------
    solver : str
        The steps' solver (:mod:`isacsim.solvers.registry`): ``"structured"``
        (default; certified bounds) or ``"picos:NAME"`` (the primal model
        restated from the equations: the reference, small instances).
    options : dict
        That solver's options.
    rtol : float
        Relative width of the final bracket on the optimal ratio.
    max_steps : int
        Bisection steps at most.
    update : {"dinkelbach", "illinois", "midpoint"}
        How each next ratio is placed in the bracket (:func:`bisect_scnr`).
    """

    name: ClassVar[str] = "clutter-aware"
    solver: str = attrs.field(default="structured", validator=attrs.validators.instance_of(str))
    options: dict = attrs.field(factory=dict, converter=lambda value: dict(value or {}))
    rtol: float = attrs.field(default=1e-7, validator=v.positive)
    max_steps: int = attrs.field(default=60, validator=v.integer_at_least(2))
    update: str = attrs.field(default="dinkelbach", validator=attrs.validators.in_(UPDATES))

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
        return scnr_step(problem, receiver, detector, self.solver, self.options)

    def _design(self, problem, receiver, detector, started):
        result = bisect_scnr(problem, receiver, detector, self._step(problem, receiver, detector), rtol=self.rtol,
                             max_steps=self.max_steps, update=self.update)
        empty = dict(w=np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex),
                     R=np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex))
        if result.status == "infeasible" or result.W is None:
            status = "infeasible" if result.status == "infeasible" else "error"
            reason = (f"the SINR targets cannot all be met within the power budgets; {result.message}" if status == "infeasible"
                      else result.message)
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
