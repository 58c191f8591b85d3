"""Channel models: communication links (Rayleigh, LoS or both) and radar echoes.

Each model is a frozen value object. ``draw(network, rng)`` returns the
communication channels ``H`` and ``gains(network, points)`` the radar echo
gains ``G`` in the layouts of :class:`isacsim.DesignProblem`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from .errors import InputError
from . import validation as v
from .geometry import distance, ula_steering
from .units import db_to_linear

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "path_gain",
    "RayleighFading",
    "LineOfSight",
    "OwnCellLineOfSight",
    "RadarLink",
    "steering_matrix",
    "DEFAULT_KAPPA_C_DB",
    "DEFAULT_PATH_LOSS_EXPONENT",
    "DEFAULT_KAPPA_R_DB",
]

#: Communication path gain at 1 m [dB]. The paper gives none; -55 dB puts the
#: strongest single-beam SNR of a paper CU (46 m, Nt = 32, 15 W) near 36 dB,
#: so SINR targets of 0-30 dB range from nearly free to costly (README).
DEFAULT_KAPPA_C_DB = -55.0
#: Communication path-loss exponent nu.
DEFAULT_PATH_LOSS_EXPONENT = 3.0
#: One-way radar path gain at 1 m [dB]. The paper gives none; -49 dB puts the
#: best synchronized p_D of Figs. 3-5 near 0.8 and the unsynchronized near 0.2
#: (README, conventions).
DEFAULT_KAPPA_R_DB = -49.0


def path_gain(dist: npt.ArrayLike, kappa_db: float, exponent: float, d0: float = 1.0) -> npt.NDArray[np.float64]:
    """Distance path loss ``mu = kappa (d / d0) ** (-nu)`` as a power gain.

    Parameters
    ----------
    dist : array_like
        Link distances [m], > 0.
    kappa_db : float
        Gain at the reference distance ``d0`` [dB] (e.g. -30).
    exponent : float
        Path-loss exponent nu.
    d0 : float
        Reference distance [m].

    Returns
    -------
    numpy.ndarray
        Linear power gain, same shape as ``dist``.
    """
    return db_to_linear(kappa_db) * (np.asarray(dist, dtype=float) / d0) ** (-exponent)


def _user_distances(network):
    """Distances BS l -> user k of cell m, shape (L, L, K) [m]."""
    users = network.user_positions  # (L, K, 2)
    return np.stack([distance(bs.position, users) for bs in network.base_stations])


def _user_angles(network):
    """Angles of user k of cell m from BS l's broadside, shape (L, L, K) [rad]."""
    users = network.user_positions
    return np.stack([network.angles_from(l, users) for l in range(network.n_bs)])


@attrs.frozen(kw_only=True)
class _DistancePathLoss:
    """The path loss ``mu = kappa (d / d0)^(-nu)`` shared by the communication
    models; its fields are described in :class:`RayleighFading`."""

    kappa_db: float = attrs.field(default=DEFAULT_KAPPA_C_DB, validator=v.finite)
    exponent: float = attrs.field(default=DEFAULT_PATH_LOSS_EXPONENT, validator=v.positive)
    d0: float = attrs.field(default=1.0, validator=v.positive)

    def _amplitudes(self, network):
        """``sqrt(mu)`` of every BS -> user link, shape (L, L, K)."""
        return np.sqrt(path_gain(_user_distances(network), self.kappa_db, self.exponent, self.d0))


@attrs.frozen(kw_only=True)
class RayleighFading(_DistancePathLoss):
    """Rayleigh fading with distance path loss.

    ``h_{l,m,k} ~ CN(0, mu_{l,m,k} I)`` with ``mu = kappa (d / d0)^(-nu)`` and
    ``d`` the distance from BS l to user k of cell m.

    Parameters
    ----------
    kappa_db : float
        Path gain at ``d0`` [dB].
    exponent : float
        Path-loss exponent nu, > 0.
    d0 : float
        Reference distance [m].
    """

    def draw(self, network: Network, rng: np.random.Generator) -> npt.NDArray[np.complex128]:
        """Draw one realization of every BS -> user channel.

        Parameters
        ----------
        network : Network
        rng : numpy.random.Generator

        Returns
        -------
        numpy.ndarray, complex, shape (L, L, K, Nt)
            ``H[l, m, k]``: channel from BS l to user k of cell m.
        """
        amplitude = self._amplitudes(network)
        shape = amplitude.shape + (network.n_tx,)
        fading = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
        return amplitude[..., None] * fading


@attrs.frozen(kw_only=True)
class LineOfSight(_DistancePathLoss):
    """Deterministic line-of-sight channels along the ULA steering vector.

    ``h_{l,m,k} = sqrt(mu) conj(a(theta))``, with ``theta`` the user's angle
    from BS l's broadside, so that the received amplitude
    ``h^H w = sqrt(mu) a(theta)^T w`` matches the transmit-gain convention.
    Every BS -> user link is LoS, across cells too.

    Parameters
    ----------
    kappa_db, exponent, d0
        Path loss as for :class:`RayleighFading`.
    """

    def draw(self, network: Network, rng: np.random.Generator | None = None) -> npt.NDArray[np.complex128]:
        """The LoS channels (``rng`` is accepted for a common interface and unused).

        Returns
        -------
        numpy.ndarray, complex, shape (L, L, K, Nt)
        """
        return self._amplitudes(network)[..., None] * np.conj(ula_steering(network.n_tx, _user_angles(network)))


