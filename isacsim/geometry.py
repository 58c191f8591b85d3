"""Uniform linear array geometry: steering vectors and angles.

Conventions (stated once, used everywhere)
------------------------------------------
* Positions are 2-D ``(x, y)`` in metres.
* A BS's array *broadside* is an azimuth in radians, measured counter-clockwise
  from the +x axis. By default it points at the network centre, or at a
  ``facing`` point (:meth:`isacsim.Network.from_sites`).
* The angle ``theta`` of a point as seen from a BS is measured from broadside,
  counter-clockwise positive, wrapped to ``(-pi, pi]``.
* The steering vector of an ``n``-element ULA with spacing ``d`` (in
  wavelengths) is ``a(theta)[i] = exp(j 2 pi d i sin(theta))``, ``i = 0..n-1``,
  so ``||a||^2 = n``. The transmit gain of a beam ``w`` towards ``theta`` is
  ``|a(theta)^T w|^2``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["ula_steering", "azimuth", "angle_from_broadside", "distance"]

HALF_WAVELENGTH = 0.5


def ula_steering(n_antennas, theta, spacing=HALF_WAVELENGTH):
    """ULA steering vector(s).

    Parameters
    ----------
    n_antennas : int
        Number of array elements.
    theta : float or array_like, shape (...)
        Angle(s) from broadside [rad].
    spacing : float
        Element spacing [wavelengths]; 0.5 is half-wavelength.

    Returns
    -------
    numpy.ndarray, complex, shape (..., n_antennas)
        ``exp(j 2 pi spacing i sin(theta))``.
    """
    theta = np.asarray(theta, dtype=float)
    phase = 2.0 * np.pi * spacing * np.sin(theta)[..., None] * np.arange(n_antennas)
    return np.exp(1j * phase)


def azimuth(origin, points):
    """Azimuth of ``points`` seen from ``origin``.

    Parameters
    ----------
    origin : array_like, shape (2,)
        Observer position [m].
    points : array_like, shape (..., 2)
        Observed positions [m].

    Returns
    -------
    numpy.ndarray, shape (...)
        Azimuth [rad], counter-clockwise from +x.
    """
    delta = np.asarray(points, dtype=float) - np.asarray(origin, dtype=float)
    return np.arctan2(delta[..., 1], delta[..., 0])


def angle_from_broadside(origin, broadside, points):
    """Angle of ``points`` from an array's broadside, wrapped to (-pi, pi].

    Parameters
    ----------
    origin : array_like, shape (2,)
        Array position [m].
    broadside : float
        Broadside azimuth [rad].
    points : array_like, shape (..., 2)
        Observed positions [m].

    Returns
    -------
    numpy.ndarray, shape (...)
        Angle from broadside [rad].
    """
    angle = azimuth(origin, points) - broadside
    return np.pi - np.mod(np.pi - angle, 2.0 * np.pi)


def distance(origin, points):
    """Euclidean distance [m] from ``origin`` (2,) to ``points`` (..., 2)."""
    delta = np.asarray(points, dtype=float) - np.asarray(origin, dtype=float)
    return np.hypot(delta[..., 0], delta[..., 1])
