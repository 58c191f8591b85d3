"""Rank-one beams from a relaxed solution: Propositions 1/2 (MODEL-NOTES item 2)."""
from __future__ import annotations

import numpy as np

__all__ = ["rank_one_beams"]


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
