"""Fluctuating targets: the likelihood-ratio tests and their laws.

The paper's target has a known, fixed reflection coefficient on each link
(eq. (7)). Here the coefficient of link ``j = (m, l)`` (BS l -> target ->
BS m) may be random, with mean power the paper's ``zeta_{m,l}^2``:

``deterministic``
    The paper's model: the coefficient is known.
``swerling1``
    One coefficient ``zeta_{m,l} g``, ``g ~ CN(0, 1)``, constant over the
    frame and common to every link (Swerling I, one look).
``swerling1-links``
    Independent ``zeta_{m,l} g_j``, ``g_j ~ CN(0, 1)`` per link: the
    spatial diversity of widely separated BSs.

Observation. The matched-filter outputs of the detector's links stack into
``d = sum_j x_j u_j + z`` (eq. (14)), with ``z ~ CN(0, sigma_d^2 I)``,
``u_j`` the echo of link j for a unit coefficient (its block of eq. (12),
the links' blocks are disjoint, so the ``u_j`` are orthogonal) and ``x_j``
the coefficients (all 1 for the deterministic target, whose ``zeta`` is in
``u_j``). ``e_j = ||u_j||^2 = N_r G[q, m, l] g_{q,l}`` is the link's echo
energy (its term of eqs. (20)/(28)) and ``E = sum_j e_j``. The projections
``y_j = u_j^H d / ||u_j||`` are sufficient for every test below and are
independent ``CN(., sigma_d^2)`` under H0.

The Neyman-Pearson tests, with the coefficients unknown and averaged over
their law (a Gaussian coefficient makes ``d`` Gaussian with zero mean under
both hypotheses: the LRT compares two Gaussian likelihoods):

* **deterministic** (eqs. (17)-(26)): ``T = Re(alpha^H d) / sqrt(sigma_d^2 E / 2)``
  with ``alpha = sum_j u_j``; ``N(0, 1)`` under H0 and ``N(sqrt(2 E / sigma_d^2), 1)``
  under H1, so ``pD = Q(Q^-1(pFA) - sqrt(2 E / sigma_d^2))``.
* **swerling1**: ``d ~ CN(0, sigma_d^2 I + alpha alpha^H)`` under H1; the log
  LR is ``|alpha^H d|^2 / (sigma_d^2 (sigma_d^2 + E))`` plus a constant, so
  ``T = |alpha^H d|^2 / (sigma_d^2 E)``: ``Exp(1)`` under H0 and
  exponential with mean ``1 + E / sigma_d^2`` under H1. Hence
  ``pFA = exp(-delta)`` and ``pD = pFA^(1 / (1 + E / sigma_d^2))``.
* **swerling1-links**: under H1 the ``y_j`` are independent
  ``CN(0, sigma_d^2 (1 + s_j))`` with ``s_j = e_j / sigma_d^2``; the log LR is
  ``sum_j s_j / (1 + s_j) |y_j|^2 / sigma_d^2`` plus a constant, so
  ``T = sum_j c_j |y_j|^2 / sigma_d^2`` with ``c_j = s_j / (1 + s_j)``: a
  weighted sum of unit exponentials with weights ``c_j`` under H0 and
  ``c_j (1 + s_j) = s_j`` under H1 (:mod:`isacsim.hypoexponential`, exact).
  A link without echo (``s_j = 0``) gets no weight. This is the optimal
  square-law combiner of diversity radar (Fishler et al., "Spatial diversity
  in radars", IEEE Trans. SP 54(3), 2006).

Every statistic is normalized so that its law under H0 is free of the echo
scale (``N(0, 1)``, ``Exp(1)``, or the weighted sum); a threshold is a
number in those units (:class:`GaussianShift`, :class:`Exponential`,
:class:`WeightedExponentials`). The designers maximize ``E``; the Swerling I
pD is increasing in ``E`` too, so their designs are the optimal ones for
``swerling1`` as well, but not for ``swerling1-links``, whose pD depends on
how ``E`` splits over the links.
"""
from __future__ import annotations

import attrs
import numpy as np

from .errors import InputError
from .hypoexponential import weighted_exponential_isf, weighted_exponential_sf
from .stats import q_function, q_inverse

__all__ = ["TARGET_MODELS", "GaussianShift", "Exponential", "WeightedExponentials", "target_law", "check_target"]

#: The target models, the paper's first.
TARGET_MODELS = ("deterministic", "swerling1", "swerling1-links")


def check_target(instance, attribute, value):
    """attrs validator: ``value`` names a target model."""
    if value not in TARGET_MODELS:
        raise InputError(f"{attribute.name}: expected one of {', '.join(TARGET_MODELS)}, got {value!r}")


def _probabilities(p):
    p = np.asarray(p, dtype=float)
    if not np.all((p > 0) & (p < 1)):
        raise InputError(f"p_fa: expected false-alarm probabilities in (0, 1), got {p!r}")
    return p


def _columns(threshold, n_points):
    """Thresholds as (Q, ...) with a leading point axis."""
    threshold = np.asarray(threshold, dtype=float)
    return threshold if threshold.ndim and threshold.shape[0] == n_points else np.broadcast_to(threshold, (n_points,) + threshold.shape)


