"""`ClutterEchoes`: the arrays of a clutter scene seen by one network.

A scatterer's echo travels the same links as the target's: BS l transmits
its covariance towards the scatterer, the scatterer reflects with its random
coefficient, and BS m receives it on its array. At the output of the matched
filter of link (m, l) and stream b (eqs. (8)-(9)) scatterer c contributes

    ``g_c rho_{q,c,m,l} sqrt(beta^c_{m,l}) a_{r,m}(phi_{c,m}) a_{t,l}(phi_{c,l})^T w_b``,

next to the target's ``sqrt(G[q,m,l]) a_{r,m}(theta_{q,m}) a_{t,l}(theta_{q,l})^T w_b``:
``g_c ~ CN(0, rcs_c^2)``, ``beta^c`` the round-trip path gain of
:class:`isacsim.RadarLink`, and ``rho`` the matched filter's response to
the scatterer's delay offset from the target's, ``sinc(D / T_s)`` for
band-limited pulses of symbol time ``T_s`` (1 without range gating: every
scatterer in the target's resolution cell). Unlike the target's, the
clutter's receive steering matters: it is not the target's direction, so a
detector can partly separate them.

This module holds only those geometric arrays; :mod:`isacsim.clutter.scnr`
turns them, with a design, into the detectors' laws.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from .. import validation as v
from ..channels import RadarLink, steering_matrix
from ..errors import InputError
from ..geometry import distance, ula_steering
from .scene import COHERENCES

if TYPE_CHECKING:
    from ..network import Network
    from ..problem import DesignProblem
    from ..scenario import ScenarioConfig
    from ..stack import ProblemStack
    from ..targets import TargetGrid
    from .scene import ClutterScene

__all__ = ["ClutterEchoes", "SPEED_OF_LIGHT"]

#: [m/s]
SPEED_OF_LIGHT = 299_792_458.0
_EQ = attrs.cmp_using(eq=np.array_equal)


def _array(kind, ndim, **checks):
    def convert(value, field):
        return v.as_array(field.name, value, kind=kind, shape=(None,) * ndim, **checks)

    return attrs.Converter(convert, takes_field=True)


@attrs.frozen(kw_only=True)
class ClutterEchoes:
    """Clutter arrays for a problem's network and sample points.

    Parameters
    ----------
    A : array_like, complex, shape (C, L, Nt)
        Transmit steering of every BS towards every scatterer (as
        ``DesignProblem.A``).
    gain : array_like, float, shape (C, L, L)
        ``rcs_c^2 beta^c_{m,l}``: mean echo gain of scatterer c on link
        l -> c -> m, >= 0.
    rx_points : array_like, complex, shape (Q, L, Nr)
        Receive steering of BS m towards every sample point.
    rx_clutter : array_like, complex, shape (C, L, Nr)
        Receive steering of BS m towards every scatterer.
    gating : array_like, float, shape (Q, C, L, L)
        Matched-filter amplitude ``rho`` of scatterer c on link (m, l) when
        the filter is set on sample point q.
    coherence : {"common", "links"}
        One coefficient per scatterer, or one per scatterer and link.
    """

    # Converters made by a factory: mypy's attrs plugin follows only named functions and
    # lambdas, so these fields' __init__ parameters are typed Any.
    A: np.ndarray = attrs.field(converter=_array("complex", 3), eq=_EQ)  # type: ignore[misc]
    gain: np.ndarray = attrs.field(converter=_array("float", 3, non_negative=True), eq=_EQ)  # type: ignore[misc]
    rx_points: np.ndarray = attrs.field(converter=_array("complex", 3), eq=_EQ)  # type: ignore[misc]
    rx_clutter: np.ndarray = attrs.field(converter=_array("complex", 3), eq=_EQ)  # type: ignore[misc]
    gating: np.ndarray = attrs.field(converter=_array("float", 4), eq=_EQ)  # type: ignore[misc]
    coherence: str = attrs.field(default="common")

    def __attrs_post_init__(self):
        if self.coherence not in COHERENCES:
            raise InputError(f"coherence: expected one of {', '.join(COHERENCES)}, got {self.coherence!r}")
        n_clutter, n_bs, _ = self.A.shape
        n_points, _, n_rx = self.rx_points.shape
        expected = {"gain": (n_clutter, n_bs, n_bs), "rx_points": (n_points, n_bs, n_rx),
                    "rx_clutter": (n_clutter, n_bs, n_rx), "gating": (n_points, n_clutter, n_bs, n_bs)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise InputError(f"{name}: expected shape {shape} to match A {self.A.shape}, got {getattr(self, name).shape}")

    @property
    def n_scatterers(self) -> int:
        """Number of scatterers C."""
        return self.A.shape[0]

    def check(self, problem: DesignProblem | ProblemStack) -> None:
        """Raise InputError unless these arrays fit ``problem`` (L, Nt, Nr, Q)."""
        n_clutter, n_bs, n_tx = self.A.shape
        n_points, _, n_rx = self.rx_points.shape
        if (n_bs, n_tx, n_rx, n_points) != (problem.n_bs, problem.n_tx, problem.n_rx, problem.n_points):
            raise InputError(
                f"clutter: built for L={n_bs}, Nt={n_tx}, Nr={n_rx}, Q={n_points}; the problem has "
                f"L={problem.n_bs}, Nt={problem.n_tx}, Nr={problem.n_rx}, Q={problem.n_points}"
            )

    def scaled(self, factor: float) -> ClutterEchoes:
        """The same scene with every scatterer's power multiplied by ``factor`` >= 0."""
        v.require_real("factor", factor)
        if factor < 0:
            raise InputError(f"factor: expected a power ratio >= 0, got {factor!r}")
        return attrs.evolve(self, gain=self.gain * factor)

    @classmethod
    def build(cls, network: Network, grid: TargetGrid, scene: ClutterScene, radar: RadarLink | None = None, *, symbol_duration: float | None = None) -> ClutterEchoes:
        """The arrays of ``scene`` seen by ``network`` around the sample points of ``grid``.

        Parameters
        ----------
        network : Network
        grid : TargetGrid
            The problem's sample points.
        scene : ClutterScene
        radar : RadarLink or None
            Path-loss law (its ``kappa_db`` and ``d_ref``; the scene carries
            the coefficients). Default :class:`RadarLink`'s.
        symbol_duration : float or None
            ``T_s`` [s] for range gating; None puts every scatterer in the
            target's resolution cell.

        Returns
        -------
        ClutterEchoes
        """
        radar = RadarLink() if radar is None else radar
        points, clutter = np.asarray(grid.points, dtype=float), scene.points
        unit = RadarLink(kappa_db=radar.kappa_db, rcs=1.0, d_ref=radar.d_ref)
        gain = unit.gains(network, clutter) * (scene.rcs**2)[:, None, None]
        n_bs = network.n_bs
        angles_points = np.stack([network.angles_from(l, points) for l in range(n_bs)], axis=-1)
        angles_clutter = np.stack([network.angles_from(l, clutter) for l in range(n_bs)], axis=-1)
        gating = np.ones((points.shape[0], clutter.shape[0], n_bs, n_bs))
        if symbol_duration is not None:
            v.require_positive("symbol_duration", symbol_duration)
            d_points = np.stack([distance(bs.position, points) for bs in network.base_stations], axis=-1)  # (Q, L)
            d_clutter = np.stack([distance(bs.position, clutter) for bs in network.base_stations], axis=-1)  # (C, L)
            path_points = d_points[:, :, None] + d_points[:, None, :]  # (Q, m, l)
            path_clutter = d_clutter[:, :, None] + d_clutter[:, None, :]
            offset = (path_clutter[None] - path_points[:, None]) / (SPEED_OF_LIGHT * symbol_duration)
            gating = np.sinc(offset)
        return cls(
            A=steering_matrix(network, clutter),
            gain=gain,
            rx_points=ula_steering(network.n_rx, angles_points),
            rx_clutter=ula_steering(network.n_rx, angles_clutter),
            gating=gating,
            coherence=scene.coherence,
        )

    @classmethod
    def from_config(cls, config: ScenarioConfig, scene: ClutterScene, *, symbol_duration: float | None = None) -> ClutterEchoes:
        """:meth:`build` for a :class:`~isacsim.scenario.ScenarioConfig`'s network, grid and radar link.

        The problems of ``config.build(rng)`` share these arrays (the clutter
        is geometric; only the users' channels are random).
        """
        return cls.build(config.network(), config.grid(), scene, config.radar_model(), symbol_duration=symbol_duration)
