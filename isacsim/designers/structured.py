"""Default solver: a primal-dual interior-point method built for the beam program.

The relaxed design problem (:class:`~isacsim.designers.program.BeamProgram`)
is solved in the standard SDP pair

    (P)  min <C, X>  s.t.  A(X) = b,  X >= 0          (the beam program)
    (D)  max b^T y   s.t.  Z = C - A^T(y) >= 0         (its Lagrangian dual)

with ``y = (lambda, mu, nu)``: one multiplier per sample point, per user and
per BS, ``n = Q + LK + L`` in all. The cone holds one Hermitian block per
beam covariance ``W_li`` / sensing covariance ``R_l`` (reduced to its span,
dimension ``d``), and one nonnegative orthant for the slacks of the point,
SINR and budget rows and for ``t >= 0`` (the optimum is never negative, so
this bound loses nothing). In (D) a block reads

    Z_b = nu_l I - sum_j y_j c_bj v_bj v_bj^H,

so every data matrix is **rank one** (or the identity). The Schur complement
of the HKM search direction, ``M_ij = Re tr(A_i X A_j Z^-1)``, is then, per
block, the Hadamard product ``Re[(V^H X V) o conj(V^H Z^-1 V)]`` scaled by
the coefficients: ``O(d^2 m + d m^2)`` for ``m`` vectors instead of
``O(n d^3)`` (the low-rank technique of DSDP and SDPT3). Blocks of one
dimension are stacked and processed by batched BLAS/LAPACK calls; small
blocks are zero-padded to their group's size (the padding carries no data,
so it changes nothing but the count of complementarity pairs).

The method is Mehrotra's predictor-corrector on the HKM direction with an
infeasible primal start and an **always feasible dual**: ``Z`` is recomputed
from ``y`` (so ``C - A^T y - Z = 0`` exactly) and the dual step keeps it
positive definite. Two certificates follow, read by the caller:

* every iterate's ``-b^T y`` is an upper bound on the optimum: with the
  relative gap to the primal value below ``tol_gap`` the solution is
  optimal;
* a dual iterate with ``b^T y > 0`` proves that the SINR targets cannot be
  met within the budgets (weak duality with ``t >= 0``): ``(mu, nu)`` is a
  Farkas certificate, and its ``mu`` names the users concerned.

Both are re-checked at exit by the eigenvalues of ``Z`` (``nu`` is raised by
any rounding deficit), so neither depends on a stalled iteration.
"""
from __future__ import annotations

import attrs
import numpy as np
import scipy.linalg

from .relaxed import RelaxedSolution

__all__ = ["solve_structured", "DEFAULT_OPTIONS", "SOLVER_NAME"]

SOLVER_NAME = "structured"

#: Options of the structured interior-point method.
#:
#: ``tol_gap``       relative duality gap at which to stop;
#: ``tol_feas``      relative primal residual at which to stop;
#: ``max_iters``     iteration limit (status ``unknown`` beyond);
#: ``step``          fraction of the step to the cone boundary;
#: ``pad_ratio``     blocks are zero-padded into one batch while that costs at
#:                   most this factor in ``d^3`` work;
#: ``penalty``       price of the elastic SINR shortfall (see the module notes);
#: ``trace``         print one line per iteration.
DEFAULT_OPTIONS = {"tol_gap": 1e-9, "tol_feas": 1e-9, "max_iters": 80, "step": 0.98, "pad_ratio": 2.0, "penalty": 1e7, "trace": False}


#: Iterations without progress, once within :data:`_ACCEPT`, before the best iterate is returned.
_PATIENCE = 3
#: The best iterate is optimal if within this factor of both tolerances.
_ACCEPT = 10.0


