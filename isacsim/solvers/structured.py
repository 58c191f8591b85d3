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

import numpy as np

from ..errors import InputError
from .cones import cholesky_members, cone_steps, conjugate_transpose, hermitian_part, orthant_steps, triangular_inverse
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
#: A Farkas certificate needs ``r^T y`` above this fraction of ``sum |r_j| y_j``
#: (not a rounding of zero).
_CERTIFICATE_MARGIN = 1e-9
#: Relative gaps are taken against the bound or this (program units: the
#: objective is O(1)), so that an optimum of zero, or nearly so, converges to
#: an absolute gap instead of never.
_GAP_FLOOR = 1e-3
#: A row's residual is relative to its terms or to this (program units), so
#: that a row whose terms all vanish at the optimum converges too.
_RESIDUAL_FLOOR = 1e-12
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
        untighten = [i for i, result in zip(indices, solved) if result is _UNTIGHTEN]
        if untighten:  # certified infeasible only as tightened: solve the user's rows as given
            for i, result in zip(untighten, solve_structured_batch([programs[i].untightened() for i in untighten], options)):
                solved[indices.index(i)] = result
        for i, result in zip(indices, solved):
            if result is None:  # broke down inside a batch: alone, as the unbatched solver would
                result = solve_structured_batch([programs[i]], options)[0]
            results[i] = result
    return results


# ------------------------------------------------------------------ batch data
class _Group:
    """One block group of every member, stacked: arrays of shape (B, nb, ...)."""

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
        if not self.injective:
            self.incidence = np.zeros((self.columns.size, n_rows))
            self.incidence[np.arange(self.columns.size), self.columns] = 1.0
        self.vectors = np.stack([g.vectors for g in groups])
        self.vectors_h = conjugate_transpose(self.vectors)
        self.coefficients = np.stack([g.coefficients for g in groups])
        self.pair = self.coefficients[..., :, None] * self.coefficients[..., None, :]
        self.abs_coefficients = np.abs(self.coefficients)
        self.identity = np.stack([g.identity for g in groups])
        self.abs_identity = np.abs(self.identity)
        self.objective = np.stack([g.objective for g in groups])
        self.diagonal = np.arange(self.size)

    def take(self, members):
        """The same group for a subset of the members."""
        out = object.__new__(_Group)
        out.__dict__.update(self.__dict__)
        for name in ("vectors", "vectors_h", "coefficients", "pair", "abs_coefficients", "identity", "abs_identity", "objective"):
            setattr(out, name, getattr(self, name)[members])
        return out

    # values per column (B, nb, p) -> per row (B, m)
    def column_rows(self, values):
        out = np.zeros((values.shape[0], self.n_rows))
        summed = values.sum(axis=1)
        if self.injective:
            out[:, self.columns] = summed
        else:
            out += summed @ self.incidence
        return out

    def identity_values(self, traces, identity=None):
        """Per row (B, m): ``sum_b e_bj traces_b`` on the identity rows."""
        out = np.zeros((traces.shape[0], self.n_rows))
        if self.identity_rows.size:
            out[:, self.identity_rows] = np.einsum("bnj,bn->bj", self.identity if identity is None else identity, traces)
        return out

    def load(self, y):
        """``sum_j y_j A_jb`` per block, shape (B, nb, d, d)."""
        weights = self.coefficients * y[:, None, self.columns]
        out = (self.vectors * weights[:, :, None, :]) @ self.vectors_h
        if self.identity_rows.size:
            out[..., self.diagonal, self.diagonal] += np.einsum("bnj,bj->bn", self.identity, y[:, self.identity_rows])[..., None]
        return out

    def slack(self, y):
        """``Z = -c I - sum_j y_j A_jb`` per block."""
        Z = -self.load(y)
        Z[..., self.diagonal, self.diagonal] -= self.objective[..., None]
        return Z

    def forward(self, Y):
        """``A(Y)`` (B, m) for a stack Y (its Hermitian part is what counts)."""
        quadratic = np.einsum("bnki,bnki->bni", self.vectors.conj(), Y @ self.vectors).real
        traces = np.einsum("bnkk->bn", Y).real
        return self.column_rows(self.coefficients * quadratic) + self.identity_values(traces)


