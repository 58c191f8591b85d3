"""Detection in clutter: the whitened detector, the clutter-blind one, and the SCNR bound.

Model (:mod:`isacsim.clutter.echoes`). At sample point q the stacked
matched-filter output of the detector's links is

    ``d = x alpha + sum_k g_k v_k + z``,   ``z ~ CN(0, sigma_d^2 I)``,

with ``alpha`` the target's echo (eq. (12)), ``x`` its coefficient (1 for
the paper's target), and one clutter signature ``v_k`` per scatterer
(``coherence="common"``: the scatterer's echoes on every link, one
coefficient) or per scatterer and link (``"links"``), ``g_k ~ CN(0, 1)``
independent (the scatterer's power is in ``v_k``). The clutter makes the
noise coloured and dependent on the design: under both hypotheses the
interference is ``CN(0, Sigma)``, ``Sigma = sigma_d^2 I + V V^H``.

Everything follows from inner products of the signatures, which reduce to
the transmit covariances seen from the sample points and the scatterers.
With ``S_l`` the covariance of the streams the detector matched-filters,
``B_l[x, y] = a_l(x)^T S_l a_l(y)^*`` for points x, y and
``r_m[x, y] = a_{r,m}(x)^H a_{r,m}(y)`` on BS m's receive array, link
``j = (m, l)`` contributes

* ``||alpha_j||^2 = N_r G[q,m,l] B_l[q, q]`` (its term of eq. (20));
* ``v_{c,j}^H alpha_j = rho sqrt(gain_c G) B_l[q, c] r_m[c, q]``;
* ``v_{c,j}^H v_{c',j} = rho_c rho_c' sqrt(gain_c gain_c') B_l[c', c] r_m[c, c']``;

and the links' blocks of ``d`` are disjoint (a ``"common"`` signature is the
sum of its links' blocks). With ``a = V^H alpha`` and ``Gamma = V^H V``:

**Whitened (clutter-aware) detector.** ``T = Re(alpha^H Sigma^-1 d)``, the
Neyman-Pearson test for the known ``alpha`` in Gaussian clutter, has
deflection ``sqrt(2 rho)`` with the signal-to-clutter-plus-noise ratio

    ``rho = alpha^H Sigma^-1 alpha = (E - a^H (sigma_d^2 I + Gamma)^-1 a) / sigma_d^2``

(Woodbury), so ``pD = Q(Q^-1(pFA) - sqrt(2 rho))``: eq. (26) with ``E``
replaced by the *effective energy* ``E_eff = sigma_d^2 rho``. Without clutter
``a = 0`` and ``E_eff = E`` exactly, the paper's pD. For the Swerling I
target, ``|alpha^H Sigma^-1 d|^2`` gives ``pD = pFA^(1 / (1 + rho))``.

**Clutter-blind detector.** The paper's ``T = Re(alpha^H d)``; its variance
under H0 is ``(sigma_d^2 E + c) / 2`` with ``c = alpha^H V V^H alpha = ||a||^2``.
With the threshold set for the clutter present (it holds pFA),
``pD = Q(Q^-1(pFA) - E sqrt(2 / (sigma_d^2 E + c)))``; with the paper's
threshold, eq. (25), pFA rises to ``Q(Q^-1(pFA) sqrt(sigma_d^2 E / (sigma_d^2 E + c)))``.

**The SCNR bound.** With ``I = sum_j sum_c rho^2 gain_c |r_m[c, q]|^2 / N_r B_l[c, c]``,
the clutter energy that reaches the target's receive beam (linear in the
covariances),

    ``E / (sigma_d^2 + I) <= E^2 / (sigma_d^2 E + c) <= rho <= E / sigma_d^2``.

The first inequality is Cauchy-Schwarz twice (``|B_l[q,c]|^2 <= B_l[q,q] B_l[c,c]``,
then over the links): ``c <= E I``. The second is Cauchy-Schwarz in the
``Sigma`` inner product. So ``E / (sigma_d^2 + I)``, a ratio of two linear
functions of the covariances, is a guaranteed SCNR of both detectors; the
clutter-aware designer maximizes its minimum over the sample points. For a
single stream on a single link it is the SCNR of a receive beam steered at
the target, the criterion of the clutter-aware ISAC beamforming literature.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from .. import validation as v
from ..blas import single_threaded_blas

if TYPE_CHECKING:
    from ..detection import Detector
    from ..problem import DesignProblem
    from ..stack import ProblemStack
    from .echoes import ClutterEchoes

__all__ = ["ClutterStatistics", "clutter_statistics", "matched_covariances", "clutter_energy_weights"]


def matched_covariances(detector: Detector, w: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``S_l``: covariance of the streams the detector matched-filters, shape (L, Nt, Nt) [W].

    ``sum_i w_li w_li^H + R_l``, or ``R_l`` alone without information echoes.
    """
    w = np.asarray(w, dtype=complex)
    S = np.array(R, dtype=complex)
    if detector.information_echoes:
        S = S + np.einsum("lin,lip->lnp", w, w.conj())
    return S


