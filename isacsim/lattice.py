"""Sites of the hexagonal lattice, in axial coordinates.

A site with axial coordinates ``(q, r)`` stands at
``center + D (q e0 + r e1)``, with ``D`` the inter-site distance and
``e0 = (cos rho, sin rho)``, ``e1 = (cos(rho + 60 deg), sin(rho + 60 deg))``
for a rotation ``rho``. Ring ``k`` holds the ``6 k`` sites at hexagonal
distance ``k`` from the centre (``max(|q|, |r|, |q + r|) = k``), so ``n``
rings and the centre hold ``1 + 3 n (n + 1)`` sites: 7 for one ring, 19 for
two. The cell of a site (the points nearer it than any other site) is a
regular hexagon with inradius ``D / 2``.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from . import validation as v

__all__ = ["hexagonal_sites", "hexagonal_site_count", "hexagonal_rings"]

# Axial steps towards the six neighbours, at 0, 60, ..., 300 deg from e0.
_STEPS = ((1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1))


def _check_rings(n_rings):
    if isinstance(n_rings, bool) or not (isinstance(n_rings, (int, np.integer)) and n_rings >= 1):
        raise InputError(f"n_rings: expected an integer >= 1, got {v.shown(n_rings)}")


def hexagonal_site_count(n_rings):
    """Number of sites of the centre plus ``n_rings`` rings: ``1 + 3 n (n + 1)``."""
    _check_rings(n_rings)
    return 1 + 3 * int(n_rings) * (int(n_rings) + 1)


def hexagonal_rings(n_sites):
    """The number of rings ``n >= 1`` with ``1 + 3 n (n + 1) == n_sites``.

    Raises
    ------
    ValueError
        If ``n_sites`` is no such count (7, 19, 37, ...).
    """
    if isinstance(n_sites, (int, np.integer)) and not isinstance(n_sites, bool):
        n_rings = 1
        while hexagonal_site_count(n_rings) < n_sites:
            n_rings += 1
        if hexagonal_site_count(n_rings) == n_sites:
            return n_rings
    raise InputError(f"n_sites: expected a hexagonal site count 1 + 3 n (n + 1) (7, 19, 37, ...), got {v.shown(n_sites)}")


def _axial(n_rings):
    """Axial coordinates: the centre, then each ring counter-clockwise from ``(k, 0)``."""
    coordinates = [(0, 0)]
    for k in range(1, n_rings + 1):
        q, r = k, 0
        for side in range(6):
            dq, dr = _STEPS[(side + 2) % 6]
            for _ in range(k):
                coordinates.append((q, r))
                q, r = q + dq, r + dr
    return np.array(coordinates, dtype=float)


def hexagonal_sites(n_rings, inter_site_distance, *, center=(0.0, 0.0), rotation=0.0):
    """Site positions of a hexagonal layout with a site at the centre.

    Parameters
    ----------
    n_rings : int
        Rings of sites around the centre site, >= 1 (1: 7 sites, 2: 19).
    inter_site_distance : float
        Distance between neighbouring sites D [m], > 0.
    center : (float, float)
        Position of the centre site [m].
    rotation : float
        Azimuth of the first neighbour of the centre site [rad],
        counter-clockwise from +x; the six neighbours stand at
        ``rotation + k pi / 3``.

    Returns
    -------
    numpy.ndarray, shape (1 + 3 n_rings (n_rings + 1), 2)
        Positions [m]: the centre site, then ring 1, ring 2, ..., each ring
        counter-clockwise from its site at azimuth ``rotation``.
    """
    _check_rings(n_rings)
    v.require_positive("inter_site_distance", inter_site_distance)
    center = v.require_point("center", center)
    v.require_real("rotation", rotation)
    basis = inter_site_distance * np.array(
        [[np.cos(rotation), np.sin(rotation)], [np.cos(rotation + np.pi / 3), np.sin(rotation + np.pi / 3)]]
    )
    return np.asarray(center) + _axial(int(n_rings)) @ basis
