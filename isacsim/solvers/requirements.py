"""Row sets beyond the paper's: per-antenna budgets, reflected-power floors, SINR under CSI error.

Each builder returns a :class:`~isacsim.solvers.formulation.RowSet` in
physical units, like the paper's rows of :mod:`isacsim.solvers.formulation`,
with its kind's parameters in :attr:`RowSet.params` so that the PICOS
reference (:mod:`isacsim.solvers.picos_model`) restates it from the
equations and the verification recomputes it from the returned beams.

* :func:`antenna_rows`: ``[sum_i W_li + R_l]_nn <= p_antenna[l, n]``, the
  diagonal of each BS's transmit covariance (one coordinate vector per row:
  no subspace of the channels holds it, so these rows keep the blocks of
  their BS at full dimension).
* :func:`floor_rows`: ``E_q >= floor_q`` at each point with a floor > 0,
  ``E_q`` the reflected power of eqs. (20)/(28); the floor of a detection
  target comes from :func:`isacsim.detection.reflected_power_floor`.
* :func:`robust_sinr_rows`: the SINR rows in expectation over a statistical
  CSI error, ``E|h^H w|^2 = w^H (h h^H + s2 I) w``: the paper's rank-one
  data plus an identity term on every block.
"""
from __future__ import annotations

import attrs
import numpy as np

from ..errors import InputError
from .formulation import RowSet, sinr_rows

__all__ = ["antenna_rows", "floor_rows", "robust_sinr_rows"]


def antenna_rows(problem, p_antenna):
    """Every antenna's power budget: ``-[sum_i W_li + R_l]_nn >= -p_antenna[l, n]``.

    Parameters
    ----------
    problem : DesignProblem
    p_antenna : numpy.ndarray, float, shape (L, Nt)
        Per-antenna budgets [W], > 0.

    Returns
    -------
    RowSet
        Kind ``"antenna"``, labels ``("antenna", l, n)``, row ``l Nt + n``.
    """
    n_bs, n_users, n_tx = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    p_antenna = np.asarray(p_antenna, dtype=float)
    if p_antenna.shape != (n_bs, n_tx) or not np.all(np.isfinite(p_antenna)) or np.any(p_antenna <= 0):
        raise InputError(f"p_antenna: expected finite budgets > 0 of shape {(n_bs, n_tx)}, got shape {p_antenna.shape}")
    n_rows = n_bs * n_tx
    return RowSet(
        kind="antenna",
        labels=[("antenna", l, n) for l in range(n_bs) for n in range(n_tx)],
        rhs=-p_antenna.ravel(),
        scale=np.ones(n_rows),
        t=np.zeros(n_rows),
        atoms=np.repeat(np.eye(n_tx, dtype=complex)[None], n_bs, axis=0),  # e_n at every BS
        atom_rows=np.arange(n_rows).reshape(n_bs, n_tx),
        beam=-np.ones((n_bs, n_users, n_tx)),
        sensing=-np.ones((n_bs, n_tx)),
        params={"p_antenna": p_antenna.copy()},
    )


def floor_rows(problem, link_weights, floors, information_echoes=True):
    """The reflected power at each point with a floor > 0, ``E_q >= floor_q`` [W].

    ``E_q = n_rx sum_l link_weights[q, l] a_ql^H (s sum_i W_li + R_l) a_ql``
    (eqs. (27)/(28)), as in :func:`~isacsim.solvers.formulation.echo_rows`.

    Parameters
    ----------
    problem : DesignProblem
    link_weights : numpy.ndarray, float, shape (Q, L)
        :meth:`~isacsim.detection.Detector.link_weights`.
    floors : numpy.ndarray, float, shape (Q,)
        Reflected-power floors [W], >= 0; points with floor 0 get no row
        (``E_q >= 0`` always holds).
    information_echoes : bool
        Whether the information beams' echoes count.

    Returns
    -------
    RowSet
        Kind ``"floor"``, labels ``("floor", q)``.
    """
    n_points, n_bs, n_users = problem.n_points, problem.n_bs, problem.n_users_per_cell
    floors = np.asarray(floors, dtype=float)
    if floors.shape != (n_points,) or not np.all(np.isfinite(floors)) or np.any(floors < 0):
        raise InputError(f"floors: expected finite reflected powers >= 0 of shape ({n_points},), got shape {floors.shape}")
    link = np.asarray(link_weights, dtype=float)
    points = np.flatnonzero(floors > 0)
    gains = problem.n_rx * link[points].T  # (L, rows) [W reflected per W along a_ql]
    reach = np.sum(link[points] * np.sum(np.abs(problem.A[points]) ** 2, axis=2), axis=1)  # E_q per W along the best beam
    scale = problem.n_rx * np.where(reach > 0, reach, 1.0)
    beam = np.repeat((gains if information_echoes else np.zeros_like(gains))[:, None, :], n_users, axis=1)
    return RowSet(
        kind="floor",
        labels=[("floor", int(q)) for q in points],
        rhs=floors[points],
        scale=scale,
        t=np.zeros(points.size),
        atoms=np.conj(np.swapaxes(problem.A[points], 0, 1)),
        atom_rows=np.tile(np.arange(points.size), (n_bs, 1)),
        beam=beam,
        sensing=gains,
        params={"floors": floors.copy(), "link_weights": link.copy(), "information_echoes": bool(information_echoes)},
    )


def robust_sinr_rows(problem, leakage, csi_error_var, gamma=None):
    """Every user's SINR target in expectation over a statistical CSI error.

    ``H`` is the estimate; each entry of the error of ``H[l, m, k]`` is
    CN(0, ``csi_error_var[l, m, k]``), so every received power gains an
    identity term: ``E|h^H w|^2 = w^H (h h^H + s2 I) w`` and
    ``E h^H R h = h^H R h + s2 tr R``. The rows are those of
    :func:`~isacsim.solvers.formulation.sinr_rows` plus, on block W_li of
    row (m, k), ``coefficient * csi_error_var[l, m, k] * I`` (``1/gamma``
    for the user's own beam, -1 for every other beam, ``-leakage`` for R_l).

    Parameters
    ----------
    problem : DesignProblem
    leakage : float
        The receiver's sensing-interference leakage in [0, 1].
    csi_error_var : numpy.ndarray, float, shape (L, L, K)
        Error variance per entry of each channel (a power gain), >= 0.
    gamma : numpy.ndarray or None, shape (L, K)
        Linear targets; default ``problem.gamma``.

    Returns
    -------
    RowSet
        Kind ``"sinr"``, labels ``("sinr", m, k)``; ``params`` adds
        ``csi_error_var``.
    """
    rows = sinr_rows(problem, leakage, gamma)
    n_bs, n_users = problem.n_bs, problem.n_users_per_cell
    variance = np.asarray(csi_error_var, dtype=float)
    if variance.shape != (n_bs, n_bs, n_users) or not np.all(np.isfinite(variance)) or np.any(variance < 0):
        raise InputError(f"csi_error_var: expected finite variances >= 0 of shape {(n_bs, n_bs, n_users)}, got shape {variance.shape}")
    per_row = variance.reshape(n_bs, n_bs * n_users).T  # [row (m, k), BS l]
    # rows.beam[l, i, p] is the coefficient of the atom h_{l,m,k} (p = row (m, k)) on W_li
    beam_identity = np.einsum("lip,pl->pli", rows.beam, per_row)
    sensing_identity = rows.sensing.T * per_row
    return attrs.evolve(
        rows, beam_identity=beam_identity, sensing_identity=sensing_identity, params={**rows.params, "csi_error_var": variance.copy()}
    )