@attrs.frozen(kw_only=True)
class ClutterStatistics:
    """Per-point energies of a design in clutter (all shape (Q,), [W]).

    Attributes
    ----------
    energy : numpy.ndarray
        ``E``, eq. (20)/(28).
    effective_energy : numpy.ndarray
        ``E_eff = sigma_d^2 alpha^H Sigma^-1 alpha`` (whitened detector).
    clutter_at_filter : numpy.ndarray
        ``c = alpha^H V V^H alpha`` [W^2]: the clutter at the output of the
        clutter-blind detector.
    clutter_energy : numpy.ndarray
        ``I``: clutter energy in the target's receive beam (the bound's).
    sigma_d2 : float
        [W].
    """

    energy: np.ndarray
    effective_energy: np.ndarray
    clutter_at_filter: np.ndarray
    clutter_energy: np.ndarray
    sigma_d2: float

    @property
    def scnr(self) -> np.ndarray:
        """``rho = E_eff / sigma_d^2``, the whitened detector's SCNR."""
        return self.effective_energy / self.sigma_d2

    @property
    def matched_energy(self) -> np.ndarray:
        """``E / (1 + c / (sigma_d^2 E))`` [W]: the clutter-blind detector's SCNR times ``sigma_d^2``
        (exactly ``E`` without clutter; 0 without echo)."""
        denominator = 1.0 + np.divide(self.clutter_at_filter, self.sigma_d2 * self.energy, out=np.zeros_like(self.energy),
                                      where=self.energy > 0)
        return self.energy / denominator

    @property
    def matched_scnr(self) -> np.ndarray:
        """``E^2 / (sigma_d^2 E + c)``, the clutter-blind detector's SCNR (0 without echo)."""
        return self.matched_energy / self.sigma_d2

    @property
    def scnr_bound(self) -> np.ndarray:
        """``E / (sigma_d^2 + I)``, the guaranteed SCNR the clutter-aware designer maximizes."""
        return self.energy / (self.sigma_d2 + self.clutter_energy)


def _link_mask(detector, n_bs):
    return np.ones((n_bs, n_bs)) if detector.synchronized else np.eye(n_bs)


def clutter_energy_weights(problem: DesignProblem | ProblemStack, echoes: ClutterEchoes, detector: Detector) -> np.ndarray:
    """``kappa[q, l, c]``: weight of ``B_l[c, c]`` in the clutter energy ``I`` of point q.

    ``I_q = sum_l sum_c kappa[q, l, c] a_l(c)^T S_l a_l(c)^*`` with
    ``kappa = sum_m mask[m, l] rho^2 gain_c[m, l] |r_m[c, q]|^2 / N_r``;
    the rows of the clutter-aware design program.

    Returns
    -------
    numpy.ndarray, float, shape (Q, L, C)
    """
    receive = np.abs(np.einsum("cmn,qmn->qcm", echoes.rx_clutter.conj(), echoes.rx_points)) ** 2 / problem.n_rx  # (Q, C, m)
    mask = _link_mask(detector, problem.n_bs)
    return np.einsum("ml,qcml,cml,qcm->qlc", mask, echoes.gating**2, echoes.gain, receive)


