"""Fast path: the Lagrangian dual of a `BeamProgram`, solved by CVXOPT.

The dual has only ``Q + LK + L`` scalar variables (one per sample point,
user and BS) and one linear matrix inequality per block, of the block's
reduced dimension ``d <= Q + LK``::

    minimize    sum_l nu_l p_l - sum_mk mu_mk rho_mk
    subject to  sum_q lambda_q = 1,  lambda, mu, nu >= 0
                nu_l I - sum_q lambda_q s c_ql g_q g_q^H - sum_mk mu_mk a_mk f_mk f_mk^H >= 0   per block

with ``g_q = V^H b_ql`` and ``f_mk = V^H h_lmk`` projected on the block's basis
``V``. The primal blocks are CVXOPT's LMI multipliers. Complex Hermitian LMIs
are passed in their real 2d x 2d embedding ``[[Re, -Im], [Im, Re]]``.
"""
from __future__ import annotations

import numpy as np

from .relaxed import RelaxedSolution, users_named

__all__ = ["solve_dual", "DEFAULT_OPTIONS"]

#: CVXOPT options of the fast path (converges in 12-30 iterations here).
DEFAULT_OPTIONS = {"show_progress": False, "abstol": 1e-9, "reltol": 1e-8, "feastol": 1e-9, "maxiters": 50}
#: Looser tolerances, tried when the default run stalls (near the edge of
#: feasibility); the design is verified independently either way.
FALLBACK_OPTIONS = {"abstol": 1e-8, "reltol": 1e-7, "feastol": 1e-8}


def _realify(vectors):
    """Real embeddings ``r1 = [Re; Im]``, ``r2 = [-Im; Re]`` of complex rows (n, d) -> 2 x (n, 2d)."""
    re, im = vectors.real, vectors.imag
    return np.concatenate([re, im], axis=1), np.concatenate([-im, re], axis=1)


def _outer_embeddings(vectors):
    """Real embeddings of ``v v^H`` for each row v, flattened: (n, 4 d^2)."""
    r1, r2 = _realify(vectors)
    outer = r1[:, :, None] * r1[:, None, :] + r2[:, :, None] * r2[:, None, :]
    return outer.reshape(vectors.shape[0], -1)


def _to_complex(z, dimension):
    """Hermitian d x d matrix from the real 2d x 2d multiplier of an embedded LMI."""
    z = np.tril(z) + np.tril(z, -1).T
    top, bottom = z[:dimension], z[dimension:]
    real = top[:, :dimension] + bottom[:, dimension:]
    imag = bottom[:, :dimension] - top[:, dimension:]
    return real + 1j * imag


def solve_dual(program, options=None):
    """Solve a :class:`~isacsim.solvers.program.BeamProgram` through its dual.

    Parameters
    ----------
    program : BeamProgram
    options : dict or None
        CVXOPT options; defaults to :data:`DEFAULT_OPTIONS`.

    Returns
    -------
    RelaxedSolution

    """
    from cvxopt import matrix, solvers  # lazy: solvers are imported by the designer that needs them

    n_points = program.n_points
    n_users = program.gamma.size
    n_bs = program.n_bs
    n_vars = n_points + n_users + n_bs
    nu = n_points + n_users  # offset of nu
    linear_rows = [-np.eye(n_vars)]
    lmi_blocks, lmi_rhs, kinds = [], [], []
    for block in program.blocks:
        vectors, coefficients = program.block_rows(block)
        d = block.basis.shape[1]
        if d == 1:
            row = np.zeros(n_vars)
            row[:nu] = coefficients * np.abs(vectors[:, 0]) ** 2
            row[nu + block.bs] = -1.0
            linear_rows.append(row[None, :])
            kinds.append(("linear", n_vars + len(linear_rows) - 2))
            continue
        columns = np.zeros((4 * d * d, n_vars))
        columns[:, :nu] = (_outer_embeddings(vectors) * coefficients[:, None]).T
        columns[:, nu + block.bs] = -np.eye(2 * d).ravel()
        lmi_blocks.append(matrix(columns))
        lmi_rhs.append(matrix(0.0, (2 * d, 2 * d)))
        kinds.append(("lmi", len(lmi_blocks) - 1))
    linear = np.vstack(linear_rows)
    c = np.concatenate([np.zeros(n_points), -program.rhs.ravel(), program.budget])
    equality = np.zeros((1, n_vars))
    equality[0, :n_points] = 1.0
    arguments = dict(
        Gl=matrix(linear),
        hl=matrix(0.0, (linear.shape[0], 1)),
        Gs=lmi_blocks,
        hs=lmi_rhs,
        A=matrix(equality),
        b=matrix(1.0),
    )
    settings = {**DEFAULT_OPTIONS, **(options or {})}
    result = solvers.sdp(matrix(c), **arguments, options=settings)
    if result["status"] == "unknown":
        result = solvers.sdp(matrix(c), **arguments, options={**settings, **FALLBACK_OPTIONS})
    status = result["status"]
    iterations = int(result.get("iterations", -1) or -1)
    if status == "dual infeasible":
        # A ray of the dual: its mu part weights the SINR rows that cannot hold together.
        ray = np.asarray(result["x"]).ravel()
        culprits = users_named(ray[n_points:nu], program.n_users_per_cell)
        return RelaxedSolution(status="infeasible", culprits=culprits, iterations=iterations, solver="dual-cvxopt")
    if result["x"] is None or result["zs"] is None:
        return RelaxedSolution(status="unknown", message=f"CVXOPT status {status!r}", iterations=iterations, solver="dual-cvxopt")
    matrices = []
    for kind, index in kinds:
        if kind == "linear":
            matrices.append(np.array([[complex(result["zl"][index])]]))
        else:
            z = np.asarray(result["zs"][index])
            matrices.append(_to_complex(z, z.shape[0] // 2))
    W, R = program.assemble(matrices)
    return RelaxedSolution(
        status="optimal" if status == "optimal" else "unknown",
        W=W,
        R=R,
        value=program.energy_scale * float(result["dual objective"]),
        bound=program.energy_scale * float(result["primal objective"]),
        gap=abs(float(result["primal objective"]) - float(result["dual objective"])) / max(abs(float(result["primal objective"])), 1e-300),
        iterations=iterations,
        message="" if status == "optimal" else f"CVXOPT status {status!r}",
        solver="dual-cvxopt",
    )
