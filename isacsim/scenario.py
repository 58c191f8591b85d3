"""`ScenarioConfig`: every scalar that defines a family of design problems.

A configuration plus a seeded generator gives one :class:`DesignProblem`.
It is plain data (JSON-friendly), so a sweep changes one field with
:meth:`ScenarioConfig.evolve` and a run records exactly what it computed.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .errors import InputError
from . import validation as v
from .channels import (
    DEFAULT_KAPPA_C_DB,
    DEFAULT_KAPPA_R_DB,
    DEFAULT_PATH_LOSS_EXPONENT,
    LineOfSight,
    OwnCellLineOfSight,
    RadarLink,
    RayleighFading,
)
from .lattice import hexagonal_rings
from .limits import require_memory
from .network import PAPER_INTER_SITE_DISTANCE, Network
from .problem import DesignProblem
from .targets import TargetGrid

if TYPE_CHECKING:
    from .channels import RadarLink
    from .network import Network
    from .targets import TargetGrid

__all__ = ["ScenarioConfig", "realization_rng", "realization_seed", "parse_assignments", "CHANNELS", "AREA_CENTRE"]

#: Communication channel models by name: Rayleigh fading on every link, LoS
#: on every link (cross-cell ones included), or LoS to the own cell's users
#: and Rayleigh fading across cells.
CHANNELS = {"rayleigh": RayleighFading, "los": LineOfSight, "los-own": OwnCellLineOfSight}
#: Centre of the target area [m]; every BS's broadside faces it.
AREA_CENTRE = (0.0, 0.0)


def _optional_finite(instance, attribute, value):
    if value is not None:
        v.finite(instance, attribute, value)


def _known_channel(instance, attribute, value):
    if value not in CHANNELS:
        raise InputError(f"channel: expected one of {', '.join(CHANNELS)}, got {v.shown(value)}")


def _cell_count(instance, attribute, value):
    v.integer_at_least(1)(instance, attribute, value)
    if value != 3:
        try:
            hexagonal_rings(value)
        except ValueError:
            raise InputError(
                f"n_cells: expected 3 (the paper's layout) or a hexagonal count 1 + 3 n (n + 1) (7, 19, 37, ...), got {v.shown(value)}"
            ) from None


@attrs.frozen(kw_only=True)
class ScenarioConfig:
    """The paper's Section V setting, with every choice a parameter.

    Parameters
    ----------
    n_cells : int
        L, the number of BSs. 3 (default) is the paper's layout
        (:meth:`Network.paper_layout`). 7, 19, ... (``1 + 3 n (n + 1)``) is
        a hexagonal layout with ``n`` rings (:meth:`Network.hexagonal`) on
        the same lattice: its centre site is the paper's BS 1 at
        ``(D / sqrt(3), 0)`` with neighbours at 30 + 60 k deg, so it holds
        the paper's three sites (for the default D) and the target area
        sits at a corner of the centre cell, D / sqrt(3) (80 m) from the
        three nearest BSs, as in the paper. Every BS faces the target area's
        centre, :data:`AREA_CENTRE`.
    inter_site_distance_m : float
        Distance between neighbouring BSs D of a hexagonal layout [m]; the
        paper's layout has its own, 80 sqrt(3) = 138.6 m (the default), and
        accepts no other.
    n_users_per_cell : int
        K (1 in the paper's layout uses the paper's CU positions; otherwise
        the users are drawn from ``user_seed`` in the front half-annulus
        20-60 m around their BS (scaled by D / 138.6 m in a hexagonal
        layout), see :meth:`Network.paper_layout`, :meth:`Network.hexagonal`).
    n_tx, n_rx : int
        Antennas per BS.
    p_max_w : float
        Power budget per BS [W].
    sinr_target_db : float
        Common SINR target Gamma [dB].
    p_fa : float
        False-alarm probability.
    sigma_c2_dbm, sigma_d2_dbm : float
        User and radar noise powers [dBm].
    channel : {"rayleigh", "los", "los-own"}
        Communication channel model (:data:`CHANNELS`): ``"rayleigh"``
        (:class:`RayleighFading`), ``"los"`` (:class:`LineOfSight` on every
        BS -> user link, cross-cell ones included; deterministic) or
        ``"los-own"`` (:class:`OwnCellLineOfSight`: LoS from each BS to its
        own users, Rayleigh fading across cells).
    kappa_c_db : float
        Communication path gain at 1 m [dB].
    path_loss_exponent : float
        Communication path-loss exponent nu.
    kappa_r_db : float
        One-way radar path gain at 1 m [dB].
    rcs : float
        Target reflection coefficient zeta (all links).
    user_angle_deg : float or None
        If set, every cell's users stand at this angle from their BS's
        broadside [deg] (Fig. 6); 0 points at the target area's centre.
    user_distance_m : float
        Distance of those users from their BS [m].
    user_seed : int
        Seed of random user positions (K != 1, or any K in a hexagonal
        layout).
    area_side_m : float
        Side of the square target area centred at the origin [m].
    points_per_side : int
        Sample points per side (Q = points_per_side ** 2).
    """

    n_cells: int = attrs.field(default=3, validator=_cell_count)
    inter_site_distance_m: float = attrs.field(default=PAPER_INTER_SITE_DISTANCE, validator=v.positive)
    n_users_per_cell: int = attrs.field(default=1, validator=v.integer_at_least(1))
    n_tx: int = attrs.field(default=32, validator=v.integer_at_least(1))
    n_rx: int = attrs.field(default=32, validator=v.integer_at_least(1))
    p_max_w: float = attrs.field(default=15.0, validator=v.positive)
    sinr_target_db: float = attrs.field(default=15.0, validator=v.finite)
    p_fa: float = attrs.field(default=1e-3, validator=v.open_unit_interval)
    sigma_c2_dbm: float = attrs.field(default=-84.0, validator=v.finite)
    sigma_d2_dbm: float = attrs.field(default=-102.0, validator=v.finite)
    channel: str = attrs.field(default="rayleigh", validator=_known_channel)
    kappa_c_db: float = attrs.field(default=DEFAULT_KAPPA_C_DB, validator=v.finite)
    path_loss_exponent: float = attrs.field(default=DEFAULT_PATH_LOSS_EXPONENT, validator=v.positive)
    kappa_r_db: float = attrs.field(default=DEFAULT_KAPPA_R_DB, validator=v.finite)
    rcs: float = attrs.field(default=1.0, validator=v.non_negative)
    user_angle_deg: float | None = attrs.field(default=None, validator=_optional_finite)
    user_distance_m: float = attrs.field(default=45.0, validator=v.positive)
    user_seed: int = attrs.field(default=7, validator=v.integer_at_least(0))
    area_side_m: float = attrs.field(default=2.0, validator=v.positive)
    points_per_side: int = attrs.field(default=3, validator=v.integer_at_least(1))

    def __attrs_post_init__(self):
        if self.n_cells == 3 and not math.isclose(self.inter_site_distance_m, PAPER_INTER_SITE_DISTANCE, rel_tol=1e-12):
            raise InputError(
                f"inter_site_distance_m: the paper's layout (n_cells = 3) has D = 80 sqrt(3) = {PAPER_INTER_SITE_DISTANCE:.4f} m, "
                f"got {v.shown(self.inter_site_distance_m)}; another D needs a hexagonal layout (n_cells = 7, 19, ...)"
            )

    def evolve(self, **changes: Any) -> ScenarioConfig:
        """Copy with ``changes``; integer fields accept whole floats (e.g. 64.0)."""
        fields = attrs.fields_dict(type(self))
        for name, value in changes.items():
            if name not in fields:
                raise InputError(f"{name}: not a ScenarioConfig field; fields are {', '.join(fields)}")
            if fields[name].type in ("int",) and isinstance(value, float) and value.is_integer():
                changes[name] = int(value)
        return attrs.evolve(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-friendly dict."""
        return attrs.asdict(self)

    def network(self) -> Network:
        """The :class:`Network` of this configuration (built once per process: it is immutable)."""
        return _network(self)

    def _build_network(self):
        common = dict(n_tx=self.n_tx, n_rx=self.n_rx, p_max=self.p_max_w, sinr_target_db=self.sinr_target_db, user_seed=self.user_seed)
        if self.n_cells == 3:
            network = Network.paper_layout(self.n_users_per_cell, **common)
        else:
            isd = self.inter_site_distance_m
            network = Network.hexagonal(
                hexagonal_rings(self.n_cells),
                facing=AREA_CENTRE,
                inter_site_distance=isd,
                center=(isd / math.sqrt(3.0), 0.0),
                rotation=math.pi / 6,
                n_users_per_cell=self.n_users_per_cell,
                **common,
            )
        if self.user_angle_deg is not None:
            network = network.with_users_at_angle(math.radians(self.user_angle_deg), self.user_distance_m)
        return network

    def grid(self) -> TargetGrid:
        """The Q sample points (:class:`TargetGrid`), built once per process."""
        return _grid(self)

    def _build_grid(self):
        return TargetGrid.square(center=AREA_CENTRE, side=self.area_side_m, n_per_side=self.points_per_side)

    def channel_model(self) -> Any:
        """The communication channel model."""
        return CHANNELS[self.channel](kappa_db=self.kappa_c_db, exponent=self.path_loss_exponent)

    def radar_model(self) -> RadarLink:
        """The radar echo model."""
        return RadarLink(kappa_db=self.kappa_r_db, rcs=self.rcs)

    def build_bytes(self, n_points: int | None = None) -> int:
        """Estimated peak memory of :meth:`build` [bytes].

        Three times the problem's arrays (the channel draw and the
        validation copy them; the peak growth measured 2.1-2.4 times at
        L = 3, 7, 19 and K up to 8000), plus 1 KiB per user for the
        network's objects.

        Parameters
        ----------
        n_points : int or None
            Q; default ``points_per_side ** 2``.
        """
        n_points = self.points_per_side**2 if n_points is None else n_points
        arrays = DesignProblem.array_bytes(self.n_cells, self.n_users_per_cell, self.n_tx, n_points)
        return 3 * arrays + 1024 * self.n_cells * self.n_users_per_cell

    def check_memory(self, n_points: int | None = None) -> None:
        """Refuse a configuration whose problem would exceed the memory limit, before building anything.

        Raises
        ------
        MemoryLimitError
            Naming the sizes, the estimate (:meth:`build_bytes`) and the limit
            (:mod:`isacsim.limits`).
        """
        n_points = self.points_per_side**2 if n_points is None else n_points
        require_memory(
            f"n_cells, n_users_per_cell, n_tx, points_per_side: a problem of L = {self.n_cells} cells, "
            f"K = {self.n_users_per_cell} users per cell, Nt = {self.n_tx} antennas and Q = {n_points} points",
            self.build_bytes(n_points),
            advice="use fewer users, antennas or sample points",
        )

    def build(self, rng: np.random.Generator | None = None, grid: TargetGrid | None = None) -> DesignProblem:
        """One problem instance.

        Parameters
        ----------
        rng : numpy.random.Generator or int or None
            Source of the channel draw.
        grid : TargetGrid or None
            Override the sample points (e.g. a fine grid for coverage maps).

        Returns
        -------
        DesignProblem

        Raises
        ------
        MemoryLimitError
            If the problem would need more memory than the limit allows
            (:meth:`check_memory`); nothing is built.
        """
        self.check_memory(None if grid is None else grid.n_points)
        return DesignProblem.from_network(
            self.network(),
            self.grid() if grid is None else grid,
            channel=self.channel_model(),
            radar=self.radar_model(),
            sigma_c2_dbm=self.sigma_c2_dbm,
            sigma_d2_dbm=self.sigma_d2_dbm,
            p_fa=self.p_fa,
            rng=rng,
        )