@attrs.frozen
class _Group:
    """Blocks of one padded dimension, stacked.

    Attributes
    ----------
    blocks : numpy.ndarray, int, shape (nb,)
        Their indices in ``program.blocks``.
    dims : numpy.ndarray, int, shape (nb,)
        Their true dimensions (``<= d``).
    rows : numpy.ndarray, int, shape (m,)
        The multipliers among ``(lambda, mu)`` with a nonzero coefficient in
        some block of the group.
    vectors : numpy.ndarray, complex, shape (nb, d, m)
        Column j of block b is ``v_bj`` (zero-padded).
    vectors_h : numpy.ndarray, complex, shape (nb, m, d)
        Their conjugate transposes.
    coefficients : numpy.ndarray, float, shape (nb, m)
    pair_coefficients : numpy.ndarray, float, shape (nb, m, m)
        ``c_bi c_bj``.
    owner : numpy.ndarray, float, shape (nb, L)
        One-hot: the BS whose budget multiplier ``nu_l`` the block carries.
    """

    blocks: np.ndarray
    dims: np.ndarray
    rows: np.ndarray
    vectors: np.ndarray
    vectors_h: np.ndarray
    coefficients: np.ndarray
    pair_coefficients: np.ndarray
    owner: np.ndarray

    @property
    def size(self):
        """Padded block dimension d."""
        return self.vectors.shape[1]

    # ------------------------------------------------------------ operators
    def adjoint(self, y_rows, y_nu):
        """``A^T(y)`` on the group's blocks, shape (nb, d, d)."""
        scaled = self.vectors * (self.coefficients * y_rows[self.rows])[:, None, :]
        out = scaled @ self.vectors_h
        out[:, np.arange(self.size), np.arange(self.size)] -= (self.owner @ y_nu)[:, None]
        return out

    def forward(self, Y):
        """``A(Y)`` restricted to the group: (values on ``rows`` (m,), values on nu (L,)).

        ``Y`` (nb, d, d) may be non-Hermitian; its Hermitian part is used.
        """
        quadratic = np.einsum("bki,bki->bi", self.vectors.conj(), Y @ self.vectors).real
        trace = np.einsum("bkk->b", Y).real
        return (self.coefficients * quadratic).sum(axis=0), -(self.owner.T @ trace)


def _groups(program, pad_ratio):
    """Stack the program's blocks into groups of one padded dimension."""
    data = [program.block_rows(block) for block in program.blocks]
    dims = np.array([block.basis.shape[1] for block in program.blocks])
    order = np.argsort(dims, kind="stable")
    # Greedy: pad a run of blocks into one group while that costs at most
    # pad_ratio in d^3 work (or everything is tiny).
    batches, current = [], []
    for index in order[::-1]:
        if current:
            top = dims[current[0]]
            work = np.sum(dims[current + [index]].astype(float) ** 3)
            if top > 16 and (len(current) + 1) * float(top) ** 3 > pad_ratio * work:
                batches.append(current)
                current = []
        current.append(index)
    if current:
        batches.append(current)
    groups = []
    for batch in batches:
        batch = sorted(batch)
        d = int(dims[batch].max())
        coefficients = np.array([data[b][1] for b in batch])
        rows = np.flatnonzero(np.any(coefficients != 0.0, axis=0))
        vectors = np.zeros((len(batch), d, rows.size), dtype=complex)
        for slot, b in enumerate(batch):
            vectors[slot, : dims[b], :] = data[b][0][rows].T
        coefficients = coefficients[:, rows]
        owner = np.zeros((len(batch), program.n_bs))
        owner[np.arange(len(batch)), [program.blocks[b].bs for b in batch]] = 1.0
        groups.append(
            _Group(
                blocks=np.array(batch),
                dims=dims[batch],
                rows=rows,
                vectors=vectors,
                vectors_h=np.conj(np.swapaxes(vectors, 1, 2)).copy(),
                coefficients=coefficients,
                pair_coefficients=coefficients[:, :, None] * coefficients[:, None, :],
                owner=owner,
            )
        )
    return groups


class _Linear:
    """The nonnegative orthant: multipliers, ``t`` and the elastic shortfall ``e``.

    Primal entries: the slacks of the point, SINR and budget rows (n), then
    ``t`` and ``e``. ``A_lin = [-I, -e_lambda, (0, rho, 0)]`` and
    ``C_lin = (0, ..., 0, -1, penalty)``, so that the dual slack is
    ``z = (lambda, mu, nu, sum(lambda) - 1, penalty - rho . mu)``.

    Parameters
    ----------
    n_points, n_vars : int
    rhs : numpy.ndarray, shape (LK,)
        ``rho``: the SINR rows' right-hand sides.
    penalty : float
        Price of one unit of shortfall ``e`` in the objective.
    """

    def __init__(self, n_points, n_vars, rhs, penalty):
        self.n_points = n_points
        self.n_vars = n_vars
        self.elastic = np.zeros(n_vars)
        self.elastic[n_points : n_points + rhs.size] = rhs
        self.penalty = penalty

    def slack(self, y):
        """``C_lin - A_lin^T y``, shape (n + 2,)."""
        return np.concatenate([y, [y[: self.n_points].sum() - 1.0, self.penalty - self.elastic @ y]])

    def slack_step(self, dy):
        """``dz = -A_lin^T dy``."""
        return np.concatenate([dy, [dy[: self.n_points].sum(), -self.elastic @ dy]])

    def forward(self, x):
        """``A_lin x``, shape (n,)."""
        out = self.elastic * x[-1] - x[: self.n_vars]
        out[: self.n_points] -= x[-2]
        return out

    def schur(self, ratio):
        """``A_lin diag(ratio) A_lin^T``, shape (n, n)."""
        M = np.diag(ratio[: self.n_vars])
        M[: self.n_points, : self.n_points] += ratio[-2]
        M += ratio[-1] * np.outer(self.elastic, self.elastic)
        return M

    def objective(self, x):
        """``-<C_lin, x> = t - penalty e``."""
        return x[-2] - self.penalty * x[-1]


