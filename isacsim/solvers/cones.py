"""The cone data of the structured solver: batched rank-one blocks and the orthant.

In the dual of a :class:`~isacsim.solvers.program.BeamProgram`, block b of
the cone reads ``Z_b = nu_l I - sum_j y_j c_bj v_bj v_bj^H`` (one block per
``W_li`` or ``R_l``), and the multipliers themselves, ``t`` and the elastic
SINR shortfall ``e`` form a nonnegative orthant. This module holds that data
in the shapes the interior-point iteration (:mod:`.structured`) works on:
blocks of one padded dimension stacked into a :class:`BlockGroup`, the
orthant as an :class:`Orthant`, and the step-length rules of both.
"""
from __future__ import annotations

import attrs
import numpy as np
from scipy.linalg.lapack import ztrtri

__all__ = ["BlockGroup", "Orthant", "group_blocks", "cone_steps", "orthant_step", "hermitian_part", "conjugate_transpose", "triangular_inverse"]

#: Blocks up to this dimension get exact eigenvalues for their step length;
#: larger ones a Lanczos estimate (the step is then verified by Cholesky).
_EXACT_STEP_MAX_DIM = 24
#: Blocks up to this dimension are always batched together (there the call
#: count, not the arithmetic, sets the time).
_ALWAYS_PAD = 16
#: Lanczos steps of the estimate.
_LANCZOS_STEPS = 10


@attrs.frozen
class BlockGroup:
    """Blocks of one padded dimension d, stacked.

    Zero padding carries no data: the padded part of ``Z`` is ``nu_l I`` and
    that of ``X`` is driven to zero, so the optimum is unchanged.

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
    def count(self):
        """Number of blocks nb."""
        return self.vectors.shape[0]

    @property
    def size(self):
        """Padded block dimension d."""
        return self.vectors.shape[1]

    def adjoint(self, y_rows, y_nu):
        """``A^T(y) = sum_j y_j c_j v_j v_j^H - nu_l I`` per block, shape (nb, d, d).

        Parameters
        ----------
        y_rows : numpy.ndarray, shape (Q + LK,)
        y_nu : numpy.ndarray, shape (L,)
        """
        scaled = self.vectors * (self.coefficients * y_rows[self.rows])[:, None, :]
        out = scaled @ self.vectors_h
        diagonal = np.einsum("bii->bi", out)
        diagonal -= (self.owner @ y_nu)[:, None]
        return out

    def gram(self, Y):
        """``V^H Y V`` (nb, m, m) and ``Y V`` (nb, d, m)."""
        images = Y @ self.vectors
        return self.vectors_h @ images, images

    def forward(self, Y):
        """``A(Y)`` on the group: values on ``rows`` (m,) and on the ``nu`` (L,).

        ``Y`` (nb, d, d) may be non-Hermitian; its Hermitian part is used.
        """
        quadratic = np.einsum("bki,bki->bi", self.vectors.conj(), Y @ self.vectors).real
        return self.reduce(quadratic, np.einsum("bkk->b", Y).real)

    def reduce(self, quadratic, traces):
        """``A(Y)`` from the quadratic forms ``v_j^H Y v_j`` (nb, m) and traces (nb,)."""
        return (self.coefficients * quadratic).sum(axis=0), -(self.owner.T @ traces)


def group_blocks(program, pad_ratio):
    """Stack a program's blocks into groups of one padded dimension.

    Blocks are padded up to the largest dimension of their group while that
    costs at most ``pad_ratio`` times the unpadded ``d^3`` work (groups of
    blocks of dimension <= 16 are always merged).

    Parameters
    ----------
    program : BeamProgram
    pad_ratio : float

    Returns
    -------
    list of BlockGroup
    """
    data = [program.block_rows(block) for block in program.blocks]
    dims = np.array([block.basis.shape[1] for block in program.blocks])
    batches, current = [], []
    for index in np.argsort(dims, kind="stable")[::-1]:
        if current:
            top = float(dims[current[0]])
            work = np.sum(dims[current + [index]].astype(float) ** 3)
            if top > _ALWAYS_PAD and (len(current) + 1) * top**3 > pad_ratio * work:
                batches.append(current)
                current = []
        current.append(int(index))
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
            BlockGroup(
                blocks=np.array(batch),
                dims=dims[batch],
                rows=rows,
                vectors=vectors,
                vectors_h=conjugate_transpose(vectors),
                coefficients=coefficients,
                pair_coefficients=coefficients[:, :, None] * coefficients[:, None, :],
                owner=owner,
            )
        )
    return groups


class Orthant:
    """The nonnegative orthant: multipliers, ``t`` and the elastic shortfall ``e``.

    Primal entries: the slacks of the point, SINR and budget rows (n), then
    ``t`` and ``e``. ``A_lin = [-I, -e_lambda, (0, rho, 0)]`` and
    ``C_lin = (0, ..., 0, -1, penalty)``, so that the dual slack is
    ``z = (lambda, mu, nu, sum(lambda) - 1, penalty - rho . mu)``.

    Parameters
    ----------
    n_points, n_vars : int
        Q and n = Q + LK + L.
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
        """``dz = -A_lin^T dy``, shape (n + 2,)."""
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


