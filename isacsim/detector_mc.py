"""Monte Carlo of every detector of :class:`isacsim.Detector`, in sufficient statistics.

This is the independent check of the closed forms of
:mod:`isacsim.fluctuation`, :mod:`isacsim.sync_errors` and
:mod:`isacsim.clutter.scnr`: it shares no code with them. It builds the
stacked matched-filter echoes of eq. (12) explicitly, link by link, from the
beams (the information beams and the eigen-beams of ``R``, eq. (1)) and the
steering vectors: the target's ``u_j`` (link j = (m, l), unit coefficient)
and, with clutter, every scatterer's ``v_k`` (one per scatterer, or per
scatterer and link). In an orthonormal basis of their span (QR) the noise
is white, so the clutter-plus-noise covariance ``Sigma = sigma_d^2 I + V V^H``
and every combining vector live in ``dim span <= J + K`` coordinates instead
of the ``N_r (K + r_t) L^2`` entries of ``d``.

Every statistic depends on ``d`` only through a few projections
``z = W^H d`` (sufficient statistics: one for the coherent and Swerling I
detectors, one per link for the per-link one). Per trial it draws the
target's coefficients (1; one ``CN(0, 1)``; or one per link) and the BSs'
phase and timing errors explicitly, the clutter plus noise ``W^H (V g + z)``
from its exact law ``CN(0, W^H Sigma W)``, forms ``z`` under H1 and,
independently, under H0, computes the detector's normalized statistic, and
counts the trials over each threshold. The statistics:

* coherent (deterministic target): ``Re(h^H y) / sqrt(h^H Sigma h / 2)``;
* Swerling I: ``|h^H y|^2 / (h^H Sigma h)``;
* per-link Swerling I: ``sum_j c_j |u_j^H y|^2 / (sigma_d^2 ||u_j||^2)``,
  ``c_j = s_j / (1 + s_j)``, ``s_j = ||u_j||^2 / sigma_d^2``;

with ``Sigma = sigma_d^2 I + V V^H`` the H0 covariance and ``h`` the
detector's combining vector: ``alpha = sum_j u_j``, ``Sigma^-1 alpha``
(clutter-aware) or ``sum_j k_j u_j`` with the links' mean phasors
(synchronization errors, aware).
"""
from __future__ import annotations

import attrs
import numpy as np

from . import validation as v
from .blas import single_threaded_blas
from .errors import InputError
from .montecarlo import sensing_beams
from .stats import wilson_interval

__all__ = ["ExceedanceCounts", "simulate_statistics"]

#: Complex numbers drawn per block of trials (32 MB).
_BLOCK = 2**21


@attrs.frozen(kw_only=True)
class ExceedanceCounts:
    """Trials whose statistic exceeded each threshold.

    Attributes
    ----------
    thresholds : numpy.ndarray, shape (Q, n)
        In the detector's normalized units.
    null, alternative : numpy.ndarray, int, shape (Q, n)
        Counts under H0 and H1.
    n_trials : int
        Trials per hypothesis and point.
    dimension : int
        Dimension of the span of the echoes (largest over the points).
    """

    thresholds: np.ndarray
    null: np.ndarray
    alternative: np.ndarray
    n_trials: int
    dimension: int

    @property
    def p_fa(self):
        """Empirical false-alarm rates, shape (Q, n)."""
        return self.null / self.n_trials

    @property
    def p_d(self):
        """Empirical detection rates, shape (Q, n)."""
        return self.alternative / self.n_trials

    def p_fa_interval(self, confidence=0.999):
        """Wilson intervals of the false-alarm rates: (lower, upper), each (Q, n)."""
        return wilson_interval(self.null, self.n_trials, confidence)

    def p_d_interval(self, confidence=0.999):
        """Wilson intervals of the detection rates: (lower, upper), each (Q, n)."""
        return wilson_interval(self.alternative, self.n_trials, confidence)


def _streams(detector, w, R):
    """Beams of the matched-filtered streams of every BS: list of (n_streams_l, Nt)."""
    sensing = sensing_beams(np.asarray(R, dtype=complex))
    out = []
    for l in range(sensing.shape[0]):
        beams = [b for b in sensing[l] if np.any(b != 0)]
        if detector.information_echoes:
            beams = list(np.asarray(w, dtype=complex)[l]) + beams
        out.append(np.array(beams, dtype=complex).reshape(-1, sensing.shape[2]))
    return out


