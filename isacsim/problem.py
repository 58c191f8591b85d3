"""`DesignProblem`: the arrays every beamforming designer consumes.

A designer never sees geometry. It sees only these arrays, which also form
the public ``.npz`` file format (see the README).
"""
from __future__ import annotations

import os
from os import PathLike
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .errors import InputError, InputTypeError
from . import validation as v
from .atomic import atomic_write
from .channels import steering_matrix
from .npzfile import read_npz, write_npz
from .units import dbm_to_watt, linear_to_db, watt_to_dbm

if TYPE_CHECKING:
    from .channels import RadarLink
    from .network import Network
    from .targets import TargetGrid

__all__ = ["DesignProblem", "ARRAY_KEYS", "OPTIONAL_KEYS", "GEOMETRY_KEYS", "KNOWN_KEYS"]

#: Keys every ``.npz`` problem file holds.
ARRAY_KEYS = ("H", "A", "G", "gamma", "p_max", "sigma_c2", "sigma_d2", "n_rx", "p_fa")
#: Optional keys: requirements and channel knowledge that every built-in
#: designer honours when present (absent means: no such requirement).
OPTIONAL_KEYS = ("p_antenna", "csi_error_var", "pd_target")
#: Geometry that :meth:`DesignProblem.from_network` records for plots; kept
#: and saved (``extras``), never used by a designer.
GEOMETRY_KEYS = ("bs_positions", "user_positions", "points", "broadside")
#: Every key a problem file may hold; any other is refused.
KNOWN_KEYS = ARRAY_KEYS + OPTIONAL_KEYS + GEOMETRY_KEYS


def _array(kind, ndim, **checks):
    def convert(value, field):
        return v.as_array(field.name, value, kind=kind, shape=(None,) * ndim, **checks)

    return attrs.Converter(convert, takes_field=True)


def _scalar(kind):
    def convert(value, field):
        return v.as_array(field.name, value, kind=kind, shape=()).item()

    return attrs.Converter(convert, takes_field=True)


def _optional(kind, ndim, **checks):
    """An optional array field: None (absent) or an array validated like the others."""
    convert = _array(kind, ndim, **checks).converter

    def optional(value, field):
        return None if value is None else convert(value, field)

    return attrs.Converter(optional, takes_field=True)


def _probabilities(value, field):
    """pd_target: None, a probability, or one per sample point, each strictly between 0 and 1."""
    if value is None:
        return None
    if np.ndim(value) > 1:
        raise InputError(f"{field.name}: expected a scalar or shape (Q,), got shape {np.shape(value)}")
    array = v.as_array(field.name, value, kind="float", shape=(None,) * np.ndim(value))
    outside = array[(array <= 0) | (array >= 1)]
    if outside.size:
        raise InputError(f"{field.name}: expected detection probabilities with 0 < p < 1, got {float(outside.flat[0])!r}")
    return array


def known_keys_text() -> str:
    """The keys a problem file may hold, for messages."""
    return f"required {', '.join(ARRAY_KEYS)}; optional {', '.join(OPTIONAL_KEYS)}; geometry {', '.join(GEOMETRY_KEYS)}"


def _extras(value):
    if not isinstance(value, dict):
        raise InputError(f"extras: expected a dict of named arrays, got {type(value).__name__}")
    out = {}
    for key, item in value.items():
        if key not in GEOMETRY_KEYS:
            raise InputError(f"extras: unknown key {key!r}; extras hold only the geometry {', '.join(GEOMETRY_KEYS)}")
        array = np.asarray(item)
        if array.dtype == object:
            raise InputError(f"extras[{key!r}]: expected a plain numeric or string array, got objects")
        out[key] = array
    return out