def clutter_statistics(problem: DesignProblem | ProblemStack, echoes: ClutterEchoes, detector: Detector, w: np.ndarray, R: np.ndarray) -> ClutterStatistics:
    """The energies of design (w, R) at every sample point in clutter.

    Parameters
    ----------
    problem : DesignProblem
    echoes : ClutterEchoes
    detector : Detector
        Its links (synchronized or not) and matched streams.
    w : array_like, complex, shape (L, K, Nt)
    R : array_like, complex, shape (L, Nt, Nt)

    Returns
    -------
    ClutterStatistics
        Its ``energy`` is the detector's :meth:`~isacsim.Detector.reflected_power`,
        to the last bit, so that without clutter every pD is the paper's.
    """
    w, R = v.as_beams(problem, w, R)
    echoes.check(problem)
    with single_threaded_blas():  # small matrices: threads only cost
        return _statistics(problem, echoes, detector, w, R)


def _statistics(problem, echoes, detector, w, R):
    n_points, n_clutter = problem.n_points, echoes.n_scatterers
    S = matched_covariances(detector, w, R)
    steering = np.concatenate([problem.A, echoes.A], axis=0)  # (Q + C, L, Nt)
    points, clutter = slice(0, n_points), slice(n_points, None)
    B = np.stack([steering[:, l] @ S[l] @ steering[:, l].conj().T for l in range(problem.n_bs)])  # B[l, x, y] = a_l(x)^T S_l a_l(y)^*
    receive = np.concatenate([echoes.rx_points, echoes.rx_clutter], axis=0)  # (Q + C, L, Nr)
    r = np.stack([receive[:, m].conj() @ receive[:, m].T for m in range(problem.n_bs)])  # r[m, x, y] = a_r,m(x)^H a_r,m(y)
    mask = _link_mask(detector, problem.n_bs)

    target = np.sqrt(problem.G) * mask  # (Q, m, l)
    energy = detector.reflected_power(problem, w, R)
    amplitude = echoes.gating * np.sqrt(echoes.gain)[None] * mask  # (Q, C, m, l)
    # a[q, c, m, l] = v_{c,(m,l)}^H alpha_(m,l) = rho sqrt(gain G) B_l[q, c] r_m[c, q]
    cross = (amplitude * target[:, None] * np.transpose(B[:, points, clutter], (1, 2, 0))[:, :, None, :]
             * np.transpose(r[:, clutter, points], (2, 1, 0))[:, :, :, None])
    # gram[q, m, l, c, d] = v_{c,(m,l)}^H v_{d,(m,l)} = rho_c rho_d sqrt(gain_c gain_d) B_l[d, c] r_m[c, d]
    pair = np.transpose(amplitude, (0, 2, 3, 1))  # (Q, m, l, C)
    gram_links = (pair[..., :, None] * pair[..., None, :] * np.transpose(B[:, clutter, clutter], (0, 2, 1))[None, None]
                  * r[:, clutter, clutter][None, :, None])
    correction = np.empty(n_points)
    at_filter = np.empty(n_points)
    for q in range(n_points):
        if echoes.coherence == "common":
            a = cross[q].sum(axis=(1, 2))[None]  # (1, C)
            gram = gram_links[q].sum(axis=(0, 1))[None]  # (1, C, C)
        else:
            a = cross[q].reshape(n_clutter, -1).T  # (links, C)
            gram = gram_links[q].reshape(-1, n_clutter, n_clutter)
        system = gram + problem.sigma_d2 * np.eye(n_clutter)
        solved = np.linalg.solve(system, a[:, :, None])[:, :, 0]
        correction[q] = float(np.einsum("kc,kc->", a.conj(), solved).real)
        at_filter[q] = float(np.sum(np.abs(a) ** 2))
    bound = np.einsum("qlc,lc->q", clutter_energy_weights(problem, echoes, detector), np.einsum("lcc->lc", B[:, clutter, clutter]).real)
    return ClutterStatistics(
        energy=energy,
        effective_energy=np.maximum(energy - np.maximum(correction, 0.0), 0.0),
        clutter_at_filter=at_filter,
        clutter_energy=bound,
        sigma_d2=problem.sigma_d2,
    )