def _cone_step(L_inv, delta, fraction):
    """Largest step in (0, 1] that keeps ``X + a dX`` positive definite, times ``fraction``.

    ``L_inv`` (nb, d, d): inverse Cholesky factors of X; ``delta`` (nb, d, d).
    """
    if delta.shape[0] == 0:
        return 1.0
    lowest = np.linalg.eigvalsh(L_inv @ delta @ np.conj(np.swapaxes(L_inv, 1, 2))).min()
    return 1.0 if lowest >= 0 else min(1.0, -fraction / lowest)


def _orthant_step(x, dx, fraction):
    negative = dx < 0
    if not np.any(negative):
        return 1.0
    return min(1.0, fraction * float(np.min(-x[negative] / dx[negative])))


def _hermitian(Y):
    return (Y + np.conj(np.swapaxes(Y, 1, 2))) / 2


def solve_structured(program, options=None):
    """Solve a :class:`~isacsim.designers.program.BeamProgram` with the structured IPM.

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
        ``unknown`` (iteration limit or numerical breakdown) with the last
        iterate.
    """
    settings = {**DEFAULT_OPTIONS, **(options or {})}
    unknown = set(settings) - set(DEFAULT_OPTIONS)
    if unknown:
        raise ValueError(f"options: unknown option(s) {sorted(unknown)} for the {SOLVER_NAME!r} solver; expected {sorted(DEFAULT_OPTIONS)}")
    n_points, n_users, n_bs = program.n_points, program.gamma.size, program.n_bs
    n_rows = n_points + n_users
    n_vars = n_rows + n_bs
    groups = _groups(program, settings["pad_ratio"])
    linear = _Linear(n_points, n_vars, program.rhs.ravel(), settings["penalty"])
    b = np.concatenate([np.zeros(n_points), program.rhs.ravel(), -program.budget])
    n_pairs = sum(g.vectors.shape[0] * g.size for g in groups) + n_vars + 2

    # ------------------------------------------------------- starting point
    # Dual: strictly feasible by construction (Z_b >= I).
    inverse_gamma = 1.0 / program.gamma.ravel()
    y = np.zeros(n_vars)
    y[:n_points] = 2.0 / n_points
    y[n_points:n_rows] = min(1.0, 0.5 * settings["penalty"] / max(float(program.rhs.sum()), 1e-300))
    echo_load = 2.0 * program.weights.max(axis=0) if n_points else np.zeros(n_bs)
    own_load = inverse_gamma.reshape(n_bs, -1).max(axis=1)
    y[n_rows:] = 1.0 + echo_load + own_load
    # Primal: budgets spread evenly over the blocks, unit slacks.
    X = []
    for g in groups:
        per_bs = np.maximum(g.owner.sum(axis=0), 1.0)
        level = (g.owner @ (program.budget / per_bs)) / g.size
        X.append(level[:, None, None] * np.eye(g.size))
    x = np.ones(n_vars + 2)
    x[-1] = 1.0 / linear.slack(y)[-1]  # a unit complementarity pair, like the others

    step = settings["step"]
    status, message, iterations = "unknown", "iteration limit reached", 0
    best, best_merit, since_progress, lowest_bound = None, np.inf, 0, np.inf
    for iterations in range(1, settings["max_iters"] + 1):
        Z = [g.adjoint(-y[:n_rows], -y[n_rows:]) for g in groups]  # Z = C - A^T y, C = 0 on the blocks
        z = linear.slack(y)
        if np.any(z <= 0) or np.any(x <= 0):
            message = "numerical breakdown (an orthant iterate reached its boundary)"
            break
        try:
            factors = [np.linalg.cholesky(np.concatenate([Xg, Zg])) for Xg, Zg in zip(X, Z)]
        except np.linalg.LinAlgError:
            message = "numerical breakdown (a cone iterate lost definiteness)"
            break
        inverse_factors = [np.linalg.inv(F) for F in factors]
        Z_inv = []
        for g, Fi in zip(groups, inverse_factors):
            Fz = Fi[g.vectors.shape[0] :]
            Z_inv.append(np.conj(np.swapaxes(Fz, 1, 2)) @ Fz)

        # Residuals, objectives, certificates.
        AX = linear.forward(x)
        AX_abs = np.abs(AX).copy()
        schur = linear.schur(x / z)
        XV, ZV = [], []
        for g, Xg, Zi in zip(groups, X, Z_inv):
            xv = Xg @ g.vectors
            zv = Zi @ g.vectors
            XV.append(xv)
            ZV.append(zv)
            P = g.vectors_h @ xv
            Q = g.vectors_h @ zv
            diagonal = np.einsum("bii->bi", P).real
            AX[g.rows] += (g.coefficients * diagonal).sum(axis=0)
            AX_abs[g.rows] += (np.abs(g.coefficients) * diagonal).sum(axis=0)
            traces = np.einsum("bkk->b", Xg).real
            AX[n_rows:] -= g.owner.T @ traces
            AX_abs[n_rows:] += g.owner.T @ traces
            H = (P * Q.conj()).real
            schur[np.ix_(g.rows, g.rows)] += (g.pair_coefficients * H).sum(axis=0)
            cross = -(g.coefficients * np.einsum("bki,bki->bi", xv.conj(), zv).real)  # (nb, m)
            block = cross.T @ g.owner  # (m, L)
            schur[np.ix_(g.rows, np.arange(n_rows, n_vars))] += block
            schur[np.ix_(np.arange(n_rows, n_vars), g.rows)] += block.T
            schur[n_rows:, n_rows:] += np.diag(g.owner.T @ np.einsum("bij,bji->b", Xg, Zi).real)
        residual = b - AX
        primal_value = linear.objective(x)  # t - penalty e
        dual_value = -float(b @ y)  # the bound: sum p nu - sum rho mu
        if dual_value < 0:
            status, message = "infeasible", ""
            break
        complementarity = sum(float(np.einsum("bij,bji->", Xg, Zg).real) for Xg, Zg in zip(X, Z)) + float(x @ z)
        mu_c = complementarity / n_pairs
        relative_residual = float(np.max(np.abs(residual) / (np.abs(b) + AX_abs + 1e-300)))
        relative_gap = max(dual_value - primal_value, complementarity) / max(dual_value, 1e-300)
        if settings.get("trace"):
            print(f"{iterations:3d} pobj={primal_value:.12e} dobj={dual_value:.12e} relgap={relative_gap:.2e} relres={relative_residual:.2e} mu={mu_c:.2e}")
        merit = max(relative_residual / settings["tol_feas"], relative_gap / settings["tol_gap"])
        since_progress += 1
        if merit < best_merit:
            best, best_merit, since_progress = (X, x, y), merit, 0
        if dual_value < lowest_bound - 1e-6 * abs(dual_value):  # the bound still falls (towards a certificate?)
            lowest_bound, since_progress = dual_value, 0
        if merit <= 1.0:
            break
        if since_progress >= _PATIENCE and best_merit <= _ACCEPT:
            break  # at the limit of the arithmetic: the best iterate is within tolerance

        try:
            cholesky = scipy.linalg.cho_factor(schur, lower=True, check_finite=False)
            solve = lambda rhs: scipy.linalg.cho_solve(cholesky, rhs, check_finite=False)  # noqa: E731
        except np.linalg.LinAlgError:
            lu = scipy.linalg.lu_factor(schur, check_finite=False)
            solve = lambda rhs: scipy.linalg.lu_solve(lu, rhs, check_finite=False)  # noqa: E731

        def direction(shift, dX_pred=None, dZ_pred=None, dx_pred=None, dz_pred=None):
            """Newton direction for X Z = shift I (minus the predictor's second-order term)."""
            # Schur right-hand side: Rp - A(Rc Z^-1) with Rc Z^-1 = shift Z^-1 - X - dXp dZp Z^-1.
            rhs = residual + AX
            corrections = []
            for k, (g, Zi) in enumerate(zip(groups, Z_inv)):
                term = shift * Zi if shift else np.zeros_like(Zi)
                if dX_pred is not None:
                    term = term - dX_pred[k] @ dZ_pred[k] @ Zi
                corrections.append(term)
                rows_part, nu_part = g.forward(term)
                rhs[g.rows] -= rows_part
                rhs[n_rows:] -= nu_part
            lin_term = shift / z
            if dx_pred is not None:
                lin_term = lin_term - dx_pred * dz_pred / z
            rhs -= linear.forward(lin_term)
            dy = solve(rhs)
            dZ = [g.adjoint(-dy[:n_rows], -dy[n_rows:]) for g in groups]
            dz = linear.slack_step(dy)
            dX = [_hermitian(c - Xg - Xg @ dZg @ Zi) for c, Xg, dZg, Zi in zip(corrections, X, dZ, Z_inv)]
            dx = lin_term - x - x * dz / z
            return dy, dX, dZ, dx, dz

        def step_lengths(dX, dZ, dx, dz, fraction):
            alpha_p = _orthant_step(x, dx, fraction)
            alpha_d = _orthant_step(z, dz, fraction)
            for g, Fi, dXg, dZg in zip(groups, inverse_factors, dX, dZ):
                nb = g.vectors.shape[0]
                alpha_p = min(alpha_p, _cone_step(Fi[:nb], dXg, fraction))
                alpha_d = min(alpha_d, _cone_step(Fi[nb:], dZg, fraction))
            return alpha_p, alpha_d

        # Predictor (affine scaling), then Mehrotra's corrector.
        dy, dX, dZ, dx, dz = direction(0.0)
        alpha_p, alpha_d = step_lengths(dX, dZ, dx, dz, 1.0)
        affine = sum(
            float(np.einsum("bij,bji->", Xg + alpha_p * dXg, Zg + alpha_d * dZg).real) for Xg, dXg, Zg, dZg in zip(X, dX, Z, dZ)
        ) + float((x + alpha_p * dx) @ (z + alpha_d * dz))
        sigma = min(1.0, (affine / complementarity) ** 3)
        dy, dX, dZ, dx, dz = direction(sigma * mu_c, dX, dZ, dx, dz)
        alpha_p, alpha_d = step_lengths(dX, dZ, dx, dz, step)
        X = [Xg + alpha_p * dXg for Xg, dXg in zip(X, dX)]
        x = x + alpha_p * dx
        y = y + alpha_d * dy

    if status != "infeasible" and best is not None:
        X, x, y = best
        if best_merit <= _ACCEPT:
            status, message = "optimal", ""
    return _result(program, groups, X, x, y, b, status, message, iterations)


