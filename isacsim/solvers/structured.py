"""Default solver: a primal-dual interior-point method built for the beam program.

The relaxed design problem (:class:`~isacsim.solvers.program.BeamProgram`)
is solved in the standard SDP pair

    (P)  min <C, X>  s.t.  A(X) = b,  X >= 0          (the beam program)
    (D)  max b^T y   s.t.  Z = C - A^T(y) >= 0         (its Lagrangian dual)

with ``y = (lambda, mu, nu)``: one multiplier per sample point, per user and
per BS, ``n = Q + LK + L`` in all. The cone holds one Hermitian block per
beam covariance ``W_li`` / sensing covariance ``R_l`` (reduced to its span,
dimension ``d``), and one nonnegative orthant for the slacks of the point,
SINR and budget rows, for ``t >= 0`` (the optimum is never negative, so
this bound loses nothing) and for an elastic shortfall ``e >= 0`` of the
SINR rows (``SINR row + e rho >= rho``), priced ``penalty`` in the
objective: it keeps (P) strictly feasible whatever the targets, so the
iteration converges instead of stalling on an infeasible problem, and adds
only ``rho . mu <= penalty`` to (D). In (D) a block reads

    Z_b = nu_l I - sum_j y_j c_bj v_bj v_bj^H,

so every data matrix is **rank one** (or the identity). The Schur complement
of the HKM search direction, ``M_ij = Re tr(A_i X A_j Z^-1)``, is then, per
block, the Hadamard product ``Re[(V^H X V) o conj(V^H Z^-1 V)]`` scaled by
the coefficients: ``O(d^2 m + d m^2)`` for ``m`` vectors instead of
``O(n d^3)`` (the low-rank technique of DSDP and SDPT3). Blocks of one
dimension are stacked and processed by batched BLAS/LAPACK calls; small
blocks are zero-padded to their group's size (the padding carries no data,
so the optimum is unchanged, but the padded part of X is a variable of its
own that the iteration drives to zero: it costs work and iterations, and is
used only where the call count outweighs that).

The method is Mehrotra's predictor-corrector on the HKM direction with an
infeasible primal start and an **always feasible dual**: it starts at a
point with every ``Z_b >= I``, moves along ``dZ = -A^T dy`` (so
``C - A^T y - Z = 0`` up to rounding) and every step keeps ``Z`` positive
definite (verified by Cholesky). Two certificates follow:

* every iterate's ``-b^T y`` is an upper bound on the optimum: with the
  relative gap to the primal value below ``tol_gap`` the solution is
  optimal;
* a dual iterate with ``b^T y > 0`` proves that the SINR targets cannot be
  met within the budgets (weak duality with ``t >= 0``; the elastic
  constraint only shrinks the dual's feasible set): ``(mu, nu)`` is a
  Farkas certificate, and its ``mu`` names the users concerned.

Both are re-checked at exit with ``Z`` recomputed from ``y`` and its
eigenvalues (``nu`` is raised by any rounding deficit), so neither depends
on a stalled iteration. With the data scaled by the program, the method is
independent of the problem's physical scale.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dgetrf, dgetrs, dpotrf, dpotrs

from ..errors import InputError
from .cones import Orthant, cone_steps, conjugate_transpose, group_blocks, hermitian_part, orthant_step, triangular_inverse
from .relaxed import RelaxedSolution, users_named

__all__ = ["solve_structured", "check_options", "DEFAULT_OPTIONS", "SOLVER_NAME"]

SOLVER_NAME = "structured"

#: Options of the structured interior-point method.
#:
#: ``tol_gap``       relative duality gap at which to stop;
#: ``tol_feas``      relative primal residual at which to stop;
#: ``max_iters``     iteration limit (status ``unknown`` beyond);
#: ``step``          fraction of the step to the cone boundary;
#: ``pad_ratio``     blocks larger than 16 are zero-padded into one batch only
#:                   while that costs at most this factor in ``d^3`` work
#:                   (padding costs iterations too: at L = 7, padding the
#:                   sensing blocks took 19 iterations, not padding them 16);
#: ``penalty``       price of the elastic SINR shortfall (see the module notes);
#: ``trace``         print one line per iteration.
DEFAULT_OPTIONS = {
    "tol_gap": 1e-9,
    "tol_feas": 1e-9,
    "max_iters": 80,
    "step": 0.98,
    "pad_ratio": 1.1,
    "penalty": 1e7,
    "trace": False,
}
#: Iterations without progress, once within :data:`_ACCEPT`, before the best iterate is returned.
_PATIENCE = 3
#: The best iterate is optimal if within this factor of both tolerances.
_ACCEPT = 10.0
#: A dual value below -margin * (p . nu) is an infeasibility certificate
#: (not a rounding of zero).
_CERTIFICATE_MARGIN = 1e-9
#: Relative gaps are taken against the bound or this (program units: the
#: largest echo a budget can buy is about 1), so that an optimum of zero, or
#: nearly so, converges to an absolute gap instead of never.
_GAP_FLOOR = 1e-3
#: A row's residual is relative to its terms or to this (program units), so
#: that a row whose terms all vanish at the optimum converges too.
_RESIDUAL_FLOOR = 1e-12
#: Step shrink factor, and how often, when a new point fails its Cholesky test.
_BACKTRACK, _MAX_BACKTRACKS = 0.8, 12


def solve_structured(program, options=None):
    """Solve a :class:`~isacsim.solvers.program.BeamProgram` with the structured IPM.

    Parameters
    ----------
    program : BeamProgram
    options : dict or None
        Overrides of :data:`DEFAULT_OPTIONS`.

    Returns
    -------
    RelaxedSolution
        ``optimal`` with the covariances, the certified bound and gap;
        ``infeasible`` with the users named by the Farkas certificate; or
        ``unknown`` (iteration limit or numerical breakdown) with the best
        iterate.

    Raises
    ------
    ValueError
        For an unknown option.
    """
    options = options or {}
    check_options(options)
    return _InteriorPoint(program, {**DEFAULT_OPTIONS, **options}).run()


def check_options(options):
    """Raise ValueError naming any option that is not in :data:`DEFAULT_OPTIONS` or out of range."""
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise InputError(f"options: unknown option(s) {sorted(unknown)} for the {SOLVER_NAME!r} solver; expected {sorted(DEFAULT_OPTIONS)}")
    for name in ("tol_gap", "tol_feas", "penalty", "pad_ratio"):
        if name in options and not (np.isfinite(options[name]) and options[name] > 0):
            raise InputError(f"options: {name} must be a positive number, got {options[name]!r}")
    if "step" in options and not 0 < options["step"] < 1:
        raise InputError(f"options: step must lie in (0, 1), got {options['step']!r}")
    if "max_iters" in options and not (isinstance(options["max_iters"], int) and options["max_iters"] >= 1):
        raise InputError(f"options: max_iters must be a positive integer, got {options['max_iters']!r}")


def _indices(rows, nu):
    """Indices of a group's rows into vectors and into M: ``(v, rows x rows, rows x nu, nu x rows)``.

    Slices when the rows are contiguous (the usual case, and the cheap one),
    ``np.ix_`` grids otherwise.
    """
    if rows.size and rows[-1] - rows[0] + 1 == rows.size:
        v = slice(int(rows[0]), int(rows[-1]) + 1)
        return v, (v, v), (v, nu), (nu, v)
    nu_rows = np.arange(nu.start, nu.stop)
    return rows, np.ix_(rows, rows), np.ix_(rows, nu_rows), np.ix_(nu_rows, rows)


def _cholesky(stack):
    """Batched Cholesky factors, or None if some matrix is not positive definite."""
    try:
        return np.linalg.cholesky(stack)
    except np.linalg.LinAlgError:
        return None


def _positive_step(points, directions, alpha):
    """``points + alpha directions`` per group, ``alpha`` shrunk until every block passes Cholesky.

    Returns
    -------
    (list, list, float) or None
        The new stacks, their Cholesky factors and the step taken; None if
        no step of the allowed shrinks keeps them positive definite.
    """
    for _ in range(_MAX_BACKTRACKS):
        moved = [P + alpha * D for P, D in zip(points, directions)]
        factors = [_cholesky(P) for P in moved]
        if all(F is not None for F in factors):
            return moved, factors, alpha
        alpha *= _BACKTRACK
    return None


def _pair(X, Z):
    """``sum_b Re tr(X_b Z_b)``."""
    return float(np.einsum("bij,bji->", X, Z).real)


class _InteriorPoint:
    """Mehrotra predictor-corrector on the HKM direction for one program.

    State: ``X`` and ``Z`` (one stack per block group), ``x`` and ``z`` (the
    orthant), ``y`` (the multipliers), with the Cholesky factors of X and Z.
    """

    def __init__(self, program, settings):
        self.program = program
        self.settings = settings
        self.n_points = program.n_points
        self.n_rows = program.n_points + program.gamma.size
        self.n_vars = self.n_rows + program.n_bs
        self.groups = group_blocks(program, settings["pad_ratio"])
        self.nu = slice(self.n_rows, self.n_vars)
        self.row_index = [_indices(g.rows, self.nu) for g in self.groups]
        self.orthant = Orthant(self.n_points, self.n_vars, program.rhs.ravel(), settings["penalty"])
        self.b = np.concatenate([np.zeros(self.n_points), program.rhs.ravel(), -program.budget])
        self.n_pairs = sum(g.count * g.size for g in self.groups) + self.n_vars + 2

    # ------------------------------------------------------------ operators
    def dual_slack(self, y):
        """``Z = C - A^T(y)`` per group (C is zero on the blocks)."""
        return [g.adjoint(-y[: self.n_rows], -y[self.n_rows :]) for g in self.groups]

    def start(self):
        """A strictly feasible dual point (every ``Z_b >= I``) and a central-ish primal one."""
        program, n_points, n_rows = self.program, self.n_points, self.n_rows
        y = np.zeros(self.n_vars)
        y[:n_points] = 2.0 / n_points
        y[n_points:n_rows] = min(1.0, 0.5 * self.orthant.penalty / max(float(program.rhs.sum()), 1e-300))
        # nu_l above the largest eigenvalue any subtracted term can reach (unit vectors).
        echo_load = 2.0 * program.weights.max(axis=0)
        own_load = (1.0 / program.gamma).max(axis=1) * y[n_points:n_rows].max()
        y[n_rows:] = 1.0 + echo_load + own_load
        X = []
        for g in self.groups:
            per_bs = np.maximum(g.owner.sum(axis=0), 1.0)
            level = (g.owner @ (program.budget / per_bs)) / g.size
            X.append(level[:, None, None] * np.eye(g.size))
        x = np.ones(self.n_vars + 2)
        x[-1] = 1.0 / self.orthant.slack(y)[-1]  # a unit complementarity pair, like the others
        return X, x, y

    # ------------------------------------------------------------ iteration
    def run(self):
        settings, orthant, groups, b = self.settings, self.orthant, self.groups, self.b
        budget = np.concatenate([np.zeros(self.n_rows), self.program.budget])  # p on the nu entries
        X, x, y = self.start()
        Z, z = self.dual_slack(y), orthant.slack(y)
        LX, LZ = [_cholesky(Xg) for Xg in X], [_cholesky(Zg) for Zg in Z]
        status, message, iteration = "unknown", "iteration limit reached", 0
        best, best_merit, since_progress, lowest_bound = (X, x, y), np.inf, 0, np.inf
        for iteration in range(1, settings["max_iters"] + 1):
            dual_value = -float(b @ y)  # the bound: sum p nu - sum rho mu
            if dual_value < -_CERTIFICATE_MARGIN * float(budget @ y):
                bound, certified = self.certified_bound(y)
                if bound < -_CERTIFICATE_MARGIN * float(budget @ certified):
                    return self.infeasible(certified, iteration)
            try:
                # Inverse Cholesky factors of X and Z, stacked, and their conjugate transposes:
                # for Z^-1 = L_Z^-H L_Z^-1 and for both step-length rules of the iteration.
                factors = [triangular_inverse(np.concatenate([Lx, Lz])) for Lx, Lz in zip(LX, LZ)]
                inverses = [(F.reshape(2, g.count, g.size, g.size), conjugate_transpose(F).reshape(2, g.count, g.size, g.size))
                            for g, F in zip(groups, factors)]
                Z_inv = [F_h[1] @ F[1] for F, F_h in inverses]
                system = self.schur(X, x, Z_inv, z)
            except np.linalg.LinAlgError:
                message = "numerical breakdown (a factorization failed)"
                break
            residual = b - system["AX"]
            complementarity = sum(_pair(Xg, Zg) for Xg, Zg in zip(X, Z)) + float(x @ z)
            # Primal residual, relative to each row's own terms; the elastic
            # shortfall e is a relative miss of every SINR row, so it counts too.
            relative_residual = max(float(np.max(np.abs(residual) / (np.abs(b) + system["AX_abs"] + _RESIDUAL_FLOOR))), float(x[-1]))
            relative_gap = max(dual_value - orthant.objective(x), complementarity) / max(dual_value, _GAP_FLOOR)
            if settings["trace"]:
                print(
                    f"{iteration:3d} t={x[-2]:.12e} bound={dual_value:.12e} gap={relative_gap:.2e} "
                    f"residual={relative_residual:.2e} e={x[-1]:.1e}"
                )
            merit = max(relative_residual / settings["tol_feas"], relative_gap / settings["tol_gap"])
            since_progress += 1
            if merit < best_merit:
                best, best_merit, since_progress = (X, x, y), merit, 0
            if dual_value < lowest_bound - 1e-6 * abs(dual_value):  # the bound still falls (towards a certificate?)
                lowest_bound, since_progress = dual_value, 0
            if merit <= 1.0 or (since_progress >= _PATIENCE and best_merit <= _ACCEPT):
                break  # converged, or at the limit of the arithmetic with the best iterate within tolerance
            try:
                moved = self.step(X, x, Z, z, y, Z_inv, inverses, system, complementarity)
            except (np.linalg.LinAlgError, FloatingPointError):
                moved = None
            if moved is None:
                message = "numerical breakdown (no usable step)"
                break
            X, x, LX, Z, z, LZ, y = moved
        X, x, y = best
        if best_merit <= _ACCEPT:
            status, message = "optimal", ""
        return self.result(X, x, y, status, message, iteration)

    def step(self, X, x, Z, z, y, Z_inv, inverses, system, complementarity):
        """One predictor-corrector step; the new ``(X, x, LX, Z, z, LZ, y)``, or None."""
        settings = self.settings
        solve = _factor(system["M"])
        state = dict(X=X, x=x, Z=Z, z=z, Z_inv=Z_inv, system=system)
        # Predictor (affine scaling), then Mehrotra's corrector.
        predictor = self.direction(state, solve, 0.0)
        if predictor is None:
            return None
        alpha_p, alpha_d = self.step_lengths(state, inverses, predictor, 1.0)
        affine = sum(
            _pair(Xg + alpha_p * dXg, Zg + alpha_d * dZg) for Xg, dXg, Zg, dZg in zip(X, predictor["dX"], Z, predictor["dZ"])
        ) + float((x + alpha_p * predictor["dx"]) @ (z + alpha_d * predictor["dz"]))
        sigma = min(1.0, (affine / complementarity) ** 3)
        corrector = self.direction(state, solve, sigma * complementarity / self.n_pairs, predictor)
        if corrector is None:
            return None
        alpha_p, alpha_d = self.step_lengths(state, inverses, corrector, settings["step"])
        if settings["trace"]:
            print(f"    sigma={sigma:.2e} alpha_p={alpha_p:.3f} alpha_d={alpha_d:.3f}")
        return self.move(state, corrector, alpha_p, alpha_d, y)

    def schur(self, X, x, Z_inv, z):
        """Schur complement ``M_ij = Re tr(A_i X A_j Z^-1)`` and the products reused by the directions.

        Per block the rank-one data give ``Re[(V^H X V) o conj(V^H Z^-1 V)]``
        on the ``(lambda, mu)`` rows, ``-c_j v_j^H X Z^-1 v_j`` against
        ``nu_l`` and ``tr(X Z^-1)`` on ``nu_l``.

        Returns
        -------
        dict
            ``M`` (n, n); ``AX`` = A(X) and ``AX_abs`` (the same with
            absolute coefficients, the scale of each row) (n,);
            ``AZ_inv`` = A(Z^-1) (n,).
        """
        orthant, nu = self.orthant, self.nu
        M = orthant.schur(x / z)
        AX = orthant.forward(x)
        AX_abs = np.abs(AX)
        AZ_inv = orthant.forward(1.0 / z)
        for g, (rows, rows_rows, rows_nu, nu_rows), Xg, Zi in zip(self.groups, self.row_index, X, Z_inv):
            P, xv = g.gram(Xg)
            Q, zv = g.gram(Zi)
            diagonal_P, diagonal_Q = np.einsum("bii->bi", P).real, np.einsum("bii->bi", Q).real
            traces_X = np.einsum("bkk->b", Xg).real
            rows_part, nu_part = g.reduce(diagonal_P, traces_X)
            AX[rows] += rows_part
            AX[nu] += nu_part
            AX_abs[rows] += (np.abs(g.coefficients) * diagonal_P).sum(axis=0)
            AX_abs[nu] -= nu_part
            rows_part, nu_part = g.reduce(diagonal_Q, np.einsum("bkk->b", Zi).real)
            AZ_inv[rows] += rows_part
            AZ_inv[nu] += nu_part
            M[rows_rows] += (g.pair_coefficients * (P.real * Q.real + P.imag * Q.imag)).sum(axis=0)
            cross = (-(g.coefficients * np.einsum("bki,bki->bi", xv.conj(), zv).real)).T @ g.owner  # (m, L)
            M[rows_nu] += cross
            M[nu_rows] += cross.T
            M[nu, nu] += np.diag(g.owner.T @ np.einsum("bij,bji->b", Xg, Zi).real)
        return {"M": M, "AX": AX, "AX_abs": AX_abs, "AZ_inv": AZ_inv}

    def direction(self, state, solve, shift, predictor=None):
        """Newton direction towards ``X Z = shift I``, less the predictor's second-order term.

        With ``Rc Z^-1 = shift Z^-1 - X - dXp dZp Z^-1`` and the dual kept
        feasible: ``M dy = b - A(shift Z^-1 - dXp dZp Z^-1)``,
        ``dZ = -A^T dy``, ``dX = Rc Z^-1 - X dZ Z^-1`` (Hermitian part).
        """
        n_rows, groups, orthant = self.n_rows, self.groups, self.orthant
        X, x, z, Z_inv = state["X"], state["x"], state["z"], state["Z_inv"]
        rhs = self.b - shift * state["system"]["AZ_inv"]
        terms = [shift * Zi for Zi in Z_inv]
        linear_term = shift / z
        if predictor is not None:
            for k, (g, (rows, *_), Zi) in enumerate(zip(groups, self.row_index, Z_inv)):
                second_order = predictor["dX"][k] @ (predictor["dZ"][k] @ Zi)
                terms[k] -= second_order
                rows_part, nu_part = g.forward(second_order)
                rhs[rows] += rows_part
                rhs[n_rows:] += nu_part
            second_order = predictor["dx"] * predictor["dz"] / z
            linear_term = linear_term - second_order
            rhs += orthant.forward(second_order)
        dy = solve(rhs)
        if not np.all(np.isfinite(dy)):
            return None
        dZ = [g.adjoint(-dy[:n_rows], -dy[n_rows:]) for g in groups]
        dz = orthant.slack_step(dy)
        dX = [hermitian_part(term - Xg - Xg @ (dZg @ Zi)) for term, Xg, dZg, Zi in zip(terms, X, dZ, Z_inv)]
        dx = linear_term - x - x * dz / z
        return {"dy": dy, "dX": dX, "dZ": dZ, "dx": dx, "dz": dz}

    def step_lengths(self, state, inverses, step, fraction):
        """Primal and dual step lengths in (0, 1]."""
        alpha_p = orthant_step(state["x"], step["dx"], fraction)
        alpha_d = orthant_step(state["z"], step["dz"], fraction)
        for (F, F_h), dXg, dZg in zip(inverses, step["dX"], step["dZ"]):
            primal, dual = cone_steps(F, F_h, np.stack([dXg, dZg]), fraction)
            alpha_p, alpha_d = min(alpha_p, primal), min(alpha_d, dual)
        return alpha_p, alpha_d

    def move(self, state, step, alpha_p, alpha_d, y):
        """Take the step, shrinking it until the new X and Z pass their Cholesky test.

        Returns
        -------
        tuple or None
            ``(X, x, LX, Z, z, LZ, y)`` at the new point, or None if no step
            keeps them positive definite.
        """
        primal = _positive_step(state["X"], step["dX"], alpha_p)
        dual = _positive_step(state["Z"], step["dZ"], alpha_d)
        if primal is None or dual is None:
            return None
        (X, LX, alpha_p), (Z, LZ, alpha_d) = primal, dual
        return X, state["x"] + alpha_p * step["dx"], LX, Z, state["z"] + alpha_d * step["dz"], LZ, y + alpha_d * step["dy"]

    # --------------------------------------------------------------- result
    def certified_bound(self, y):
        """``-b^T y`` after raising each ``nu_l`` by any negative eigenvalue of its blocks' Z.

        ``Z`` is recomputed from ``y``, so the bound holds for an exactly
        dual-feasible point up to the rounding of that eigenvalue check.

        Returns
        -------
        (float, numpy.ndarray)
            The bound (program units) and the corrected ``y``.
        """
        y = y.copy()
        for g, Zg in zip(self.groups, self.dual_slack(y)):
            deficit = np.maximum(0.0, -np.linalg.eigvalsh(Zg).min(axis=1))
            y[self.n_rows :] += (g.owner * deficit[:, None]).max(axis=0)
        return -float(self.b @ y), y

    def infeasible(self, y, iterations):
        """The result for a certified infeasibility: ``y`` is dual feasible with a negative value."""
        program = self.program
        culprits = users_named(y[self.n_points : self.n_rows] * program.rhs.ravel(), program.n_users_per_cell)
        return RelaxedSolution(status="infeasible", culprits=culprits, iterations=iterations, solver=SOLVER_NAME)

    def result(self, X, x, y, status, message, iterations):
        program = self.program
        bound, y = self.certified_bound(y)
        matrices = [None] * len(program.blocks)
        for g, Xg in zip(self.groups, X):
            for slot, (index, d) in enumerate(zip(g.blocks, g.dims)):
                matrices[index] = Xg[slot, :d, :d]
        W, R = program.assemble(matrices)
        value = float(x[-2])
        return RelaxedSolution(
            status=status,
            W=W,
            R=R,
            value=program.energy_scale * value,
            bound=program.energy_scale * bound,
            bound_certified=True,  # the dual slack was recomputed and checked (certified_bound)
            gap=(bound - value) / bound if bound > 0 else float("nan"),
            iterations=iterations,
            message=message,
            solver=SOLVER_NAME,
        )


def _factor(M):
    """A solver for ``M dy = rhs`` (Cholesky; LU if M lost definiteness to rounding).

    LAPACK is called directly: at paper size the wrappers' checks cost more
    than the factorization.
    """
    factor, info = dpotrf(M, lower=1, clean=0)
    if info == 0:
        return lambda rhs: dpotrs(factor, rhs, lower=1)[0]
    lu, pivots, info = dgetrf(M)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular Schur complement (LAPACK getrf info {info})")
    return lambda rhs: dgetrs(lu, pivots, rhs)[0]
