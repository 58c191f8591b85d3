"""`BeamProgram`: the relaxed design problem in scaled units, block by block.

Every designer in this package solves one convex program of the same shape::

    maximize    t
    subject to  sum_l c_ql b_ql^H (s sum_i W_li + R_l) b_ql >= t            for every point q
                W_mk / gamma_mk  - interference - leak * sensing >= rho_mk    for every user (m, k)
                sum_i tr W_li + tr R_l <= p_l                               for every BS l
                W_li = V_li Y_li V_li^H,  Y_li >= 0,  R_l = U_l Z_l U_l^H, Z_l >= 0

The designers differ only in the subspaces ``V_li`` the information beams may
use (the whole relevant span for the SDR, one fixed direction for ZF), in
``s`` (whether information echoes count for detection) and in ``leak`` (the
receiver's sensing-interference leakage).

Scaling
-------
Physical data span 1e-18 .. 1e2, which breaks solver tolerances. Inside the
program:

* powers are in units of ``power_scale = max(p_max)``;
* the SINR row of user (m, k) is divided by ``power_scale ||h_mmk||^2``, so
  its own-channel vector has unit norm and its right-hand side (the noise) is
  ``rho_mk = sigma_c^2 / (power_scale ||h_mmk||^2)``;
* steering vectors are normalised to unit norm and the echo weights to
  ``max_q sum_l c_ql = 1``, so ``t`` is O(1) and the physical reflected power
  is ``energy_scale * t``.
"""
from __future__ import annotations

import attrs
import numpy as np
from ..errors import InputError

__all__ = ["BeamProgram", "Block", "span_basis", "TARGET_MARGIN"]

#: Relative tightening of the SINR targets inside the program, so that the
#: interior-point residuals land inside the true feasible set; it moves the
#: optimum by far less than the 1e-5 to which it is checked.
TARGET_MARGIN = 1e-7
#: Relative singular-value cut of the subspace reduction. Restricting the
#: beams to the kept span perturbs the data by at most ~``Q * SPAN_RTOL``
#: relative, and the optimum by the same order (far below 1e-5).
SPAN_RTOL = 1e-8


def span_basis(vectors, rtol=SPAN_RTOL):
    """Orthonormal basis of the span of some vectors.

    Parameters
    ----------
    vectors : numpy.ndarray, complex, shape (n_vectors, Nt)
        Spanning vectors (rows); each is normalised first.
    rtol : float
        Singular values below ``rtol * largest`` are dropped.

    Returns
    -------
    numpy.ndarray, complex, shape (Nt, d)
        Orthonormal columns, ``d <= min(n_vectors, Nt)``.
    """
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = vectors[norms[:, 0] > 0] / norms[norms[:, 0] > 0]
    u, s, _ = np.linalg.svd(rows.T, full_matrices=False)
    return u[:, s > rtol * s[0]] if s.size else u[:, :0]


@attrs.frozen
class Block:
    """One PSD variable of the program.

    Attributes
    ----------
    bs : int
        The BS l that transmits it.
    user : int or None
        The user i of cell l it serves, or None for the sensing covariance.
    basis : numpy.ndarray, complex, shape (Nt, d)
        Orthonormal columns; the block's matrix is ``basis @ Y @ basis^H``.
    """

    bs: int
    user: int | None
    basis: np.ndarray = attrs.field(eq=False)

    @property
    def is_sensing(self):
        """True for the sensing covariance R_l."""
        return self.user is None