def _links(detector, n_bs):
    return [(m, l) for m in range(n_bs) for l in range(n_bs)] if detector.synchronized else [(m, m) for m in range(n_bs)]


def _echo_vectors(detector, problem, streams, q):
    """Explicit target vectors (D, J) and clutter vectors (D, K) of point q, links stacked."""
    clutter = detector.clutter
    links = _links(detector, problem.n_bs)
    sizes = [streams[l].shape[0] * problem.n_rx for _, l in links]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n_scatterers = 0 if clutter is None else clutter.A.shape[0]
    n_clutter_vectors = n_scatterers * (len(links) if clutter is not None and clutter.coherence == "links" else 1)
    target = np.zeros((offsets[-1], len(links)), dtype=complex)
    scatter = np.zeros((offsets[-1], n_clutter_vectors), dtype=complex)
    for j, (m, l) in enumerate(links):
        rows = slice(offsets[j], offsets[j + 1])
        receive = np.ones(problem.n_rx) if clutter is None else clutter.rx_points[q, m]
        target[rows, j] = np.sqrt(problem.G[q, m, l]) * np.kron(streams[l] @ problem.A[q, l], receive)
        for c in range(n_scatterers):
            amplitude = clutter.gating[q, c, m, l] * np.sqrt(clutter.gain[c, m, l])
            column = c if clutter.coherence == "common" else j * n_scatterers + c
            scatter[rows, column] = amplitude * np.kron(streams[l] @ clutter.A[c, l], clutter.rx_clutter[c, m])
    return target, scatter


def _mean_link_phasor(errors, n_bs):
    """``E[lambda e^{j psi}]`` per link by direct quadrature of the error laws, shape (L, L)."""
    from scipy import integrate

    phase = np.sin(np.pi * errors.phase_spread) / (np.pi * errors.phase_spread) if errors.phase_spread > 0 else 1.0
    t = errors.timing_spread
    if t > 0:  # D = tau_l - tau_m has the triangular density (t - |D|) / t^2 on [-t, t]
        timing = integrate.quad(lambda d: np.sinc(d) * (t - abs(d)) / t**2, -t, t, points=[0.0], epsabs=1e-14)[0]
    else:
        timing = 1.0
    k = np.full((n_bs, n_bs), phase**2 * timing)
    np.fill_diagonal(k, 1.0)
    return k


def _combining(detector, problem, target, scatter_cov):
    """The detector's combining vector ``h`` (coordinates) and its statistic kind."""
    n_bs = problem.n_bs
    links = _links(detector, n_bs)
    if detector.target == "swerling1-links":
        return None, "links"
    kind = "coherent" if detector.target == "deterministic" else "square"
    errors = detector.sync_errors
    if errors is not None:
        k = _mean_link_phasor(errors, n_bs) if errors.aware else np.ones((n_bs, n_bs))
        return target @ np.array([k[m, l] for m, l in links]), kind
    alpha = target.sum(axis=1)
    if detector.clutter is not None and detector.clutter_aware:
        return np.linalg.solve(scatter_cov, alpha), kind
    return alpha, kind


def _error_phasors(errors, n_bs, links, rng, n):
    """Per-trial factors ``sinc(tau_l - tau_m) e^{j (phi_l - phi_m)}``, shape (n, J)."""
    phi = rng.uniform(-np.pi * errors.phase_spread, np.pi * errors.phase_spread, size=(n, n_bs))
    tau = rng.uniform(-errors.timing_spread / 2, errors.timing_spread / 2, size=(n, n_bs))
    m = np.array([link[0] for link in links])
    l = np.array([link[1] for link in links])
    return np.sinc(tau[:, l] - tau[:, m]) * np.exp(1j * (phi[:, l] - phi[:, m]))