class _Batch:
    """The members' data: rows, orthant, groups."""

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
        self.penalty = penalty
        self.groups = [_Group([p.groups[g] for p in programs], self.n_rows) for g in range(len(first.groups))]
        self.n_pairs = sum(g.count * g.size for g in self.groups) + self.n_rows + (0 if self.t_free else 1) + 1
        self.ray_cost = np.array([p.ray_cost for p in programs])
        _check_bounded(first)

    def take(self, members):
        out = object.__new__(_Batch)
        out.__dict__.update(self.__dict__)
        out.programs = [self.programs[i] for i in members]
        out.size = len(members)
        for name in ("rhs", "a", "c_t", "elastic", "ray_cost"):
            setattr(out, name, getattr(self, name)[members])
        out.groups = [g.take(members) for g in self.groups]
        return out


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

    State of the active members: ``X``, ``Z`` (one stack per group) with
    their Cholesky factors, the orthant ``s, y`` (row slacks and
    multipliers), ``t, zt`` (``t >= 0`` and its dual slack) or ``tf`` (a free
    ``t``), ``e, ze`` (elastic shortfall and its dual slack).
    """

    def __init__(self, programs, settings):
        self.settings = settings
        self.all = _Batch(programs, settings["penalty"])
        self.results = [None] * len(programs)

    # ------------------------------------------------------------ helpers
    def orthant_forward(self, data, s, t, e):
        """``A_lin x``: ``-s + a t + r^+ e`` (B, m)."""
        return -s + data.a * t[:, None] + data.elastic * e[:, None]

    def start(self, data):
        """A strictly feasible dual point (every ``Z_b >= I``) and a central-ish primal one."""
        B, m = data.size, data.n_rows
        programs = data.programs
        a, c_t = data.a, data.c_t
        y = np.ones((B, m))
        elastic_rows = data.elastic > 0
        total = np.maximum((data.elastic * elastic_rows).sum(axis=1), 1e-300)
        y = np.where(elastic_rows, np.minimum(1.0, 0.5 * data.penalty / total)[:, None], y)
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
        covered = np.stack([p.coverage > 0 for p in programs])
        # Blocks bounded only by the objective: scale the multipliers down until their Z_b >= -c_b/2.
        theta = np.ones(B)
        lowest = np.zeros((B, len(programs[0].blocks)))
        objective = np.zeros_like(lowest)
        for g in data.groups:
            lowest[:, g.blocks] = np.linalg.eigvalsh(g.slack(y))[..., 0]
            objective[:, g.blocks] = g.objective
        loose = ~covered & (lowest < -objective / 2)
        if np.any(loose):
            with np.errstate(divide="ignore", invalid="ignore"):
                factors = np.where(loose, (-objective / 2) / (-objective - lowest), 1.0)
            theta = np.clip(factors.min(axis=1), 0.0, 1.0)
            y = y * theta[:, None]
            for g in data.groups:
                lowest[:, g.blocks] = np.linalg.eigvalsh(g.slack(y))[..., 0]
        # Covered blocks: raise each covering component until its blocks' Z_b >= I.
        for member, program in enumerate(programs):
            need = np.where(covered[member], np.maximum(0.0, 1.0 - lowest[member]), 0.0)
            for c, rows in enumerate(program.components):
                reach = program.component == c
                if np.any(need[reach] > 0):
                    y[member, rows] += float(np.max(need[reach] / program.coverage[reach]))
        # Primal: every block at a share of its tightest covering row, slacks 1, t = 1, e e-balanced.
        X = []
        for g in data.groups:
            level = np.empty((B, g.count))
            for member, program in enumerate(programs):
                level[member] = _block_levels(program, g.blocks)
            X.append(level[..., None, None] * np.eye(g.size, dtype=complex))
        s = np.ones((B, m))
        t = np.ones(B) if not data.t_free else np.zeros(B)
        zt = (-c_t - (a * y).sum(axis=1)) if not data.t_free else np.zeros(B)
        ze = data.penalty - (data.elastic * y).sum(axis=1)
        e = 1.0 / ze
        return X, s, y, t, zt, e, ze

    def slacks(self, data, y):
        return [g.slack(y) for g in data.groups]

    # ------------------------------------------------------------ iteration
    def run(self):
        settings = self.settings
        data = self.all
        members = np.arange(data.size)
        X, s, y, t, zt, e, ze = self.start(data)
        Z = self.slacks(data, y)
        LX, failed_x = cholesky_members(X)
        LZ, failed_z = cholesky_members(Z)
        if np.any(failed_x | failed_z):
            raise InputError("program: the starting point is not positive definite (degenerate data)")
        B = data.size
        best = dict(X=[x.copy() for x in X], s=s.copy(), y=y.copy(), t=t.copy(), e=e.copy())
        best_merit = np.full(B, np.inf)
        since_progress = np.zeros(B, dtype=int)
        lowest_bound = np.full(B, np.inf)
        iterations = np.zeros(B, dtype=int)
        messages = np.array(["iteration limit reached"] * B, dtype=object)
        state = dict(X=X, Z=Z, LX=LX, LZ=LZ, s=s, y=y, t=t, zt=zt, e=e, ze=ze)
        for iteration in range(1, settings["max_iters"] + 1):
            iterations[members] = iteration
            # Farkas: a certified ray ends the member as infeasible.
            done = self.certified_infeasible(data, members, state["y"], iteration)
            if done.any():
                keep = ~done
                data, members, state, best, best_merit, since_progress, lowest_bound = _take(keep, data, members, state, best, best_merit, since_progress, lowest_bound)
                if not members.size:
                    break
            try:
                FX = [triangular_inverse(L) for L in state["LX"]]
                FZ = [triangular_inverse(L) for L in state["LZ"]]
            except np.linalg.LinAlgError:
                self.breakdown(data, members, best, best_merit, iterations, "numerical breakdown (a factorization failed)")
                return self.results
            FXh = [conjugate_transpose(F) for F in FX]
            FZh = [conjugate_transpose(F) for F in FZ]
            Zi = [Fh @ F for F, Fh in zip(FZ, FZh)]
            system = self.schur(data, state, Zi)
            dual_value = -(data.rhs * state["y"]).sum(axis=1)
            primal_value = self.primal_value(data, state)
            residual = data.rhs - system["AX"]
            complementarity = sum(np.einsum("bnij,bnji->b", Xg, Zg).real for Xg, Zg in zip(state["X"], state["Z"]))
            complementarity = complementarity + (state["s"] * state["y"]).sum(axis=1) + state["e"] * state["ze"]
            if not data.t_free:
                complementarity = complementarity + state["t"] * state["zt"]
            relative_residual = np.maximum(
                np.max(np.abs(residual) / (np.abs(data.rhs) + system["AX_abs"] + _RESIDUAL_FLOOR), axis=1), state["e"]
            )
            relative_gap = np.maximum(dual_value - primal_value, complementarity) / np.maximum(np.abs(dual_value), _GAP_FLOOR)
            if settings["trace"]:
                print(
                    f"{iteration:3d} value={primal_value[0]:.12e} bound={dual_value[0]:.12e} gap={relative_gap[0]:.2e} "
                    f"residual={relative_residual[0]:.2e} e={state['e'][0]:.1e} active={members.size}"
                )
            merit = np.maximum(relative_residual / settings["tol_feas"], relative_gap / settings["tol_gap"])
            since_progress += 1
            improved = merit < best_merit
            if improved.any():
                for k, Xg in enumerate(state["X"]):
                    best["X"][k][improved] = Xg[improved]
                for name in ("s", "y", "t", "e"):
                    best[name][improved] = state[name][improved]
                best_merit[improved] = merit[improved]
                since_progress[improved] = 0
            falling = dual_value < lowest_bound - 1e-6 * np.abs(dual_value)  # the bound still falls (towards a certificate?)
            lowest_bound[falling] = dual_value[falling]
            since_progress[falling] = 0
            converged = (merit <= 1.0) | ((since_progress >= _PATIENCE) & (best_merit <= _ACCEPT))
            if converged.any():
                self.finish(data, members, best, best_merit, iterations, converged, "")
                keep = ~converged
                data, members, state, best, best_merit, since_progress, lowest_bound = _take(keep, data, members, state, best, best_merit, since_progress, lowest_bound)
                if not members.size:
                    break
                Zi, FX, FXh, FZ, FZh = ([v[keep] for v in vs] for vs in (Zi, FX, FXh, FZ, FZh))
                system = {name: value[keep] for name, value in system.items()}
            moved, failed = self.step(data, state, Zi, (FX, FXh), (FZ, FZh), system)
            if failed.any():  # these members broke down: finished from their best iterate (alone, if in a batch)
                self.breakdown(data.take(np.flatnonzero(failed)), members[failed], _subset(best, failed), best_merit[failed],
                               iterations, "numerical breakdown (no usable step)")
                keep = ~failed
                data, members, _, best, best_merit, since_progress, lowest_bound = _take(keep, data, members, state, best, best_merit, since_progress, lowest_bound)
                moved = _subset(moved, keep)
                if not members.size:
                    break
            state = moved
        if members.size:
            self.finish(data, members, best, best_merit, iterations, np.ones(members.size, bool), "iteration limit reached")
        return self.results

    def primal_value(self, data, state):
        """``c_t t + sum_b c_b tr Y_b`` (B,): the program's objective, without the elastic price."""
        value = data.c_t * state["t"]
        for g, Xg in zip(data.groups, state["X"]):
            value = value + (g.objective * np.einsum("bnkk->bn", Xg).real).sum(axis=1)
        return value

    def schur(self, data, state, Zi):
        """Schur complement ``M_ij = Re tr(A_i X A_j Z^-1)`` and the row values the directions reuse.

        Returns
        -------
        dict
            ``M`` (B, m, m); ``AX`` = A(X) and ``AX_abs`` (the same with
            absolute values, each row's scale) (B, m); ``AZi`` = A(Z^-1) (B, m).
        """
        s, y, t, zt, e, ze = (state[name] for name in ("s", "y", "t", "zt", "e", "ze"))
        B, m = data.size, data.n_rows
        M = np.zeros((B, m, m))
        M[:, np.arange(m), np.arange(m)] = s / y
        M += (e / ze)[:, None, None] * data.elastic[:, :, None] * data.elastic[:, None, :]
        if not data.t_free:
            M += (t / zt)[:, None, None] * data.a[:, :, None] * data.a[:, None, :]
        AX = self.orthant_forward(data, s, t, e)
        AX_abs = s + np.abs(data.a * t[:, None]) + data.elastic * e[:, None]
        AZi = -1.0 / y + data.elastic / ze[:, None]
        if not data.t_free:
            AZi = AZi + data.a / zt[:, None]
        for g, Xg, Zg in zip(data.groups, state["X"], Zi):
            XV = Xg @ g.vectors
            ZV = Zg @ g.vectors
            P = g.vectors_h @ XV
            Q = g.vectors_h @ ZV
            diagonal_P = np.einsum("bnii->bni", P).real
            diagonal_Q = np.einsum("bnii->bni", Q).real
            traces_X = np.einsum("bnkk->bn", Xg).real
            traces_Z = np.einsum("bnkk->bn", Zg).real
            AX += g.column_rows(g.coefficients * diagonal_P) + g.identity_values(traces_X)
            AX_abs += g.column_rows(g.abs_coefficients * diagonal_P) + g.identity_values(traces_X, g.abs_identity)
            AZi += g.column_rows(g.coefficients * diagonal_Q) + g.identity_values(traces_Z)
            H = (g.pair * (P.real * Q.real + P.imag * Q.imag)).sum(axis=1)  # (B, p, p)
            if g.injective:
                M[:, g.columns[:, None], g.columns[None, :]] += H
            else:
                M += g.incidence.T @ H @ g.incidence
            if g.identity_rows.size:
                u = g.coefficients * np.einsum("bnki,bnki->bni", XV.conj(), ZV).real  # s_k Re(g_k^H X Z^-1 g_k)
                cross = np.einsum("bnk,bnj->bkj", u, g.identity)  # (B, p, mi)
                if g.injective:
                    block = np.zeros((B, m, g.identity_rows.size))
                    block[:, g.columns, :] = cross
                else:
                    block = g.incidence.T @ cross
                M[:, :, g.identity_rows] += block
                M[:, g.identity_rows, :] += np.swapaxes(block, 1, 2)
                tau = np.einsum("bnij,bnji->bn", Xg, Zg).real
                M[:, g.identity_rows[:, None], g.identity_rows[None, :]] += np.einsum("bni,bn,bnj->bij", g.identity, tau, g.identity)
        return {"M": M, "AX": AX, "AX_abs": AX_abs, "AZi": AZi}

    def solve_newton(self, data, M, rhs):
        """``dy`` and ``dt`` of ``M dy (+ a dt) = rhs`` (with ``a^T dy = 0`` for a free t), and the singular members.

        A free t enters as one more equation, ``[[M, a], [a^T, 0]]``: M alone
        may be singular there (the free variable absorbs a direction).
        """
        if not (data.t_free and data.has_t):
            solution, singular = _solve_members(M, rhs[:, :, None])
            return solution[..., 0], np.zeros(data.size), singular
        B, m = data.size, data.n_rows
        augmented = np.zeros((B, m + 1, m + 1))
        augmented[:, :m, :m] = M
        augmented[:, :m, m] = data.a
        augmented[:, m, :m] = data.a
        solution, singular = _solve_members(augmented, np.concatenate([rhs, np.zeros((B, 1))], axis=1)[:, :, None])
        return solution[:, :m, 0], solution[:, m, 0], singular

    def direction(self, data, state, Zi, M, shift, predictor=None):
        """Newton direction towards ``X Z = shift I``, less the predictor's second-order term.

        With ``Rc Z^-1 = shift Z^-1 - X - dXp dZp Z^-1`` and the dual kept
        feasible: ``M dy = r - A(shift Z^-1 - dXp dZp Z^-1)``,
        ``dZ = -A^T dy``, ``dX = Rc Z^-1 - X dZ Z^-1`` (Hermitian part).
        """
        s, y, t, zt, e, ze = (state[name] for name in ("s", "y", "t", "zt", "e", "ze"))
        rhs = data.rhs - shift[:, None] * state["AZi"]
        if data.t_free:  # the free t's share of the primal residual (a t >= 0 enters through its orthant pair)
            rhs = rhs - data.a * t[:, None]
        terms = [shift[:, None, None, None] * Zg for Zg in Zi]
        linear_s, linear_t, linear_e = shift[:, None] / y, shift / np.where(data.t_free, 1.0, zt), shift / ze
        if predictor is not None:
            for k, (g, Zg) in enumerate(zip(data.groups, Zi)):
                second = predictor["dX"][k] @ (predictor["dZ"][k] @ Zg)
                terms[k] = terms[k] - second
                rhs = rhs + g.forward(second)
            second_s = predictor["ds"] * predictor["dy"] / y
            second_e = predictor["de"] * predictor["dze"] / ze
            linear_s, linear_e = linear_s - second_s, linear_e - second_e
            rhs = rhs - second_s + data.elastic * second_e[:, None]
            if not data.t_free:
                second_t = predictor["dt"] * predictor["dzt"] / zt
                linear_t = linear_t - second_t
                rhs = rhs + data.a * second_t[:, None]
        dy, dt_free, singular = self.solve_newton(data, M, rhs)
        dZ = [-g.load(dy) for g in data.groups]
        dzt = -(data.a * dy).sum(axis=1)
        dze = -(data.elastic * dy).sum(axis=1)
        dX = [hermitian_part(term - Xg - Xg @ (dZg @ Zg)) for term, Xg, dZg, Zg in zip(terms, state["X"], dZ, Zi)]
        ds = linear_s - s - s * dy / y
        de = linear_e - e - e * dze / ze
        if data.t_free:
            dt = dt_free
        else:
            dt = linear_t - t - t * dzt / zt
        bad = singular | ~np.isfinite(dy).all(axis=1)
        return {"dy": dy, "dX": dX, "dZ": dZ, "ds": ds, "dt": dt, "dzt": dzt, "de": de, "dze": dze}, bad

    def step_lengths(self, data, state, factors_x, factors_z, step, fraction):
        """Primal and dual step lengths in (0, 1] per member."""
        primal_x = [state["s"], step["ds"]], [state["e"][:, None], step["de"][:, None]]
        dual_z = [state["y"], step["dy"]], [state["ze"][:, None], step["dze"][:, None]]
        if not data.t_free:
            primal_x += ([state["t"][:, None], step["dt"][:, None]],)
            dual_z += ([state["zt"][:, None], step["dzt"][:, None]],)
        alpha_p = orthant_steps(np.concatenate([p[0] for p in primal_x], axis=1), np.concatenate([p[1] for p in primal_x], axis=1), fraction)
        alpha_d = orthant_steps(np.concatenate([p[0] for p in dual_z], axis=1), np.concatenate([p[1] for p in dual_z], axis=1), fraction)
        for (F, Fh), (G, Gh), dXg, dZg in zip(zip(*factors_x), zip(*factors_z), step["dX"], step["dZ"]):
            alpha_p = np.minimum(alpha_p, cone_steps(F, Fh, dXg, fraction))
            alpha_d = np.minimum(alpha_d, cone_steps(G, Gh, dZg, fraction))
        return alpha_p, alpha_d

    def step(self, data, state, Zi, factors_x, factors_z, system):
        """One predictor-corrector step: the new state, and which members broke down."""
        settings = self.settings
        M = system["M"]
        work = dict(state, AZi=system["AZi"])
        complementarity = sum(np.einsum("bnij,bnji->b", Xg, Zg).real for Xg, Zg in zip(state["X"], state["Z"]))
        complementarity = complementarity + (state["s"] * state["y"]).sum(axis=1) + state["e"] * state["ze"]
        if not data.t_free:
            complementarity = complementarity + state["t"] * state["zt"]
        predictor, bad = self.direction(data, work, Zi, M, np.zeros(data.size))
        alpha_p, alpha_d = self.step_lengths(data, state, factors_x, factors_z, predictor, 1.0)
        affine = sum(
            np.einsum("bnij,bnji->b", Xg + alpha_p[:, None, None, None] * dXg, Zg + alpha_d[:, None, None, None] * dZg).real
            for Xg, dXg, Zg, dZg in zip(state["X"], predictor["dX"], state["Z"], predictor["dZ"])
        )
        affine = affine + ((state["s"] + alpha_p[:, None] * predictor["ds"]) * (state["y"] + alpha_d[:, None] * predictor["dy"])).sum(axis=1)
        affine = affine + (state["e"] + alpha_p * predictor["de"]) * (state["ze"] + alpha_d * predictor["dze"])
        if not data.t_free:
            affine = affine + (state["t"] + alpha_p * predictor["dt"]) * (state["zt"] + alpha_d * predictor["dzt"])
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = np.minimum(1.0, np.where(complementarity > 0, affine / complementarity, 1.0) ** 3)
        sigma = np.where(np.isfinite(sigma), np.maximum(sigma, 0.0), 1.0)
        corrector, bad_c = self.direction(data, work, Zi, M, sigma * complementarity / data.n_pairs, predictor)
        bad = bad | bad_c
        alpha_p, alpha_d = self.step_lengths(data, state, factors_x, factors_z, corrector, settings["step"])
        if settings["trace"]:
            print(f"    sigma={sigma[0]:.2e} alpha_p={alpha_p[0]:.3f} alpha_d={alpha_d[0]:.3f}")
        return self.move(data, state, corrector, alpha_p, alpha_d, bad)

    def move(self, data, state, step, alpha_p, alpha_d, bad):
        """Take the step, shrinking it per member until the new X and Z pass their Cholesky test."""
        alpha_p = np.where(bad, 0.0, alpha_p)
        alpha_d = np.where(bad, 0.0, alpha_d)
        X, LX, alpha_p, failed_p = _positive_step(state["X"], state["LX"], step["dX"], alpha_p)
        Z, LZ, alpha_d, failed_d = _positive_step(state["Z"], state["LZ"], step["dZ"], alpha_d)
        moved = dict(
            X=X, LX=LX, Z=Z, LZ=LZ,
            s=state["s"] + alpha_p[:, None] * step["ds"],
            t=state["t"] + alpha_p * step["dt"],
            e=state["e"] + alpha_p * step["de"],
            y=state["y"] + alpha_d[:, None] * step["dy"],
            zt=state["zt"] + alpha_d * step["dzt"],
            ze=state["ze"] + alpha_d * step["dze"],
        )
        return moved, bad | failed_p | failed_d

    # --------------------------------------------------------------- results
    def certified_infeasible(self, data, members, y, iteration):
        """Members whose multipliers are a certified Farkas ray (their results are recorded)."""
        done = np.zeros(members.size, dtype=bool)
        value = (data.rhs * y).sum(axis=1)
        scale = (np.abs(data.rhs) * y).sum(axis=1)
        for k in np.flatnonzero(value - data.ray_cost > _CERTIFICATE_MARGIN * scale):
            program = data.programs[k]
            ray = _is_ray(program, y[k], reference=True)
            if ray is not None:
                rows = program.named_rows(ray * program.rhs)
                self.results[members[k]] = RelaxedSolution(status="infeasible", rows=rows, iterations=iteration, solver=SOLVER_NAME)
                done[k] = True
            elif program.tightened and _is_ray(program, y[k], reference=False) is not None:
                # Infeasible as tightened, not (yet) proven as given: the user's rows decide.
                self.results[members[k]] = _UNTIGHTEN
                done[k] = True
        return done

    def breakdown(self, data, members, best, best_merit, iterations, message):
        """Members that broke down: alone, the result from the best iterate; in a batch, None (to be solved alone)."""
        if self.all.size > 1:
            return  # results stay None: solve_structured_batch solves them again alone
        self.finish(data, members, best, best_merit, iterations, np.ones(members.size, bool), message)

    def finish(self, data, members, best, best_merit, iterations, which, message):
        """Record the results of the members ``which`` from their best iterates."""
        for k in np.flatnonzero(which):
            program = data.programs[k]
            y = best["y"][k]
            bound, _, certified = program.certify(y)
            matrices = [None] * len(program.blocks)
            traces = 0.0
            for g, Xg in zip(data.groups, best["X"]):
                for slot, (index, d) in enumerate(zip(g.blocks, g.dims)):
                    matrices[index] = Xg[k, slot, :d, :d]
                traces += float(g.objective[k] @ np.einsum("nii->n", Xg[k]).real)
            value = program.objective_t * float(best["t"][k]) + traces
            solved_bound = -float(program.rhs @ y)  # of the program as solved (tightened): the convergence gap
            W, R = program.assemble(matrices)
            optimal = best_merit[k] <= _ACCEPT
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


