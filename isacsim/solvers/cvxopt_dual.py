"""Cross-check path: the Lagrangian dual of a compiled `Program`, solved by CVXOPT.

The dual has one scalar variable per row and one linear matrix inequality per
block, of the block's reduced dimension (see :class:`~isacsim.solvers.program.Program`)::

    minimize    -r^T y
    subject to  y >= 0,   -c_t - a^T y >= 0   (= 0 for a free t)
                -c_b I - sum_j y_j A_jb >= 0      per block b

CVXOPT's generic ``solvers.sdp`` knows nothing of the data's low rank; this
is the structured solver's baseline in ``isacsim bench`` and an independent
solve of the same program. The primal blocks are CVXOPT's LMI multipliers;
complex Hermitian LMIs are passed in their real 2d x 2d embedding
``[[Re, -Im], [Im, Re]]``. The bound is certified on the user's data
(:meth:`~isacsim.solvers.program.Program.certify`) like the structured
solver's.
"""
from __future__ import annotations

import numpy as np

from .relaxed import RelaxedSolution

__all__ = ["solve_dual", "DEFAULT_OPTIONS", "block_data"]

#: CVXOPT options of this path (converges in 12-30 iterations here).
DEFAULT_OPTIONS = {"show_progress": False, "abstol": 1e-9, "reltol": 1e-8, "feastol": 1e-9, "maxiters": 50}
#: Looser tolerances, tried when the default run stalls (near the edge of
#: feasibility); the design is verified independently either way.
FALLBACK_OPTIONS = {"abstol": 1e-8, "reltol": 1e-7, "feastol": 1e-8}
SOLVER_NAME = "dual-cvxopt"


def block_data(program):
    """Every block's data as dense matrices.

    Returns
    -------
    list of (numpy.ndarray, float)
        Per block of ``program.blocks``: ``A`` of shape (m, d, d) with
        ``A[j] = A_jb`` (the solved, tightened data), and the objective
        coefficient ``c_b``.
    """
    out = [None] * len(program.blocks)
    m = program.n_rows
    for group in program.groups:
        incidence = np.zeros((group.columns.size, m))
        incidence[np.arange(group.columns.size), group.columns] = 1.0
        for slot, (index, d) in enumerate(zip(group.blocks, group.dims)):
            G = group.vectors[slot, :d]
            outer = np.einsum("ik,jk->kij", G, G.conj()) * group.coefficients[slot][:, None, None]
            A = np.einsum("km,kij->mij", incidence, outer)
            A[group.identity_rows] += group.identity[slot][:, None, None] * np.eye(d)
            out[index] = (A, float(group.objective[slot]))
    return out


def _embed(A):
    """Real embeddings ``[[Re, -Im], [Im, Re]]`` of a stack of Hermitian matrices (m, d, d) -> (m, 2d, 2d)."""
    re, im = A.real, A.imag
    return np.concatenate([np.concatenate([re, -im], axis=2), np.concatenate([im, re], axis=2)], axis=1)


def _to_complex(z, dimension):
    """Hermitian d x d matrix from the real 2d x 2d multiplier of an embedded LMI."""
    z = np.tril(z) + np.tril(z, -1).T
    top, bottom = z[:dimension], z[dimension:]
    real = top[:, :dimension] + bottom[:, dimension:]
    imag = bottom[:, :dimension] - top[:, dimension:]
    return real + 1j * imag


def solve_dual(program, options=None):
    """Solve a :class:`~isacsim.solvers.program.Program` through its dual in CVXOPT.

    Parameters
    ----------
    program : Program
    options : dict or None
        CVXOPT options; defaults to :data:`DEFAULT_OPTIONS`.

    Returns
    -------
    RelaxedSolution
    """
    from cvxopt import matrix, solvers  # lazy: solvers are imported by the designer that needs them

    m = program.n_rows
    linear_rows, linear_rhs = [-np.eye(m)], [np.zeros(m)]
    lmi_blocks, lmi_rhs, kinds = [], [], []
    for A, c_b in block_data(program):
        d = A.shape[1]
        if d == 1:
            linear_rows.append(A[:, 0, 0].real[None, :])
            linear_rhs.append(np.array([-c_b]))
            kinds.append(("linear", m + len(linear_rows) - 2))
            continue
        columns = _embed(A).reshape(m, -1).T  # (4 d^2, m), column-major like CVXOPT (symmetric anyway)
        lmi_blocks.append(matrix(np.ascontiguousarray(columns)))
        lmi_rhs.append(matrix(-c_b * np.eye(2 * d)))
        kinds.append(("lmi", len(lmi_blocks) - 1))
    arguments = {}
    t_row = None
    if np.any(program.t_coefficients != 0) or program.objective_t != 0:
        if program.t_free:
            arguments.update(A=matrix(program.t_coefficients[None, :].copy()), b=matrix(-float(program.objective_t)))
        else:
            t_row = sum(len(r) for r in linear_rows)
            linear_rows.append(program.t_coefficients[None, :])
            linear_rhs.append(np.array([-float(program.objective_t)]))
    linear = np.vstack(linear_rows)
    arguments.update(Gl=matrix(linear), hl=matrix(np.concatenate(linear_rhs)), Gs=lmi_blocks, hs=lmi_rhs)
    c = matrix(-program.rhs.astype(float))
    settings = {**DEFAULT_OPTIONS, **(options or {})}
    result = solvers.sdp(c, **arguments, options=settings)
    if result["status"] == "unknown":
        result = solvers.sdp(c, **arguments, options={**settings, **FALLBACK_OPTIONS})
    status = result["status"]
    iterations = int(result.get("iterations", -1) or -1)
    if status == "dual infeasible":
        # A ray of the dual: it weights the rows that cannot hold together.
        ray = np.asarray(result["x"]).ravel()
        return RelaxedSolution(
            status="infeasible",
            rows=program.named_rows(ray * program.rhs),
            infeasibility_certified=program.farkas_ray(ray) is not None,
            iterations=iterations,
            solver=SOLVER_NAME,
        )
    if result["x"] is None or result["zs"] is None:
        return RelaxedSolution(status="unknown", message=f"CVXOPT status {status!r}", iterations=iterations, solver=SOLVER_NAME)
    matrices = []
    for kind, index in kinds:
        if kind == "linear":
            matrices.append(np.array([[complex(result["zl"][index])]]))
        else:
            z = np.asarray(result["zs"][index])
            matrices.append(_to_complex(z, z.shape[0] // 2))
    W, R = program.assemble(matrices)
    y = np.asarray(result["x"]).ravel()
    bound, _, certified = program.certify(y)
    primal, dual = float(result["primal objective"]), float(result["dual objective"])
    return RelaxedSolution(
        status="optimal" if status == "optimal" else "unknown",
        W=W,
        R=R,
        value=program.units.objective * dual,
        bound=program.units.objective * bound,
        bound_certified=bool(certified),
        gap=abs(primal - dual) / max(abs(primal), 1e-300),
        iterations=iterations,
        message="" if status == "optimal" else f"CVXOPT status {status!r}",
        solver=SOLVER_NAME,
    )
