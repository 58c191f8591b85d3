"""Default solver: a primal-dual interior-point method built for compiled beam programs, batched.

A :class:`~isacsim.solvers.program.Program` is solved in the standard SDP pair

    (P)  min <C, X> s.t. A(X) = r,  X >= 0          (the beam program)
    (D)  max r^T y  s.t. Z = C - A^T(y) >= 0          (its Lagrangian dual)

with one multiplier ``y_j >= 0`` per row. The cone holds one Hermitian block
per ``W_li`` / ``R_l`` (reduced to its span, dimension ``d``) and one
nonnegative orthant for the rows' slacks, for ``t >= 0`` (a free ``t``
enters the Newton system as one extra equation instead) and for an elastic
shortfall ``e >= 0`` of the rows with a positive right-hand side
(``row + e r_j >= r_j``), priced ``penalty`` in the objective: it keeps (P)
strictly feasible whatever the data, so the iteration converges instead of
stalling on an infeasible program, and adds only ``sum_j r_j^+ y_j <=
penalty`` to (D). In (D) a block reads

    Z_b = -c_b I - sum_j y_j A_jb,   A_jb = sum_k s_bk g_bk g_bk^H + e_bj I,

so every row's data is **low rank plus identity**. The Schur complement of
the HKM search direction, ``M_ij = Re tr(A_i X A_j Z^-1)``, is then, per
block, with ``P = G^H X G`` and ``Q = G^H Z^-1 G`` over the block's columns
``G``:

* columns x columns: ``s_k s_l Re(P_kl conj(Q_kl))``, summed into the rows
  the columns belong to (the r-column analogue of the Hadamard formula
  ``Re[(V^H X V) o conj(V^H Z^-1 V)]``);
* columns x identity rows: ``e_j s_k Re(g_k^H X Z^-1 g_k)``;
* identity x identity: ``e_i e_j tr(X Z^-1)``;

at ``O(d^2 p + d p^2)`` for ``p`` columns instead of the generic ``O(n d^3)``
(the low-rank technique of DSDP and SDPT3).

The method is Mehrotra's predictor-corrector on the HKM direction with an
infeasible primal start and an **always feasible dual**: it starts at a
point with every ``Z_b >= I`` (the covering rows, e.g. the budgets, raised as
far as needed) and moves along ``dZ = -A^T dy``; every step keeps ``Z``
positive definite (verified by Cholesky). Two certificates follow:

* every iterate's ``-r^T y`` bounds the optimum: with the relative gap to the
  primal value below ``tol_gap`` the solution is optimal;
* a ``y`` with ``r^T y > 0`` whose blocks ``-sum_j y_j A_jb`` are PSD (and
  ``a^T y <= 0``) is a Farkas certificate: no point meets every row. Its
  weights name the rows concerned.

Both are re-checked at exit on the user's (untightened) data with ``Z``
recomputed from ``y`` and its eigenvalues (the covering rows raised by any
deficit: :meth:`~isacsim.solvers.program.Program.certify`), so neither depends
on a stalled iteration. With the data scaled by the compiler the method is
independent of the problem's physical scale.

**Batches.** :func:`solve_structured_batch` solves a list of programs; those
of one block structure (:meth:`~isacsim.solvers.program.Program.signature`)
run together: every array has a leading batch axis, every factorization and
eigenvalue computation is one batched call, each member has its own step
lengths, status, certificate and iteration count, and a member that has
converged (or is certified infeasible) leaves the batch. A member that breaks
down (a factorization fails) is solved again alone, so it never fails the
batch and its result is the unbatched solver's. :func:`solve_structured` is a
batch of one.
"""
from __future__ import annotations

import attrs
import numpy as np
from scipy.linalg.lapack import dgetrf, dgetrs, dpotrf, dpotrs

from ..errors import InputError
from .cones import cholesky_members, cone_steps, conjugate_transpose, hermitian_part, orthant_steps, triangular_inverse
from .program import FARKAS_MARGIN
from .relaxed import RelaxedSolution

__all__ = ["solve_structured", "solve_structured_batch", "check_options", "DEFAULT_OPTIONS", "SOLVER_NAME"]

SOLVER_NAME = "structured"

#: Options of the structured interior-point method.
#:
#: ``tol_gap``       relative duality gap at which to stop;
#: ``tol_feas``      relative primal residual at which to stop;
#: ``max_iters``     iteration limit (status ``unknown`` beyond);
#: ``step``          fraction of the step to the cone boundary;
#: ``penalty``       price of the elastic shortfall (see the module notes);
#: ``trace``         print one line per iteration (of the batch's first member).
DEFAULT_OPTIONS = {
    "tol_gap": 1e-9,
    "tol_feas": 1e-9,
    "max_iters": 80,
    "step": 0.98,
    "penalty": 1e7,
    "trace": False,
}
#: Iterations without progress, once within :data:`_ACCEPT`, before the best iterate is returned.
_PATIENCE = 3
#: The best iterate is optimal if within this factor of both tolerances.
_ACCEPT = 10.0
#: Relative gaps are taken against the bound or this (program units: the
#: objective is O(1)), so that an optimum of zero, or nearly so, converges to
#: an absolute gap instead of never.
_GAP_FLOOR = 1e-3
#: A row's residual is relative to its terms or to this (program units), so
#: that a row whose terms all vanish at the optimum converges too.
_RESIDUAL_FLOOR = 1e-12
#: Lanczos steps of the predictor's step lengths on large blocks (they only set the centering weight).
_PREDICTOR_LANCZOS_STEPS = 6
#: Step shrink factor, and how often, when a new point fails its Cholesky test.
_BACKTRACK, _MAX_BACKTRACKS = 0.8, 12