def conjugate_transpose(Y):
    """``Y^H`` for a stack (nb, d, k), as a C-contiguous array (fast in batched products)."""
    return np.ascontiguousarray(np.conj(np.swapaxes(Y, 1, 2)))


def triangular_inverse(factors):
    """Inverses of lower-triangular matrices (nb, d, d) (LAPACK ``trtri``, a third of a general inverse).

    Small stacks (d <= 16) take one batched general inverse instead: there the
    call count, not the arithmetic, sets the time.

    Raises
    ------
    numpy.linalg.LinAlgError
        For a singular factor.
    """
    if factors.shape[1] <= _ALWAYS_PAD:
        return np.linalg.inv(factors)
    out = np.empty_like(factors)
    for slot, factor in enumerate(factors):
        out[slot], info = ztrtri(factor, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"singular triangular factor (LAPACK trtri info {info})")
    return out


def hermitian_part(Y):
    """``(Y + Y^H) / 2`` for a stack (nb, d, d)."""
    return (Y + np.conj(np.swapaxes(Y, 1, 2))) / 2


def _lowest_eigenvalues_lanczos(apply, count, size, steps):
    """Lanczos estimates of the lowest eigenvalue of ``count`` Hermitian operators.

    Parameters
    ----------
    apply : callable
        ``apply(V)`` maps vectors (count, size, 1) to the operators' images.
    count, size, steps : int

    Returns
    -------
    numpy.ndarray, shape (count,)
        Ritz values: upper estimates of each lowest eigenvalue.
    """
    start = np.random.default_rng(0).standard_normal((count, size, 1)) + 0j
    v = start / np.linalg.norm(start, axis=1, keepdims=True)
    previous = np.zeros_like(v)
    beta = np.zeros((count, 1, 1))
    alphas, betas = [], []
    for _ in range(min(steps, size)):
        w = apply(v) - beta * previous
        alpha = np.sum(v.conj() * w, axis=1, keepdims=True).real
        w -= alpha * v
        beta = np.linalg.norm(w, axis=1, keepdims=True)
        alphas.append(alpha[:, 0, 0])
        betas.append(beta[:, 0, 0])
        previous, v = v, np.where(beta > 1e-300, w / np.where(beta > 1e-300, beta, 1.0), 0.0)
    k = len(alphas)
    tridiagonal = np.zeros((count, k, k))
    index = np.arange(k)
    tridiagonal[:, index, index] = np.array(alphas).T
    off = np.array(betas[:-1]).T
    tridiagonal[:, index[:-1], index[1:]] = off
    tridiagonal[:, index[1:], index[:-1]] = off
    return np.linalg.eigvalsh(tridiagonal)[:, 0]


def cone_steps(inverse_factors, inverse_factors_h, deltas, fraction):
    """Steps in (0, 1] that keep ``X + a dX`` positive definite: ``fraction`` of the largest.

    Parameters
    ----------
    inverse_factors : numpy.ndarray, complex, shape (k, nb, d, d)
        ``L^-1`` with ``X = L L^H``, for k stacks of blocks (e.g. X and Z).
    inverse_factors_h : numpy.ndarray, complex, shape (k, nb, d, d)
        Their conjugate transposes (computed once per iteration by the caller).
    deltas : numpy.ndarray, complex, shape (k, nb, d, d)
        Hermitian ``dX``.
    fraction : float

    Returns
    -------
    numpy.ndarray, shape (k,)
        One step per stack. Exact for ``d <= 24``; otherwise from a Lanczos
        estimate, which may overshoot slightly: the caller verifies the new
        point by Cholesky.
    """
    k, count, size = deltas.shape[:3]
    if count == 0:
        return np.ones(k)
    scaled = (inverse_factors @ deltas @ inverse_factors_h).reshape(-1, size, size)
    if size <= _EXACT_STEP_MAX_DIM:
        lowest = np.linalg.eigvalsh(scaled)[:, 0]
    else:
        lowest = _lowest_eigenvalues_lanczos(lambda v: scaled @ v, k * count, size, _LANCZOS_STEPS)
    lowest = lowest.reshape(k, count).min(axis=1)
    return np.where(lowest >= 0, 1.0, np.minimum(1.0, -fraction / np.minimum(lowest, -1e-300)))


def orthant_step(x, dx, fraction):
    """Step in (0, 1] that keeps ``x + a dx > 0``: ``fraction`` of the largest."""
    limit = np.min(np.divide(-x, dx, out=np.full_like(x, np.inf), where=dx < 0))
    return min(1.0, fraction * float(limit))
