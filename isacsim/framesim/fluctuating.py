"""Fluctuating targets on a finite frame: the square-law statistics of :mod:`isacsim.fluctuation`.

With a random target coefficient per link, ``x[m, l]`` (one ``CN(0, 1)``
common to every link for ``swerling1``, independent ones for
``swerling1-links``), BS m receives ``sum_l x[m, l] zeta[m, l] a_r target_l[n]``
plus noise (``target_l`` is BS l's transmitted probe towards the point,
:class:`~isacsim.framesim.layout.FrameLayout`). The projection of the
matched-filter outputs of link (m, l) on its asymptotic echo is

    ``y[m, l] = N_r zeta[m, l] sum_k x[m, k] zeta[m, k] Ghat[target_k, ref_l] + n[m, l]``

(in Scenario II only the direct links ``(m, m)`` are matched, and BS k's
echo arrives at BS m with the carrier phase ``psi_k - psi_m``), with the
frame's Gram matrix ``Ghat`` of the probes and the noise, independent across
receivers, ``E[n[m, l] n[m, k]^*] = sigma_d^2 N_r zeta[m, l] zeta[m, k] Ghat[ref_k, ref_l]``
(per-sample noise ``N sigma_d^2``, the convention of :mod:`.lrt`). As
``N -> infinity``, ``Ghat`` tends to the probes' covariance and the ``y``
to the projections of eq. (14).

Given the frame and the coefficients these are exact, so each frame draws
its coefficients and one complex normal per link. The statistics are the
detector's, with the asymptotic (closed-form) link energies ``e_j`` in
their normalization: ``|sum_j y_j|^2 / (sigma_d^2 E)`` (Swerling I) and
``sum_j c_j |y_j|^2 / (sigma_d^2 e_j)``, ``c_j = s_j / (1 + s_j)``
(per link), compared with the closed-form thresholds.
"""
from __future__ import annotations

import numpy as np

from .waveforms import complex_gaussian

__all__ = ["link_outputs", "fluctuating_statistic"]


def _square_roots(covariance):
    """``F`` with ``F F^H = covariance`` for a batch of PSD matrices (t, n, n)."""
    values, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.maximum(values, 0.0))[:, None, :]


def link_outputs(grams, zeta, n_rx, sigma_d2, target, rng, phases=None, signal=True):
    """The projections ``y`` of every matched link, for a batch of frames.

    Parameters
    ----------
    grams : numpy.ndarray, complex, shape (n_trials, 2 L, 2 L)
        Gram matrices of ``[reference_1..L, target_1..L]`` [W].
    zeta : numpy.ndarray, float, shape (L, L)
        ``sqrt(G[q, m, l])``.
    n_rx : int
    sigma_d2 : float
        [W].
    target : {"swerling1", "swerling1-links"}
    rng : numpy.random.Generator
    phases : numpy.ndarray, float, shape (n_trials, L), or None
        Scenario II's carrier phases (None: Scenario I).
    signal : bool
        H1 (with the target's echo) or H0.

    Returns
    -------
    numpy.ndarray, complex, shape (n_trials, J)
        ``y[m, l]`` flattened in (m, l) order over all L^2 links (Scenario
        I) or ``y[m, m]`` (Scenario II).
    """
    n_trials, n_bs = grams.shape[0], zeta.shape[0]
    reference = grams[:, :n_bs, :n_bs]  # [t, l, k] = Ghat[ref_l, ref_k]
    arriving = grams[:, n_bs:, :n_bs]  # [t, k, l] = Ghat[target_k, ref_l]
    matched = np.ones((n_bs, n_bs), dtype=bool) if phases is None else np.eye(n_bs, dtype=bool)
    # noise: per receiver m, covariance over its matched links l, k
    covariance = sigma_d2 * n_rx * np.einsum("ml,mk,tkl->tmlk", zeta * matched, zeta * matched, reference)
    factors = _square_roots(covariance.reshape(-1, n_bs, n_bs)).reshape(n_trials, n_bs, n_bs, n_bs)
    y = np.einsum("tmlr,tmr->tml", factors, complex_gaussian(rng, (n_trials, n_bs, n_bs)))
    if signal:
        if target == "swerling1":
            x = np.broadcast_to(complex_gaussian(rng, (n_trials, 1, 1)), (n_trials, n_bs, n_bs))
        else:
            x = complex_gaussian(rng, (n_trials, n_bs, n_bs))  # x[t, m, k]: link k -> q -> m
        if phases is not None:
            x = x * np.exp(1j * (phases[:, None, :] - phases[:, :, None]))  # BS k's echo at BS m
        y = y + n_rx * np.einsum("ml,tmk,mk,tkl->tml", zeta * matched, x, zeta, arriving)
    return y.reshape(n_trials, -1) if phases is None else np.einsum("tmm->tm", y)


def fluctuating_statistic(y, target, link_energies, sigma_d2):
    """The normalized square-law statistic of every frame.

    Parameters
    ----------
    y : numpy.ndarray, complex, shape (n_trials, J)
        From :func:`link_outputs`.
    target : {"swerling1", "swerling1-links"}
    link_energies : numpy.ndarray, float, shape (J,)
        Closed-form ``e_j`` of the same links [W].
    sigma_d2 : float

    Returns
    -------
    numpy.ndarray, float, shape (n_trials,)
    """
    energies = np.maximum(np.asarray(link_energies, dtype=float), 0.0)
    if target == "swerling1":
        total = energies.sum()
        return np.abs(y.sum(axis=1)) ** 2 / (sigma_d2 * total) if total > 0 else np.zeros(y.shape[0])
    snr = energies / sigma_d2
    if not np.any(snr > 0):  # no echo: unit weights, as the closed form
        return (np.abs(y) ** 2 / sigma_d2).sum(axis=1)
    weight = np.divide(snr / (1.0 + snr), energies, out=np.zeros_like(snr), where=energies > 0)
    return (np.abs(y) ** 2 / sigma_d2) @ weight
