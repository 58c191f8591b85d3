"""RZF information beams with optimal powers and sensing covariances."""
from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from isacsim.designers import FixedDirectionDesigner

__all__ = ["RZFDesigner", "regularized_zero_forcing"]


def regularized_zero_forcing(H, regularization):
    """Unit RZF directions.

    Parameters
    ----------
    H : numpy.ndarray, complex, shape (L, L, K, Nt)
        ``H[l, m, k]``: channel from BS l to user k of cell m.
    regularization : numpy.ndarray, shape (L,)
        ``alpha_m >= 0`` of each BS.

    Returns
    -------
    numpy.ndarray, complex, shape (L, K, Nt)
        ``(sum_{l,i} h_{m,l,i} h_{m,l,i}^H + alpha_m I)^{-1} h_{m,m,k}``, normalised.
    """
    n_bs, _, n_users, n_tx = H.shape
    directions = np.empty((n_bs, n_users, n_tx), dtype=complex)
    for m in range(n_bs):
        channels = H[m].reshape(-1, n_tx)  # BS m to every user, (LK, Nt)
        gram = channels.T @ channels.conj() + regularization[m] * np.eye(n_tx)  # sum h h^H + alpha I
        beams = np.linalg.solve(gram, H[m, m].T).T  # (K, Nt)
        directions[m] = beams / np.linalg.norm(beams, axis=1, keepdims=True)
    return directions


@attrs.frozen(kw_only=True)
class RZFDesigner(FixedDirectionDesigner):
    """ISAC with regularized ZF information beams and optimal powers and R.

    Parameters
    ----------
    solver, options
        As for :class:`isacsim.designers.Designer`.
    """

    name: ClassVar[str] = "rzf"

    def directions(self, problem):
        """RZF directions with ``alpha_m = L K sigma_c^2 / P_max(m)``."""
        n_users_total = problem.n_bs * problem.n_users_per_cell
        return regularized_zero_forcing(problem.H, n_users_total * problem.sigma_c2 / problem.p_max)
