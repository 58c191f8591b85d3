"""Monte Carlo simulation of the joint detector, eqs. (8)-(18).

This is an independent check of the closed forms in :mod:`isacsim.detection`:
it builds the stacked matched-filter output ``d = alpha + z`` of eq. (14) in
its true dimension ``N_r (K + r_t) L^2`` (synchronized) or ``N_r (K + r_t) L``
(unsynchronized), applies the LRT statistic ``T = Re(alpha^H d)`` of eq. (18)
with the threshold that gives the required false-alarm probability, and counts
detections under both hypotheses.
"""
from __future__ import annotations

import attrs
import numpy as np

from . import validation as v
from .errors import InputError
from .stats import q_inverse, wilson_interval

__all__ = ["MonteCarloResult", "simulate_detection", "sensing_beams", "echo_signal"]

#: Complex samples generated per chunk (bounds memory to ~32 MB).
_CHUNK_SAMPLES = 2_000_000


@attrs.frozen(kw_only=True)
class MonteCarloResult:
    """Empirical detection and false-alarm rates per sample point.

    Attributes
    ----------
    p_d, p_fa : numpy.ndarray, shape (Q,)
        Empirical detection and false-alarm probabilities.
    p_d_interval, p_fa_interval : numpy.ndarray, shape (Q, 2)
        Wilson confidence intervals (lower, upper).
    n_trials : int
        Trials per hypothesis and point.
    confidence : float
        Level of the intervals.
    dimension : int
        Length of the stacked observation vector ``d``.
    """

    p_d: np.ndarray
    p_fa: np.ndarray
    p_d_interval: np.ndarray
    p_fa_interval: np.ndarray
    n_trials: int
    confidence: float
    dimension: int


def sensing_beams(R, rtol=1e-9):
    """Beams ``w^r_{l,k}`` with ``R_l = sum_k w^r_{l,k} w^{rH}_{l,k}``, eq. (1).

    Parameters
    ----------
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        Sensing covariances.
    rtol : float
        Eigenvalues below ``rtol * max(eigenvalue)`` count as zero.

    Returns
    -------
    numpy.ndarray, complex, shape (L, r_t, Nt)
        ``r_t = max_l rank(R_l)``; BSs of lower rank are padded with zero
        beams (their waveforms carry no power).
    """
    values, vectors = np.linalg.eigh(np.asarray(R, dtype=complex))
    scale = max(float(values.max(initial=0.0)), 0.0)
    keep = values > rtol * scale if scale > 0 else np.zeros(values.shape, dtype=bool)
    r_t = int(keep.sum(axis=1).max(initial=0))
    order = np.argsort(-values, axis=1)[:, :r_t]
    beams = np.zeros((R.shape[0], r_t, R.shape[1]), dtype=complex)
    for l in range(R.shape[0]):
        for slot, index in enumerate(order[l]):
            if keep[l, index]:
                beams[l, slot] = np.sqrt(values[l, index]) * vectors[l, :, index]
    return beams


def echo_signal(detector, problem, w, R, q):
    """The noiseless stacked observation ``alpha`` of eq. (12) at point q.

    Parameters
    ----------
    detector : Detector
    problem : DesignProblem
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
    q : int
        Sample point.

    Returns
    -------
    numpy.ndarray, complex, shape (N_r (K + r_t) n_links,)
        Information blocks ``alpha^c_{m,l,i} = H_{m,l} w_{l,i}`` first, then
        sensing blocks ``alpha^r_{m,l,k} = H_{m,l} w^r_{l,k}``, links ordered
        (m, l). Without ``information_echoes`` only the sensing blocks.
    """
    n_bs = problem.n_bs
    links = [(m, l) for m in range(n_bs) for l in range(n_bs)] if detector.synchronized else [(m, m) for m in range(n_bs)]
    beam_sets = [sensing_beams(R)]
    if detector.information_echoes:
        beam_sets.insert(0, np.asarray(w, dtype=complex))
    blocks = []
    for beams in beam_sets:
        for m, l in links:
            # H_{m,l} = zeta_hat a_r,m a_t,l^T with zeta_hat = sqrt(G[q, m, l]). The LRT
            # statistic depends on the receive steering a_r only through
            # ||a_r||^2 = N_r (eq. (20)), so any unit-modulus vector will do.
            response = np.sqrt(problem.G[q, m, l]) * np.ones(problem.n_rx)
            blocks.extend(response * (problem.A[q, l] @ beam) for beam in beams[l])
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=complex)


def _count_exceedances(alpha, threshold, sigma_d2, n_trials, rng, signal):
    """How many of ``n_trials`` draws of ``Re(alpha^H d)`` exceed ``threshold``."""
    dimension = alpha.size
    count = 0
    chunk = max(1, _CHUNK_SAMPLES // max(dimension, 1))
    done = 0
    while done < n_trials:
        n = min(chunk, n_trials - done)
        noise = (rng.standard_normal((n, dimension)) + 1j * rng.standard_normal((n, dimension))) * np.sqrt(sigma_d2 / 2.0)
        observation = noise + alpha if signal else noise
        statistic = (observation @ alpha.conj()).real
        count += int(np.count_nonzero(statistic > threshold))
        done += n
    return count


def simulate_detection(detector, problem, w, R, *, n_trials=20000, rng=None, confidence=0.99):
    """Monte Carlo detection and false-alarm rates of a design.

    Parameters
    ----------
    detector : Detector
    problem : DesignProblem
    w : array_like, complex, shape (L, K, Nt)
    R : array_like, complex, shape (L, Nt, Nt)
    n_trials : int
        Draws per hypothesis and sample point.
    rng : numpy.random.Generator or int or None
        Noise source.
    confidence : float
        Level of the Wilson intervals, 0 < confidence < 1.

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    ValueError
        Naming the argument: ``n_trials`` not an integer >= 1, ``confidence``
        outside (0, 1), or ``w`` or ``R`` not of the problem's shape.
    """
    if isinstance(n_trials, bool) or not (isinstance(n_trials, (int, np.integer)) and n_trials >= 1):
        raise InputError(f"n_trials: expected an integer >= 1, got {v.shown(n_trials)}")
    v.require_probability("confidence", confidence)
    w, R = v.as_beams(problem, w, R)
    rng = np.random.default_rng(rng)
    p_fa = detector.false_alarm(problem)
    detections, alarms, dimension = [], [], 0
    for q in range(problem.n_points):
        alpha = echo_signal(detector, problem, w, R, q)
        dimension = alpha.size
        energy = float(np.vdot(alpha, alpha).real)
        threshold = np.sqrt(problem.sigma_d2 * energy / 2.0) * q_inverse(p_fa)  # eq. (25) solved for delta'
        detections.append(_count_exceedances(alpha, threshold, problem.sigma_d2, n_trials, rng, signal=True))
        alarms.append(_count_exceedances(alpha, threshold, problem.sigma_d2, n_trials, rng, signal=False))
    detections = np.array(detections)
    alarms = np.array(alarms)
    return MonteCarloResult(
        p_d=detections / n_trials,
        p_fa=alarms / n_trials,
        p_d_interval=np.column_stack(wilson_interval(detections, n_trials, confidence)),
        p_fa_interval=np.column_stack(wilson_interval(alarms, n_trials, confidence)),
        n_trials=int(n_trials),
        confidence=confidence,
        dimension=dimension,
    )
