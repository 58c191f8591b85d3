"""`Designer`: the template every beamforming designer follows.

``design(problem, receiver, detector)``:

1. relax: solve the convex relaxation with the chosen solver
   (:mod:`isacsim.solvers.registry`: the structured interior-point method
   by default, CVXOPT on the reduced dual, or a PICOS model);
2. construct rank-one beams (Propositions 1/2);
3. verify every constraint from the returned beams, repair a small miss by
   a minimal power rescale, and certify.

Subclasses choose which subspace each information beam may use
(:meth:`Designer.directions`) and which echoes count
(:meth:`Designer.detector_for`).
"""
from __future__ import annotations

import time
from typing import ClassVar

import attrs
import numpy as np

from ..errors import InputError, InputTypeError
from ..blas import single_threaded_blas
from ..detection import Detector
from ..problem import DesignProblem
from ..receivers import Receiver
from .design import Certificate, Design, NoBeamDirection
from ..solvers.compile import compile_program
from ..solvers.formulation import Formulation, budget_rows, echo_rows, max_min_reflected_power, sinr_rows
from ..solvers.program import TARGET_MARGIN
from .rankone import rank_one_beams
from ..solvers.registry import DEFAULT_SOLVER, PICOS_PREFIX, check_options, check_solver_name, primal_solver, program_solver
from .verify import TOLERANCE, check_design, repair_design

__all__ = ["Designer"]

#: A violation above this triggers the repair (well inside TOLERANCE).
_REPAIR_TRIGGER = 1e-9
#: Largest target tightening of the second solve.
_MAX_MARGIN = 1e-3
#: Largest relative gap between a certified dual bound and a verified design's
#: objective that proves the design optimal when the solver stopped short.
OPTIMALITY_GAP = 1e-6
#: A design missing a constraint by more than this is unusable: status error.
_UNUSABLE = 1e-3


def _finish(problem, receiver, detector, relaxed, beams=None):
    """Rank-one beams from a relaxed solution, verified and repaired if need be.

    ``beams``, when given, are the rank-one beams of ``relaxed`` and their
    check, ``(w, R, Check)``, already computed (for a batch, together).

    Returns
    -------
    (w, R, Check, bool)
        Beams, sensing covariances, their check, and whether a repair was kept
        (only when it lowers the worst violation).
    """
    if beams is None:
        w, R = rank_one_beams(problem, relaxed.W, relaxed.R)
        beams = w, R, check_design(problem, receiver, detector, w, R)
    w, R, check = beams
    if check.worst <= _REPAIR_TRIGGER or not check.finite:  # NaN beams cannot be repaired
        return w, R, check, False
    w_fixed, R_fixed = repair_design(problem, receiver, detector, w, R)
    fixed = check_design(problem, receiver, detector, w_fixed, R_fixed)
    if fixed.worst < check.worst:
        return w_fixed, R_fixed, fixed, True
    return w, R, check, False


def _certified_optimal(check, relaxed):
    """Whether a certified dual bound proves the design optimal although the solver stopped short.

    The bound caps the relaxation's optimum, hence every design's objective;
    a verified design within :data:`OPTIMALITY_GAP` of it is optimal to that
    accuracy, whatever the iteration count (e.g. with a vanishing noise power,
    whose SINR rows leave the dual multipliers unbounded and the iterations slow).
    """
    bound = relaxed.bound
    return bool(relaxed.bound_certified and bound > 0 and np.isfinite(bound) and check.finite
                and (bound - check.objective) / bound <= OPTIMALITY_GAP)


def _check_types(problem, receiver, detector):
    for name, value, kind in (("problem", problem, DesignProblem), ("receiver", receiver, Receiver), ("detector", detector, Detector)):
        if not isinstance(value, kind):
            raise InputTypeError(f"{name}: expected a {kind.__name__}, got {type(value).__name__}")


def _load_solver(name):
    """Import the modules of the solver ``name`` (once per process; later calls cost nothing).

    Raises
    ------
    InputError
        For an unknown solver name.
    """
    check_solver_name(name)
    (primal_solver if name.startswith(PICOS_PREFIX) else program_solver)(name)


def _describe_users(users):
    return ", ".join(f"cell {m} user {k}" for m, k in users) if users else "every user"


def _describe_rows(labels):
    """Row labels as text: ``cell m user k`` for an SINR row, the label's words otherwise."""
    return ", ".join(f"cell {label[1]} user {label[2]}" if label[0] == "sinr" else " ".join(map(str, label)) for label in labels)


