"""User receiver strategies: which terms of eq. (2) count as interference.

A receiver removes a fraction ``1 - sensing_leakage`` of the dedicated
sensing signals' interference before decoding:

* :class:`TypeI` cannot cancel it (``sensing_leakage = 1``), eq. (3);
* :class:`TypeII` cancels it completely (``sensing_leakage = 0``), eq. (4).

Subclass :class:`Receiver` with another ``name`` and ``sensing_leakage`` in
[0, 1] (e.g. imperfect cancellation); the SDR designer handles any such
receiver.
"""
from __future__ import annotations

from typing import ClassVar
from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from . import validation as v

if TYPE_CHECKING:
    from .problem import DesignProblem
    from .stack import ProblemStack

__all__ = ["Receiver", "TypeI", "TypeII", "received_powers", "sensing_interference", "sensing_interference_by_bs"]


def received_powers(problem: DesignProblem | ProblemStack, w: np.ndarray) -> npt.NDArray[np.float64]:
    """Power of every information beam at every user.

    With statistical CSI error (``problem.csi_error_var``) ``H`` is the
    estimate and the power is its expectation over the error,
    ``|h^H w|^2 + csi_error_var ||w||^2``.

    Every function of this module also takes a stack of problems and designs
    (leading batch axes on every array, as from
    :func:`isacsim.stack.stack_problems`).

    Parameters
    ----------
    problem : DesignProblem
    w : numpy.ndarray, complex, shape (L, K, Nt)
        ``w[l, i]``: beam of BS l for its user i.

    Returns
    -------
    numpy.ndarray, float, shape (L, K, L, K)
        ``P[l, i, m, k] = |h_{l,m,k}^H w_{l,i}|^2`` [W] (in expectation).
    """
    amplitude = np.einsum("...lmkn,...lin->...limk", problem.H.conj(), w)
    powers = amplitude.real**2 + amplitude.imag**2
    if problem.csi_error_var is not None:
        beam_power = np.einsum("...lin,...lin->...li", w.conj(), w).real
        powers = powers + beam_power[..., None, None] * problem.csi_error_var[..., :, None, :, :]
    return powers


def sensing_interference_by_bs(problem: DesignProblem | ProblemStack, R: np.ndarray) -> npt.NDArray[np.float64]:
    """Power of each BS's dedicated sensing signal at every user.

    Parameters
    ----------
    problem : DesignProblem
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Sensing covariance of every BS [W].

    Returns
    -------
    numpy.ndarray, float, shape (L, L, K)
        ``[l, m, k] = h_{l,m,k}^H R_l h_{l,m,k}`` [W], plus
        ``csi_error_var[l, m, k] tr R_l`` in expectation over a CSI error.
    """
    powers = np.einsum("...lmkn,...lnp,...lmkp->...lmk", problem.H.conj(), R, problem.H).real
    if problem.csi_error_var is not None:
        powers = powers + np.einsum("...lnn->...l", R).real[..., None, None] * problem.csi_error_var
    return powers


def sensing_interference(problem: DesignProblem | ProblemStack, R: np.ndarray) -> npt.NDArray[np.float64]:
    """Total power of the dedicated sensing signals at every user.

    Returns
    -------
    numpy.ndarray, float, shape (L, K)
        ``sum_l h_{l,m,k}^H R_l h_{l,m,k}`` [W] for user k of cell m.
    """
    return sensing_interference_by_bs(problem, R).sum(axis=-3)


@attrs.frozen
class Receiver:
    """Base receiver: SINR with a fraction of sensing interference left.

    Attributes
    ----------
    name : str
        Registry name (class attribute).
    sensing_leakage : float
        Fraction in [0, 1] of the sensing signals' power that remains as
        interference after cancellation (class attribute).
    """

    name: ClassVar[str] = "receiver"
    sensing_leakage: ClassVar[float] = 1.0

    def sinr(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
        """Linear SINR of every user, eqs. (3)/(4).

        Parameters
        ----------
        problem : DesignProblem
        w : array_like, complex, shape (L, K, Nt)
            Information beams.
        R : array_like, complex, shape (L, Nt, Nt)
            Sensing covariances.

        Returns
        -------
        numpy.ndarray, float, shape (L, K)
            SINR of user k of cell m [linear]; under statistical CSI error
            (``problem.csi_error_var``), expected signal power over expected
            interference plus noise.

        Raises
        ------
        ValueError
            If ``w`` or ``R`` does not have the problem's shape (naming it).
        """
        w, R = v.as_beams(problem, w, R)
        powers = received_powers(problem, w)
        users = np.arange(problem.n_users_per_cell)
        cells = np.arange(problem.n_bs)
        signal = powers[..., cells[:, None], users[None, :], cells[:, None], users[None, :]]
        interference = powers.sum(axis=(-4, -3)) - signal
        if self.sensing_leakage:
            interference = interference + self.sensing_leakage * sensing_interference(problem, R)
        return signal / (interference + problem.sigma_c2)


@attrs.frozen
class TypeI(Receiver):
    """Type-I user: cannot cancel the dedicated sensing signals, eq. (3)."""

    name: ClassVar[str] = "type-i"
    sensing_leakage: ClassVar[float] = 1.0


@attrs.frozen
class TypeII(Receiver):
    """Type-II user: cancels the dedicated sensing signals, eq. (4)."""

    name: ClassVar[str] = "type-ii"
    sensing_leakage: ClassVar[float] = 0.0
