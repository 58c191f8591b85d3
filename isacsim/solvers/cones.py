"""Batched cone arithmetic of the structured solver: factors, step lengths, positivity tests.

Every stack here has a leading batch axis over the programs solved together
and a second over the blocks of one group: shape ``(B, nb, d, d)``. The
functions work per member (one program) wherever a result may differ
between members: a step length, a failed factorization.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import ztrtri


__all__ = [
    "hermitian_part",
    "conjugate_transpose",
    "triangular_inverse",
    "cholesky_members",
    "cone_steps",
    "orthant_steps",
]

#: Blocks up to this dimension get exact eigenvalues for their step length;
#: larger ones a Lanczos estimate (the step is then verified by Cholesky).
_EXACT_STEP_MAX_DIM = 24
#: Lanczos steps of the estimate.
_LANCZOS_STEPS = 12


def conjugate_transpose(Y):
    """``Y^H`` over the last two axes, C-contiguous (fast in batched products)."""
    return np.ascontiguousarray(np.conj(np.swapaxes(Y, -1, -2)))


def hermitian_part(Y):
    """``(Y + Y^H) / 2`` over the last two axes."""
    return (Y + np.conj(np.swapaxes(Y, -1, -2))) / 2


def triangular_inverse(factors):
    """Inverses of lower-triangular matrices, shape (..., d, d).

    Up to d = 16 one batched general inverse (there the call count, not the
    arithmetic, sets the time); larger factors go through LAPACK trtri one
    by one (a third of a general inverse). The method depends on d alone,
    never on how many matrices there are, so that a member of a batch gets
    what it gets alone.

    Raises
    ------
    numpy.linalg.LinAlgError
        For a singular factor.
    """
    shape = factors.shape
    flat = factors.reshape(-1, shape[-2], shape[-1])
    if shape[-1] <= 16:
        return np.linalg.inv(factors)
    out = np.empty_like(flat)
    for slot, factor in enumerate(flat):
        out[slot], info = ztrtri(factor, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"singular triangular factor (LAPACK trtri info {info})")
    return out.reshape(shape)


def cholesky_members(stacks):
    """Cholesky factors of every group's stack, and which members (and sides) failed.

    Parameters
    ----------
    stacks : list of numpy.ndarray, shape (S, B, nb, d, d)
        One stack per group, Hermitian; ``S`` sides (e.g. X and Z), ``B`` members.

    Returns
    -------
    factors : list of numpy.ndarray
        Lower factors, same shapes (undefined where failed).
    failed : numpy.ndarray, bool, shape (S, B)
        Where some matrix is not numerically positive definite.
    """
    failed = np.zeros(stacks[0].shape[:2], dtype=bool) if stacks else np.zeros((0, 0), dtype=bool)
    factors = []
    for stack in stacks:
        try:
            factors.append(np.linalg.cholesky(stack))
            continue
        except np.linalg.LinAlgError:
            pass
        out = np.zeros_like(stack)
        for side, member in np.ndindex(*stack.shape[:2]):
            if failed[side, member]:
                continue
            try:
                out[side, member] = np.linalg.cholesky(stack[side, member])
            except np.linalg.LinAlgError:
                failed[side, member] = True
        factors.append(out)
    return factors, failed


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

    Notes
    -----
    Every operator starts from the same fixed vector, so that an operator's
    estimate does not depend on how many others share the call (a member of
    a batch gets what it gets alone).
    """
    start = np.random.default_rng(0).standard_normal((size, 1)) + 0j
    v = np.repeat((start / np.linalg.norm(start))[None], count, axis=0)
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


def cone_steps(inverse_factors, inverse_factors_h, delta, fraction, steps=None):
    """Per side and member, ``fraction`` of the largest step in (0, 1] keeping ``X + a dX`` positive definite.

    Parameters
    ----------
    inverse_factors, inverse_factors_h : numpy.ndarray, complex, shape (S, B, nb, d, d)
        ``L^-1`` and ``L^-H`` with ``X = L L^H``.
    delta : numpy.ndarray, complex, shape (S, B, nb, d, d)
        Hermitian ``dX``.
    fraction : float
    steps : int or None
        Lanczos steps for ``d > 24`` (default :data:`_LANCZOS_STEPS`).

    Returns
    -------
    numpy.ndarray, shape (S, B)
        Exact for ``d <= 24`` (eigenvalues of ``L^-1 dX L^-H``); otherwise a
        Lanczos estimate on that operator, applied as three matrix-vector
        products (``O(d^2)`` a step instead of ``O(d^3)`` to form it), which
        may overshoot slightly: the caller verifies the new point by Cholesky.
    """
    sides, n_members, count, size = delta.shape[:4]
    if count == 0:
        return np.ones((sides, n_members))
    F, D, Fh = (A.reshape(-1, size, size) for A in (inverse_factors, delta, inverse_factors_h))
    if size <= _EXACT_STEP_MAX_DIM:
        lowest = np.linalg.eigvalsh(F @ D @ Fh)[:, 0]
    else:
        lowest = _lowest_eigenvalues_lanczos(lambda v: F @ (D @ (Fh @ v)), F.shape[0], size, steps or _LANCZOS_STEPS)
    lowest = lowest.reshape(sides, n_members, count).min(axis=2)
    return np.where(lowest >= 0, 1.0, np.minimum(1.0, -fraction / np.minimum(lowest, -1e-300)))


def orthant_steps(x, dx, fraction):
    """``fraction`` of the largest step in (0, 1] keeping ``x + a dx > 0``, reduced over the last axis.

    With the largest rate of decrease ``rate = max(-dx / x)`` (x > 0) the step
    is ``min(1, fraction / rate)``; no division by a vanishing ``dx``.
    """
    rate = (-dx / x).max(axis=-1)
    return np.minimum(1.0, fraction / np.maximum(rate, fraction))