@attrs.frozen(kw_only=True)
class Designer:
    """Base designer: the SDR of (P1)-(P4) over the beams' subspaces.

    Parameters
    ----------
    solver : str
        ``"structured"`` (default: the structure-exploiting interior-point
        method), ``"cvxopt"`` (the same reduced dual, CVXOPT's generic SDP
        solver), ``"picos:NAME"`` (the straightforward primal model with
        the installed PICOS solver NAME) or ``"picos-dual:NAME"`` (the
        reduced dual in PICOS); see :mod:`isacsim.solvers.registry`.
    options : dict
        Extra options of that solver.

    Attributes
    ----------
    name : str
        Registry name (class attribute), unique among designers.
    """

    name: ClassVar[str] = ""
    solver: str = attrs.field(default=DEFAULT_SOLVER, validator=attrs.validators.instance_of(str))
    options: dict = attrs.field(factory=dict, converter=lambda value: dict(value or {}))

    # ---------------------------------------------------------- subclass API
    def directions(self, problem):
        """Fixed unit directions of the information beams, or None for free beams.

        Parameters
        ----------
        problem : DesignProblem

        Returns
        -------
        None or numpy.ndarray, complex, shape (L, K, Nt)
            ``None`` lets each W_li be any PSD matrix (the SDR); an array
            fixes ``w_li`` to a multiple of ``directions[l, i]`` so that only
            its power is optimized.
        """
        return None

    def detector_for(self, detector):
        """The detector whose reflected power this designer maximizes."""
        return detector

    # ---------------------------------------------------------------- design
    def design(self, problem, receiver, detector):
        """Design beams for one problem.

        Parameters
        ----------
        problem : DesignProblem
        receiver : Receiver
            The users' receiver type.
        detector : Detector
            Which echoes the BSs use for detection.

        Returns
        -------
        Design
            Status ``optimal`` (verified), ``inaccurate``, ``infeasible``
            (with the users concerned) or ``error``; never raises for a
            solver failure.

        Raises
        ------
        TypeError, ValueError
            For bad input (wrong object kinds, an unknown solver, a problem
            the designer cannot handle), naming the field.
        """
        _load_solver(self.solver)  # once per process: imports are not part of the solve
        with single_threaded_blas():  # its first use loads SciPy's BLAS, also once per process
            started = time.perf_counter()
            return self._design(problem, receiver, detector, started)

    def _design(self, problem, receiver, detector, started):
        detector, directions, empty = self._prepare(problem, receiver, detector, started)
        if empty is not None:
            return empty
        relax = self._relax_with(problem, receiver, detector, directions)  # input errors raise here
        return self._conclude(problem, receiver, detector, relax, lambda: relax(TARGET_MARGIN), started)

    def _prepare(self, problem, receiver, detector, started):
        """Check the input; ``(detector, directions, None)``, or a design without beams as the third item.

        The detector is the one the design optimizes (:meth:`detector_for`);
        a designer without a beam direction for some user gives an
        ``infeasible`` design.
        """
        _check_types(problem, receiver, detector)
        detector = self.detector_for(detector)
        try:
            return detector, self._unit_directions(problem), None
        except NoBeamDirection as error:
            reason = f"no beam direction exists for {_describe_users(error.users)}: {error}"
            return detector, None, self._empty(problem, receiver, detector, "infeasible", reason, started)

    def _conclude(self, problem, receiver, detector, relax, first, started, beams=None):
        """The design from the relaxation ``first()``: rank-one beams, verified, repaired, certified.

        ``relax(margin)`` solves the relaxation again with tightened targets
        when the first solution's beams miss a constraint beyond repair;
        ``beams``, when given, are the first solution's beams and their check
        (:func:`_finish`).
        """
        try:
            relaxed = first()
        except InputError:  # e.g. a generic solver refused by its memory estimate: the user's choice to change
            raise
        except Exception as error:  # noqa: BLE001 - a solver failure is a result, not a crash
            return self._empty(problem, receiver, detector, "error", f"solver failed: {type(error).__name__}: {error}", started)
        if relaxed.status == "infeasible":
            who = _describe_rows(relaxed.rows) if relaxed.rows else "not identified by this solver"
            reason = f"the SINR targets cannot all be met within the power budgets; users concerned: {who}"
            return self._empty(problem, receiver, detector, "infeasible", reason, started, relaxed)
        if relaxed.W is None:
            return self._empty(problem, receiver, detector, "error", relaxed.message or "no solution returned", started, relaxed)
        w, R, check, repaired = _finish(problem, receiver, detector, relaxed, beams)
        used = relaxed
        if check.worst > TOLERANCE:
            # The interior-point residual was too large for these beams to be
            # repaired by their powers alone: solve once more with the targets
            # tightened past the miss, and keep whichever design is better.
            margin = min(_MAX_MARGIN, TARGET_MARGIN + 10.0 * check.worst)
            try:
                retry = relax(margin)
            except Exception:  # noqa: BLE001 - keep the first design
                retry = None
            if retry is not None and retry.W is not None:
                candidate = _finish(problem, receiver, detector, retry)
                if candidate[2].worst < check.worst:
                    w, R, check, repaired, used = candidate[0], candidate[1], candidate[2], True, retry
        status, reasons = "optimal", []
        if used.status != "optimal" and not _certified_optimal(check, used):
            status = "inaccurate"
            reasons.append(f"solver did not converge ({used.message})")
        if not check.finite:
            status = "error"
            reasons.append("the design or its SINRs, powers or objective are not finite (NaN or inf)")
        elif check.worst > TOLERANCE:
            status = "inaccurate" if check.worst <= _UNUSABLE else "error"
            reasons.append(
                f"constraint miss after repair: SINR {check.sinr_violation:.2e}, power {check.power_violation:.2e}, "
                f"PSD {check.psd_violation:.2e} (relative; tolerance {TOLERANCE:g})"
            )
        certificate = Certificate(
            objective=check.objective,
            bound=relaxed.bound,
            duality_gap=relaxed.gap,
            max_sinr_violation=check.sinr_violation,
            max_power_violation=check.power_violation,
            min_eig_r=check.min_eig_r,
            rank_one_residual=(used.value - check.objective) / used.value if used.value > 0 else 0.0,
            solve_seconds=time.perf_counter() - started,
            solver=used.solver,
            iterations=used.iterations,
            repaired=bool(repaired),
        )
        reason = "; ".join(reasons)
        return Design(w=w, R=R, status=status, reason=reason, designer=self.name, receiver=receiver, detector=detector, certificate=certificate)

    # -------------------------------------------------------------- helpers
    def _unit_directions(self, problem):
        """:meth:`directions`, checked and normalised to unit length."""
        directions = self.directions(problem)
        if directions is None:
            return None
        shape = (problem.n_bs, problem.n_users_per_cell, problem.n_tx)
        directions = np.asarray(directions, dtype=complex)
        if directions.shape != shape or not np.all(np.isfinite(directions)):
            raise InputError(f"{type(self).__name__}.directions: expected finite values of shape {shape}, got {directions.shape}")
        norms = np.linalg.norm(directions, axis=2)
        if np.any(norms == 0):
            raise NoBeamDirection("zero-length direction", [tuple(int(v) for v in u) for u in np.argwhere(norms == 0)])
        return directions / norms[..., None]

    def _relax_with(self, problem, receiver, detector, directions, first=None):
        """A callable ``relax(margin)`` that solves the relaxation; input is checked now.

        The program at the target margin, ``first``, may be given when
        already compiled.
        """
        check_solver_name(self.solver)
        check_options(self.solver, self.options)
        if self.solver.startswith(PICOS_PREFIX):
            solve_primal = primal_solver(self.solver)
            formulation = self._formulation(problem, receiver, detector, directions)
            return lambda margin: solve_primal(formulation, options=self.options, margin=margin)
        solve = program_solver(self.solver)
        first = first or self._program(problem, receiver, detector, directions)  # raises for bad input

        def relax(margin):
            program = first if margin == TARGET_MARGIN else self._program(problem, receiver, detector, directions, margin)
            return solve(program, self.options)

        return relax

    @staticmethod
    def _formulation(problem, receiver, detector, directions):
        """The paper's program on these beam subspaces: max-min reflected power, SINR rows, budgets.

        For a Type-I receiver whose information echoes count, R folds into
        any free W_li without changing a constraint, so R = 0 loses nothing
        and the rank-one construction rebuilds R; R is then left out.
        """
        rows = (
            echo_rows(problem, detector.link_weights(problem), detector.information_echoes),
            sinr_rows(problem, receiver.sensing_leakage),
            budget_rows(problem),
        )
        sensing = not (directions is None and receiver.sensing_leakage == 1.0 and detector.information_echoes)
        return Formulation(problem=problem, objective=max_min_reflected_power(), rows=rows, directions=directions, sensing=sensing)

    def _program(self, problem, receiver, detector, directions, margin=TARGET_MARGIN):
        """The compiled program of :meth:`_formulation`."""
        return compile_program(self._formulation(problem, receiver, detector, directions), margin)

    def _empty(self, problem, receiver, detector, status, reason, started, relaxed=None):
        """A design without beams (infeasible or failed)."""
        certificate = Certificate(
            bound=relaxed.bound if relaxed is not None else float("nan"),
            solve_seconds=time.perf_counter() - started,
            solver=relaxed.solver if relaxed is not None else self.solver,
            iterations=relaxed.iterations if relaxed is not None else -1,
        )
        w = np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex)
        R = np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex)
        return Design(w=w, R=R, status=status, reason=reason, designer=self.name, receiver=receiver, detector=detector, certificate=certificate)