def _parse_value(name, kind, text):
    """``text`` as a value of a field of type ``kind`` (the annotation's text)."""
    if "None" in kind and text.strip().casefold() == "none":
        return None
    try:
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
    except ValueError:
        expected = "an integer" if kind.startswith("int") else "a number"
        raise InputError(f"--set {name}: expected {expected}{' or none' if 'None' in kind else ''}, got {text!r}") from None
    return text


def parse_assignments(assignments: Iterable[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` strings as :class:`ScenarioConfig` changes.

    Parameters
    ----------
    assignments : iterable of str
        E.g. ``["n_cells=7", "kappa_c_db=-60", "user_angle_deg=none"]``;
        each value is read as its field's type (``none`` for an optional
        field's ``None``). A field given twice keeps its last value.

    Returns
    -------
    dict
        ``{field: value}``, for :meth:`ScenarioConfig.evolve`.

    Raises
    ------
    InputError
        For a malformed assignment, an unknown field (with the closest
        name) or a value that is not of the field's type.
    """
    from .names import resolve_name

    fields = attrs.fields_dict(ScenarioConfig)
    changes = {}
    for assignment in assignments:
        name, equals, text = str(assignment).partition("=")
        if not equals or not name.strip():
            raise InputError(f"--set: expected FIELD=VALUE, got {assignment!r}")
        name = resolve_name("--set", name.strip(), fields)
        changes[name] = _parse_value(name, str(fields[name].type), text.strip())
    return changes


def realization_seed(seed: int, realization: int) -> int:
    """The seed of channel realization ``realization`` of a run seeded ``seed``.

    It is the first 64-bit word that the realization's
    ``numpy.random.SeedSequence(seed, spawn_key=(realization,))`` (the one
    behind :func:`realization_rng`) generates, shifted right by one bit so
    that it fits a signed 64-bit integer (0 <= value < 2**63): an
    identifier of the realization's channels, written in the ``seed`` column
    of a run's ``results.csv``. Rows with equal seeds saw the same channels; to draw
    them again, use :func:`realization_rng` with the run's root seed (in
    ``metadata.json``) and the row's ``realization``.
    """
    state = np.random.SeedSequence(seed, spawn_key=(realization,)).generate_state(1, np.uint64)
    return int(state[0]) >> 1
@functools.lru_cache(maxsize=64)
def _network(config):
    """:meth:`ScenarioConfig.network`, once per configuration: a sweep builds it for every realization."""
    return config._build_network()


@functools.lru_cache(maxsize=64)
def _grid(config):
    """:meth:`ScenarioConfig.grid`, once per configuration; its points read-only, as every problem shares them."""
    grid = config._build_grid()
    grid.points.flags.writeable = False
    return grid


def realization_rng(seed: int, realization: int) -> np.random.Generator:
    """The generator of channel realization ``realization`` of a run seeded ``seed``.

    It depends on ``(seed, realization)`` only, so every designer, receiver,
    scenario and swept value sees the same channels (common random numbers),
    whatever the number of workers or the order of tasks.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(realization,)))