@attrs.frozen
class GaussianShift:
    """``T ~ N(0, 1)`` under H0 and ``N(mean, 1)`` under H1, per point.

    Attributes
    ----------
    mean : numpy.ndarray, float, shape (Q,)
        The deflection, ``sqrt(2 E / sigma_d^2)`` for the paper's detector.
    """

    mean: np.ndarray = attrs.field(converter=lambda x: np.atleast_1d(np.asarray(x, dtype=float)))

    def threshold(self, p_fa):
        """Thresholds for ``p_fa`` (scalar or (n,)): shape (Q,) or (Q, n)."""
        p_fa = _probabilities(p_fa)
        return np.broadcast_to(q_inverse(p_fa), self.mean.shape + p_fa.shape).copy()

    def p_false_alarm(self, threshold):
        """``P(T > threshold | H0)``; ``threshold`` (Q,) or (Q, n) (or broadcastable)."""
        return q_function(_columns(threshold, self.mean.size))

    def p_detect(self, threshold):
        """``P(T > threshold | H1)``, shaped like the thresholds."""
        threshold = _columns(threshold, self.mean.size)
        return q_function(threshold - self.mean.reshape((-1,) + (1,) * (threshold.ndim - 1)))


@attrs.frozen
class Exponential:
    """``T ~ Exp(1)`` under H0 and exponential with mean ``1 + snr`` under H1, per point.

    Attributes
    ----------
    snr : numpy.ndarray, float, shape (Q,)
        ``E / sigma_d^2`` for the Swerling I detector.
    """

    snr: np.ndarray = attrs.field(converter=lambda x: np.atleast_1d(np.asarray(x, dtype=float)))

    def threshold(self, p_fa):
        """``-ln p_fa``, shape (Q,) or (Q, n)."""
        p_fa = _probabilities(p_fa)
        return np.broadcast_to(-np.log(p_fa), self.snr.shape + p_fa.shape).copy()

    def p_false_alarm(self, threshold):
        """``exp(-threshold)``."""
        return np.exp(-np.maximum(_columns(threshold, self.snr.size), 0.0))

    def p_detect(self, threshold):
        """``exp(-threshold / (1 + snr))``."""
        threshold = _columns(threshold, self.snr.size)
        scale = 1.0 + np.maximum(self.snr, 0.0).reshape((-1,) + (1,) * (threshold.ndim - 1))
        return np.exp(-np.maximum(threshold, 0.0) / scale)


@attrs.frozen
class WeightedExponentials:
    """``T = sum_j c_j X_j`` under H0 and ``sum_j s_j X_j`` under H1, ``X_j ~ Exp(1)``, per point.

    Attributes
    ----------
    snr : numpy.ndarray, float, shape (Q, J)
        Per-link ``s_j = e_j / sigma_d^2``; the H0 weights are ``s_j / (1 + s_j)``.
    """

    snr: np.ndarray = attrs.field(converter=lambda x: np.atleast_2d(np.maximum(np.asarray(x, dtype=float), 0.0)))

    def _null_weights(self, q):
        s = self.snr[q]
        return s / (1.0 + s) if np.any(s > 0) else np.ones_like(s)

    def _alternative_weights(self, q):
        s = self.snr[q]
        return s if np.any(s > 0) else np.ones_like(s)

    def threshold(self, p_fa):
        """Quantiles of the H0 law, shape (Q,) or (Q, n).

        At a point without echo every weight is taken as 1 under both
        hypotheses (the limit of the normalized statistic as the echo
        vanishes), so that there ``pD = pFA``, as for the other models.
        """
        p_fa = _probabilities(p_fa)
        out = np.empty((self.snr.shape[0],) + p_fa.shape)
        for q in range(self.snr.shape[0]):
            out[q] = weighted_exponential_isf(p_fa, self._null_weights(q))
        return out

    def _tail(self, threshold, weights_of):
        threshold = _columns(threshold, self.snr.shape[0])
        out = np.empty(threshold.shape)
        for q in range(self.snr.shape[0]):
            out[q] = weighted_exponential_sf(threshold[q], weights_of(q))
        return out

    def p_false_alarm(self, threshold):
        """``P(T > threshold | H0)``."""
        return self._tail(threshold, self._null_weights)

    def p_detect(self, threshold):
        """``P(T > threshold | H1)``."""
        return self._tail(threshold, self._alternative_weights)


def target_law(target, link_energies, sigma_d2, total_energy=None):
    """The law of the LRT statistic of ``target`` from the links' echo energies.

    Parameters
    ----------
    target : str
        One of :data:`TARGET_MODELS`.
    link_energies : numpy.ndarray, float, shape (Q, J), or None
        ``e_j`` [W] of each point and link the detector uses (needed for
        ``swerling1-links``).
    sigma_d2 : float
        Radar noise power [W].
    total_energy : numpy.ndarray, float, shape (Q,), or None
        ``E`` [W] for the other two models; default the sum of
        ``link_energies``. (The detector passes its reflected power, so
        that the deterministic law is eq. (26) to the last bit.)

    Returns
    -------
    GaussianShift or Exponential or WeightedExponentials
    """
    if target == "swerling1-links":
        return WeightedExponentials(np.maximum(np.asarray(link_energies, dtype=float), 0.0) / sigma_d2)
    if total_energy is None:
        total_energy = np.asarray(link_energies, dtype=float).sum(axis=1)
    energy = np.maximum(np.asarray(total_energy, dtype=float), 0.0)
    if target == "deterministic":
        return GaussianShift(np.sqrt(2.0 * energy / sigma_d2))
    if target == "swerling1":
        return Exponential(energy / sigma_d2)
    raise InputError(f"target: expected one of {', '.join(TARGET_MODELS)}, got {target!r}")