def _is_ray(program, y, reference):
    """The certified Farkas ray near ``y`` (or None) for the user's data or the data as solved."""
    value, ray, certified = program.certify(y, ray=True, reference=reference)
    if certified and -value > _CERTIFICATE_MARGIN * float(np.abs(program.rhs) @ ray):
        return ray
    return None


def _block_levels(program, blocks):
    """Starting ``X_b = level I`` per block: an equal share of its tightest covering row, per dimension."""
    dims = np.array([program.blocks[b].dim for b in range(len(program.blocks))])
    levels = 1.0 / dims
    values = {}
    for group in program.groups:  # row values at X_b = I / d_b, per covering row
        per_column = -(group.reference / dims[group.blocks][:, None]).sum(axis=0)
        for j, v in zip(group.columns, per_column):
            values[int(j)] = values.get(int(j), 0.0) + v
        per_identity = -group.reference_identity.sum(axis=0)
        for j, v in zip(group.identity_rows, per_identity):
            values[int(j)] = values.get(int(j), 0.0) + v
    out = np.empty(len(blocks))
    for slot, b in enumerate(blocks):
        c = program.component[b]
        share = np.inf
        if c >= 0:
            for j in program.components[c]:
                if program.rhs[j] < 0 and values.get(int(j), 0.0) > 0:
                    share = min(share, -program.rhs[j] / values[int(j)])
        out[slot] = (share if np.isfinite(share) else 1.0) * levels[b]
    return out