def check_options(options):
    """Raise InputError naming any option that is not in :data:`DEFAULT_OPTIONS` or out of range."""
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise InputError(f"options: unknown option(s) {sorted(unknown)} for the {SOLVER_NAME!r} solver; expected {sorted(DEFAULT_OPTIONS)}")
    for name in ("tol_gap", "tol_feas", "penalty"):
        if name in options and not (np.isfinite(options[name]) and options[name] > 0):
            raise InputError(f"options: {name} must be a positive number, got {options[name]!r}")
    if "step" in options and not 0 < options["step"] < 1:
        raise InputError(f"options: step must lie in (0, 1), got {options['step']!r}")
    if "max_iters" in options and not (isinstance(options["max_iters"], int) and options["max_iters"] >= 1):
        raise InputError(f"options: max_iters must be a positive integer, got {options['max_iters']!r}")


def solve_structured(program, options=None):
    """Solve one :class:`~isacsim.solvers.program.Program` (a batch of one).

    Parameters
    ----------
    program : Program
    options : dict or None
        Overrides of :data:`DEFAULT_OPTIONS`.

    Returns
    -------
    RelaxedSolution
        ``optimal`` with the covariances, the certified bound and gap;
        ``infeasible`` with the rows named by the Farkas certificate; or
        ``unknown`` (iteration limit or numerical breakdown) with the best
        iterate.

    Raises
    ------
    InputError
        For an unknown option, or a program this method cannot solve (a
        block that no covering row and no objective term bounds).
    """
    return solve_structured_batch([program], options)[0]


def solve_structured_batch(programs, options=None):
    """Solve a list of programs; those of one block structure in one vectorized iteration.

    Parameters
    ----------
    programs : sequence of Program
    options : dict or None
        Overrides of :data:`DEFAULT_OPTIONS`, for every member.

    Returns
    -------
    list of RelaxedSolution
        In the order of ``programs``; each as :func:`solve_structured` would
        return it alone (statuses equal, objectives to rounding).
    """
    options = dict(options or {})
    check_options(options)
    settings = {**DEFAULT_OPTIONS, **options}
    programs = list(programs)
    partitions = {}
    for index, program in enumerate(programs):
        partitions.setdefault(program.signature(), []).append(index)
    results = [None] * len(programs)
    for indices in partitions.values():
        members = [programs[i] for i in indices]
        solved = _InteriorPoint(members, settings).run()
        for slot, i in enumerate(indices):
            if solved[slot] is None:  # broke down inside a batch: alone, as the unbatched solver would
                solved[slot] = solve_structured_batch([programs[i]], options)[0]
        # The tightening must not decide: a member infeasible only as tightened, or not converged
        # (near the feasibility threshold the tightening moves the optimum most), is solved again
        # with the user's rows as given, and the better-certified result kept.
        retry = [slot for slot, result in enumerate(solved) if programs[indices[slot]].tightened and (result is _UNTIGHTEN or result.status == "unknown")]
        if retry:
            for slot, result in zip(retry, solve_structured_batch([programs[indices[slot]].untightened() for slot in retry], options)):
                solved[slot] = result if solved[slot] is _UNTIGHTEN else _better(result, solved[slot])
        for slot, i in enumerate(indices):
            results[i] = solved[slot]
    return results


def _better(untightened, tightened):
    """The result to keep of a program solved tightened and again untightened.

    A decided one (optimal or infeasible) first, the untightened one where
    both are; otherwise the one whose certified gap to its own value is
    smaller, with the smaller of the two certified bounds (both bound the
    user's program).
    """
    decided = ("optimal", "infeasible")
    if untightened.status in decided or tightened.status not in decided and tightened.W is None:
        return untightened
    if tightened.status in decided:
        return tightened
    kept = min((untightened, tightened), key=lambda r: abs(r.bound - r.value) / abs(r.bound) if r.bound_certified and r.bound else np.inf)
    bounds = [r.bound for r in (untightened, tightened) if r.bound_certified and np.isfinite(r.bound)]
    if not bounds:
        return kept
    upper = kept.bound >= kept.value  # an upper bound (sense max) or a lower one (sense min)
    return attrs.evolve(kept, bound=min(bounds) if upper else max(bounds))


