"""`Designer`: the template every optimal designer follows, one pipeline for all.

A designer **composes** its relaxed program from the family of
:mod:`isacsim.solvers.formulation` (see ``docs/formulations.md``):

:meth:`Designer.objective`
    an :class:`~isacsim.solvers.formulation.Objective`: the maximum of the
    minimum reflected power (the paper, the default) or the minimum
    (weighted) transmit power;
:meth:`Designer.rows`
    its row sets: the echo rows of the max-min objective plus what the
    problem asks of every design (:func:`~isacsim.designers.compose.requirement_rows`:
    SINR targets, in expectation under a CSI error; per-BS and per-antenna
    budgets; the reflected-power floors of a detection target);
:meth:`Designer.directions`
    free beams (the SDR) or fixed unit directions (only powers optimized);
:meth:`Designer.detector_for`
    which echoes count.

:meth:`Designer.formulation` assembles them into a
:class:`~isacsim.solvers.formulation.Formulation`. ``design(problem,
receiver, detector)`` then runs the one pipeline every designer shares:

1. **formulate** (:meth:`Designer.formulation`);
2. **relax**: solve it with the chosen solver (:mod:`isacsim.solvers.registry`:
   the structured interior-point method by default); the many, often slack
   per-antenna rows are added only where a relaxed solution violates them
   (exact: :data:`~isacsim.designers.compose.LAZY_KINDS`);
3. **rank-one beams**: the construction of Propositions 1/2
   (:func:`~isacsim.designers.rankone.rank_one_beams`); where the beams it
   gives fall short of the certified bound by more than
   :data:`OPTIMALITY_GAP` (under a statistical CSI error the construction is
   not exact), candidate directions
   (:func:`~isacsim.designers.rankone.candidate_directions`) whose powers and
   sensing covariances are re-optimized exactly by the same solver, in one
   batch, and the best verified design is kept;
4. **verify** every row from the returned beams with the model's own
   functions (:func:`~isacsim.designers.verify.check_design` against
   :func:`~isacsim.designers.compose.limits_of` the formulation), repair a
   small miss by re-optimizing powers, and solve once more with tightened
   rows when that is not enough;
5. **certify**: the status is ``optimal`` only when the design is verified
   and the solver converged or its certified bound proves it; an
   ``infeasible`` result names the rows of the Farkas certificate.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np

from ..blas import single_threaded_blas
from ..detection import Detector
from ..errors import InputError, InputTypeError
from ..problem import DesignProblem
from ..receivers import Receiver
from ..solvers.compile import compile_program
from ..solvers.formulation import Formulation, echo_rows, max_min_reflected_power
from ..solvers.program import TARGET_MARGIN
from ..solvers.relaxed import RelaxedSolution
from ..solvers.registry import DEFAULT_SOLVER, PICOS_PREFIX, check_options, check_solver_name, primal_solver, program_batch_solver, program_solver
from .compose import limits_of, requirement_rows, select_rows, sensing_redundant, split_lazy, violated_rows
from .design import Certificate, Design, NoBeamDirection
from .rankone import candidate_directions, rank_one_beams
from .verify import TOLERANCE, check_design, repair_design

if TYPE_CHECKING:
    from ..solvers.formulation import Objective, RowSet
    from ..solvers.program import Program

__all__ = ["Designer", "OPTIMALITY_GAP", "describe_rows"]

#: A violation above this triggers the repair (well inside TOLERANCE).
_REPAIR_TRIGGER = 1e-9
#: Largest target tightening of the second solve.
_MAX_MARGIN = 1e-3
#: Largest relative gap between a certified bound and a verified design's
#: objective that proves the design optimal.
OPTIMALITY_GAP = 1e-6
#: A design missing a constraint by more than this is unusable: status error.
_UNUSABLE = 1e-3
#: Relative loosening, then tightening, of the SINR targets of the solves
#: that decide a first solve that stalled (half the design tolerance). Next
#: to the feasibility threshold the interior point stalls (the multipliers of
#: the SINR rows grow without bound) while the optimum moves like the square
#: root of the targets' distance to it: loosened, the design meets the user's
#: targets within TOLERANCE and reaches the user's certified bound; tightened,
#: an infeasible program has a Farkas certificate that holds on the user's rows.
_THRESHOLD_MARGIN = 0.5 * TOLERANCE
#: Seed of the randomized rank-one candidates (a design is reproducible).
_RANDOMIZATION_SEED = 0
#: Solves with lazy rows added before all of them are solved at once.
_LAZY_ROUNDS = 4


@attrs.frozen
class _Beams:
    """Rank-one beams of one relaxed solution, verified.

    ``value`` is the design's objective in the formulation's sense
    (reflected power to maximize, or weighted power to minimize).
    """

    w: np.ndarray
    R: np.ndarray
    check: object
    repaired: bool
    solution: object
    method: str
    value: float


def _check_types(problem, receiver, detector):
    for name, value, kind in (("problem", problem, DesignProblem), ("receiver", receiver, Receiver), ("detector", detector, Detector)):
        if not isinstance(value, kind):
            raise InputTypeError(f"{name}: expected a {kind.__name__}, got {type(value).__name__}")


def _describe_users(users):
    return ", ".join(f"cell {m} user {k}" for m, k in users) if users else "every user"


#: How the rows of a built-in kind are named together: (what, how one label reads).
_ROW_NAMES = {
    "sinr": ("the SINR targets of", lambda label: f"cell {label[1]} user {label[2]}"),
    "floor": ("the detection targets at sample points", lambda label: str(label[1])),
    "antenna": ("the per-antenna budgets of", lambda label: f"BS {label[1]} antenna {label[2]}"),
    "budget": ("the budgets of", lambda label: f"BS {label[1]}"),
}


def describe_rows(labels: Iterable[tuple[Any, ...]]) -> str:
    """Row labels of a certificate in words, grouped by kind in order of first appearance.

    E.g. ``the detection targets at sample points 8, 2 and the SINR targets of cell 0 user 1``.
    """
    groups: dict[Any, list[tuple[Any, ...]]] = {}
    for label in labels:
        groups.setdefault(label[0], []).append(label)
    parts = []
    for kind, members in groups.items():
        what, name = _ROW_NAMES.get(kind, (f"the {kind} rows", lambda label: " ".join(map(str, label[1:]))))
        parts.append(f"{what} {', '.join(name(label) for label in members)}")
    return " and ".join(parts)


def _load_solver(name):
    """Import the modules of the solver ``name`` (once per process; later calls cost nothing).

    Raises
    ------
    InputError
        For an unknown solver name.
    """
    check_solver_name(name)
    (primal_solver if name.startswith(PICOS_PREFIX) else program_solver)(name)


def _checked(problem, receiver, detector, w, R, limits=None, check=None):
    """Beams checked against ``limits`` and repaired when they miss (a repair is kept only when it helps).

    ``check``, when given, is the beams' check already computed (for a
    batch, together: :func:`~isacsim.designers.verify.check_designs`).

    Returns
    -------
    (w, R, Check, bool)
        Beams, sensing covariances, their check, and whether a repair was kept.
    """
    check = check_design(problem, receiver, detector, w, R, limits) if check is None else check
    if check.worst <= _REPAIR_TRIGGER or not check.finite:  # NaN beams cannot be repaired
        return w, R, check, False
    w_fixed, R_fixed = repair_design(problem, receiver, detector, w, R, limits)
    fixed = check_design(problem, receiver, detector, w_fixed, R_fixed, limits)
    if fixed.worst < check.worst:
        return w_fixed, R_fixed, fixed, True
    return w, R, check, False


def _finish(problem, receiver, detector, relaxed, limits=None):
    """Rank-one beams of a relaxed solution (Propositions 1/2), checked and repaired: :func:`_checked`.

    For designers with a pipeline of their own (the clutter-aware bisection);
    ``limits`` default to the problem's (:meth:`~isacsim.designers.verify.Limits.of_problem`).
    """
    w, R = rank_one_beams(problem, relaxed.W, relaxed.R)
    return _checked(problem, receiver, detector, w, R, limits)


def _worse_by(value, bound, sense):
    """Relative distance of ``value`` from ``bound`` in the direction of worse (NaN without a usable bound)."""
    if not (np.isfinite(bound) and bound > 0 and np.isfinite(value)):
        return float("nan")
    return (bound - value) / bound if sense == "max" else (value - bound) / bound


def _proven(beams, bound, sense):
    """Whether a certified bound proves the verified design optimal to :data:`OPTIMALITY_GAP`.

    The bound caps every design of the family (from above for a maximized
    objective, from below for a minimized one); a design within
    :data:`OPTIMALITY_GAP` of it is optimal to that accuracy, whatever the
    solver's iteration count (e.g. with a vanishing noise power, whose SINR
    rows leave the dual multipliers unbounded and the iterations slow).
    """
    gap = _worse_by(beams.value, bound, sense)  # both ways: a design past a bound is not proven by it
    return bool(beams.check.finite and np.isfinite(gap) and abs(gap) <= OPTIMALITY_GAP)


def _keeps_relaxed_value(beams, relaxed, sense):
    """Whether the rank-one design lost at most :data:`OPTIMALITY_GAP` against the relaxed solution it came from.

    A loss within the solver's own interval (between the relaxed value and
    its bound) counts as none: an optimum of zero (a point without echo) is
    reached only to an absolute accuracy.
    """
    slack = OPTIMALITY_GAP * abs(relaxed.value)
    if np.isfinite(relaxed.bound):
        slack = max(slack, abs(relaxed.bound - relaxed.value))
    loss = (relaxed.value - beams.value) if sense == "max" else (beams.value - relaxed.value)
    return bool(beams.check.finite and np.isfinite(loss) and loss <= slack)


def _unsettled(beams, relaxed, sense):
    """Whether a finite design is left undecided: the solver stalled (or its design misses a constraint), and no
    certified bound proves it optimal."""
    if not beams.check.finite or _optimal(beams, relaxed, sense):
        return False
    return beams.solution.status != "optimal" or beams.check.worst > TOLERANCE


def _optimal(beams, relaxed, sense):
    """Whether the rank-one design is optimal: a certified bound proves it, or (without one, or for an optimum of
    nearly zero, reached only to an absolute accuracy) it keeps the value of a converged relaxation."""
    bound = relaxed.bound if relaxed.bound_certified else float("nan")
    if np.isfinite(bound) and bound > 0 and beams.value > OPTIMALITY_GAP * bound:
        return _proven(beams, bound, sense)
    return relaxed.status == "optimal" and _keeps_relaxed_value(beams, relaxed, sense)


@attrs.frozen(kw_only=True)
class Designer:
    """Base designer: the paper's SDR (P1)-(P4), composed from the program family.

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
    randomizations : int
        Gaussian candidates of the rank-one step where the construction of
        Propositions 1/2 falls short of the bound (under a statistical CSI
        error); besides them, the principal eigenvectors and the
        construction's own directions are always tried.

    Attributes
    ----------
    name : str
        Registry name (class attribute), unique among designers.
    """

    name: ClassVar[str] = ""
    solver: str = attrs.field(default=DEFAULT_SOLVER, validator=attrs.validators.instance_of(str))
    options: dict = attrs.field(factory=dict, converter=lambda value: dict(value or {}))
    randomizations: int = attrs.field(default=20, validator=[attrs.validators.instance_of(int), attrs.validators.ge(0)])

    # ----------------------------------------------------- what to compose
    def objective(self, problem: DesignProblem) -> Objective:
        """What the program optimizes: here the minimum reflected power, maximized (the paper).

        Parameters
        ----------
        problem : DesignProblem

        Returns
        -------
        Objective
        """
        return max_min_reflected_power()

    def rows(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> tuple[RowSet, ...]:
        """The program's row sets: the echo rows of the max-min objective and the problem's requirements.

        Override to add rows of your own (``super().rows(...) + (rows,)``).

        Parameters
        ----------
        problem : DesignProblem
        receiver : Receiver
        detector : Detector
            As returned by :meth:`detector_for`.

        Returns
        -------
        tuple of RowSet
        """
        echo = echo_rows(problem, detector.link_weights(problem), detector.information_echoes)
        return (echo,) + requirement_rows(problem, receiver, detector)

    def directions(self, problem: DesignProblem) -> np.ndarray | None:
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

    def detector_for(self, detector: Detector) -> Detector:
        """The detector whose reflected power this designer counts."""
        return detector

    def formulation(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> Formulation:
        """The designer's program for a problem: :meth:`objective` and :meth:`rows` on its beam subspace.

        Parameters
        ----------
        problem : DesignProblem
        receiver : Receiver
        detector : Detector
            The detector asked for (:meth:`detector_for` is applied here).

        Returns
        -------
        Formulation

        Raises
        ------
        NoBeamDirection
            If :meth:`directions` has none for some users.
        """
        return self._compose(problem, receiver, self.detector_for(detector), self._unit_directions(problem))

    def program(self, problem: DesignProblem, receiver: Receiver, detector: Detector, margin: float = TARGET_MARGIN) -> Program:
        """The compiled program of :meth:`formulation` (what the program solvers take)."""
        return compile_program(self.formulation(problem, receiver, detector), margin)

    def _compose(self, problem, receiver, detector, directions):
        """:meth:`objective` and :meth:`rows` on the beam subspace ``directions`` (None: free beams).

        The sensing covariances are left out when that loses nothing
        (:func:`~isacsim.designers.compose.sensing_redundant`): the rank-one
        construction rebuilds them.
        """
        objective = self.objective(problem)
        rows = tuple(self.rows(problem, receiver, detector))
        sensing = not sensing_redundant(objective, rows, directions)
        return Formulation(problem=problem, objective=objective, rows=rows, directions=directions, sensing=sensing)

    # ---------------------------------------------------------------- design
    def design(self, problem: DesignProblem, receiver: Receiver, detector: Detector) -> Design:
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
            Status ``optimal`` (verified and certified), ``inaccurate``,
            ``infeasible`` (with the rows concerned) or ``error``; never
            raises for a solver failure.

        Raises
        ------
        InputError, InputTypeError
            For bad input (wrong object kinds, an unknown solver, a problem
            the designer cannot handle), naming the field.
        """
        _load_solver(self.solver)  # once per process: imports are not part of the solve
        with single_threaded_blas():  # its first use loads SciPy's BLAS, also once per process
            started = time.perf_counter()
            return self._design(problem, receiver, detector, started)

    def _design(self, problem, receiver, detector, started):
        detector, formulation, empty = self._prepare(problem, receiver, detector, started)
        if empty is not None:
            return empty
        relax = self._relaxation(formulation)  # input errors raise here
        return self._from_relaxation(formulation, receiver, detector, relax, started)

    def _prepare(self, problem, receiver, detector, started):
        """Check the input and formulate: ``(detector, formulation, None)``, or ``(detector, None, design without beams)``."""
        _check_types(problem, receiver, detector)
        detector = self.detector_for(detector)
        try:
            directions = self._unit_directions(problem)
        except NoBeamDirection as error:
            reason = f"no beam direction exists for {_describe_users(error.users)}: {error}"
            return detector, None, self._empty(problem, receiver, detector, "infeasible", reason, started)
        return detector, self._compose(problem, receiver, detector, directions), None

    def _from_relaxation(self, formulation, receiver, detector, relax, started, beams=None):
        """The design from ``relax(formulation, TARGET_MARGIN)``: rank-one beams, verified, repaired, certified.

        ``beams``, when given, is ``(solution, w, R, check)``: the rank-one
        beams of a relaxed solution and their check, already computed (for a
        batch, together); they are used if the relaxation returns that
        solution.
        """
        problem = formulation.problem
        try:
            relaxed = relax(formulation, TARGET_MARGIN)
        except InputError:  # e.g. a generic solver refused by its memory estimate: the user's choice to change
            raise
        except Exception as error:  # noqa: BLE001 - a solver failure is a result, not a crash
            return self._empty(problem, receiver, detector, "error", f"solver failed: {type(error).__name__}: {error}", started)
        if relaxed.status == "infeasible":
            who = describe_rows(relaxed.rows) if relaxed.rows else "no rows (not identified by this solver)"
            reason = f"the targets cannot all be met within the budgets (certified); the certificate names {who}"
            return self._empty(problem, receiver, detector, "infeasible", reason, started, relaxed)
        if relaxed.W is None:
            return self._empty(problem, receiver, detector, "error", relaxed.message or "no solution returned", started, relaxed)
        limits = limits_of(formulation)
        computed = beams[1:] if beams is not None and beams[0] is relaxed else None
        beams = self._rank_one(formulation, receiver, detector, limits, relaxed, computed)
        if beams.check.worst > TOLERANCE:
            beams = self._tightened(formulation, receiver, detector, limits, relax, beams)
        if _unsettled(beams, relaxed, formulation.objective.sense):
            outcome = self._decide_near_threshold(formulation, receiver, detector, limits, relax, relaxed)
            if isinstance(outcome, RelaxedSolution):
                who = describe_rows(outcome.rows) if outcome.rows else "no rows (not identified by this solver)"
                reason = f"the targets cannot all be met within the budgets (certified); the certificate names {who}"
                return self._empty(problem, receiver, detector, "infeasible", reason, started, outcome)
            if outcome is not None:
                beams = outcome
                relaxed = outcome.solution
        elif self._improvable(beams, relaxed, formulation.objective.sense):
            exact = self._untightened(formulation, receiver, detector, limits, relax)
            if exact is not None and _optimal(exact, exact.solution, formulation.objective.sense):
                beams, relaxed = exact, exact.solution
        return self._conclude(formulation, receiver, detector, relaxed, beams, started)

    @staticmethod
    def _improvable(beams, relaxed, sense):
        """Whether a verified design of a converged, tightened solve misses the proof of optimality only by the
        tightening: the rank-one construction was exact, and the certified bound is more than the gap away."""
        return bool(beams.check.finite and beams.check.worst <= TOLERANCE and relaxed.status == "optimal"
                    and not beams.method.startswith("randomization") and not _optimal(beams, relaxed, sense))

    def _untightened(self, formulation, receiver, detector, limits, relax):
        """The design of the program solved as the user gave it (no target tightening), verified and repaired; None if it fails.

        Next to the feasibility threshold the optimum moves like the square
        root of the targets' distance to it, so the 1e-7 tightening of the
        first solve can cost more than the optimality gap; solved untightened,
        the interior-point residual is repaired onto the user's rows instead.
        """
        try:
            solution = relax(formulation, 0.0)
        except Exception:  # noqa: BLE001 - keep the first design
            return None
        if solution.W is None or solution.status != "optimal":
            return None
        beams = self._rank_one(formulation, receiver, detector, limits, solution)
        return beams if beams.check.finite and beams.check.worst <= TOLERANCE else None

    def _decide_near_threshold(self, formulation, receiver, detector, limits, relax, relaxed):
        """A certified design or infeasibility from up to two more solves, for a first solve that stalled
        (or whose design a repair moved off the solver's optimum).

        The targets are loosened by :data:`_THRESHOLD_MARGIN` (within the
        design tolerance): its rank-one design, when it meets the user's
        targets within TOLERANCE and reaches that program's certified bound
        (a bound on the user's problem too), is optimal. Failing that, the targets
        are tightened by as much: a Farkas certificate there that holds on
        the user's rows (the solver checks it on them) proves the user's
        problem infeasible.

        Returns
        -------
        None, RelaxedSolution or _Beams
            None when neither decides; an ``infeasible`` solution; or
            verified beams with their solution: the loosened solve's, proven
            optimal by its certified bound, or else the first that meets every
            row within the tolerance (``feasible``: optimality not claimed).
        """
        sense = formulation.objective.sense
        verified = None  # the first design that meets every row within the tolerance (status feasible)
        for margin in (-_THRESHOLD_MARGIN, _THRESHOLD_MARGIN):
            try:
                solution = relax(formulation, margin)
            except Exception:  # noqa: BLE001 - keep the first design
                continue
            if solution.status == "infeasible" and (margin < 0 or solution.infeasibility_certified):
                return solution  # loosened and infeasible, or a certificate on the user's rows
            if solution.W is None:
                continue
            w, R = rank_one_beams(formulation.problem, solution.W, solution.R)
            # Not repaired: a repair meets the user's targets exactly, at the
            # cost of the objective that the loosening is there to keep. The
            # loosened program's certified bound bounds every design that
            # meets the targets to within the loosening, this one and the
            # user's optimum among them.
            check = check_design(formulation.problem, receiver, detector, w, R, limits)
            value = check.objective if limits.maximizes_echo else check.transmit
            beams = _Beams(w, R, check, False, solution, "construction", value)
            if not (check.finite and check.worst <= TOLERANCE):
                continue
            verified = verified or beams
            bound = solution.bound if solution.bound_certified else np.nan
            if margin < 0 and abs(_worse_by(beams.value, bound, sense)) <= OPTIMALITY_GAP:
                return beams
        return verified

    # ----------------------------------------------------------- the steps
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

    def _relaxation(self, formulation, first=None, solved=None):
        """A callable ``relax(formulation, margin)`` of the chosen solver; the solver, its options and the formulation are checked now.

        ``first`` is the formulation's program without lazy rows at the
        target margin (:meth:`_first_program`) when already compiled, and
        ``solved`` its solution (or the exception its solve raised) when
        already solved (for a batch, together).
        """
        check_solver_name(self.solver)
        check_options(self.solver, self.options)
        if self.solver.startswith(PICOS_PREFIX):
            solve_primal = primal_solver(self.solver)
            return lambda formulation, margin: solve_primal(formulation, options=self.options, margin=margin)
        solve = program_solver(self.solver)
        first = self._first_program(formulation) if first is None else first  # raises for bad input

        def relax(candidate, margin):
            initial = candidate is formulation and margin == TARGET_MARGIN
            return self._solve_lazily(candidate, margin, solve, first if initial else None, solved if initial else None)

        return relax

    @staticmethod
    def _first_program(formulation):
        """The formulation without its lazy rows, compiled at the target margin (what is solved first)."""
        eager, _ = split_lazy(formulation)
        return compile_program(attrs.evolve(formulation, rows=eager), TARGET_MARGIN)

    def _solve_lazily(self, formulation, margin, solve, first=None, solved=None):
        """Solve a formulation, its lazy rows added only where a relaxed solution violates them.

        The program is solved without the lazy rows
        (:data:`~isacsim.designers.compose.LAZY_KINDS`), then again with
        the rows its solution violates, until none is: the last solution
        solves the whole program, and its bound (or infeasibility
        certificate, on fewer rows) holds for the whole program. ``first`` is
        the compiled program without lazy rows, when already compiled, and
        ``solved`` its solution (or the exception its solve raised).
        """
        eager, lazy = split_lazy(formulation)
        chosen = [np.zeros(rows.n_rows, dtype=bool) for rows in lazy]
        power_unit = float(np.max(formulation.problem.p_max))
        for _ in range(_LAZY_ROUNDS):
            active = eager + tuple(select_rows(rows, mask) for rows, mask in zip(lazy, chosen) if mask.any())
            program = first if first is not None and len(active) == len(eager) else compile_program(attrs.evolve(formulation, rows=active), margin)
            if solved is not None and program is first:
                if isinstance(solved, Exception):
                    raise solved
                solution = solved
            else:
                solution = solve(program, self.options)
            if solution.W is None or solution.status == "infeasible":
                return solution
            new = [violated_rows(rows, solution.W, solution.R, power_unit) & ~mask for rows, mask in zip(lazy, chosen)]
            if not any(mask.any() for mask in new):
                return solution
            chosen = [mask | more for mask, more in zip(chosen, new)]
        return solve(compile_program(formulation, margin), self.options)

    def _relax_all(self, formulations, margin=TARGET_MARGIN):
        """Solve several formulations (of one block structure, for the batched solver) with the chosen solver."""
        if self.solver.startswith(PICOS_PREFIX):
            solve_primal = primal_solver(self.solver)
            return [solve_primal(f, options=self.options, margin=margin) for f in formulations]
        return program_batch_solver(self.solver)([compile_program(f, margin) for f in formulations], self.options)

    def _verified(self, formulation, receiver, detector, limits, w, R, solution, method, check=None):
        """Beams checked against the limits (``check``, if already computed), repaired when they miss, with their objective value."""
        w, R, check, repaired = _checked(formulation.problem, receiver, detector, w, R, limits, check)
        value = check.objective if limits.maximizes_echo else check.transmit
        return _Beams(w, R, check, repaired, solution, method, value)

    def _rank_one(self, formulation, receiver, detector, limits, relaxed, computed=None):
        """Rank-one beams: the construction of Propositions 1/2, or the best candidate where it falls short.

        The construction keeps the relaxed solution's value for every
        built-in row with perfect CSI; it is accepted when its verified
        design keeps that value to :data:`OPTIMALITY_GAP` (or the beams were
        fixed). Otherwise (e.g. under a statistical CSI error) the candidate
        directions of :func:`~isacsim.designers.rankone.candidate_directions`
        get their powers and sensing covariances re-optimized exactly (the
        same formulation with those directions fixed, solved in one batch),
        and the best verified design is kept. ``computed`` is the
        construction's ``(w, R, check)`` when already computed.
        """
        problem, sense = formulation.problem, formulation.objective.sense
        w, R, check = computed if computed is not None else (*rank_one_beams(problem, relaxed.W, relaxed.R), None)
        fixed = formulation.directions is not None
        beams = self._verified(formulation, receiver, detector, limits, w, R, relaxed, "fixed directions" if fixed else "construction", check)
        if fixed or not np.isfinite(relaxed.value) or (beams.check.worst <= TOLERANCE and _keeps_relaxed_value(beams, relaxed, sense)):
            return beams
        candidates = list(candidate_directions(problem, relaxed.W, self.randomizations, np.random.default_rng(_RANDOMIZATION_SEED)))
        variants = [attrs.evolve(formulation, directions=directions, sensing=True) for directions in candidates]
        try:
            solutions = self._relax_all(variants)
        except InputError:
            raise
        except Exception:  # noqa: BLE001 - keep the construction's design
            return beams
        best = beams
        method = f"randomization (best of {len(candidates)})"
        for solution in solutions:
            if solution.W is None:
                continue
            w, R = rank_one_beams(problem, solution.W, solution.R)
            candidate = self._verified(formulation, receiver, detector, limits, w, R, relaxed, method)
            if candidate.check.worst <= TOLERANCE and (best.check.worst > TOLERANCE or _worse_by(candidate.value, best.value, sense) < 0):
                best = candidate
        return best

    def _tightened(self, formulation, receiver, detector, limits, relax, beams):
        """One more solve with the rows tightened past the miss; the better design is kept.

        For when the interior-point residual was too large for the beams to be
        repaired by their powers alone.
        """
        margin = min(_MAX_MARGIN, TARGET_MARGIN + 10.0 * beams.check.worst)
        try:
            retry = relax(formulation, margin)
        except Exception:  # noqa: BLE001 - keep the first design
            return beams
        if retry.W is None:
            return beams
        candidate = self._rank_one(formulation, receiver, detector, limits, retry)
        if candidate.check.worst < beams.check.worst:
            return attrs.evolve(candidate, repaired=True)
        return beams

    def _conclude(self, formulation, receiver, detector, relaxed, beams, started):
        """The design with its status and certificate."""
        sense = formulation.objective.sense
        check, used = beams.check, beams.solution
        bound = relaxed.bound if relaxed.bound_certified else float("nan")
        gap = _worse_by(beams.value, bound, sense)
        status, reasons = "optimal", []
        if not (_optimal(beams, relaxed, sense) or _optimal(beams, used, sense)):
            verified = check.finite and check.worst <= TOLERANCE
            status = "feasible" if verified else "inaccurate"  # feasible: verified, optimality not proven
            if used.status != "optimal":
                reasons.append(f"solver did not converge ({used.message})"
                               + (f"; the verified design is {gap:.2e} from the certified bound" if verified and np.isfinite(gap) else ""))
            elif verified:
                reasons.append(
                    f"rank-one design not proven optimal: {gap:.2e} from the certified bound (more than {OPTIMALITY_GAP:g}), "
                    f"{_worse_by(beams.value, used.value, sense):.2e} from its relaxation ({beams.method})"
                )
        if status == "optimal" and gap < -OPTIMALITY_GAP:
            # Within the tolerance of its constraints, past the exact problem's certified bound: next to the
            # feasibility threshold, where the optimum moves like the square root of the targets' distance to it.
            status = "feasible"
            reasons.append(f"the design passes the certified bound by {-gap:.2e} (its constraints met within the tolerance, "
                           "not exactly); optimality not claimed")
        if not check.finite:
            status = "error"
            reasons.append("the design or its SINRs, powers or objective are not finite (NaN or inf)")
        elif check.worst > TOLERANCE:
            status = "inaccurate" if check.worst <= _UNUSABLE else "error"
            reasons.append(
                f"constraint miss after repair: SINR {check.sinr_violation:.2e}, power {check.power_violation:.2e}, "
                f"antenna {check.antenna_violation:.2e}, detection floor {check.floor_violation:.2e}, "
                f"other rows {check.other_violation:.2e}, PSD {check.psd_violation:.2e} (relative; tolerance {TOLERANCE:g})"
            )
        value = used.value
        residual = _worse_by(beams.value, value, sense) if np.isfinite(value) and value > 0 else 0.0
        certificate = Certificate(
            objective=beams.value,
            objective_kind=formulation.objective.kind,
            bound=relaxed.bound,
            duality_gap=relaxed.gap,
            max_sinr_violation=check.sinr_violation,
            max_power_violation=check.power_violation,
            max_antenna_violation=check.antenna_violation,
            max_floor_violation=check.floor_violation,
            min_eig_r=check.min_eig_r,
            rank_one_residual=residual,
            optimality_gap=gap,
            rank_one=beams.method,
            solve_seconds=time.perf_counter() - started,
            solver=used.solver,
            iterations=used.iterations,
            repaired=bool(beams.repaired),
        )
        return Design(
            w=beams.w, R=beams.R, status=status, reason="; ".join(reasons), designer=self.name, receiver=receiver,
            detector=detector, certificate=certificate,
        )

    def _empty(self, problem, receiver, detector, status, reason, started, relaxed=None):
        """A design without beams (infeasible or failed)."""
        certificate = Certificate(
            objective_kind=self.objective(problem).kind,
            bound=relaxed.bound if relaxed is not None else float("nan"),
            solve_seconds=time.perf_counter() - started,
            solver=relaxed.solver if relaxed is not None else self.solver,
            iterations=relaxed.iterations if relaxed is not None else -1,
        )
        w = np.zeros((problem.n_bs, problem.n_users_per_cell, problem.n_tx), dtype=complex)
        R = np.zeros((problem.n_bs, problem.n_tx, problem.n_tx), dtype=complex)
        return Design(w=w, R=R, status=status, reason=reason, designer=self.name, receiver=receiver, detector=detector, certificate=certificate)
