"""Rank-one beams from a relaxed solution: Propositions 1/2, with the user's own channel."""
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
    problem : DesignProblem
    W : numpy.ndarray, complex, shape (L, K, Nt, Nt)
        Relaxed information covariances [W].
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Relaxed sensing covariances [W].

    Returns
    -------
    w : numpy.ndarray, complex, shape (L, K, Nt)
        Beams [sqrt(W)].
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Sensing covariances [W], Hermitian.
    """
    own = np.einsum("llkn->lkn", problem.H)  # h_{l,l,k}
    Wh = np.einsum("lknp,lkp->lkn", W, own)
    gain = np.einsum("lkn,lkn->lk", own.conj(), Wh).real
    safe = np.where(gain > 0, gain, 1.0)
    w = np.where((gain > 0)[..., None], Wh / np.sqrt(safe)[..., None], 0.0)
    R_new = R + W.sum(axis=1) - np.einsum("lkn,lkp->lnp", w, w.conj())
    return w, (R_new + np.conj(np.swapaxes(R_new, 1, 2))) / 2