# ------------------------------------------------------------------ batch data
class _Group:
    """One block group of every member, stacked: arrays of shape (B, nb, ...)."""

    _PER_MEMBER = ("vectors", "vectors_h", "vectors_conj", "coefficients", "abs_coefficients", "pair", "identity", "abs_identity", "objective")

    def __init__(self, groups, n_rows):
        first = groups[0]
        self.n_rows = n_rows
        self.columns = first.columns
        self.identity_rows = first.identity_rows
        self.blocks = first.blocks
        self.dims = first.dims
        self.size = first.size
        self.count = first.count
        self.injective = np.unique(self.columns).size == self.columns.size
        consecutive = self.columns.size and np.array_equal(self.columns, np.arange(self.columns[0], self.columns[0] + self.columns.size))
        self.span = slice(int(self.columns[0]), int(self.columns[0]) + self.columns.size) if consecutive else None  # columns as a slice
        both = np.concatenate([self.columns, self.identity_rows])
        contiguous = both.size and np.array_equal(both, np.arange(both[0], both[0] + both.size))
        self.rows = slice(int(both[0]), int(both[0]) + both.size) if contiguous else None  # columns, then identity rows
        if not self.injective:
            self.incidence = np.zeros((self.columns.size, n_rows))
            self.incidence[np.arange(self.columns.size), self.columns] = 1.0
        self.vectors = np.stack([g.vectors for g in groups])
        self.vectors_h = conjugate_transpose(self.vectors)
        self.vectors_conj = self.vectors.conj()
        self.coefficients = np.stack([g.coefficients for g in groups])
        self.abs_coefficients = np.abs(self.coefficients)
        self.pair = self.coefficients[..., :, None] * self.coefficients[..., None, :]
        self.identity = np.stack([g.identity for g in groups])
        self.abs_identity = np.abs(self.identity)
        self.objective = np.stack([g.objective for g in groups])
        self.diagonal = np.arange(self.size)

    def take(self, members):
        """The same group for a subset of the members."""
        out = object.__new__(_Group)
        out.__dict__.update(self.__dict__)
        for name in self._PER_MEMBER:
            setattr(out, name, getattr(self, name)[members])
        return out

    def add_columns(self, target, values):
        """``target`` (B, m) plus per-column values (B, p) summed into the columns' rows."""
        if self.span is not None:
            target[:, self.span] += values
        elif self.injective:
            target[:, self.columns] += values
        else:
            target += values @ self.incidence

    def load(self, y):
        """``sum_j y_j A_jb`` per block, shape (B, nb, d, d)."""
        out = (self.vectors * (self.coefficients * y[:, None, self.columns])[:, :, None, :]) @ self.vectors_h
        if self.identity_rows.size:
            flat = out.reshape(out.shape[:2] + (-1,))
            flat[..., :: self.size + 1] += np.einsum("bnj,bj->bn", self.identity, y[:, self.identity_rows])[..., None]
        return out

    def slack(self, y):
        """``Z = -c I - sum_j y_j A_jb`` per block."""
        Z = -self.load(y)
        Z[..., self.diagonal, self.diagonal] -= self.objective[..., None]
        return Z

    def forward(self, Y):
        """``A(Y)`` (B, m) for a stack Y (its Hermitian part is what counts)."""
        quadratic = np.einsum("bnki,bnki->bni", self.vectors_conj, Y @ self.vectors).real
        out = np.zeros((Y.shape[0], self.n_rows))
        self.add_columns(out, (self.coefficients * quadratic).sum(axis=1))
        if self.identity_rows.size:
            out[:, self.identity_rows] += np.einsum("bnkk,bnj->bj", Y, self.identity).real
        return out


class _Batch:
    """The members' data: rows, orthant, groups, covering sets, start levels."""

    _PER_MEMBER = ("rhs", "a", "c_t", "elastic", "elastic_outer", "orthant_columns", "a_outer", "ray_cost", "coverage", "levels")

    def __init__(self, programs, penalty):
        first = programs[0]
        self.programs = programs
        self.size = len(programs)
        self.n_rows = first.n_rows
        self.rhs = np.stack([p.rhs for p in programs])
        self.a = np.stack([p.t_coefficients for p in programs])
        self.c_t = np.array([p.objective_t for p in programs])
        # Without any t term t plays no part: it leaves the orthant (handled like a free t with nothing to solve for).
        self.has_t = bool(np.any(self.a != 0) or np.any(self.c_t != 0))
        self.t_free = first.t_free or not self.has_t
        self.elastic = np.maximum(self.rhs, 0.0)
        self.elastic_outer = self.elastic[:, :, None] * self.elastic[:, None, :]
        self.orthant_columns = -np.stack([self.elastic] if self.t_free else [self.elastic, self.a], axis=1)  # -A_lin^T on e, t
        self.a_outer = self.a[:, :, None] * self.a[:, None, :]
        self.penalty = penalty
        self.groups = [_Group([p.groups[g] for p in programs], self.n_rows) for g in range(len(first.groups))]
        self.n_pairs = sum(g.count * g.size for g in self.groups) + self.n_rows + (0 if self.t_free else 1) + 1
        self.k = self.n_rows + (1 if self.t_free else 2)  # orthant: m row slacks, e, (t)
        self.ray_cost = np.array([p.ray_cost for p in programs])
        self.coverage = np.stack([p.coverage for p in programs])
        self.levels = np.stack([p.start_levels for p in programs])
        n_components = len(first.components)
        self.reach = np.zeros((n_components, len(first.blocks)), dtype=bool)  # component -> its blocks
        self.reach[first.component[first.component >= 0], np.flatnonzero(first.component >= 0)] = True
        self.members_of = np.zeros((n_components, self.n_rows))  # component -> its rows (0/1)
        for c, rows in enumerate(first.components):
            self.members_of[c, rows] = 1.0
        _check_bounded(first)

    def take(self, members):
        out = object.__new__(_Batch)
        out.__dict__.update(self.__dict__)
        out.programs = [self.programs[i] for i in members]
        out.size = len(members)
        for name in self._PER_MEMBER:
            setattr(out, name, getattr(self, name)[members])
        out.groups = [g.take(members) for g in self.groups]
        return out

    def orthant_forward(self, x, t_free=None):
        """``A_lin x`` (B, m) of orthant vectors x (B, k): ``-s + r^+ e + a t`` (the free t passed apart)."""
        m = self.n_rows
        out = self.elastic * x[:, m, None] - x[:, :m]
        if not self.t_free:
            out += self.a * x[:, m + 1, None]
        elif t_free is not None:
            out += self.a * t_free[:, None]
        return out

    def orthant_step(self, dy):
        """The orthant's dual step ``dz = -A_lin^T dy`` (B, k): ``[dy, -r^+ . dy, (-a . dy)]``."""
        dz = np.empty((dy.shape[0], self.k))
        dz[:, : self.n_rows] = dy
        dz[:, self.n_rows :] = np.einsum("bcj,bj->bc", self.orthant_columns, dy)
        return dz

    def raise_components(self, y, need):
        """``y`` with each covering set raised until its blocks' ``need`` (B, n_blocks) is met."""
        with np.errstate(divide="ignore", invalid="ignore"):
            per_block = np.where(need > 0, need / self.coverage, 0.0)
        if not self.reach.size:
            return y
        lift = np.max(np.where(self.reach[None], per_block[:, None, :], 0.0), axis=2)  # (B, n_components)
        return y + (lift[:, :, None] * self.members_of).sum(axis=1)  # not a matrix product: the same for any batch size