def _complex_normal(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def _directions(detector, problem, target, covariance):
    """The statistic's directions ``W`` (coordinates, (p, r)) and how to finish it from ``z = W^H y``."""
    h, kind = _combining(detector, problem, target, covariance)
    if kind != "links":
        return h[:, None], kind, None
    energy = np.sum(np.abs(target) ** 2, axis=0)
    snr = energy / problem.sigma_d2
    weight = snr / (1.0 + snr) if np.any(snr > 0) else np.ones_like(snr)
    return target / np.sqrt(np.where(energy > 0, energy, 1.0)), kind, weight  # unit-norm u_j


def _finish(z, kind, scale, weight, sigma_d2):
    """The normalized statistic from the projections ``z`` (n, r)."""
    if kind == "links":
        return (np.abs(z) ** 2 / sigma_d2) @ weight
    if scale <= 0:
        return np.zeros(z.shape[0])
    if kind == "coherent":
        return np.real(z[:, 0]) / np.sqrt(scale / 2.0)
    return np.abs(z[:, 0]) ** 2 / scale


def simulate_statistics(detector, problem, w, R, thresholds, *, n_trials=100_000, rng=None):
    """Count the trials over each threshold under H0 and H1, at every sample point.

    Every statistic is a function of ``z = W^H d`` for a few directions
    ``W`` (the combining vector, or the links' unit echoes), so each trial
    draws ``z`` exactly: the target's coefficients and the synchronization
    errors explicitly, and the clutter plus noise ``W^H (V g + n)`` from its
    law ``CN(0, W^H Sigma W)``, both from the explicit echo vectors.

    Parameters
    ----------
    detector : Detector
        Links, matched streams, target model, synchronization errors and
        clutter of the simulation.
    problem : DesignProblem
    w : array_like, complex, shape (L, K, Nt)
    R : array_like, complex, shape (L, Nt, Nt)
    thresholds : array_like, shape (Q, n) or (n,)
        In the detector's normalized units (from
        :meth:`Detector.statistic_law`, or any numbers).
    n_trials : int
        Trials per hypothesis and point.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    ExceedanceCounts
    """
    if not (isinstance(n_trials, (int, np.integer)) and not isinstance(n_trials, bool) and n_trials >= 1):
        raise InputError(f"n_trials: expected an integer >= 1, got {n_trials!r}")
    w, R = v.as_beams(problem, w, R)
    rng = np.random.default_rng(rng)
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim < 2:
        thresholds = np.broadcast_to(thresholds, (problem.n_points,) + thresholds.shape[-1:])
    if detector.clutter is not None:
        detector.clutter.check(problem)
    with single_threaded_blas():  # small matrices: threads only cost
        return _simulate(detector, problem, w, R, thresholds, n_trials, rng)


def _simulate(detector, problem, w, R, thresholds, n_trials, rng):
    streams = _streams(detector, w, R)
    links = _links(detector, problem.n_bs)
    null = np.zeros(thresholds.shape, dtype=np.int64)
    alternative = np.zeros(thresholds.shape, dtype=np.int64)
    largest = 0
    for q in range(problem.n_points):
        target_full, scatter_full = _echo_vectors(detector, problem, streams, q)
        frame = np.linalg.qr(np.hstack([target_full, scatter_full]))[0]  # orthonormal basis of the echoes' span
        target, scatter = frame.conj().T @ target_full, frame.conj().T @ scatter_full
        largest = max(largest, target.shape[0])
        covariance = problem.sigma_d2 * np.eye(target.shape[0]) + scatter @ scatter.conj().T
        directions, kind, weight = _directions(detector, problem, target, covariance)
        scale = float(np.real(directions[:, 0].conj() @ covariance @ directions[:, 0]))
        signal = directions.conj().T @ target  # (r, J): z of each link's echo
        interference = directions.conj().T @ covariance @ directions  # (r, r): law of W^H (V g + n)
        factor = _square_root(interference)
        block = max(1, _BLOCK // max(len(links), factor.shape[0]))
        done = 0
        while done < n_trials:
            n = min(block, n_trials - done)
            for hypothesis, counts in ((0, null), (1, alternative)):
                z = _complex_normal(rng, (n, factor.shape[1])) @ factor.T
                if hypothesis:
                    if detector.target == "deterministic":
                        x = np.ones((n, len(links)), dtype=complex)
                    elif detector.target == "swerling1":
                        x = np.repeat(_complex_normal(rng, (n, 1)), len(links), axis=1)
                    else:
                        x = _complex_normal(rng, (n, len(links)))
                    if detector.sync_errors is not None:
                        x = x * _error_phasors(detector.sync_errors, problem.n_bs, links, rng, n)
                    z += x @ signal.T
                ordered = np.sort(_finish(z, kind, scale, weight, problem.sigma_d2))
                counts[q] += n - np.searchsorted(ordered, thresholds[q], side="right")
            done += n
    return ExceedanceCounts(thresholds=np.array(thresholds), null=null, alternative=alternative, n_trials=int(n_trials), dimension=largest)


def _square_root(covariance):
    """``F`` with ``F F^H = covariance`` (PSD), by eigendecomposition (rank-deficient allowed)."""
    values, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.maximum(values, 0.0))
