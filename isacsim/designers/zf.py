"""Benchmark: coordinated zero-forcing information beams, eq. (44)."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs
import numpy as np

from .design import NoBeamDirection
from .fixed import FixedDirectionDesigner

if TYPE_CHECKING:
    from ..problem import DesignProblem

__all__ = ["ZFDesigner", "zero_forcing_directions"]


def zero_forcing_directions(H: np.ndarray) -> np.ndarray:
    """Coordinated ZF directions: each user's beam nulls the other LK - 1 users.

    ``w_mk`` is the projection of the user's own channel ``h_{m,m,k}`` onto
    the null space of BS m's channels to all the *other* ``LK - 1`` users,
    normalised.

    Parameters
    ----------
    H : numpy.ndarray, complex, shape (L, L, K, Nt)

    Returns
    -------
    numpy.ndarray, complex, shape (L, K, Nt)
        Unit-norm directions.

    Raises
    ------
    NoBeamDirection
        If ``Nt < L K`` (zero-forcing does not exist for this configuration;
        no users are singled out), or if a user's own channel lies in the
        span of the others' (the channel realization admits no ZF beam for
        that user). Either way the design is infeasible.
    """
    n_bs, _, n_users, n_tx = H.shape
    if n_tx < n_bs * n_users:  # no design exists: a result (infeasible), not an input error
        raise NoBeamDirection(f"zero-forcing needs at least L*K = {n_bs * n_users} transmit antennas per BS, got Nt = {n_tx}", [])
    directions = np.empty((n_bs, n_users, n_tx), dtype=complex)
    degenerate = []
    for m in range(n_bs):
        channels = H[m].reshape(-1, n_tx)  # BS m to every user, (LK, Nt)
        for k in range(n_users):
            own = m * n_users + k
            others = np.delete(channels, own, axis=0).T  # (Nt, LK - 1)
            u, s, _ = np.linalg.svd(others, full_matrices=False)
            basis = u[:, s > 1e-10 * s.max()] if s.size and s.max() > 0 else u[:, :0]  # their true span
            residual = channels[own] - basis @ (basis.conj().T @ channels[own])
            norm = np.linalg.norm(residual)
            if norm <= 1e-9 * np.linalg.norm(channels[own]):
                degenerate.append((m, k))
                continue
            directions[m, k] = residual / norm
    if degenerate:
        raise NoBeamDirection("the own channel lies in the span of the other users' channels", degenerate)
    return directions


@attrs.frozen(kw_only=True)
class ZFDesigner(FixedDirectionDesigner):
    """ISAC with coordinated ZF information beams and optimal powers and R.

    The information beams of (44) null every other user's interference; their
    powers and the sensing covariances solve (ZF1.1)-(ZF4.1).
    """

    name: ClassVar[str] = "zf"
    label: ClassVar[str] = "ZF"

    def directions(self, problem: DesignProblem) -> np.ndarray:
        """ZF directions of :func:`zero_forcing_directions`."""
        return zero_forcing_directions(problem.H)
