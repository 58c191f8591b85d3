"""Rank-one beams from a relaxed solution: Propositions 1/2, and candidates where they do not hold.

:func:`rank_one_beams` is the construction of Propositions 1/2 (with the
user's own channel as the vector). It keeps every BS's transmit covariance,
every user's own signal power and, by Cauchy-Schwarz, bounds every
interference term, so it keeps the relaxed optimum for every row that
depends on the blocks through each BS's transmit covariance (echo rows,
reflected-power floors, per-BS and per-antenna budgets) and for the SINR rows
with perfect CSI, for any receiver leakage. Under a statistical CSI error the
own signal ``w^H (h h^H + s2 I) w`` of the constructed beam can fall below
the relaxed ``tr((h h^H + s2 I) W)``: the construction is then not
guaranteed, and :func:`candidate_directions` supplies beam directions whose
powers (and sensing covariances) are re-optimized exactly instead.
"""
from __future__ import annotations

import numpy as np

__all__ = ["rank_one_beams", "candidate_directions"]


def rank_one_beams(problem, W, R):
    """Construct rank-one information beams that keep the relaxed optimum.

    ``w_li = W_li h_lli / sqrt(h_lli^H W_li h_lli)`` with ``h_lli`` the user's
    own channel, and ``R_l = sum_i W_li + R_l - sum_i w_li w_li^H``, so every
    BS's transmit covariance is unchanged (the sensing objective and the
    power are too), every user's own signal power is unchanged, and by
    Cauchy-Schwarz no interference term grows. The new ``R_l`` is PSD because
    ``w w^H <= W`` for each W; the verifier checks this numerically.

    Parameters
    ----------
    problem : DesignProblem or ProblemStack
        One problem, or a stack of B (:func:`isacsim.stack.stack_problems`).
    W : numpy.ndarray, complex, shape (L, K, Nt, Nt), or (B, L, K, Nt, Nt)
        Relaxed information covariances [W].
    R : numpy.ndarray, complex, shape (L, Nt, Nt), or (B, L, Nt, Nt)
        Relaxed sensing covariances [W].

    Returns
    -------
    w : numpy.ndarray, complex, shape (L, K, Nt), or (B, L, K, Nt)
        Beams [sqrt(W)].
    R : numpy.ndarray, complex, shape (L, Nt, Nt), or (B, L, Nt, Nt)
        Sensing covariances [W], Hermitian. A member of a stack gets, bit
        for bit, what it gets alone.
    """
    H, W, R = np.asarray(problem.H), np.asarray(W), np.asarray(R)
    single = H.ndim == 4
    if single:  # one problem is a stack of one: the same arithmetic as in any stack
        H, W, R = H[None], W[None], R[None]
    own = np.einsum("bllkn->blkn", H)  # h_{l,l,k}
    Wh = np.einsum("blknp,blkp->blkn", W, own)
    gain = np.einsum("blkn,blkn->blk", own.conj(), Wh).real
    safe = np.where(gain > 0, gain, 1.0)
    w = np.where((gain > 0)[..., None], Wh / np.sqrt(safe)[..., None], 0.0)
    R_new = R + W.sum(axis=2) - np.einsum("blkn,blkp->blnp", w, w.conj())
    R_new = np.ascontiguousarray((R_new + np.conj(np.swapaxes(R_new, -1, -2))) / 2)  # its layout would follow the stack's
    return (w[0], R_new[0]) if single else (w, R_new)


def candidate_directions(problem, W, n_random, rng):
    """Unit beam directions drawn from a relaxed solution, best guesses first.

    1. the principal eigenvector of every ``W_li``;
    2. the direction of Propositions 1/2, ``W_li h_lli``;
    3. ``n_random`` Gaussian randomizations ``W_li^{1/2} z``, ``z ~ CN(0, I)``,
       drawn independently per beam (the classic randomization of the SDR
       literature: each has covariance ``W_li``).

    A beam whose ``W_li`` is zero gets its own channel's direction.

    Parameters
    ----------
    problem : DesignProblem
    W : numpy.ndarray, complex, shape (L, K, Nt, Nt)
        Relaxed information covariances [W].
    n_random : int
        Number of randomized candidates.
    rng : numpy.random.Generator

    Yields
    ------
    numpy.ndarray, complex, shape (L, K, Nt)
        Unit-norm directions.
    """
    own = np.einsum("llkn->lkn", problem.H)
    values, vectors = np.linalg.eigh(W)
    values = np.maximum(values, 0.0)

    def unit(directions):
        norms = np.linalg.norm(directions, axis=-1, keepdims=True)
        fallback = own / np.linalg.norm(own, axis=-1, keepdims=True)
        return np.where(norms > 0, directions / np.where(norms > 0, norms, 1.0), fallback)

    yield unit(vectors[..., -1])
    yield unit(np.einsum("lknp,lkp->lkn", W, own))
    shape = values.shape
    for _ in range(n_random):
        z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
        yield unit(np.einsum("lknj,lkj->lkn", vectors, np.sqrt(values) * z))