def _check_bounded(program):
    """Every block must be bounded by covering rows or by the objective (this method's dual start needs it)."""
    objective = np.zeros(len(program.blocks))
    for group in program.groups:
        objective[group.blocks] = group.objective
    loose = (program.coverage <= 0) & (objective >= 0)
    if np.any(loose):
        key = program.blocks[int(np.flatnonzero(loose)[0])].key
        raise InputError(
            f"program: block {key} is bounded by no budget-like row (data negative semidefinite on every block) "
            "and no negative objective weight; the structured solver needs one of them"
        )


# ------------------------------------------------------------------ the method
class _InteriorPoint:
    """Mehrotra predictor-corrector on the HKM direction for a batch of programs of one structure.

    State of the active members (a dict): per group ``XZ`` (2, B, nb, d, d),
    the primal ``X`` and dual ``Z`` blocks stacked side first (so that each
    side is contiguous for any batch size, and a member's arithmetic does not
    depend on its batch), with their Cholesky factors ``L``; the orthant's
    primal ``x = [s, e, t]`` and dual ``z = [y, ze, zt]`` (B, k): row slacks
    and multipliers, the elastic shortfall and its dual slack, ``t >= 0`` and
    its dual slack (left out for a free t, which is ``tf``, (B,)).
    """

    def __init__(self, programs, settings):
        self.settings = settings
        self.all = _Batch(programs, settings["penalty"])
        self.results = [None] * len(programs)

    # ------------------------------------------------------------ start
    def start(self, data):
        """A strictly feasible dual point (every ``Z_b >= I``) and a central-ish primal one."""
        B, m = data.size, data.n_rows
        a, c_t = data.a, data.c_t
        elastic_rows = data.elastic > 0
        total = np.maximum(data.elastic.sum(axis=1), 1e-300)
        y = np.where(elastic_rows, np.minimum(1.0, 0.5 * data.penalty / total)[:, None], 1.0)
        negative, positive = a < 0, a > 0
        if np.any(negative | positive):
            target = c_t + (0.0 if data.t_free else 1.0)  # want -a^T y = target (z_t = 1, or 0 when free)
            up = (a * y * positive).sum(axis=1)
            down_unit = (-a * negative).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                level = (target + up) / down_unit
            if np.any(~np.isfinite(level) | (level <= 0)):
                raise InputError("program: the t coefficients admit no strictly feasible dual point (t unbounded or rows vacuous)")
            y = np.where(negative, level[:, None], y)
        n_blocks = data.coverage.shape[1]
        covered = data.coverage > 0
        lowest, objective = np.zeros((B, n_blocks)), np.zeros((B, n_blocks))
        for g in data.groups:
            lowest[:, g.blocks] = np.linalg.eigvalsh(g.slack(y))[..., 0]
            objective[:, g.blocks] = g.objective
        loose = ~covered & (lowest < -objective / 2)
        if np.any(loose):  # blocks bounded only by the objective: scale y down until their Z_b >= -c_b / 2
            with np.errstate(divide="ignore", invalid="ignore"):
                factors = np.where(loose, (-objective / 2) / (-objective - lowest), 1.0)
            y = y * np.clip(factors.min(axis=1), 0.0, 1.0)[:, None]
            for g in data.groups:
                lowest[:, g.blocks] = np.linalg.eigvalsh(g.slack(y))[..., 0]
        y = data.raise_components(y, np.where(covered, np.maximum(0.0, 1.0 - lowest), 0.0))
        groups = []
        for g in data.groups:
            X = data.levels[:, g.blocks, None, None] * np.eye(g.size, dtype=complex)
            groups.append(np.stack([X, g.slack(y)]))
        x, z = np.ones((B, data.k)), np.empty((B, data.k))
        z[:, :m] = y
        z[:, m] = data.penalty - (data.elastic * y).sum(axis=1)
        x[:, m] = 1.0 / z[:, m]  # the elastic pair starts at a unit product, like the others
        if not data.t_free:
            z[:, m + 1] = -c_t - (a * y).sum(axis=1)
        return dict(XZ=groups, x=x, z=z, tf=np.zeros(B))

    # ------------------------------------------------------------ iteration
    def run(self):
        settings = self.settings
        data = self.all
        m = data.n_rows
        members = np.arange(data.size)
        state = self.start(data)
        factors, failed = cholesky_members(state["XZ"])
        if np.any(failed):
            raise InputError("program: the starting point is not positive definite (degenerate data)")
        state["L"] = factors
        B = data.size
        track = dict(
            best=dict(X=[XZ[0].copy() for XZ in state["XZ"]], x=state["x"].copy(), z=state["z"].copy(), tf=state["tf"].copy()),
            merit=np.full(B, np.inf),
            since=np.zeros(B, dtype=int),
            lowest=np.full(B, np.inf),
        )
        iterations = np.zeros(B, dtype=int)
        for iteration in range(1, settings["max_iters"] + 1):
            iterations[members] = iteration
            ry = (data.rhs * state["z"][:, :m]).sum(axis=1)  # r^T y: minus the bound
            done = self.certified_infeasible(data, members, state["z"][:, :m], ry, iteration)
            if done.any():
                data, members, state, track = _take(~done, data, members, state, track)
                ry = ry[~done]
                if not members.size:
                    break
            inverses = [triangular_inverse(L) for L in state["L"]]
            inverses_h = [conjugate_transpose(F) for F in inverses]
            system = self.schur(data, state, inverses, inverses_h)
            dual_value = -ry
            primal_value = self.primal_value(data, state)
            complementarity = self.complementarity(data, state)
            relative_residual = np.maximum(
                np.max(np.abs(data.rhs - system["AX"]) / (np.abs(data.rhs) + system["AX_abs"] + _RESIDUAL_FLOOR), axis=1), state["x"][:, m]
            )
            relative_gap = np.maximum(dual_value - primal_value, complementarity) / np.maximum(np.abs(dual_value), _GAP_FLOOR)
            if settings["trace"]:
                print(
                    f"{iteration:3d} value={primal_value[0]:.12e} bound={dual_value[0]:.12e} gap={relative_gap[0]:.2e} "
                    f"residual={relative_residual[0]:.2e} e={state['x'][0, m]:.1e} active={members.size}"
                )
            merit = np.maximum(relative_residual / settings["tol_feas"], relative_gap / settings["tol_gap"])
            track["since"] += 1
            improved = merit < track["merit"]
            if improved.any():
                best = track["best"]
                for k, XZ in enumerate(state["XZ"]):
                    best["X"][k][improved] = XZ[0, improved]
                for name in ("x", "z", "tf"):
                    best[name][improved] = state[name][improved]
                track["merit"][improved] = merit[improved]
                track["since"][improved] = 0
            falling = dual_value < track["lowest"] - 1e-6 * np.abs(dual_value)  # the bound still falls (towards a certificate?)
            track["lowest"][falling] = dual_value[falling]
            track["since"][falling] = 0
            converged = (merit <= 1.0) | ((track["since"] >= _PATIENCE) & (track["merit"] <= _ACCEPT))
            if converged.any():
                self.finish(data, members, track, iterations, converged, "")
                keep = ~converged
                data, members, state, track = _take(keep, data, members, state, track)
                if not members.size:
                    break
                inverses, inverses_h = [np.take(F, np.flatnonzero(keep), axis=1) for F in inverses], [np.take(F, np.flatnonzero(keep), axis=1) for F in inverses_h]
                system = _subset(system, keep)
                complementarity = complementarity[keep]
            moved, failed = self.step(data, state, inverses, inverses_h, system, complementarity)
            if failed.any():  # these members broke down: finished from their best iterate (alone, if in a batch)
                gone = np.flatnonzero(failed)
                self.breakdown(data.take(gone), members[gone], _subset(track, failed), iterations, "numerical breakdown (no usable step)")
                data, members, _, track = _take(~failed, data, members, state, track)
                moved = _subset(moved, ~failed)
                if not members.size:
                    break
            state = moved
        if members.size:
            self.finish(data, members, track, iterations, np.ones(members.size, bool), "iteration limit reached")
        return self.results

    @staticmethod
    def t_of(data, x, tf):
        """The objective variable t (B,) of orthant vectors x (or the free t)."""
        return tf if data.t_free else x[:, data.n_rows + 1]

    def primal_value(self, data, state):
        """``c_t t + sum_b c_b tr Y_b`` (B,): the program's objective, without the elastic price."""
        value = data.c_t * self.t_of(data, state["x"], state["tf"])
        for g, XZ in zip(data.groups, state["XZ"]):
            value = value + np.einsum("bn,bnkk->b", g.objective, XZ[0]).real
        return value

    def complementarity(self, data, state):
        """``<X, Z>`` over blocks and orthant (B,)."""
        total = (state["x"] * state["z"]).sum(axis=1)
        for XZ in state["XZ"]:
            total = total + np.einsum("bnij,bnji->bn", XZ[0], XZ[1]).real.sum(axis=1)
        return total

    def schur(self, data, state, inverses, inverses_h):
        """Schur complement ``M_ij = Re tr(A_i X A_j Z^-1)`` and the values the directions reuse.

        Returns
        -------
        dict
            ``M`` (B, m, m); ``AX`` = A(X) and ``AX_abs`` (the same with
            absolute values, each row's scale) (B, m); ``AZi`` = A(Z^-1)
            (B, m); ``XZi`` per group (2, B, nb, d, d): X and Z^-1 stacked.
        """
        x, z = state["x"], state["z"]
        B, m = data.size, data.n_rows
        ratio = x / z
        M = ratio[:, m, None, None] * data.elastic_outer
        M.reshape(B, m * m)[:, :: m + 1] += ratio[:, :m]
        AX = data.orthant_forward(x, state["tf"])
        AX_abs = x[:, :m] + data.elastic * x[:, m, None]
        AZi = data.orthant_forward(1.0 / z)
        if not data.t_free:
            M += ratio[:, m + 1, None, None] * data.a_outer
            AX_abs += np.abs(data.a * x[:, m + 1, None])
        elif data.has_t:
            AX_abs += np.abs(data.a * state["tf"][:, None])
        pairs = []
        for g, XZ, F, Fh in zip(data.groups, state["XZ"], inverses, inverses_h):
            XZi = XZ.copy()
            np.matmul(Fh[1], F[1], out=XZi[1])  # Z^-1 = L^-H L^-1
            images = XZi @ g.vectors  # X V, Z^-1 V
            grams = g.vectors_h @ images  # P = V^H X V, Q = V^H Z^-1 V
            pairs.append(XZi)
            diagonal = np.einsum("sbnii->sbni", grams).real  # g_k^H X g_k, g_k^H Z^-1 g_k
            weighted = (diagonal * g.coefficients).sum(axis=2)  # (2, B, p)
            g.add_columns(AX, weighted[0])
            g.add_columns(AZi, weighted[1])
            g.add_columns(AX_abs, (diagonal[0] * g.abs_coefficients).sum(axis=1))
            H = np.einsum("bnkl,bnkl,bnkl->bkl", g.pair, grams[0], grams[1].conj()).real  # s_k s_l Re(P o conj Q)
            if not g.identity_rows.size or g.rows is None:
                if g.span is not None:
                    M[:, g.span, g.span] += H
                elif g.injective:
                    M[:, g.columns[:, None], g.columns[None, :]] += H
                else:
                    M += g.incidence.T @ H @ g.incidence
            if g.identity_rows.size:
                rows = g.identity_rows
                traces = np.einsum("sbnkk->sbn", XZi).real
                both = np.einsum("sbn,bnj->sbj", traces, g.identity)
                AX[:, rows] += both[0]
                AZi[:, rows] += both[1]
                AX_abs[:, rows] += np.einsum("bn,bnj->bj", traces[0], g.abs_identity)
                u = g.coefficients * np.einsum("bnki,bnki->bni", images[0].conj(), images[1]).real  # s_k Re(g_k^H X Z^-1 g_k)
                cross = np.einsum("bnk,bnj->bkj", u, g.identity)  # (B, p, mi)
                tau = np.einsum("bnij,bnji->bn", XZi[0], XZi[1]).real
                identity_block = np.einsum("bni,bn,bnj->bij", g.identity, tau, g.identity)
                if g.rows is not None:  # one contiguous block [[H, cross], [cross^T, identity]]
                    p = H.shape[1]
                    block = np.empty((B, p + rows.size, p + rows.size))
                    block[:, :p, :p] = H
                    block[:, :p, p:] = cross
                    block[:, p:, :p] = np.swapaxes(cross, 1, 2)
                    block[:, p:, p:] = identity_block
                    M[:, g.rows, g.rows] += block
                    continue
                if g.injective:
                    M[:, g.columns[:, None], rows[None, :]] += cross
                    M[:, rows[:, None], g.columns[None, :]] += np.swapaxes(cross, 1, 2)
                else:
                    block = g.incidence.T @ cross
                    M[:, :, rows] += block
                    M[:, rows, :] += np.swapaxes(block, 1, 2)
                M[:, rows[:, None], rows[None, :]] += identity_block
        return {"M": M, "AX": AX, "AX_abs": AX_abs, "AZi": AZi, "XZi": pairs}

    def newton(self, data, M):
        """The factored Newton system; a free t enters as one more equation, ``[[M, a], [a^T, 0]]``.

        (M alone may be singular there: the free variable absorbs a direction.)
        """
        if data.t_free and data.has_t:
            B, m = data.size, data.n_rows
            augmented = np.zeros((B, m + 1, m + 1))
            augmented[:, :m, :m] = M
            augmented[:, :m, m] = data.a
            augmented[:, m, :m] = data.a
            return _Newton(augmented, definite=False)
        return _Newton(M)

    def solve_newton(self, data, newton, rhs):
        """``dy`` and ``dt`` of ``M dy (+ a dt) = rhs`` (with ``a^T dy = 0`` for a free t)."""
        if not (data.t_free and data.has_t):
            return newton.solve(rhs), np.zeros(data.size)
        solution = newton.solve(np.concatenate([rhs, np.zeros((data.size, 1))], axis=1))
        return solution[:, :-1], solution[:, -1]

    def direction(self, data, state, system, shift, predictor=None):
        """Newton direction towards ``X Z = shift I``, less the predictor's second-order term.

        With ``Rc Z^-1 = shift Z^-1 - X - dXp dZp Z^-1`` and the dual kept
        feasible: ``M dy = r - A(shift Z^-1 - dXp dZp Z^-1)``,
        ``dZ = -A^T dy``, ``dX = Rc Z^-1 - X dZ Z^-1`` (Hermitian part); on
        the orthant ``dx = shift / z - x - (dxp dzp) / z - x dz / z``.

        Returns
        -------
        (dict, numpy.ndarray)
            ``dXZ`` per group (2, B, nb, d, d), ``dx``, ``dz`` (B, k), ``dy``,
            ``dtf``; and the members whose system was singular.
        """
        x, z = state["x"], state["z"]
        rhs = data.rhs - shift[:, None] * system["AZi"]
        if data.t_free:  # the free t's share of the primal residual (a t >= 0 enters through its orthant pair)
            rhs = rhs - data.a * state["tf"][:, None]
        terms = [shift[:, None, None, None] * XZi[1] for XZi in system["XZi"]]
        linear = shift[:, None] / z
        if predictor is not None:
            for k, (g, XZi) in enumerate(zip(data.groups, system["XZi"])):
                dXZ = predictor["dXZ"][k]
                second = dXZ[0] @ (dXZ[1] @ XZi[1])
                terms[k] = terms[k] - second
                rhs = rhs + g.forward(second)
            second = predictor["dx"] * predictor["dz"] / z
            linear = linear - second
            rhs = rhs + data.orthant_forward(second)
        dy, dtf = self.solve_newton(data, system["newton"], rhs)
        dXZ = []
        for g, term, XZi in zip(data.groups, terms, system["XZi"]):
            pair = np.empty((2,) + term.shape, dtype=complex)
            np.negative(g.load(dy), out=pair[1])  # dZ = -A^T(dy)
            pair[0] = hermitian_part(term - XZi[0] - XZi[0] @ (pair[1] @ XZi[1]))
            dXZ.append(pair)
        dz = data.orthant_step(dy)
        dx = linear - x - x * dz / z
        bad = system["newton"].singular | ~np.isfinite(dy.sum(axis=1))
        return {"dXZ": dXZ, "dx": dx, "dz": dz, "dy": dy, "dtf": dtf}, bad

    def step_lengths(self, data, state, inverses, inverses_h, step, fraction):
        """Primal and dual step lengths in (0, 1] per member."""
        alpha_p = orthant_steps(state["x"], step["dx"], fraction)
        alpha_d = orthant_steps(state["z"], step["dz"], fraction)
        for F, Fh, dXZ in zip(inverses, inverses_h, step["dXZ"]):
            cone = cone_steps(F, Fh, dXZ, fraction, _PREDICTOR_LANCZOS_STEPS if fraction == 1.0 else None)  # (2, B)
            alpha_p, alpha_d = np.minimum(alpha_p, cone[0]), np.minimum(alpha_d, cone[1])
        return alpha_p, alpha_d

    def step(self, data, state, inverses, inverses_h, system, complementarity):
        """One predictor-corrector step: the new state, and which members broke down."""
        settings = self.settings
        system = dict(system, newton=self.newton(data, system["M"]))
        predictor, bad = self.direction(data, state, system, np.zeros(data.size))
        alpha_p, alpha_d = self.step_lengths(data, state, inverses, inverses_h, predictor, 1.0)
        affine = ((state["x"] + alpha_p[:, None] * predictor["dx"]) * (state["z"] + alpha_d[:, None] * predictor["dz"])).sum(axis=1)
        alphas = np.stack([alpha_p, alpha_d])[:, :, None, None, None]
        for XZ, dXZ in zip(state["XZ"], predictor["dXZ"]):
            moved = XZ + alphas * dXZ
            affine = affine + np.einsum("bnij,bnji->bn", moved[0], moved[1]).real.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = np.minimum(1.0, np.where(complementarity > 0, affine / complementarity, 1.0) ** 3)
        sigma = np.where(np.isfinite(sigma), np.maximum(sigma, 0.0), 1.0)
        corrector, bad_c = self.direction(data, state, system, sigma * complementarity / data.n_pairs, predictor)
        alpha_p, alpha_d = self.step_lengths(data, state, inverses, inverses_h, corrector, settings["step"])
        if settings["trace"]:
            print(f"    sigma={sigma[0]:.2e} alpha_p={alpha_p[0]:.3f} alpha_d={alpha_d[0]:.3f}")
        return self.move(data, state, corrector, alpha_p, alpha_d, bad | bad_c)

    def move(self, data, state, step, alpha_p, alpha_d, bad):
        """Take the step, shrinking it per member and side until the new X and Z pass their Cholesky test."""
        alphas = np.where(bad, 0.0, np.stack([alpha_p, alpha_d]))
        XZ, L, alphas, failed = _positive_step(state["XZ"], state["L"], step["dXZ"], alphas)
        alpha_p, alpha_d = alphas[0], alphas[1]
        moved = dict(
            XZ=XZ, L=L,
            x=state["x"] + alpha_p[:, None] * step["dx"],
            z=state["z"] + alpha_d[:, None] * step["dz"],
            tf=state["tf"] + alpha_p * step["dtf"],
        )
        return moved, bad | failed

    # --------------------------------------------------------------- results
    def certified_infeasible(self, data, members, y, ry, iteration):
        """Members whose multipliers are a certified Farkas ray (their results are recorded)."""
        done = np.zeros(members.size, dtype=bool)
        candidates = np.flatnonzero(ry - data.ray_cost > 0)
        if not candidates.size:
            return done
        scale = (np.abs(data.rhs[candidates]) * y[candidates]).sum(axis=1)
        for k in candidates[ry[candidates] - data.ray_cost[candidates] > FARKAS_MARGIN * scale]:
            program = data.programs[k]
            ray = program.farkas_ray(y[k])
            if ray is not None:
                rows = program.named_rows(ray * program.rhs)
                self.results[members[k]] = RelaxedSolution(
                    status="infeasible", rows=rows, infeasibility_certified=True, iterations=iteration, solver=SOLVER_NAME
                )
                done[k] = True
            elif program.tightened and program.farkas_ray(y[k], reference=False) is not None:
                # Infeasible as tightened, not (yet) proven as given: the user's rows decide.
                self.results[members[k]] = _UNTIGHTEN
                done[k] = True
        return done

    def breakdown(self, data, members, track, iterations, message):
        """Members that broke down: alone, the result from the best iterate; in a batch, None (to be solved alone)."""
        if self.all.size > 1:
            return  # results stay None: solve_structured_batch solves them again alone
        self.finish(data, members, track, iterations, np.ones(members.size, bool), message)

    def finish(self, data, members, track, iterations, which, message):
        """Record the results of the members ``which`` from their best iterates."""
        best = track["best"]
        m = data.n_rows
        t = self.t_of(data, best["x"], best["tf"])
        for k in np.flatnonzero(which):
            program = data.programs[k]
            y = best["z"][k, :m]
            bound, _, certified = program.certify(y)
            matrices = [None] * len(program.blocks)
            traces = 0.0
            for g, X in zip(data.groups, best["X"]):
                for slot, (index, d) in enumerate(zip(g.blocks, g.dims)):
                    matrices[index] = X[k, slot, :d, :d]
                traces += float(g.objective[k] @ np.einsum("nii->n", X[k]).real)
            value = program.objective_t * float(t[k]) + traces
            solved_bound = -float(program.rhs @ y)  # of the program as solved (tightened): the convergence gap
            W, R = program.assemble(matrices)
            optimal = track["merit"][k] <= _ACCEPT
            self.results[members[k]] = RelaxedSolution(
                status="optimal" if optimal else "unknown",
                W=W,
                R=R,
                value=program.units.objective * value,
                bound=program.units.objective * bound,
                bound_certified=bool(certified),
                gap=(solved_bound - value) / abs(solved_bound) if solved_bound != 0 else float("nan"),
                iterations=int(iterations[members[k]]),
                message="" if optimal else message,
                solver=SOLVER_NAME,
            )


