"""The network: base stations, their communication users, and layouts.

All objects are frozen attrs value objects, validated on construction; build
variants with :func:`attrs.evolve` or the ``with_*`` helpers.
"""
from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from .errors import InputError, InputTypeError
from . import validation as v
from .geometry import angle_from_broadside, azimuth
from .lattice import hexagonal_sites

__all__ = ["BaseStation", "CommUser", "Network", "PAPER_BS_POSITIONS", "PAPER_CU_POSITIONS", "PAPER_INTER_SITE_DISTANCE"]

#: BS positions of the paper's Section V [m].
PAPER_BS_POSITIONS = ((80.0, 0.0), (-40.0, 40.0 * np.sqrt(3.0)), (-40.0, -40.0 * np.sqrt(3.0)))
#: The K = 1 CU positions of the paper's Section V [m], one per cell.
PAPER_CU_POSITIONS = ((38.85, -20.97), (-1.26, 44.13), (-37.58, -23.16))
#: Distance between neighbouring BSs of the paper's layout, 80 sqrt(3) [m].
PAPER_INTER_SITE_DISTANCE = 80.0 * np.sqrt(3.0)
#: User distances from their BS in the paper's Figs. 7-10 [m].
PAPER_USER_DISTANCE = (20.0, 60.0)


def _optional_angle(instance, attribute, value):
    if value is not None:
        v.finite(instance, attribute, value)


@attrs.frozen(kw_only=True)
class BaseStation:
    """A multi-antenna base station with a half-wavelength ULA.

    Parameters
    ----------
    position : (float, float)
        Location ``(x, y)`` [m].
    n_tx : int
        Transmit antennas, >= 1.
    n_rx : int
        Receive antennas, >= 1.
    p_max : float
        Transmit power budget [W], > 0.
    broadside : float or None
        Azimuth of the array broadside [rad], counter-clockwise from +x.
        ``None`` (default) points it at the network centre (see
        :meth:`Network.broadside`); a BS standing there needs an explicit
        value.
    """

    position: tuple = attrs.field(converter=v.as_point, validator=v.point)
    n_tx: int = attrs.field(default=32, validator=v.integer_at_least(1))
    n_rx: int = attrs.field(default=32, validator=v.integer_at_least(1))
    p_max: float = attrs.field(default=15.0, validator=v.positive)
    broadside: float | None = attrs.field(default=None, validator=_optional_angle)


@attrs.frozen(kw_only=True)
class CommUser:
    """A single-antenna communication user (CU).

    Parameters
    ----------
    position : (float, float)
        Location ``(x, y)`` [m].
    cell : int
        Index of the serving base station, >= 0.
    sinr_target_db : float
        Minimum SINR Gamma [dB].
    """

    position: tuple = attrs.field(converter=v.as_point, validator=v.point)
    cell: int = attrs.field(validator=v.integer_at_least(0))
    sinr_target_db: float = attrs.field(default=15.0, validator=v.finite)