def _certified_bound(groups, y, b, n_rows):
    """``-b^T y`` after raising each ``nu_l`` by any negative eigenvalue of its blocks' Z.

    Returns the bound (program units) and the corrected ``y``.
    """
    y = y.copy()
    for g in groups:
        Z = g.adjoint(-y[:n_rows], -y[n_rows:])
        lowest = np.linalg.eigvalsh(Z).min(axis=1)  # (nb,)
        deficit = np.maximum(0.0, -lowest)
        y[n_rows:] += (g.owner * deficit[:, None]).max(axis=0)
    return -float(b @ y), y


def _result(program, groups, X, x, y, b, status, message, iterations):
    n_rows = program.n_points + program.gamma.size
    bound, y = _certified_bound(groups, y, b, n_rows)
    if status == "infeasible" and bound >= 0:
        status, message = "unknown", "infeasibility certificate did not survive the eigenvalue check"
    if status == "infeasible":
        mu = y[program.n_points : n_rows] * program.rhs.ravel()
        order = [int(i) for i in np.argsort(-mu) if mu[i] > 1e-6 * mu.max()]
        culprits = tuple(divmod(i, program.n_users_per_cell) for i in order)
        return RelaxedSolution(status="infeasible", culprits=culprits, iterations=iterations, solver=SOLVER_NAME,
                               bound=program.energy_scale * bound)
    matrices = [None] * len(program.blocks)
    for g, Xg in zip(groups, X):
        for slot, (index, d) in enumerate(zip(g.blocks, g.dims)):
            matrices[index] = Xg[slot, :d, :d]
    W, R = program.assemble(matrices)
    value = float(x[-2])
    gap = (bound - value) / bound if bound > 0 else float("nan")
    return RelaxedSolution(
        status=status,
        W=W,
        R=R,
        value=program.energy_scale * value,
        bound=program.energy_scale * bound,
        gap=gap,
        iterations=iterations,
        message=message,
        solver=SOLVER_NAME,
    )
