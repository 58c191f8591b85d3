"""Sample points of the area in which the target is to be detected."""
from __future__ import annotations

import attrs
import numpy as np

from .errors import InputError
from . import validation as v
from .limits import require_memory

__all__ = ["TargetGrid"]


def _as_points(value):
    try:
        return np.array(value, dtype=float, ndmin=2)
    except (TypeError, ValueError) as error:
        raise InputError(f"points: expected an array of (x, y) positions [m], got {v.shown(value)}") from error


def _check_points(instance, attribute, value):
    if value.ndim != 2 or value.shape[1] != 2 or value.shape[0] < 1:
        raise InputError(f"points: expected shape (Q, 2) with Q >= 1, got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise InputError("points: expected finite coordinates, found NaN or inf")


@attrs.frozen(kw_only=True)
class TargetGrid:
    """Q candidate target locations.

    Parameters
    ----------
    points : array_like, shape (Q, 2)
        Locations ``(x, y)`` [m].
    """

    points: np.ndarray = attrs.field(converter=_as_points, validator=_check_points, eq=attrs.cmp_using(eq=np.array_equal))

    @property
    def n_points(self) -> int:
        """Number of sample points Q."""
        return self.points.shape[0]

    @classmethod
    def square(cls, center: tuple[float, float] = (0.0, 0.0), side: float = 2.0, n_per_side: int = 3) -> TargetGrid:
        """A uniform ``n_per_side`` x ``n_per_side`` grid over a square.

        The points span the square edge to edge, so the corners are sampled
        (the paper's 2 m x 2 m area with a 3 x 3 grid has Q = 9 points at
        -1, 0, +1 m around the centre).

        Parameters
        ----------
        center : (float, float)
            Centre of the square [m].
        side : float
            Side length [m], > 0.
        n_per_side : int
            Points per side, >= 1 (1 gives the centre only).

        Raises
        ------
        ValueError
            Naming the argument: ``side`` not > 0, ``n_per_side`` not an
            integer >= 1, or a grid too large for the memory limit
            (:mod:`isacsim.limits`).
        """
        center = v.require_point("center", center)
        v.require_positive("side", side)
        if isinstance(n_per_side, bool) or not (isinstance(n_per_side, (int, np.integer)) and n_per_side >= 1):
            raise InputError(f"n_per_side: expected an integer >= 1, got {v.shown(n_per_side)}")
        n_points = int(n_per_side) ** 2
        # the points, and the meshgrid and stacking on the way: four (Q, 2) float arrays
        require_memory(f"n_per_side: a grid of {n_per_side}^2 = {n_points} points", 4 * 16 * n_points, advice="use fewer points per side")
        offsets = np.linspace(-side / 2, side / 2, n_per_side) if n_per_side > 1 else np.zeros(1)
        xx, yy = np.meshgrid(center[0] + offsets, center[1] + offsets, indexing="xy")
        return cls(points=np.column_stack([xx.ravel(), yy.ravel()]))