#: Result placeholder of a member to be solved again with its untightened rows.
_UNTIGHTEN = "untighten"


class _Newton:
    """The Newton systems ``M dy = rhs`` of every member, each factored once per iteration.

    Each member is factored by LAPACK directly, member by member (the same
    arithmetic for one member as for many; at paper size the NumPy wrappers'
    checks would cost more than the factorization): Cholesky, or, where
    rounding has cost M its definiteness (and for the indefinite system of a
    free t), LU after equilibration (``D M D`` with ``D = diag(|M|)^-1/2``:
    near the optimum the diagonal spans many orders of magnitude and partial
    pivoting on the raw matrix loses the small rows' accuracy). Members whose
    matrix is singular are flagged (:attr:`singular`) and get zero directions.
    """

    def __init__(self, M, definite=True):
        self.singular = np.zeros(M.shape[0], dtype=bool)
        self.solvers = []
        for k in range(M.shape[0]):
            if definite:
                factor, info = dpotrf(M[k], lower=1, clean=0)
                if info == 0:
                    self.solvers.append(lambda rhs, factor=factor: dpotrs(factor, rhs, lower=1)[0])
                    continue
            size = np.abs(np.diagonal(M[k]))
            size = np.where(size > 0, size, np.abs(M[k]).max(axis=1))
            scale = 1.0 / np.sqrt(np.where(size > 0, size, 1.0))
            lu, pivots, info = dgetrf(M[k] * scale[:, None] * scale[None, :])
            self.singular[k] = info != 0
            self.solvers.append(lambda rhs, lu=lu, pivots=pivots, scale=scale: dgetrs(lu, pivots, rhs * scale)[0] * scale)

    def solve(self, rhs):
        """``M^-1 rhs`` for rhs of shape (B, m); zeros for a singular member."""
        return np.array([np.zeros_like(r) if bad else solve(r) for solve, r, bad in zip(self.solvers, rhs, self.singular)])