def _extras_equal(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


_ARRAY_EQ = attrs.cmp_using(eq=np.array_equal)


#: Largest power (or power-to-noise ratio) a problem may imply; leaves headroom
#: under the largest double (1.8e308) for the model's sums and ratios.
_LARGEST_POWER = 1e300


@attrs.frozen(kw_only=True)
class DesignProblem:
    """One instance of the coordinated ISAC beamforming design problem.

    Parameters
    ----------
    H : array_like, complex, shape (L, L, K, Nt)
        ``H[l, m, k]`` is the channel from BS l to user k of cell m; the
        received amplitude of beam ``w`` is ``H[l, m, k].conj() @ w``.
    A : array_like, complex, shape (Q, L, Nt)
        ``A[q, l]`` is BS l's transmit steering vector towards sample point q;
        the sensing gain of ``w`` is ``|A[q, l] @ w|^2``.
    G : array_like, float, shape (Q, L, L)
        ``G[q, m, l] = zeta_{m,l}^2 beta_{m,l}^{(q)}``: echo gain of the path
        BS l -> point q -> BS m, >= 0.
    gamma : array_like, float, shape (L, K)
        SINR targets [linear], > 0.
    p_max : array_like, float, shape (L,)
        Power budgets [W], > 0.
    sigma_c2 : float
        User noise power [W], > 0.
    sigma_d2 : float
        Per-antenna radar receiver noise power [W], > 0.
    n_rx : int
        Receive antennas per BS, >= 1.
    p_fa : float
        Required false-alarm probability, 0 < p_fa < 1.
    p_antenna : array_like or None, float, shape (L, Nt)
        Per-antenna power budgets [W], > 0: ``p_antenna[l, n]`` caps the
        n-th diagonal entry of BS l's transmit covariance
        ``sum_i w_li w_li^H + R_l``. None: no per-antenna limit.
    csi_error_var : array_like or None, float, shape (L, L, K)
        Statistical CSI error: ``H`` is the estimate, and each entry of the
        error of ``H[l, m, k]`` is CN(0, ``csi_error_var[l, m, k]``), a
        power gain (the units of ``abs(H)**2``), >= 0. Every received
        power is then an expectation over the error,
        ``E abs(h^H w)^2 = w^H (h h^H + csi_error_var I) w``, and the SINR
        targets hold in that sense. None: perfect CSI.
    pd_target : array_like or None, float, shape () or (Q,)
        Detection probability required at every sample point (a scalar) or
        at each (shape (Q,)), 0 < pd_target < 1; with the false-alarm
        probability it fixes a reflected-power floor per point through eqs.
        (26)/(29) (:func:`isacsim.detection.reflected_power_floor`). None:
        no detection requirement.
    extras : dict of str -> numpy.ndarray
        Geometry for plots (:data:`GEOMETRY_KEYS` only); kept and saved,
        never used by a designer.

    Raises
    ------
    ValueError
        Naming the field, when a value has the wrong kind, shape, is not
        finite, or is out of range.
    """

    # Converters made by a factory: mypy's attrs plugin follows only named functions and
    # lambdas, so these fields' __init__ parameters are typed Any.
    H: np.ndarray = attrs.field(converter=_array("complex", 4), eq=_ARRAY_EQ)  # type: ignore[misc]
    A: np.ndarray = attrs.field(converter=_array("complex", 3), eq=_ARRAY_EQ)  # type: ignore[misc]
    G: np.ndarray = attrs.field(converter=_array("float", 3, non_negative=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    gamma: np.ndarray = attrs.field(converter=_array("float", 2, positive=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    p_max: np.ndarray = attrs.field(converter=_array("float", 1, positive=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    sigma_c2: float = attrs.field(converter=_scalar("float"), validator=v.positive)  # type: ignore[misc]
    sigma_d2: float = attrs.field(converter=_scalar("float"), validator=v.positive)  # type: ignore[misc]
    n_rx: int = attrs.field(converter=_scalar("int"), validator=v.integer_at_least(1))  # type: ignore[misc]
    p_fa: float = attrs.field(converter=_scalar("float"), validator=v.open_unit_interval)  # type: ignore[misc]
    p_antenna: np.ndarray | None = attrs.field(default=None, converter=_optional("float", 2, positive=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    csi_error_var: np.ndarray | None = attrs.field(default=None, converter=_optional("float", 3, non_negative=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    pd_target: np.ndarray | None = attrs.field(default=None, converter=attrs.Converter(_probabilities, takes_field=True), eq=_ARRAY_EQ)  # type: ignore[misc]
    extras: dict = attrs.field(factory=dict, converter=_extras, eq=attrs.cmp_using(eq=_extras_equal))

    def __attrs_post_init__(self):
        n_bs, n_bs_rx, n_users, n_tx = self.H.shape
        if n_bs != n_bs_rx or min(self.H.shape) < 1:
            raise InputError(f"H: expected shape (L, L, K, Nt) with L, K, Nt >= 1, got {self.H.shape}")
        expected = {
            "A": (self.A.shape[0], n_bs, n_tx),
            "G": (self.A.shape[0], n_bs, n_bs),
            "gamma": (n_bs, n_users),
            "p_max": (n_bs,),
        }
        optional = {"p_antenna": (n_bs, n_tx), "csi_error_var": (n_bs, n_bs, n_users)}
        for name, shape in {**expected, **optional}.items():
            value = getattr(self, name)
            if value is not None and value.shape != shape:
                raise InputError(f"{name}: expected shape {shape} to match H {self.H.shape}, got {value.shape}")
        if self.pd_target is not None and self.pd_target.shape not in ((), (self.A.shape[0],)):
            raise InputError(f"pd_target: expected a scalar or shape ({self.A.shape[0]},) to match A {self.A.shape}, got {self.pd_target.shape}")
        if self.A.shape[0] < 1:
            raise InputError("A: expected at least one sample point (Q >= 1), got 0")
        if np.any(np.linalg.norm(self.A, axis=2) == 0):
            q, l = np.argwhere(np.linalg.norm(self.A, axis=2) == 0)[0]
            raise InputError(f"A: expected non-zero steering vectors, A[{q}, {l}] is all zeros")
        self._check_representable()

    def _check_representable(self):
        """Refuse data whose received powers overflow double precision.

        The SINRs and echo powers multiply squared channel gains by the power
        budgets and divide by the noise powers; with gains of, say, 1e200
        they overflow to inf and every SINR becomes NaN. Bounds used (upper
        bounds on any power the model forms, in W and in noise units):
        ``(max|H|^2 Nt + max csi_error_var) max(P)`` for the users and
        ``max(G) max|A|^4 Nt^2 L^2 Nr max(P)`` for the echoes.
        """
        p_max, n_tx = float(self.p_max.max()), self.n_tx
        error_var = float(self.csi_error_var.max()) if self.csi_error_var is not None else 0.0
        with np.errstate(over="ignore"):  # numpy scalars overflow to inf, which the check catches
            received = (np.max(np.abs(self.H)) ** 2 * n_tx + error_var) * p_max
            echo = self.G.max() * np.max(np.abs(self.A)) ** 4 * n_tx**2 * self.n_bs**2 * self.n_rx * p_max
            bounds = (
                ("H, p_max, sigma_c2", "the users' received power |h|^2 Nt P_max / sigma_c^2", received / self.sigma_c2, received),
                ("G, A, p_max, sigma_d2", "the echo power G |a|^4 Nt^2 L^2 Nr P_max / sigma_d^2", echo / self.sigma_d2, echo),
            )
        for name, what, in_noise_units, in_watts in bounds:
            if not max(in_noise_units, in_watts) < _LARGEST_POWER:
                raise InputError(
                    f"{name}: {what} reaches {max(in_noise_units, in_watts):.1e}, beyond double precision "
                    f"(limit {_LARGEST_POWER:.0e}); rescale the channel gains, powers or noise powers"
                )

    # ------------------------------------------------------------------ sizes
    @property
    def n_bs(self) -> int:
        """Number of base stations L."""
        return self.H.shape[0]

    @property
    def n_users_per_cell(self) -> int:
        """Users per cell K."""
        return self.H.shape[2]

    @property
    def n_tx(self) -> int:
        """Transmit antennas per BS, Nt."""
        return self.H.shape[3]

    @property
    def n_points(self) -> int:
        """Number of target sample points Q."""
        return self.A.shape[0]

    @staticmethod
    def array_bytes(n_bs: int, n_users_per_cell: int, n_tx: int, n_points: int) -> int:
        """Bytes of the arrays of a problem of these sizes built by :meth:`from_network` (its ``.npz`` data).

        Parameters
        ----------
        n_bs, n_users_per_cell, n_tx, n_points : int
            L, K, Nt and Q.

        Returns
        -------
        int
            ``H`` (L, L, K, Nt) and ``A`` (Q, L, Nt) complex, ``G`` (Q, L, L)
            and the rest real, geometry extras included [bytes].
        """
        L, K, Nt, Q = (int(n) for n in (n_bs, n_users_per_cell, n_tx, n_points))
        complex_entries = L * L * K * Nt + Q * L * Nt
        real_entries = Q * L * L + L * K + L + 4 + 2 * L + 2 * L * K + 2 * Q + L  # G, gamma, p_max, scalars, geometry
        return 16 * complex_entries + 8 * real_entries

    @property
    def gamma_db(self) -> np.ndarray:
        """SINR targets, shape (L, K) [dB]."""
        return linear_to_db(self.gamma)

    def pd_targets(self) -> np.ndarray | None:
        """The detection probability required at each sample point, shape (Q,), or None."""
        return None if self.pd_target is None else np.broadcast_to(self.pd_target, (self.n_points,)).copy()

    # ------------------------------------------------------------- building
    @classmethod
    def from_network(cls, network: Network, grid: TargetGrid, *, channel: Any, radar: RadarLink, sigma_c2_dbm: float = -84.0, sigma_d2_dbm: float = -102.0, p_fa: float = 0.001, rng: np.random.Generator | None = None, extras: dict[str, Any] | None = None) -> DesignProblem:
        """Build a problem from geometry and one seeded channel draw.

        Parameters
        ----------
        network : Network
        grid : TargetGrid
            The Q sample points.
        channel : RayleighFading or LineOfSight
            Communication channel model (anything with ``draw(network, rng)``).
        radar : RadarLink
            Echo gain model (anything with ``gains(network, points)``).
        sigma_c2_dbm, sigma_d2_dbm : float
            User and radar noise powers [dBm].
        p_fa : float
            False-alarm probability.
        rng : numpy.random.Generator or int or None
            Source of the channel draw; an int seeds a new generator.
        extras : dict or None
            Geometry arrays to replace (:data:`GEOMETRY_KEYS`); the BS,
            user and point positions and broadside angles are always added.

        Returns
        -------
        DesignProblem

        Raises
        ------
        TypeError
            Naming the argument, if ``network`` is not a Network, ``grid`` not
            a TargetGrid, ``channel`` has no ``draw`` or ``radar`` no ``gains``.
        """
        _check_models(network, grid, channel, radar)
        rng = np.random.default_rng(rng)
        geometry = {
            "bs_positions": network.bs_positions,
            "user_positions": network.user_positions,
            "points": grid.points,
            "broadside": np.array([network.broadside(l) for l in range(network.n_bs)]),
        }
        return cls(
            H=channel.draw(network, rng),
            A=steering_matrix(network, grid.points),
            G=radar.gains(network, grid.points),
            gamma=10.0 ** (network.sinr_targets_db / 10.0),
            p_max=network.p_max,
            sigma_c2=dbm_to_watt(sigma_c2_dbm),
            sigma_d2=dbm_to_watt(sigma_d2_dbm),
            n_rx=network.n_rx,
            p_fa=p_fa,
            extras={**geometry, **(extras or {})},
        )

    def evolve(self, **changes: Any) -> DesignProblem:
        """Copy with ``changes`` applied (validated like the constructor)."""
        return attrs.evolve(self, **changes)

    # ------------------------------------------------------------------- I/O
    def to_arrays(self) -> dict[str, np.ndarray]:
        """All fields as a flat dict of arrays (the ``.npz`` content); absent optional fields are left out."""
        arrays = {key: np.asarray(getattr(self, key)) for key in ARRAY_KEYS}
        arrays.update({key: getattr(self, key) for key in OPTIONAL_KEYS if getattr(self, key) is not None})
        arrays.update(self.extras)
        return arrays

    def save(self, path: str | PathLike[str]) -> None:
        """Write the problem to ``path`` as ``.npz`` (atomically).

        Parameters
        ----------
        path : str or os.PathLike
            Destination; written exactly there (no suffix is added).
        """
        arrays = self.to_arrays()
        atomic_write(path, lambda handle: write_npz(handle, arrays), binary=True)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> DesignProblem:
        """Read and validate a problem written by :meth:`save`.

        The file is checked before it is read (:func:`isacsim.npzfile.read_npz`):
        only a regular file, only plain arrays, at most
        ``ISACSIM_MAX_PROBLEM_BYTES`` of them (default 512 MiB).

        Raises
        ------
        InputError
            One line starting with ``path``: the file is missing, not a
            regular file, not an ``.npz`` archive, corrupt, too large, lacks a
            key, holds a key not in :data:`KNOWN_KEYS` (named, with the known
            ones), or a value fails validation (then the key is named too).
        """
        path = os.fspath(path)
        content = read_npz(path)
        missing = [key for key in ARRAY_KEYS if key not in content]
        if missing:
            raise InputError(f"{path}: missing key {missing[0]!r} (a DesignProblem needs {', '.join(ARRAY_KEYS)})")
        unknown = sorted(set(content) - set(KNOWN_KEYS))
        if unknown:
            raise InputError(f"{path}: unknown field {unknown[0]!r}; a problem file holds only known fields ({known_keys_text()})")
        fields = {key: content.pop(key) for key in ARRAY_KEYS + OPTIONAL_KEYS if key in content}
        try:
            return cls(**fields, extras=content)
        except InputError as error:
            raise type(error)(f"{path}: {error}") from None

    # --------------------------------------------------------------- display
    def summary(self) -> str:
        """A short human-readable description (multi-line str)."""
        own = np.array([[np.vdot(self.H[m, m, k], self.H[m, m, k]).real for k in range(self.n_users_per_cell)] for m in range(self.n_bs)])
        lines = [
            f"DesignProblem: L={self.n_bs} BSs, K={self.n_users_per_cell} users/cell, "
            f"Nt={self.n_tx}, Nr={self.n_rx}, Q={self.n_points} sample points",
            f"  SINR targets      {_span(self.gamma_db)} dB",
            f"  power budgets     {_span(self.p_max)} W",
            f"  noise             sigma_c^2 = {watt_to_dbm(self.sigma_c2):.1f} dBm, sigma_d^2 = {watt_to_dbm(self.sigma_d2):.1f} dBm",
            f"  own channel gain  ||h||^2 in {_span(linear_to_db(own))} dB",
            f"  echo gains G      {_span(linear_to_db(self.G[self.G > 0]))} dB" if np.any(self.G > 0) else "  echo gains G      all zero",
            f"  p_FA              {self.p_fa:g}",
        ]
        if self.p_antenna is not None:
            lines.append(f"  per-antenna       {_span(self.p_antenna)} W")
        if self.csi_error_var is not None:
            lines.append(f"  CSI error var.    {_span(self.csi_error_var)} (power gain per entry)")
        if self.pd_target is not None:
            lines.append(f"  p_D target        {_span(self.pd_target)}")
        if self.extras:
            lines.append(f"  extras            {', '.join(sorted(self.extras))}")
        return "\n".join(lines)


def _check_models(network, grid, channel, radar):
    """The arguments of :meth:`DesignProblem.from_network` are what it needs; errors name them."""
    from .network import Network
    from .targets import TargetGrid

    for name, value, expected in (("network", network, Network), ("grid", grid, TargetGrid)):
        if not isinstance(value, expected):
            raise InputTypeError(f"{name}: expected a {expected.__name__}, got {type(value).__name__}")
    for name, value, method in (("channel", channel, "draw"), ("radar", radar, "gains")):
        if not callable(getattr(value, method, None)):
            raise InputTypeError(f"{name}: expected a model with a {method}() method (e.g. RayleighFading, RadarLink), got {type(value).__name__}")


def _span(values):
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    return f"{low:.4g}" if np.isclose(low, high) else f"{low:.4g} .. {high:.4g}"
