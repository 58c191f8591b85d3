"""Monte Carlo simulation of the joint detector, eqs. (8)-(18).

This is an independent check of the closed forms in :mod:`isacsim.detection`
and :mod:`isacsim.fluctuation`: it builds the stacked matched-filter output
``d = alpha + z`` of eq. (14) in its true dimension ``N_r (K + r_t) L^2``
(synchronized) or ``N_r (K + r_t) L`` (unsynchronized), applies the LRT
statistic with the threshold that gives the required false-alarm probability,
and counts detections under both hypotheses. For the paper's target the
statistic is ``T = Re(alpha^H d)`` of eq. (18); for a fluctuating target
(the detector's ``target``) the H1 echo is ``g alpha`` with one
``g ~ CN(0, 1)`` per trial (``swerling1``) or ``sum_j g_j alpha_j`` with one
per link (``swerling1-links``), and the statistics are the square-law ones of
:mod:`isacsim.fluctuation`, computed here from ``d`` itself.
(:mod:`isacsim.detector_mc` simulates every detector, clutter and
synchronization errors included, in sufficient statistics.)
"""
from __future__ import annotations

import attrs
import numpy as np

from . import validation as v
from .errors import InputError
from .stats import q_inverse, wilson_interval

__all__ = ["MonteCarloResult", "simulate_detection", "sensing_beams", "echo_signal", "echo_blocks"]

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

    See :func:`echo_blocks`, which also says which link each entry belongs to.
    """
    return echo_blocks(detector, problem, w, R, q)[0]


def echo_blocks(detector, problem, w, R, q):
    """The noiseless stacked observation ``alpha`` of eq. (12) at point q, and its links.

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
    alpha : numpy.ndarray, complex, shape (N_r (K + r_t) n_links,)
        Information blocks ``alpha^c_{m,l,i} = H_{m,l} w_{l,i}`` first, then
        sensing blocks ``alpha^r_{m,l,k} = H_{m,l} w^r_{l,k}``, links ordered
        (m, l). Without ``information_echoes`` only the sensing blocks.
    link : numpy.ndarray, int, shape like ``alpha``
        Index of the link (in that order) each entry belongs to.
    """
    n_bs = problem.n_bs
    links = [(m, l) for m in range(n_bs) for l in range(n_bs)] if detector.synchronized else [(m, m) for m in range(n_bs)]
    beam_sets = [sensing_beams(R)]
    if detector.information_echoes:
        beam_sets.insert(0, np.asarray(w, dtype=complex))
    blocks, owners = [], []
    for beams in beam_sets:
        for j, (m, l) in enumerate(links):
            # H_{m,l} = zeta_hat a_r,m a_t,l^T with zeta_hat = sqrt(G[q, m, l]). The LRT
            # statistic depends on the receive steering a_r only through
            # ||a_r||^2 = N_r (eq. (20)), so any unit-modulus vector will do.
            response = np.sqrt(problem.G[q, m, l]) * np.ones(problem.n_rx)
            blocks.extend(response * (problem.A[q, l] @ beam) for beam in beams[l])
            owners.extend([j] * (problem.n_rx * len(beams[l])))
    if not blocks:
        return np.zeros(0, dtype=complex), np.zeros(0, dtype=int)
    return np.concatenate(blocks), np.array(owners, dtype=int)


def _complex_normal(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def _statistic(target, observation, alpha, link, sigma_d2):
    """The LRT statistic of ``target`` for every row of ``observation``."""
    if target == "deterministic":
        return (observation @ alpha.conj()).real  # eq. (18), in the units of delta'
    energy = float(np.vdot(alpha, alpha).real)
    if target == "swerling1":
        return np.abs(observation @ alpha.conj()) ** 2 / (sigma_d2 * energy)
    n_links = int(link.max()) + 1
    projections = np.stack([observation[:, link == j] @ alpha[link == j].conj() for j in range(n_links)], axis=1)
    energies = np.array([np.vdot(alpha[link == j], alpha[link == j]).real for j in range(n_links)])
    snr = energies / sigma_d2
    weight = np.divide(snr / (1.0 + snr), energies, out=np.zeros_like(snr), where=energies > 0)
    return (np.abs(projections) ** 2 / sigma_d2) @ weight


def _count_exceedances(target, alpha, link, threshold, sigma_d2, n_trials, rng, signal):
    """How many of ``n_trials`` draws of the statistic exceed ``threshold``."""
    dimension = alpha.size
    count = 0
    chunk = max(1, _CHUNK_SAMPLES // max(dimension, 1))
    done = 0
    while done < n_trials:
        n = min(chunk, n_trials - done)
        observation = (rng.standard_normal((n, dimension)) + 1j * rng.standard_normal((n, dimension))) * np.sqrt(sigma_d2 / 2.0)
        if signal:
            if target == "deterministic":
                observation += alpha
            elif target == "swerling1":
                observation += _complex_normal(rng, (n, 1)) * alpha
            else:
                observation += _complex_normal(rng, (n, int(link.max()) + 1))[:, link] * alpha
        count += int(np.count_nonzero(_statistic(target, observation, alpha, link, sigma_d2) > threshold))
        done += n
    return count


def simulate_detection(detector, problem, w, R, *, n_trials=20000, rng=None, confidence=0.99, thresholds=None):
    """Monte Carlo detection and false-alarm rates of a design.

    Parameters
    ----------
    detector : Detector
        Links, matched streams and ``target``; without clutter or
        synchronization errors (those are simulated by
        :func:`isacsim.detector_mc.simulate_statistics`).
    problem : DesignProblem
    w : array_like, complex, shape (L, K, Nt)
    R : array_like, complex, shape (L, Nt, Nt)
    n_trials : int
        Draws per hypothesis and sample point.
    rng : numpy.random.Generator or int or None
        Noise source.
    confidence : float
        Level of the Wilson intervals, 0 < confidence < 1.
    thresholds : array_like, shape (Q,), or None
        The statistic's thresholds; default ``delta'`` of eq. (25) for the
        deterministic target (in its units, eq. (18)) and ``-ln pFA`` for
        ``swerling1`` (``|alpha^H d|^2 / (sigma_d^2 E)``). ``swerling1-links``
        needs them (its quantile is not elementary): e.g. from
        ``detector.statistic_law(problem, w, R).threshold(p_fa)``.

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
    if detector.clutter is not None or detector.sync_errors is not None:
        raise InputError("detector: the full-dimension simulation models the target only; simulate clutter and "
                         "synchronization errors with isacsim.detector_mc.simulate_statistics")
    if thresholds is None and detector.target == "swerling1-links":
        raise InputError("thresholds: required for target='swerling1-links' (see the docstring)")
    w, R = v.as_beams(problem, w, R)
    rng = np.random.default_rng(rng)
    p_fa = detector.false_alarm(problem)
    detections, alarms, dimension = [], [], 0
    for q in range(problem.n_points):
        alpha, link = echo_blocks(detector, problem, w, R, q)
        dimension = alpha.size
        energy = float(np.vdot(alpha, alpha).real)
        if thresholds is not None:
            threshold = float(np.asarray(thresholds, dtype=float)[q])
        elif detector.target == "deterministic":
            threshold = np.sqrt(problem.sigma_d2 * energy / 2.0) * q_inverse(p_fa)  # eq. (25) solved for delta'
        else:
            threshold = -np.log(p_fa)  # P(Exp(1) > threshold) = pFA
        for counts, signal in ((detections, True), (alarms, False)):
            counts.append(_count_exceedances(detector.target, alpha, link, threshold, problem.sigma_d2, n_trials, rng, signal))
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