@attrs.frozen(kw_only=True)
class OwnCellLineOfSight(_DistancePathLoss):
    """LoS from each BS to the users of its own cell, Rayleigh fading across cells.

    The other reading of the paper's Fig. 6 ("the LoS channel ... from each
    BS to its respective CU"): ``h_{l,l,k}`` is the :class:`LineOfSight`
    channel and ``h_{l,m,k}``, ``m != l``, the :class:`RayleighFading` one,
    both with the same path loss. The cross-cell links are random, so a
    sweep needs several realizations.

    Parameters
    ----------
    kappa_db, exponent, d0
        Path loss as for :class:`RayleighFading`.
    """

    def draw(self, network: Network, rng: np.random.Generator) -> npt.NDArray[np.complex128]:
        """One realization: LoS own-cell links, Rayleigh cross-cell links.

        Returns
        -------
        numpy.ndarray, complex, shape (L, L, K, Nt)
        """
        path_loss = attrs.asdict(self)
        channels = RayleighFading(**path_loss).draw(network, rng)
        own = np.arange(network.n_bs)
        channels[own, own] = LineOfSight(**path_loss).draw(network)[own, own]
        return channels


def _as_rcs(value):
    if np.ndim(value) == 0:
        return float(value)
    return tuple(tuple(float(x) for x in row) for row in np.asarray(value, dtype=float))


def _check_rcs(instance, attribute, value):
    array = np.asarray(value, dtype=float)
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
        raise InputError(f"rcs: expected finite reflection coefficients >= 0, got {v.shown(value)}")
    if array.ndim not in (0, 2):
        raise InputError(f"rcs: expected a number or an (L, L) matrix, got shape {array.shape}")


@attrs.frozen(kw_only=True)
class RadarLink:
    """Round-trip echo gains of the target, eq. (7) and below.

    ``G[q, m, l] = zeta_{m,l}^2 beta_{m,l}``, ``beta = kappa^2 d_ref^4 / (d_l^2 d_m^2)``
    for the path BS l -> point q -> BS m, with ``d_l`` the BS-l-to-point distance.
    ``kappa`` is the one-way gain at ``d_ref``, so ``kappa_db = -50`` means
    ``kappa = 1e-5`` and ``kappa^2 = 1e-10``.

    Parameters
    ----------
    kappa_db : float
        One-way radar path gain at ``d_ref`` [dB].
    rcs : float or (L, L) array_like
        Reflection coefficient zeta (amplitude, >= 0), shared by every link or
        per link ``[m][l]``.
    d_ref : float
        Reference distance [m].
    """

    kappa_db: float = attrs.field(default=DEFAULT_KAPPA_R_DB, validator=v.finite)
    rcs: float | tuple = attrs.field(default=1.0, converter=_as_rcs, validator=_check_rcs)
    d_ref: float = attrs.field(default=1.0, validator=v.positive)

    def gains(self, network: Network, points: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Echo gains for every sample point and link.

        Parameters
        ----------
        network : Network
        points : array_like, shape (Q, 2)
            Target positions [m].

        Returns
        -------
        numpy.ndarray, float, shape (Q, L, L)
            ``G[q, m, l]`` (receiving BS m, transmitting BS l).
        """
        rcs = np.asarray(self.rcs, dtype=float)
        if rcs.ndim == 2 and rcs.shape != (network.n_bs, network.n_bs):
            raise InputError(f"rcs: expected an ({network.n_bs}, {network.n_bs}) matrix, got {rcs.shape}")
        d = np.stack([distance(bs.position, points) for bs in network.base_stations], axis=-1)  # (Q, L)
        if np.any(d <= 0):
            raise InputError("points: a target sample point coincides with a BS position")
        kappa = db_to_linear(self.kappa_db)
        beta = kappa**2 * self.d_ref**4 / (d[:, :, None] ** 2 * d[:, None, :] ** 2)
        return rcs**2 * beta


def steering_matrix(network: Network, points: npt.ArrayLike) -> npt.NDArray[np.complex128]:
    """Transmit steering vectors of every BS towards every point.

    Parameters
    ----------
    network : Network
    points : array_like, shape (Q, 2)
        Positions [m].

    Returns
    -------
    numpy.ndarray, complex, shape (Q, L, Nt)
        ``A[q, l] = a(theta_{q,l})``; the gain of beam ``w`` is ``|A[q, l] @ w|^2``.
    """
    angles = np.stack([network.angles_from(l, points) for l in range(network.n_bs)], axis=-1)  # (Q, L)
    return ula_steering(network.n_tx, angles)