@attrs.frozen(kw_only=True)
class Network:
    """L base stations, each serving the same number K >= 1 of users.

    Parameters
    ----------
    base_stations : tuple of BaseStation
        The L >= 1 BSs; all share ``n_tx`` and ``n_rx``.
    users : tuple of CommUser
        The L*K users. User ``k`` of cell ``m`` is the ``k``-th user whose
        ``cell`` is ``m``, in tuple order.

    Raises
    ------
    ValueError
        If cells are unequal in size, a user names a cell that does not
        exist, or the BSs differ in antenna counts.
    """

    base_stations: tuple = attrs.field(converter=v.as_tuple)
    users: tuple = attrs.field(converter=v.as_tuple)

    def __attrs_post_init__(self):
        if not self.base_stations:
            raise InputError("base_stations: expected at least one BaseStation, got none")
        for i, bs in enumerate(self.base_stations):
            if not isinstance(bs, BaseStation):
                raise InputTypeError(f"base_stations[{i}]: expected a BaseStation, got {type(bs).__name__}")
        for i, user in enumerate(self.users):
            if not isinstance(user, CommUser):
                raise InputTypeError(f"users[{i}]: expected a CommUser, got {type(user).__name__}")
            if user.cell >= len(self.base_stations):
                raise InputError(
                    f"users[{i}].cell: expected a BS index < {len(self.base_stations)}, got {user.cell}"
                )
        counts = np.bincount([u.cell for u in self.users], minlength=len(self.base_stations))
        if counts.min() < 1 or counts.min() != counts.max():
            raise InputError(f"users: expected the same number K >= 1 of users in every cell, got {counts.tolist()}")
        for field in ("n_tx", "n_rx"):
            values = {getattr(bs, field) for bs in self.base_stations}
            if len(values) > 1:
                raise InputError(f"base_stations: expected one common {field}, got {sorted(values)}")
        self._check_users_off_the_sites()
        for l in range(self.n_bs):  # no BS without an orientation
            self.broadside(l)

    def _check_users_off_the_sites(self):
        """Refuse a user standing on a BS: its path loss, and so its channel, would be infinite."""
        users = np.array([u.position for u in self.users])
        sites = np.array([bs.position for bs in self.base_stations])
        on_site = np.argwhere(np.all(users[:, None, :] == sites[None, :, :], axis=2))
        if on_site.size:
            i, l = on_site[0]
            raise InputError(
                f"users[{i}].position: {self.users[i].position} is where BS {l} stands; a user needs a distance > 0 [m] "
                "from every BS (the path loss is infinite there)"
            )

    # ------------------------------------------------------------------ sizes
    @property
    def n_bs(self) -> int:
        """Number of base stations L."""
        return len(self.base_stations)

    @property
    def n_users_per_cell(self) -> int:
        """Number of users per cell K."""
        return len(self.users) // self.n_bs

    @property
    def n_tx(self) -> int:
        """Transmit antennas per BS, Nt."""
        return self.base_stations[0].n_tx

    @property
    def n_rx(self) -> int:
        """Receive antennas per BS, Nr."""
        return self.base_stations[0].n_rx

    # --------------------------------------------------------------- geometry
    @property
    def centre(self) -> np.ndarray:
        """Centroid of the BS positions, shape (2,) [m]."""
        return np.mean([bs.position for bs in self.base_stations], axis=0)

    @property
    def bs_positions(self) -> np.ndarray:
        """BS positions, shape (L, 2) [m]."""
        return np.array([bs.position for bs in self.base_stations])

    @property
    def user_positions(self) -> np.ndarray:
        """User positions ordered by (cell, index), shape (L, K, 2) [m]."""
        grid = np.empty((self.n_bs, self.n_users_per_cell, 2))
        for m in range(self.n_bs):
            grid[m] = [u.position for u in self.users_of(m)]
        return grid

    @property
    def sinr_targets_db(self) -> np.ndarray:
        """SINR targets Gamma ordered by (cell, index), shape (L, K) [dB]."""
        return np.array([[u.sinr_target_db for u in self.users_of(m)] for m in range(self.n_bs)])

    @property
    def p_max(self) -> np.ndarray:
        """Power budgets, shape (L,) [W]."""
        return np.array([bs.p_max for bs in self.base_stations])

    def users_of(self, cell: int) -> list[CommUser]:
        """The users served by BS ``cell``, in order."""
        return [u for u in self.users if u.cell == cell]

    def broadside(self, bs_index: int) -> float:
        """Broadside azimuth of BS ``bs_index`` [rad].

        The BS's own ``broadside`` if set, else the direction of the network
        centre.

        Raises
        ------
        ValueError
            If ``broadside`` is unset and the BS stands at the network centre
            (e.g. a single-BS network), where no direction is defined. A
            :class:`Network` checks this for every BS when it is built.
        """
        bs = self.base_stations[bs_index]
        if bs.broadside is not None:
            return bs.broadside
        offset = self.centre - np.asarray(bs.position)
        if np.hypot(*offset) < 1e-9:
            raise InputError(
                f"base_stations[{bs_index}].broadside: expected an explicit array orientation [rad]; "
                "the BS stands at the network centre, so 'towards the centre' is undefined "
                "(or build the network with a 'facing' point: Network.from_sites, Network.hexagonal)"
            )
        return float(azimuth(bs.position, self.centre))

    def angles_from(self, bs_index: int, points: npt.ArrayLike) -> np.ndarray:
        """Angles of ``points`` (..., 2) [m] from BS ``bs_index``'s broadside [rad]."""
        bs = self.base_stations[bs_index]
        return angle_from_broadside(bs.position, self.broadside(bs_index), points)

    # ----------------------------------------------------------- variations
    def with_sinr_target(self, sinr_target_db: float) -> Network:
        """Copy with every user's SINR target set to ``sinr_target_db`` [dB]."""
        return attrs.evolve(self, users=[attrs.evolve(u, sinr_target_db=sinr_target_db) for u in self.users])

    def with_base_stations(self, **changes: Any) -> Network:
        """Copy with ``changes`` (e.g. ``p_max=10.0, n_tx=16``) applied to every BS."""
        return attrs.evolve(self, base_stations=[attrs.evolve(bs, **changes) for bs in self.base_stations])

    def with_users_at_angle(self, theta: float, distance: float) -> Network:
        """Copy with each cell's users moved to one point at angle ``theta``.

        Parameters
        ----------
        theta : float
            Angle from the serving BS's broadside [rad], counter-clockwise;
            0 points at the network centre.
        distance : float
            Distance from the serving BS [m], > 0.
        """
        if not distance > 0:
            raise InputError(f"distance: expected a distance > 0 [m], got {v.shown(distance)}")
        users = []
        for u in self.users:
            bs = self.base_stations[u.cell]
            heading = self.broadside(u.cell) + theta
            position = np.asarray(bs.position) + distance * np.array([np.cos(heading), np.sin(heading)])
            users.append(attrs.evolve(u, position=position))
        return attrs.evolve(self, users=users)

    # ---------------------------------------------------------------- layouts
    @classmethod
    def from_sites(cls, sites: npt.ArrayLike, *, user_positions: npt.ArrayLike | None = None, n_users_per_cell: int | None = None, user_seed: int = 7, user_distance: tuple[float, float] = PAPER_USER_DISTANCE, facing: npt.ArrayLike | None = None, n_tx: int = 32, n_rx: int = 32, p_max: float = 15.0, sinr_target_db: float = 15.0) -> Network:
        """A network with one BS per site: the building block of every layout.

        Parameters
        ----------
        sites : array_like, shape (L, 2)
            BS positions [m], L >= 1.
        user_positions : array_like, shape (L, K, 2), or None
            ``user_positions[m, k]`` is user k of cell m [m]. ``None`` draws
            ``n_users_per_cell`` users per cell with
            :meth:`with_random_users` (uniform in area over the front
            half-annulus ``user_distance`` around their BS, from
            ``user_seed``).
        n_users_per_cell : int or None
            K of the drawn users (default 1); if given with
            ``user_positions``, it must match their K.
        user_seed : int
            Seed of the drawn users.
        user_distance : (float, float)
            Range of the drawn users' distances from their BS [m].
        facing : (float, float) or None
            A point [m] every BS's broadside faces (e.g. the centre of the
            target area). ``None`` leaves ``broadside`` unset, so each BS
            faces the network centre (:meth:`broadside`).
        n_tx, n_rx : int
            Antennas per BS.
        p_max : float
            Power budget per BS [W].
        sinr_target_db : float
            Common SINR target Gamma [dB].

        Returns
        -------
        Network

        Raises
        ------
        ValueError
            Naming the field: bad shapes or values, a BS standing at
            ``facing`` (its broadside would be undefined), or, with
            ``facing=None``, a BS at the network centre.

        Examples
        --------
        >>> sites = [(0.0, 0.0), (100.0, 0.0), (50.0, 80.0), (-60.0, 70.0)]
        >>> network = Network.from_sites(sites, n_users_per_cell=2, facing=(40.0, 30.0))
        >>> network.n_bs, network.n_users_per_cell
        (4, 2)
        """
        sites = np.asarray(v.as_array("sites", sites, kind="float", shape=(None, 2)))
        broadsides: list[float | None]
        if facing is None:
            broadsides = [None] * len(sites)
        else:
            facing = v.require_point("facing", facing)
            broadsides = []
            for l, site in enumerate(sites):
                if np.hypot(*(np.asarray(facing) - site)) < 1e-9:
                    raise InputError(
                        f"facing: expected a point away from every BS [m]; BS {l} stands at {facing}, "
                        "where its broadside is undefined (face the arrays at e.g. the target area's centre)"
                    )
                broadsides.append(float(azimuth(site, facing)))
        stations = [
            BaseStation(position=site, broadside=b, n_tx=n_tx, n_rx=n_rx, p_max=p_max) for site, b in zip(sites, broadsides)
        ]
        if user_positions is not None:
            positions = v.as_array("user_positions", user_positions, kind="float", shape=(len(sites), None, 2))
            if n_users_per_cell is not None and n_users_per_cell != positions.shape[1]:
                raise InputError(
                    f"n_users_per_cell: expected the K = {positions.shape[1]} of user_positions, got {v.shown(n_users_per_cell)}"
                )
            users = [CommUser(position=p, cell=m, sinr_target_db=sinr_target_db) for m in range(len(sites)) for p in positions[m]]
            return cls(base_stations=stations, users=users)
        sites = np.asarray(sites, dtype=float)
        gaps = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
        step = 0.5 * gaps[gaps > 0].min() if np.any(gaps > 0) else 1.0  # a placeholder user off every site
        skeleton = cls(base_stations=stations, users=[CommUser(position=(x + step, y), cell=m) for m, (x, y) in enumerate(sites)])
        return skeleton.with_random_users(
            1 if n_users_per_cell is None else n_users_per_cell, seed=user_seed, distance=user_distance, sinr_target_db=sinr_target_db
        )

    @classmethod
    def paper_layout(cls, n_users_per_cell: int = 1, *, n_tx: int = 32, n_rx: int = 32, p_max: float = 15.0, sinr_target_db: float = 15.0, user_seed: int = 7, user_distance: tuple[float, float] = PAPER_USER_DISTANCE) -> Network:
        """The three-BS network of the paper's Section V.

        The BSs stand 80 m from the origin (the centre of the target area),
        :data:`PAPER_INTER_SITE_DISTANCE` apart, their arrays facing it.

        Parameters
        ----------
        n_users_per_cell : int
            K. For K = 1 the users stand at the paper's positions
            (:data:`PAPER_CU_POSITIONS`); for any other K they are drawn
            uniformly in the front half of an annulus around their BS
            (angles within +-90 deg of broadside, distances in
            ``user_distance``), from ``user_seed``, as in the paper's Fig. 7.
        n_tx, n_rx : int
            Antennas per BS (paper: 32).
        p_max : float
            Power budget per BS [W].
        sinr_target_db : float
            Common SINR target Gamma [dB].
        user_seed : int
            Seed of the random user positions (K != 1 only).
        user_distance : (float, float)
            Range of user distances from their BS [m] (K != 1 only).

        Returns
        -------
        Network
        """
        fixed = n_users_per_cell == 1
        return cls.from_sites(
            PAPER_BS_POSITIONS,
            user_positions=np.array(PAPER_CU_POSITIONS)[:, None, :] if fixed else None,
            n_users_per_cell=n_users_per_cell,
            user_seed=user_seed,
            user_distance=user_distance,
            n_tx=n_tx,
            n_rx=n_rx,
            p_max=p_max,
            sinr_target_db=sinr_target_db,
        )

    @classmethod
    def ring(cls, n_bs: int, *, radius: float = 80.0, n_users_per_cell: int = 1, user_theta: float = 0.0, user_distance: float = 45.0, n_tx: int = 32, n_rx: int = 32, p_max: float = 15.0, sinr_target_db: float = 15.0) -> Network:
        """BSs evenly spaced on a ring around the origin, arrays facing inwards.

        Parameters
        ----------
        n_bs : int
            L >= 2 base stations; BS 0 stands at ``(radius, 0)``.
        radius : float
            Ring radius [m].
        n_users_per_cell : int
            K. The users of each cell stand ``user_distance`` from their BS,
            spread over the front half-plane at angles
            ``user_theta + pi (k - (K - 1) / 2) / (K + 1)`` from broadside.
        user_theta : float
            Central user angle from broadside [rad].
        user_distance : float
            User distance from its BS [m].
        n_tx, n_rx, p_max, sinr_target_db
            As for :meth:`paper_layout`.
        """
        if not (isinstance(n_bs, int) and n_bs >= 2):
            raise InputError(f"n_bs: expected an integer >= 2, got {v.shown(n_bs)}")
        if not radius > 0:
            raise InputError(f"radius: expected a radius > 0 [m], got {v.shown(radius)}")
        angles = 2.0 * np.pi * np.arange(n_bs) / n_bs
        sites = np.array([(radius * np.cos(a), radius * np.sin(a)) for a in angles])
        users = np.empty((n_bs, n_users_per_cell, 2))
        for m in range(n_bs):
            facing = angles[m] + np.pi
            for k in range(n_users_per_cell):
                heading = facing + user_theta + np.pi * (k - (n_users_per_cell - 1) / 2) / (n_users_per_cell + 1)
                users[m, k] = sites[m] + user_distance * np.array([np.cos(heading), np.sin(heading)])
        return cls.from_sites(sites, user_positions=users, n_tx=n_tx, n_rx=n_rx, p_max=p_max, sinr_target_db=sinr_target_db)

    @classmethod
    def hexagonal(cls, n_rings: int = 1, *, facing: npt.ArrayLike | None, inter_site_distance: float = PAPER_INTER_SITE_DISTANCE, center: tuple[float, float] = (0.0, 0.0), rotation: float = 0.0, n_users_per_cell: int = 1, user_seed: int = 7, user_distance: tuple[float, float] | None = None, n_tx: int = 32, n_rx: int = 32, p_max: float = 15.0, sinr_target_db: float = 15.0) -> Network:
        """A hexagonal network: a centre site and ``n_rings`` rings around it.

        The sites are those of :func:`isacsim.lattice.hexagonal_sites`: 7
        for one ring, 19 for two; BS 0 is the centre site. Since a BS
        stands at the network centre, "towards the centre" cannot orient the
        arrays: every BS's broadside faces the point ``facing`` instead
        (normally the centre of the target area).

        Parameters
        ----------
        n_rings : int
            Rings of sites around the centre site, >= 1.
        facing : (float, float)
            The point every array's broadside faces [m]; no BS may stand
            there.
        inter_site_distance : float
            Distance between neighbouring BSs D [m] (default: the paper's,
            80 sqrt(3) = 138.6 m).
        center : (float, float)
            Position of the centre site [m].
        rotation : float
            Azimuth of the centre site's first neighbour [rad],
            counter-clockwise from +x; the neighbours stand at
            ``rotation + k pi / 3``.
        n_users_per_cell : int
            K >= 1 users per cell, drawn from ``user_seed`` uniformly in area
            over the front half-annulus ``user_distance`` around their BS
            (within +-90 deg of broadside, :meth:`with_random_users`).
        user_seed : int
            Seed of the user positions.
        user_distance : (float, float) or None
            Range of user distances from their BS [m], with maximum
            <= D / 2 so that every user stays in its own hexagonal cell
            (nearer its own BS than any other). ``None``: the paper's
            20-60 m scaled by D / (80 sqrt(3)).
        n_tx, n_rx, p_max, sinr_target_db
            As for :meth:`from_sites`.

        Returns
        -------
        Network

        Raises
        ------
        ValueError
            Naming the field: ``n_rings`` < 1, a non-positive distance,
            users that could leave their cell, a BS standing at ``facing``.
        """
        sites = hexagonal_sites(n_rings, inter_site_distance, center=center, rotation=rotation)
        if user_distance is None:
            scale = inter_site_distance / PAPER_INTER_SITE_DISTANCE
            user_distance = (PAPER_USER_DISTANCE[0] * scale, PAPER_USER_DISTANCE[1] * scale)
        elif not max(user_distance) <= inter_site_distance / 2:
            raise InputError(
                f"user_distance: expected a maximum <= inter_site_distance / 2 = {inter_site_distance / 2:.6g} m "
                f"(users inside their own cell), got {v.shown(user_distance)}"
            )
        return cls.from_sites(
            sites,
            n_users_per_cell=n_users_per_cell,
            user_seed=user_seed,
            user_distance=user_distance,
            facing=facing,
            n_tx=n_tx,
            n_rx=n_rx,
            p_max=p_max,
            sinr_target_db=sinr_target_db,
        )

    def with_random_users(self, n_users_per_cell: int, *, seed: int, distance: tuple[float, float] = PAPER_USER_DISTANCE, sinr_target_db: float | None = None) -> Network:
        """Copy with K users per cell at random positions in front of their BS.

        Parameters
        ----------
        n_users_per_cell : int
            K >= 1.
        seed : int
            Seed of the positions; the same seed gives the same layout.
        distance : (float, float)
            Range of distances from the serving BS [m]; positions are uniform
            in area over the front half-annulus (within +-90 deg of broadside).
        sinr_target_db : float or None
            SINR target of the new users [dB]; ``None`` keeps the first
            existing user's.
        """
        if not (isinstance(n_users_per_cell, (int, np.integer)) and n_users_per_cell >= 1):
            raise InputError(f"n_users_per_cell: expected an integer >= 1, got {v.shown(n_users_per_cell)}")
        r_min, r_max = distance
        if not 0 < r_min <= r_max:
            raise InputError(f"distance: expected 0 < min <= max [m], got {v.shown(distance)}")
        target = self.users[0].sinr_target_db if sinr_target_db is None else sinr_target_db
        rng = np.random.default_rng(np.random.SeedSequence(seed))
        users = []
        for m, bs in enumerate(self.base_stations):
            radius = np.sqrt(rng.uniform(r_min**2, r_max**2, n_users_per_cell))
            heading = self.broadside(m) + rng.uniform(-np.pi / 2, np.pi / 2, n_users_per_cell)
            for r, h in zip(radius, heading):
                position = np.asarray(bs.position) + r * np.array([np.cos(h), np.sin(h)])
                users.append(CommUser(position=position, cell=m, sinr_target_db=target))
        return attrs.evolve(self, users=users)
