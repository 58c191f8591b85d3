"""`DesignProblem`: the arrays every beamforming designer consumes.

A designer never sees geometry. It sees only these arrays, which also form
the public ``.npz`` file format (see the README).
"""
from __future__ import annotations

import os

import attrs
import numpy as np

from .errors import InputError, InputTypeError
from . import validation as v
from .atomic import atomic_write
from .channels import steering_matrix
from .npzfile import read_npz, write_npz
from .units import dbm_to_watt, linear_to_db, watt_to_dbm

__all__ = ["DesignProblem"]

#: Keys of the ``.npz`` format that :class:`DesignProblem` interprets.
ARRAY_KEYS = ("H", "A", "G", "gamma", "p_max", "sigma_c2", "sigma_d2", "n_rx", "p_fa")


def _array(kind, ndim, **checks):
    def convert(value, field):
        return v.as_array(field.name, value, kind=kind, shape=(None,) * ndim, **checks)

    return attrs.Converter(convert, takes_field=True)


def _scalar(kind):
    def convert(value, field):
        return v.as_array(field.name, value, kind=kind, shape=()).item()

    return attrs.Converter(convert, takes_field=True)


def _extras(value):
    if not isinstance(value, dict):
        raise InputError(f"extras: expected a dict of named arrays, got {type(value).__name__}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or key in ARRAY_KEYS:
            raise InputError(f"extras: expected string keys other than {ARRAY_KEYS}, got {key!r}")
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
    extras : dict of str -> numpy.ndarray
        Anything else (e.g. geometry for plots); kept and saved, never
        interpreted.

    Raises
    ------
    ValueError
        Naming the field, when a value has the wrong kind, shape, is not
        finite, or is out of range.
    """

    H: np.ndarray = attrs.field(converter=_array("complex", 4), eq=_ARRAY_EQ)
    A: np.ndarray = attrs.field(converter=_array("complex", 3), eq=_ARRAY_EQ)
    G: np.ndarray = attrs.field(converter=_array("float", 3, non_negative=True), eq=_ARRAY_EQ)
    gamma: np.ndarray = attrs.field(converter=_array("float", 2, positive=True), eq=_ARRAY_EQ)
    p_max: np.ndarray = attrs.field(converter=_array("float", 1, positive=True), eq=_ARRAY_EQ)
    sigma_c2: float = attrs.field(converter=_scalar("float"), validator=v.positive)
    sigma_d2: float = attrs.field(converter=_scalar("float"), validator=v.positive)
    n_rx: int = attrs.field(converter=_scalar("int"), validator=v.integer_at_least(1))
    p_fa: float = attrs.field(converter=_scalar("float"), validator=v.open_unit_interval)
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
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise InputError(f"{name}: expected shape {shape} to match H {self.H.shape}, got {actual}")
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
        ``max|H|^2 Nt max(P)`` for the users and
        ``max(G) max|A|^4 Nt^2 L^2 Nr max(P)`` for the echoes.
        """
        p_max, n_tx = float(self.p_max.max()), self.n_tx
        with np.errstate(over="ignore"):  # numpy scalars overflow to inf, which the check catches
            received = np.max(np.abs(self.H)) ** 2 * n_tx * p_max
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
    def n_bs(self):
        """Number of base stations L."""
        return self.H.shape[0]

    @property
    def n_users_per_cell(self):
        """Users per cell K."""
        return self.H.shape[2]

    @property
    def n_tx(self):
        """Transmit antennas per BS, Nt."""
        return self.H.shape[3]

    @property
    def n_points(self):
        """Number of target sample points Q."""
        return self.A.shape[0]

    @staticmethod
    def array_bytes(n_bs, n_users_per_cell, n_tx, n_points):
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
    def gamma_db(self):
        """SINR targets, shape (L, K) [dB]."""
        return linear_to_db(self.gamma)

    # ------------------------------------------------------------- building
    @classmethod
    def from_network(cls, network, grid, *, channel, radar, sigma_c2_dbm=-84.0, sigma_d2_dbm=-102.0, p_fa=1e-3, rng=None, extras=None):
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
            Extra arrays to keep. Geometry (BS, user and point positions,
            broadside angles) is always added.

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

    def evolve(self, **changes):
        """Copy with ``changes`` applied (validated like the constructor)."""
        return attrs.evolve(self, **changes)

    # ------------------------------------------------------------------- I/O
    def to_arrays(self):
        """All fields as a flat dict of arrays (the ``.npz`` content)."""
        arrays = {key: np.asarray(getattr(self, key)) for key in ARRAY_KEYS}
        arrays.update(self.extras)
        return arrays

    def save(self, path):
        """Write the problem to ``path`` as ``.npz`` (atomically).

        Parameters
        ----------
        path : str or os.PathLike
            Destination; written exactly there (no suffix is added).
        """
        arrays = self.to_arrays()
        atomic_write(path, lambda handle: write_npz(handle, arrays), binary=True)

    @classmethod
    def load(cls, path):
        """Read and validate a problem written by :meth:`save`.

        The file is checked before it is read (:func:`isacsim.npzfile.read_npz`):
        only a regular file, only plain arrays, at most
        ``ISACSIM_MAX_PROBLEM_BYTES`` of them (default 512 MiB).

        Raises
        ------
        InputError
            One line starting with ``path``: the file is missing, not a
            regular file, not an ``.npz`` archive, corrupt, too large, lacks a
            key, or a value fails validation (then the key is named too).
        """
        path = os.fspath(path)
        content = read_npz(path)
        missing = [key for key in ARRAY_KEYS if key not in content]
        if missing:
            raise InputError(f"{path}: missing key {missing[0]!r} (a DesignProblem needs {', '.join(ARRAY_KEYS)})")
        fields = {key: content.pop(key) for key in ARRAY_KEYS}
        try:
            return cls(**fields, extras=content)
        except InputError as error:
            raise type(error)(f"{path}: {error}") from None

    # --------------------------------------------------------------- display
    def summary(self):
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
