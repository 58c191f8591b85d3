"""The paper's likelihood-ratio statistic on a finite frame, eqs. (8)-(18).

Noise convention. The paper is inconsistent about ``sigma_d^2``: eq. (7)
gives the receive noise per sample as ``CN(0, sigma_d^2 I)`` and the text
after (8)-(9) calls ``sigma_d^2`` "the per-antenna noise power at each BS",
yet (8)-(9) give the matched-filter output noise as ``CN(0, sigma_d^2 I)``
too; with the filter's ``(1/T)`` normalisation, ``(1/N) sum_n``, per-sample
noise ``sigma_d^2`` leaves ``sigma_d^2 / N`` (the paper drops the N-fold
matched-filter gain). isacsim follows (8)-(9): the noise after the matched
filter is ``sigma_d^2`` per antenna, i.e. the per-sample noise is
``CN(0, N sigma_d^2 I)``, the only reading whose large-N limit is the
paper's closed forms (26)/(29). Under (7)'s reading the post-filter SNR
would be N times the ``2E / sigma_d^2`` of (26)/(29), which would then be
pessimistic by ``10 log10 N`` dB; so these simulations measure the finite-N
effects at a fixed post-filter SNR, not whether ``sigma_d^2 = -102 dBm`` per
sample with N symbols gives the paper's pD.

With that noise and the actual waveforms in the matched filters
``(1/N) sum_n r_m[n] s^*[n - tau]``, the statistic ``T = Re(alpha^H d)`` of
eq. (18) is exactly ``Re((1/N) sum_m sum_n mu_m[n]^H r_m[n])``, with
``mu_m`` the noiseless echo of the matched-filtered waveforms at BS m. Given
the frame's waveforms it is Gaussian:

* H0: ``T ~ N(0, sigma_d^2 e0 / 2)``,
* H1: ``T ~ N(e1, sigma_d^2 e0 / 2)``,

where ``e0 = (1/N) sum ||mu||^2`` is the frame's echo energy and ``e1`` the
correlation of the echo that arrives with ``mu``. Both are quadratic forms in
the Gram matrix of the reference and received probes
(:func:`echo_energies`); as ``N -> infinity`` both tend to the closed-form
``E`` of eqs. (20)/(28). Three thresholds (:data:`THRESHOLDS`):

* ``asymptotic``: the paper's, eq. (25) with the closed-form E;
* ``calibrated``: one fixed threshold set by simulating the frames under H0
  so that ``E_frames[Q(delta / sqrt(sigma_d^2 e0 / 2))] = pFA``;
* ``per-frame``: eq. (25) with the frame's own ``e0``, which the central
  controller can compute because it knows the waveforms; it holds pFA exactly
  for every frame.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize

from ..stats import q_function, q_inverse

__all__ = ["THRESHOLDS", "echo_energies", "asymptotic_threshold", "calibrated_threshold", "Exceedances", "count_exceedances"]

#: Names of the detection thresholds, in report order.
THRESHOLDS = ("asymptotic", "calibrated", "per-frame")


def echo_energies(grams, zeta, n_rx, phases=None):
    """Echo energies ``e0`` and ``e1`` of each frame at one sample point.

    Parameters
    ----------
    grams : numpy.ndarray, complex, shape (n_trials, 2 L, 2 L)
        Gram matrix of the probes ``[reference_1..L, target_1..L]``
        (:class:`~isacsim.framesim.layout.FrameLayout`) [W].
    zeta : numpy.ndarray, float, shape (L, L)
        ``zeta[m, l] = sqrt(G[q, m, l])``, the echo amplitude of link l -> q -> m.
    n_rx : int
        Receive antennas Nr.
    phases : numpy.ndarray, float, shape (n_trials, L), or None
        ``None``: Scenario I, every link matched-filtered with known delay and
        phase. Otherwise Scenario II: BS m matched-filters only its own echo;
        BS l's echo reaches it with the unknown carrier phase
        ``phases[:, l] - phases[:, m]`` [rad] (and the unknown clock offset
        already applied to the streams) and only interferes.

    Returns
    -------
    e0, e1 : numpy.ndarray, float, shape (n_trials,)
        Energy of the matched-filtered echo, and its correlation with the
        echo that arrives [W]; equal in Scenario I for the proposed detector.
    """
    n_bs = zeta.shape[0]
    reference = grams[:, :n_bs, :n_bs]
    arriving = grams[:, n_bs:, :n_bs]  # [t, l (arrives), m (reference)]
    if phases is None:
        e0 = np.einsum("ml,tlk,mk->t", zeta, reference, zeta).real
        e1 = np.einsum("ml,tkl,mk->t", zeta, arriving, zeta).real
    else:
        direct = np.diagonal(zeta)
        e0 = np.einsum("m,tmm->t", direct**2, reference).real
        rotation = np.exp(1j * (phases[:, :, None] - phases[:, None, :]))  # [t, l, m]
        e1 = np.einsum("m,ml,tlm->t", direct, zeta, rotation * arriving).real
    return n_rx * e0, n_rx * e1


def asymptotic_threshold(energy, sigma_d2, p_fa):
    """The paper's threshold ``delta'`` of eq. (25) for reflected power ``energy`` [W]."""
    return np.sqrt(sigma_d2 * np.asarray(energy, dtype=float) / 2.0) * q_inverse(p_fa)


def calibrated_threshold(e0, sigma_d2, p_fa):
    """The fixed threshold whose false-alarm rate over frames ``e0`` is ``p_fa``.

    Solves ``mean_j Q(delta / sqrt(sigma_d2 e0_j / 2)) = p_fa``: the
    noise is averaged out exactly (it is Gaussian given the frame), so only
    the frames' energies are simulated.

    Parameters
    ----------
    e0 : numpy.ndarray, float, shape (n_frames,)
        Echo energies of frames simulated under H0 [W].
    sigma_d2 : float
        Radar noise power [W].
    p_fa : float

    Returns
    -------
    float
        ``delta'`` [W].
    """
    scale = np.sqrt(sigma_d2 * np.maximum(np.asarray(e0, dtype=float), 0.0) / 2.0)

    def excess(delta):
        return float(np.mean(_exceedance(0.0, delta, scale))) - p_fa

    # The root lies between the thresholds of the weakest and the strongest frame;
    # when every frame is alike (constant-envelope waveforms) they coincide up to rounding.
    low, high = sorted((float(scale.min()) * q_inverse(p_fa), float(scale.max()) * q_inverse(p_fa)))
    if excess(low) <= 0.0:  # excess falls with delta
        return low
    if excess(high) >= 0.0:
        return high
    return optimize.brentq(excess, low, high, xtol=1e-14 * max(abs(low), abs(high)), rtol=1e-12)


class Exceedances:
    """Running counts of one threshold: decisions and their conditional probabilities.

    Attributes
    ----------
    detections, false_alarms : int
        Frames whose statistic exceeded the threshold under H1 and H0.
    p_d_sum, p_fa_sum : float
        Sums over frames of ``P(T > delta | frame)`` under H1 and H0 (the
        noise averaged out exactly: a Rao-Blackwellized estimate).
    """

    def __init__(self):
        self.detections = self.false_alarms = 0
        self.p_d_sum = self.p_fa_sum = 0.0


def count_exceedances(counts, e0, e1, thresholds, sigma_d2, p_fa, rng):
    """Decide H1 and H0 frames against every threshold; add to ``counts``.

    Parameters
    ----------
    counts : dict of str -> Exceedances
        Updated in place, one entry per name of ``thresholds``.
    e0, e1 : numpy.ndarray, float, shape (n_trials,)
        From :func:`echo_energies` [W].
    thresholds : dict of str -> float or None
        ``delta'`` [W]; ``None`` for the per-frame threshold.
    sigma_d2, p_fa : float
    rng : numpy.random.Generator
        Draws the matched-filtered noise: one normal per frame and hypothesis.
    """
    scale = np.sqrt(sigma_d2 * np.maximum(e0, 0.0) / 2.0)
    noise = rng.standard_normal((2, e0.size))
    null, alternative = scale * noise[0], e1 + scale * noise[1]
    for name, delta in thresholds.items():
        delta = scale * q_inverse(p_fa) if delta is None else delta
        entry = counts[name]
        entry.false_alarms += int(np.count_nonzero(null > delta))
        entry.detections += int(np.count_nonzero(alternative > delta))
        entry.p_fa_sum += float(np.sum(_exceedance(0.0, delta, scale)))
        entry.p_d_sum += float(np.sum(_exceedance(e1, delta, scale)))


def _exceedance(mean, delta, scale):
    """``P(mean + scale * N(0, 1) > delta)``; a frame without echo (scale 0) exceeds iff ``mean > delta``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, q_function((delta - mean) / scale), np.greater(mean, delta))