def _solve_members(M, columns):
    """Per member, ``M^-1 columns``; members whose M is singular get zeros and a flag.

    ``M`` is equilibrated first (``D M D`` with ``D = diag(|M|)^-1/2``, a zero
    diagonal entry scaled by its row instead): its diagonal spans many orders
    of magnitude near the optimum, and partial pivoting on the raw matrix
    loses the small rows' accuracy (the primal residual then drifts up by
    orders of magnitude over the last iterations).
    """
    singular = np.zeros(M.shape[0], dtype=bool)
    size = np.abs(np.einsum("bii->bi", M))
    size = np.where(size > 0, size, np.abs(M).max(axis=2))
    scale = 1.0 / np.sqrt(np.where(size > 0, size, 1.0))
    scaled = M * scale[:, :, None] * scale[:, None, :]
    columns = columns * scale[:, :, None]
    try:
        return np.linalg.solve(scaled, columns) * scale[:, :, None], singular
    except np.linalg.LinAlgError:
        pass
    out = np.zeros_like(columns)
    for k in range(M.shape[0]):
        try:
            out[k] = np.linalg.solve(scaled[k], columns[k])
        except np.linalg.LinAlgError:
            singular[k] = True
    return out * scale[:, :, None], singular


def _positive_step(points, factors, directions, alpha):
    """``points + alpha directions`` per member, ``alpha`` shrunk until every block passes Cholesky.

    Returns
    -------
    (list, list, numpy.ndarray, numpy.ndarray)
        New stacks, their Cholesky factors, the steps taken and the members
        for which no allowed shrink worked (left where they were).
    """
    alpha = alpha.copy()
    out = [P.copy() for P in points]
    out_factors = [F.copy() for F in factors]
    pending = np.flatnonzero(alpha > 0)
    for _ in range(_MAX_BACKTRACKS):
        if not pending.size:
            break
        a = alpha[pending][:, None, None, None]
        moved = [P[pending] + a * D[pending] for P, D in zip(points, directions)]
        new_factors, failed = cholesky_members(moved)
        good = pending[~failed]
        for k in range(len(points)):
            out[k][good] = moved[k][~failed]
            out_factors[k][good] = new_factors[k][~failed]
        pending = pending[failed]
        alpha[pending] *= _BACKTRACK
    failed = np.zeros(alpha.size, dtype=bool)
    failed[pending] = True
    alpha[pending] = 0.0
    return out, out_factors, alpha, failed


def _subset(arrays, keep):
    """A state or best-iterate dict restricted to the members ``keep``."""
    return {name: ([v[keep] for v in value] if isinstance(value, list) else value[keep]) for name, value in arrays.items()}


def _take(keep, data, members, state, best, best_merit, since_progress, lowest_bound):
    """Drop the members not in ``keep`` from everything the iteration carries."""
    keep_index = np.flatnonzero(keep)
    return (
        data.take(keep_index),
        members[keep],
        _subset(state, keep),
        _subset(best, keep),
        best_merit[keep],
        since_progress[keep],
        lowest_bound[keep],
    )
