"""`ClutterScene`: static scatterers around the target area."""
from __future__ import annotations

import attrs
import numpy as np

from .. import validation as v
from ..errors import InputError

__all__ = ["ClutterScene", "COHERENCES"]

#: How a scatterer's reflection coefficient varies across the links: one
#: coefficient seen by every link (a point scatterer), or an independent one
#: per link (widely separated BSs see decorrelated bistatic reflections).
COHERENCES = ("common", "links")


def _points(value):
    return v.as_array("points", value, kind="float", shape=(None, 2))


def _rcs(value):
    return v.as_array("rcs", value, kind="float", shape=(None,), non_negative=True)


def _coherence(instance, attribute, value):
    if value not in COHERENCES:
        raise InputError(f"coherence: expected one of {', '.join(COHERENCES)}, got {value!r}")


@attrs.frozen(kw_only=True)
class ClutterScene:
    """Static scatterers: positions and reflection coefficients.

    Each scatterer c reflects like the target (:class:`isacsim.RadarLink`)
    with a random coefficient of mean power ``rcs[c]^2``, complex Gaussian
    (unknown phase), independent across scatterers.

    Parameters
    ----------
    points : array_like, shape (C, 2)
        Positions [m].
    rcs : array_like, shape (C,)
        Amplitude reflection coefficients (``zeta_c``, as the target's
        ``rcs``), >= 0.
    coherence : {"common", "links"}
        One coefficient per scatterer for all links, or one per link
        (:data:`COHERENCES`).
    """

    points: np.ndarray = attrs.field(converter=_points, eq=attrs.cmp_using(eq=np.array_equal))
    rcs: np.ndarray = attrs.field(converter=_rcs, eq=attrs.cmp_using(eq=np.array_equal))
    coherence: str = attrs.field(default="common", validator=_coherence)

    def __attrs_post_init__(self):
        if self.points.shape[0] != self.rcs.shape[0]:
            raise InputError(f"rcs: expected one coefficient per point ({self.points.shape[0]}), got {self.rcs.shape[0]}")
        if self.points.shape[0] < 1:
            raise InputError("points: expected at least one scatterer")

    @property
    def n_scatterers(self) -> int:
        """Number of scatterers C."""
        return self.points.shape[0]

    @property
    def total_power(self) -> float:
        """``sum_c rcs_c^2``: the scene's total mean reflection power (the target's is ``rcs^2``)."""
        return float(np.sum(self.rcs**2))

    def scaled_to(self, total_power: float) -> ClutterScene:
        """The same scene with every ``rcs_c^2`` scaled so that they sum to ``total_power``."""
        v.require_real("total_power", total_power)
        if total_power < 0:
            raise InputError(f"total_power: expected a power >= 0, got {total_power!r}")
        if self.total_power == 0:
            raise InputError("rcs: every scatterer has rcs 0; a scene without power cannot be scaled")
        return attrs.evolve(self, rcs=self.rcs * np.sqrt(total_power / self.total_power))

    @classmethod
    def patch(cls, center: tuple[float, float] = (0.0, 0.0), side: float = 10.0, n_per_side: int = 5, *, total_power: float = 1.0, exclude_side: float = 0.0, coherence: str = "common") -> ClutterScene:
        """A square clutter patch sampled into a uniform grid of equal scatterers.

        Parameters
        ----------
        center : (float, float)
            Centre of the patch [m].
        side : float
            Side of the patch [m], > 0; the grid spans it edge to edge.
        n_per_side : int
            Scatterers per side, >= 2.
        total_power : float
            ``sum_c rcs_c^2`` of the whole patch (shared equally).
        exclude_side : float
            Leave out the points inside a centred square of this side [m]
            (e.g. the target area itself); 0 keeps every point.
        coherence : {"common", "links"}

        Returns
        -------
        ClutterScene
        """
        center = v.require_point("center", center)
        v.require_positive("side", side)
        if not (isinstance(n_per_side, (int, np.integer)) and n_per_side >= 2):
            raise InputError(f"n_per_side: expected an integer >= 2, got {n_per_side!r}")
        v.require_real("exclude_side", exclude_side)
        offsets = np.linspace(-side / 2, side / 2, n_per_side)
        xx, yy = np.meshgrid(offsets, offsets, indexing="xy")
        keep = np.maximum(np.abs(xx), np.abs(yy)).ravel() > exclude_side / 2
        if not np.any(keep):
            raise InputError(f"exclude_side: {exclude_side!r} m leaves no point of a {side!r} m patch")
        points = np.column_stack([xx.ravel()[keep] + center[0], yy.ravel()[keep] + center[1]])
        scene = cls(points=points, rcs=np.ones(points.shape[0]), coherence=coherence)
        return scene.scaled_to(total_power)
