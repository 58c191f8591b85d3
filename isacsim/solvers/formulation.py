"""The physical description of a beam program: an objective and sets of rows, in watts.

A designer composes its relaxed design problem from the pieces here, in a
few lines; :func:`~isacsim.solvers.compile.compile_program` turns it into
the scaled, labelled :class:`~isacsim.solvers.program.Program` every solver
takes.

The variables are the transmit covariances of the beams, ``W_li`` (BS l, its
user i, ``Nt x Nt``, PSD) and, optionally, the sensing covariances ``R_l``,
plus one scalar ``t``. Every row is linear in them and reads ``>=``::

    sum_{l,p} [ sum_i beam[l,i,p] a_lp^H W_li a_lp + sensing[l,p] a_lp^H R_l a_lp ]     (p over the row's atoms at BS l)
      + sum_{l,i} beam_identity[j,l,i] tr W_li + sum_l sensing_identity[j,l] tr R_l
      + t[j] * t  >=  rhs[j]

so each row's data on a block is a few vectors ("atoms", rank r) with signed
coefficients plus a multiple of the identity. The objective maximizes (or,
for :attr:`Objective.sense` ``"min"``, minimizes the negative of)
``c_t t + sum beam_identity tr W + sum sensing_identity tr R``.

Building blocks
---------------
:class:`RowSet`
    Rows of one kind, vectorized over BSs, users and atoms. Built-ins:
    :func:`echo_rows` (the reflected power at every sample point, with
    coefficient -1 on ``t``: the max-min objective's rows), :func:`sinr_rows`
    (every user's SINR, any receiver leakage), :func:`budget_rows` (per-BS
    power). A row type of one's own is a function returning a ``RowSet``.
:class:`Objective`
    :func:`max_min_reflected_power` (maximize ``t``, the paper) or
    :func:`min_total_power` (minimize the total transmit power, weighted per
    BS).
:class:`Formulation`
    The problem, the objective, the row sets, the beam subspace (free beams
    or fixed unit directions ``(L, K, Nt)``) and whether ``R`` exists.

Row labels are tuples whose first entry is the row's kind, e.g.
``("sinr", m, k)``, ``("echo", q)``, ``("budget", l)``; a Farkas certificate
names the rows that cannot be met by these labels.

Each ``RowSet`` also carries its kind's parameters (:attr:`RowSet.params`),
from which :mod:`isacsim.solvers.picos_model` restates the rows straight
from the model's equations, independently of the atoms.

Examples
--------
The paper's program (SDR2.1: Type-II users, synchronized BSs)::

    formulation = Formulation(
        problem=problem,
        objective=max_min_reflected_power(),
        rows=(echo_rows(problem, detector.link_weights(problem), True),
              sinr_rows(problem, leakage=0.0),
              budget_rows(problem)),
    )
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import InputError
from ..validation import as_tuple

if TYPE_CHECKING:
    from ..problem import DesignProblem

__all__ = [
    "RowSet",
    "Objective",
    "Formulation",
    "echo_rows",
    "sinr_rows",
    "budget_rows",
    "max_min_reflected_power",
    "min_total_power",
    "BLOCK_KINDS",
]

#: Keys of the blocks: ``("W", l, i)`` for beam i of BS l, ``("R", l)`` for BS l's sensing covariance.
BLOCK_KINDS = ("W", "R")


def _float_array(name, value, shape):
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise InputError(f"{name}: expected shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InputError(f"{name}: expected finite values")
    return array


@attrs.frozen(kw_only=True, eq=False)
class RowSet:
    """Rows of one kind, in physical units, on the blocks ``W_li`` and ``R_l``.

    Attributes
    ----------
    kind : str
        What the rows are, e.g. ``"sinr"``; the first entry of every label.
    labels : tuple of tuple
        One label per row, e.g. ``("sinr", m, k)``; unique in a formulation.
    rhs : numpy.ndarray, float, shape (n,)
        Right-hand sides [the row's unit, e.g. W].
    scale : numpy.ndarray, float, shape (n,)
        Size of each row's terms per watt on a block [row unit / W], > 0:
        the compiled row is divided by ``power unit * scale``, so choose the
        gain of the row's dominant term (the own-channel gain of an SINR row).
    t : numpy.ndarray, float, shape (n,)
        Coefficient of the objective variable ``t`` [row unit / unit of t].
    atoms : numpy.ndarray, complex, shape (L, P, Nt)
        Per BS, ``P`` vectors (rows of zeros where a BS has fewer).
    atom_rows : numpy.ndarray, int, shape (L, P)
        The row (index into this set) of each atom; -1 for an unused slot.
    beam : numpy.ndarray, float, shape (L, K, P)
        Coefficient of ``a_lp^H W_li a_lp`` in its row.
    sensing : numpy.ndarray, float, shape (L, P)
        Coefficient of ``a_lp^H R_l a_lp`` in its row.
    beam_identity : numpy.ndarray or None, float, shape (n, L, K)
        Coefficient of ``tr W_li`` in each row (None: zero).
    sensing_identity : numpy.ndarray or None, float, shape (n, L)
        Coefficient of ``tr R_l`` in each row (None: zero).
    tighten : bool
        Whether the solver may tighten these rows by a small relative margin
        (their positive terms divided by ``1 + margin``) so that the
        interior-point residuals land inside the feasible set; the bound and
        any infeasibility certificate are checked on the untightened rows.
    params : dict
        The kind's own parameters (e.g. ``{"gamma": ..., "leakage": ...}``)
        for independent restatements of the rows (PICOS model).
    """

    kind: str
    labels: tuple = attrs.field(converter=as_tuple)
    rhs: np.ndarray
    scale: np.ndarray
    t: np.ndarray
    atoms: np.ndarray
    atom_rows: np.ndarray
    beam: np.ndarray
    sensing: np.ndarray
    beam_identity: np.ndarray | None = None
    sensing_identity: np.ndarray | None = None
    tighten: bool = False
    params: dict = attrs.field(factory=dict)

    def __attrs_post_init__(self):
        n = len(self.labels)
        if any(not isinstance(label, tuple) or not label or label[0] != self.kind for label in self.labels):
            raise InputError(f"RowSet {self.kind!r}: every label must be a tuple starting with {self.kind!r}")
        for name in ("rhs", "scale", "t"):
            _float_array(f"RowSet {self.kind!r}.{name}", getattr(self, name), (n,))
        if np.any(np.asarray(self.scale) <= 0):
            raise InputError(f"RowSet {self.kind!r}.scale: expected positive values")
        atoms = np.asarray(self.atoms)
        if atoms.ndim != 3:
            raise InputError(f"RowSet {self.kind!r}.atoms: expected shape (L, P, Nt), got {atoms.shape}")
        n_bs, n_atoms, _ = atoms.shape
        if np.asarray(self.atom_rows).shape != (n_bs, n_atoms):
            raise InputError(f"RowSet {self.kind!r}.atom_rows: expected shape {(n_bs, n_atoms)}")
        rows = np.asarray(self.atom_rows)
        if rows.size and (rows.min() < -1 or rows.max() >= n):
            raise InputError(f"RowSet {self.kind!r}.atom_rows: expected -1 or a row index below {n}")
        beam = np.asarray(self.beam)
        if beam.ndim != 3 or beam.shape[0] != n_bs or beam.shape[2] != n_atoms:
            raise InputError(f"RowSet {self.kind!r}.beam: expected shape (L, K, {n_atoms}), got {beam.shape}")
        _float_array(f"RowSet {self.kind!r}.sensing", self.sensing, (n_bs, n_atoms))
        n_users = beam.shape[1]
        if self.beam_identity is not None:
            _float_array(f"RowSet {self.kind!r}.beam_identity", self.beam_identity, (n, n_bs, n_users))
        if self.sensing_identity is not None:
            _float_array(f"RowSet {self.kind!r}.sensing_identity", self.sensing_identity, (n, n_bs))

    @property
    def n_rows(self) -> int:
        """Number of rows n."""
        return len(self.labels)


@attrs.frozen(kw_only=True, eq=False)
class Objective:
    """What the program optimizes: ``c_t t + sum beam tr W_li + sum sensing tr R_l``, maximized.

    Attributes
    ----------
    kind : str
        ``"max-min-reflected-power"``, ``"min-power"`` or one's own.
    t : float
        Coefficient ``c_t`` of ``t`` (0 when ``t`` plays no part).
    t_free : bool
        Whether ``t`` is free in sign (otherwise ``t >= 0``).
    beam_identity : numpy.ndarray, float, shape (L, K)
        Coefficient of ``tr W_li`` (negative weights for a power to minimize).
    sensing_identity : numpy.ndarray, float, shape (L,)
        Coefficient of ``tr R_l``.
    sense : str
        ``"max"``: the reported objective is the maximized expression;
        ``"min"``: it is its negative (e.g. a power [W]), and the certified
        bound is a lower bound.
    params : dict
        The objective's own parameters (for independent restatements).
    """

    kind: str
    t: float = 0.0
    t_free: bool = False
    beam_identity: np.ndarray | None = None
    sensing_identity: np.ndarray | None = None
    sense: str = attrs.field(default="max", validator=attrs.validators.in_(("max", "min")))
    params: dict = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, eq=False)
class Formulation:
    """A beam program in physical units: the problem, the objective, the rows and the blocks.

    Attributes
    ----------
    problem : DesignProblem
    objective : Objective
    rows : tuple of RowSet
    directions : numpy.ndarray or None, complex, shape (L, K, Nt)
        Fixed unit directions of the beams (only their powers are
        variables), or None for free beams (each ``W_li`` any PSD matrix).
    sensing : bool
        Whether the sensing covariances ``R_l`` are variables (False fixes
        ``R = 0``).
    """

    problem: object
    objective: Objective
    rows: tuple = attrs.field(converter=as_tuple)
    directions: np.ndarray | None = None
    sensing: bool = True

    def __attrs_post_init__(self):
        labels = [label for rows in self.rows for label in rows.labels]
        if len(set(labels)) != len(labels):
            raise InputError("Formulation.rows: row labels must be unique")
        shape = (self.problem.n_bs, self.problem.n_users_per_cell)
        for rows in self.rows:
            if rows.atoms.shape[0] != shape[0] or rows.beam.shape[1] != shape[1] or (rows.atoms.shape[1] and rows.atoms.shape[2] != self.problem.n_tx):
                raise InputError(f"RowSet {rows.kind!r}: its blocks do not match the problem's (L, K, Nt) = {shape + (self.problem.n_tx,)}")

    @property
    def labels(self) -> tuple[tuple[object, ...], ...]:
        """Every row's label, in order."""
        return tuple(label for rows in self.rows for label in rows.labels)

    def row_set(self, kind: str) -> RowSet | None:
        """The first row set of ``kind``, or None."""
        return next((rows for rows in self.rows if rows.kind == kind), None)


# --------------------------------------------------------------- built-in rows
def echo_rows(problem: DesignProblem, link_weights: npt.ArrayLike, information_echoes: bool = True) -> RowSet:
    """The reflected power at every sample point, less ``t``: ``E_q - t >= 0``.

    ``E_q = n_rx sum_l link_weights[q, l] a_ql^H (s sum_i W_li + R_l) a_ql``
    with ``a_ql = conj(A[q, l])`` and ``s = 1`` if the information beams'
    echoes count (eqs. (27)/(28)). With :func:`max_min_reflected_power`
    these rows make ``t`` the minimum reflected power [W].

    Parameters
    ----------
    problem : DesignProblem
    link_weights : numpy.ndarray, float, shape (Q, L)
        Echo gain summed over the receiving BSs the detector uses
        (:meth:`~isacsim.detection.Detector.link_weights`).
    information_echoes : bool

    Returns
    -------
    RowSet
        Kind ``"echo"``, labels ``("echo", q)``.
    """
    n_points, n_bs, n_users = problem.n_points, problem.n_bs, problem.n_users_per_cell
    link = _float_array("link_weights", link_weights, (n_points, n_bs))
    gains = problem.n_rx * link.T  # (L, Q) [W reflected per W on a_ql]
    steering_gain = np.sum(np.abs(problem.A) ** 2, axis=2)  # (Q, L)
    peak = float(np.max(np.sum(link * steering_gain, axis=1)))
    scale = problem.n_rx * (peak if peak > 0 else 1.0)
    beam = np.repeat((gains if information_echoes else np.zeros_like(gains))[:, None, :], n_users, axis=1)
    return RowSet(
        kind="echo",
        labels=[("echo", q) for q in range(n_points)],
        rhs=np.zeros(n_points),
        scale=np.full(n_points, scale),
        t=-np.ones(n_points),
        atoms=np.conj(np.swapaxes(problem.A, 0, 1)),
        atom_rows=np.tile(np.arange(n_points), (n_bs, 1)),
        beam=beam,
        sensing=gains,
        params={"link_weights": link, "information_echoes": bool(information_echoes)},
    )


def sinr_rows(problem: DesignProblem, leakage: float, gamma: npt.ArrayLike | None = None) -> RowSet:
    """Every user's SINR target, ``signal / gamma - interference >= sigma_c^2`` (eqs. (33c)/(34b)).

    Interference counts every other beam through its channel to the user and
    ``leakage`` times the sensing covariances (1: Type-I, 0: Type-II).

    Parameters
    ----------
    problem : DesignProblem
    leakage : float
        The receiver's sensing-interference leakage in [0, 1].
    gamma : numpy.ndarray or None, shape (L, K)
        Linear targets; default ``problem.gamma``.

    Returns
    -------
    RowSet
        Kind ``"sinr"``, labels ``("sinr", m, k)``; tightened by the
        solver's margin.

    Raises
    ------
    InputError
        If ``leakage`` is outside [0, 1] or a user has a zero own channel.
    """
    leakage = float(leakage)
    if not 0.0 <= leakage <= 1.0:
        raise InputError(f"receiver.sensing_leakage: expected a fraction in [0, 1], got {leakage!r}")
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    gamma = problem.gamma if gamma is None else _float_array("gamma", gamma, (n_bs, n_users))
    own = np.einsum("mmkn->mkn", problem.H)
    own_gain = np.einsum("mkn,mkn->mk", own.conj(), own).real
    if np.any(own_gain <= 0):
        m, k = np.argwhere(own_gain <= 0)[0]
        raise InputError(f"H: user {k} of cell {m} has a zero channel from its own BS")
    n_rows = n_bs * n_users
    beam = -np.ones((n_bs, n_users, n_rows))
    for m in range(n_bs):
        for k in range(n_users):
            beam[m, k, m * n_users + k] = 1.0 / gamma[m, k]
    return RowSet(
        kind="sinr",
        labels=[("sinr", m, k) for m in range(n_bs) for k in range(n_users)],
        rhs=np.full(n_rows, problem.sigma_c2),
        scale=own_gain.ravel(),
        t=np.zeros(n_rows),
        atoms=problem.H.reshape(n_bs, n_rows, n_tx),
        atom_rows=np.tile(np.arange(n_rows), (n_bs, 1)),
        beam=beam,
        sensing=np.full((n_bs, n_rows), -leakage),
        tighten=True,
        params={"gamma": np.array(gamma, dtype=float), "leakage": leakage},
    )


def budget_rows(problem: DesignProblem) -> RowSet:
    """Every BS's power budget, ``-(sum_i tr W_li + tr R_l) >= -p_max[l]`` (eq. (33d)).

    Returns
    -------
    RowSet
        Kind ``"budget"``, labels ``("budget", l)``.
    """
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    beam_identity = np.zeros((n_bs, n_bs, n_users))
    sensing_identity = np.zeros((n_bs, n_bs))
    for l in range(n_bs):
        beam_identity[l, l, :] = -1.0
        sensing_identity[l, l] = -1.0
    return RowSet(
        kind="budget",
        labels=[("budget", l) for l in range(n_bs)],
        rhs=-np.asarray(problem.p_max, dtype=float),
        scale=np.ones(n_bs),
        t=np.zeros(n_bs),
        atoms=np.zeros((n_bs, 0, n_tx), dtype=complex),
        atom_rows=np.zeros((n_bs, 0), dtype=int),
        beam=np.zeros((n_bs, n_users, 0)),
        sensing=np.zeros((n_bs, 0)),
        beam_identity=beam_identity,
        sensing_identity=sensing_identity,
        params={"p_max": np.array(problem.p_max, dtype=float)},
    )


# ----------------------------------------------------------- built-in objectives
def max_min_reflected_power() -> Objective:
    """Maximize ``t``, the minimum reflected power [W] when paired with :func:`echo_rows` (the paper)."""
    return Objective(kind="max-min-reflected-power", t=1.0, sense="max")


def min_total_power(problem: DesignProblem, weights: npt.ArrayLike | None = None) -> Objective:
    """Minimize ``sum_l weights[l] (sum_i tr W_li + tr R_l)`` [W].

    Parameters
    ----------
    problem : DesignProblem
    weights : array_like or None, shape (L,)
        Nonnegative weight of each BS's power (default: all 1).
    """
    n_bs, n_users = problem.n_bs, problem.n_users_per_cell
    weights = np.ones(n_bs) if weights is None else _float_array("weights", weights, (n_bs,))
    if np.any(weights < 0) or not np.any(weights > 0):
        raise InputError("weights: expected nonnegative per-BS weights, not all zero")
    return Objective(
        kind="min-power",
        beam_identity=-np.repeat(weights[:, None], n_users, axis=1),
        sensing_identity=-weights.copy(),
        sense="min",
        params={"weights": weights.copy()},
    )