@attrs.frozen(kw_only=True)
class BeamProgram:
    """The scaled program; build it with :meth:`build`.

    Attributes
    ----------
    steering : numpy.ndarray, complex, shape (Q, L, Nt)
        Unit-norm ``b_ql = conj(A[q, l]) / ||A[q, l]||``.
    weights : numpy.ndarray, float, shape (Q, L)
        Scaled echo weights ``c_ql`` (max over q of the row sum is 1).
    channels : numpy.ndarray, complex, shape (L, L, K, Nt)
        ``H[l, m, k] / ||H[m, m, k]||``.
    gamma : numpy.ndarray, float, shape (L, K)
        Linear SINR targets, tightened by a relative margin
        (:data:`TARGET_MARGIN` by default).
    rhs : numpy.ndarray, float, shape (L, K)
        ``rho_mk``.
    budget : numpy.ndarray, float, shape (L,)
        ``p_max / power_scale``.
    leakage : float
        Receiver's sensing-interference leakage in [0, 1].
    information_echoes : bool
        Whether information beams count in the objective.
    blocks : tuple of Block
        The PSD variables.
    power_scale : float
        [W] per program power unit.
    energy_scale : float
        [W] of reflected power per unit of ``t``.
    """

    steering: np.ndarray
    weights: np.ndarray
    channels: np.ndarray
    gamma: np.ndarray
    rhs: np.ndarray
    budget: np.ndarray
    leakage: float
    information_echoes: bool
    blocks: tuple
    power_scale: float
    energy_scale: float

    @property
    def n_bs(self):
        """L."""
        return self.channels.shape[0]

    @property
    def n_users_per_cell(self):
        """K."""
        return self.channels.shape[2]

    @property
    def n_points(self):
        """Q."""
        return self.steering.shape[0]

    @classmethod
    def build(cls, problem, receiver, detector, beam_bases, sensing_bases=None, margin=TARGET_MARGIN):
        """Scale a problem and attach the block structure.

        Parameters
        ----------
        problem : DesignProblem
        receiver : Receiver
            Supplies ``sensing_leakage`` in [0, 1].
        detector : Detector
            Supplies the echo link weights and ``information_echoes``.
        beam_bases : sequence of sequence of numpy.ndarray
            ``beam_bases[l][i]``: orthonormal basis (Nt, d) for W_li.
        sensing_bases : sequence of numpy.ndarray or None
            ``sensing_bases[l]``: basis (Nt, d) for R_l; ``None`` fixes R = 0.
        margin : float
            Relative tightening of the SINR targets.

        Raises
        ------
        ValueError
            If the receiver's leakage is outside [0, 1] or a user has a zero
            own channel.
        """
        leakage = float(receiver.sensing_leakage)
        if not 0.0 <= leakage <= 1.0:
            raise InputError(f"receiver.sensing_leakage: expected a fraction in [0, 1], got {leakage!r}")
        power_scale = float(problem.p_max.max())
        own = np.einsum("mmkn->mkn", problem.H)
        own_gain = np.einsum("mkn,mkn->mk", own.conj(), own).real
        if np.any(own_gain <= 0):
            m, k = np.argwhere(own_gain <= 0)[0]
            raise InputError(f"H: user {k} of cell {m} has a zero channel from its own BS")
        link = detector.link_weights(problem)  # (Q, L)
        steering_norm = np.linalg.norm(problem.A, axis=2)  # (Q, L)
        weights = link * steering_norm**2  # E_q = n_rx * sum_l weights * b^H X b
        peak = float(weights.sum(axis=1).max())
        scale = peak if peak > 0 else 1.0
        blocks = []
        for l in range(problem.n_bs):
            blocks.extend(Block(l, i, basis) for i, basis in enumerate(beam_bases[l]))
            if sensing_bases is not None:
                blocks.append(Block(l, None, sensing_bases[l]))
        return cls(
            steering=np.conj(problem.A) / steering_norm[..., None],
            weights=weights / scale,
            channels=problem.H / np.sqrt(own_gain)[None, :, :, None],
            gamma=problem.gamma * (1.0 + margin),
            rhs=problem.sigma_c2 / (power_scale * own_gain),
            budget=problem.p_max / power_scale,
            leakage=leakage,
            information_echoes=bool(detector.information_echoes),
            blocks=tuple(blocks),
            power_scale=power_scale,
            energy_scale=problem.n_rx * power_scale * scale,
        )

    def sinr_coefficients(self, block):
        """Coefficient of each user's SINR row on ``block``.

        Returns
        -------
        numpy.ndarray, float, shape (L, K)
            ``1 / gamma`` for the block's own user, ``-1`` for every other
            user (interference), ``-leakage`` everywhere for a sensing block.
        """
        if block.is_sensing:
            return np.full(self.gamma.shape, -self.leakage)
        coefficients = -np.ones(self.gamma.shape)
        coefficients[block.bs, block.user] = 1.0 / self.gamma[block.bs, block.user]
        return coefficients

    def sensing_weight(self, block):
        """Whether ``block`` counts in the objective (1.0) or not (0.0)."""
        return 1.0 if (block.is_sensing or self.information_echoes) else 0.0

    def block_rows(self, block):
        """The block's data in the dual: projected vectors and their coefficients.

        The dual LMI of ``block`` is ``nu_l I - sum_j y_j c_j v_j v_j^H >= 0``
        over the ``Q + LK`` multipliers ``y = (lambda, mu)``.

        Returns
        -------
        vectors : numpy.ndarray, complex, shape (Q + LK, d)
            ``v_j = V^H b_ql`` for the points, then ``V^H h_lmk`` for the users.
        coefficients : numpy.ndarray, float, shape (Q + LK,)
            ``s c_ql`` for the points, :meth:`sinr_coefficients` for the users.
        """
        l = block.bs
        basis_conj = block.basis.conj()
        g = self.steering[:, l, :] @ basis_conj  # (Q, d)
        f = self.channels[l].reshape(-1, basis_conj.shape[0]) @ basis_conj  # (LK, d)
        coefficients = np.concatenate([self.sensing_weight(block) * self.weights[:, l], self.sinr_coefficients(block).ravel()])
        return np.concatenate([g, f]), coefficients

    def assemble(self, matrices):
        """Physical covariances from the blocks' reduced matrices.

        Parameters
        ----------
        matrices : sequence of numpy.ndarray
            Per block, its reduced Hermitian matrix ``Y`` (d x d) in program
            units.

        Returns
        -------
        W : numpy.ndarray, complex, shape (L, K, Nt, Nt)
            ``power_scale * V Y V^H`` per information block [W].
        R : numpy.ndarray, complex, shape (L, Nt, Nt)
            The same for the sensing blocks; zero where R is not a variable.
        """
        n_tx = self.steering.shape[2]
        W = np.zeros((self.n_bs, self.n_users_per_cell, n_tx, n_tx), dtype=complex)
        R = np.zeros((self.n_bs, n_tx, n_tx), dtype=complex)
        for block, Y in zip(self.blocks, matrices):
            full = self.power_scale * (block.basis @ Y @ block.basis.conj().T)
            full = (full + full.conj().T) / 2
            if block.is_sensing:
                R[block.bs] = full
            else:
                W[block.bs, block.user] = full
        return W, R