def _positive_step(points, factors, directions, alphas):
    """``points + alpha directions`` per side and member, ``alpha`` shrunk until every block passes Cholesky.

    Parameters
    ----------
    points, factors, directions : list of numpy.ndarray, shape (2, B, nb, d, d)
        Per group: X and Z stacked, their Cholesky factors, dX and dZ.
    alphas : numpy.ndarray, shape (2, B)
        Primal and dual step lengths.

    Returns
    -------
    (list, list, numpy.ndarray, numpy.ndarray)
        New stacks, their Cholesky factors, the steps taken (2, B) and the
        members for which no allowed shrink worked (left where they were).
    """
    alphas = alphas.copy()
    moved = [P + alphas[:, :, None, None, None] * D for P, D in zip(points, directions)]
    new_factors, failed = cholesky_members(moved)
    if not failed.any():
        return moved, new_factors, alphas, np.zeros(alphas.shape[1], dtype=bool)
    taken = ((alphas > 0) & ~failed)[:, :, None, None, None]
    out = [np.where(taken, M, P) for M, P in zip(moved, points)]
    out_factors = [np.where(taken, N, F) for N, F in zip(new_factors, factors)]
    pending = np.argwhere(failed & (alphas > 0))
    for _ in range(_MAX_BACKTRACKS - 1):
        if not pending.size:
            break
        alphas[pending[:, 0], pending[:, 1]] *= _BACKTRACK
        still = []
        for side, member in pending:
            a = alphas[side, member]
            candidate = [P[side, member] + a * D[side, member] for P, D in zip(points, directions)]
            try:
                chol = [np.linalg.cholesky(C) for C in candidate]
            except np.linalg.LinAlgError:
                still.append((side, member))
                continue
            for k in range(len(points)):
                out[k][side, member] = candidate[k]
                out_factors[k][side, member] = chol[k]
        pending = np.array(still, dtype=int).reshape(-1, 2)
    stuck = np.zeros(alphas.shape[1], dtype=bool)
    if pending.size:
        stuck[pending[:, 1]] = True
        alphas[pending[:, 0], pending[:, 1]] = 0.0
    return out, out_factors, alphas, stuck


#: Per-group lists whose arrays have the member axis second (side first).
_SIDE_FIRST = ("XZ", "L", "XZi")


def _subset(arrays, keep):
    """A dict of per-member arrays (or per-group lists of them, or such dicts) restricted to the members ``keep``."""
    out = {}
    for name, value in arrays.items():
        if isinstance(value, dict):
            out[name] = _subset(value, keep)
        elif isinstance(value, list):
            out[name] = [np.take(v, np.flatnonzero(keep), axis=1) if name in _SIDE_FIRST else v[keep] for v in value]  # C order kept
        else:
            out[name] = value[keep]
    return out


def _take(keep, data, members, state, track):
    """Drop the members not in ``keep`` from everything the iteration carries."""
    return data.take(np.flatnonzero(keep)), members[keep], _subset(state, keep), _subset(track, keep)
