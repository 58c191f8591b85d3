"""Brute-force sample-level frame simulation: the paper's Sections II-III, literally.

Every sample of every antenna is built: transmit signals ``x_l[n]``
(eq. (1)-(2)), echoes over every link l -> point q -> m with cyclic delays
and receive noise (eq. (7)), the matched filter of every waveform on every
link (eqs. (8)-(9)), the stacked vector ``d`` and ``alpha`` (eqs. (10)-(12))
and ``T = Re(alpha^H d)`` (eq. (18)); the users' received samples of
eq. (2). It shares no code with the fast path (:func:`simulate_frames`)
beyond the waveform generators and the sensing beams of eq. (1)
(:func:`~isacsim.framesim.layout.design_sensing_beams`, the same residue
cut), and exists to check it: it is slow
(O(L^2 Nr N (K + r_t)) per frame) and meant for small cases.

Timing model (the same as the fast path's): per frame, each BS l has a
propagation delay ``e_l`` to the point, so link l -> q -> m has delay
``e_l + e_m``; in Scenario II each BS also has an unknown clock offset
``o_l`` and carrier phase ``psi_l``, so BS m receives BS l's echo (and user
k of cell m BS l's signal) ``o_l - o_m`` symbols late with phase
``psi_l - psi_m``, and knows only its own echo's delay. All delays are cyclic
(a cyclic prefix longer than every delay) and uniform over the frame.
"""
from __future__ import annotations

import attrs
import numpy as np

from ..receivers import TypeI, TypeII
from ..stats import q_inverse
from .layout import design_sensing_beams
from .registry import get_alphabet, get_sensing, resolve
from .waveforms import complex_gaussian

__all__ = ["SampleResult", "simulate_samples"]


@attrs.frozen(kw_only=True)
class SampleResult:
    """Statistics of brute-force frames at one sample point.

    Attributes
    ----------
    statistic_h1, statistic_h0 : numpy.ndarray, float, shape (n_trials,)
        ``T = Re(alpha^H d)`` of each frame with and without the target [W].
    threshold : float
        The paper's threshold, eq. (25) with ``E = alpha^H alpha`` [W].
    sinr : dict of str -> numpy.ndarray, shape (n_trials, L, K)
        Empirical SINR per receiver name (``type-i``, ``type-ii``) [linear].
    """

    statistic_h1: np.ndarray
    statistic_h0: np.ndarray
    threshold: float
    sinr: dict


def _delay(signal, delays):
    """Cyclically delay ``signal`` (n, ..., N) by ``delays`` (n,) symbols."""
    n_symbols = signal.shape[-1]
    index = (np.arange(n_symbols)[None, :] - delays[:, None]) % n_symbols
    index = index.reshape(index.shape[0], *([1] * (signal.ndim - 2)), n_symbols)
    return np.take_along_axis(signal, np.broadcast_to(index, signal.shape), axis=-1)


#: Frames simulated at once (bounds memory).
_CHUNK = 1000


def simulate_samples(problem, design, *, point, n_symbols, n_trials, alphabet="gaussian", sensing="gaussian", seed=None):
    """Simulate ``n_trials`` frames sample by sample at sample point ``point``.

    Parameters
    ----------
    problem : DesignProblem
    design : Design
        ``w``, ``R`` and ``detector`` (scenario, matched-filtered signals).
    point : int
        Sample point q of the target.
    n_symbols, n_trials : int
        Frame length N and frames.
    alphabet, sensing : str or object
        As for :func:`simulate_frames`.
    seed : int or None

    Returns
    -------
    SampleResult
    """
    rng = np.random.default_rng(seed)
    alphabet, sensing = resolve(alphabet, get_alphabet), resolve(sensing, get_sensing)
    chunks = [_frames(problem, design, point, n_symbols, min(_CHUNK, n_trials - start), alphabet, sensing, rng)
              for start in range(0, n_trials, _CHUNK)]
    return SampleResult(
        statistic_h1=np.concatenate([c[0] for c in chunks]),
        statistic_h0=np.concatenate([c[1] for c in chunks]),
        threshold=chunks[0][2],
        sinr={name: np.concatenate([c[3][name] for c in chunks]) for name in chunks[0][3]},
    )


def _frames(problem, design, point, n_symbols, n_trials, alphabet, sensing, rng):
    """``(T under H1, T under H0, threshold, {receiver: SINR})`` of ``n_trials`` frames."""
    detector = design.detector
    n_bs, n_users, n_rx = problem.n_bs, problem.n_users_per_cell, problem.n_rx
    sensing_bank = design_sensing_beams(design.w, design.R)  # (L, r_t, Nt), zero-padded
    r_t = sensing_bank.shape[1]
    beams = np.concatenate([np.asarray(design.w, dtype=complex), sensing_bank], axis=1)  # (L, K + r_t, Nt)
    matched = np.arange(0 if detector.information_echoes else n_users, n_users + r_t)

    # Transmit signals, eq. (1): streams (n, L, K + r_t, N) and x_l[n] (n, L, Nt, N).
    streams = np.concatenate(
        [alphabet.symbols(rng, (n_trials, n_bs * n_users, n_symbols)).reshape(n_trials, n_bs, n_users, n_symbols),
         np.stack([sensing.waveforms(rng, n_trials, r_t, n_symbols) for _ in range(n_bs)], axis=1)],
        axis=2,
    )
    transmit = np.einsum("lsn,tlsk->tlnk", beams, streams)

    propagation = rng.integers(n_symbols, size=(n_trials, n_bs))
    if detector.synchronized:
        clock, phase = np.zeros((n_trials, n_bs), dtype=int), np.zeros((n_trials, n_bs))
    else:
        clock, phase = rng.integers(n_symbols, size=(n_trials, n_bs)), rng.uniform(0, 2 * np.pi, (n_trials, n_bs))

    a_t = problem.A[point]  # (L, Nt): gain of x is a_t[l] @ x
    progression = np.angle(a_t[:, 1] / a_t[:, 0]) if problem.n_tx > 1 else np.zeros(n_bs)
    a_r = np.exp(1j * np.arange(n_rx)[None, :] * progression[:, None])  # (L, Nr), ULA, ||a_r||^2 = Nr
    zeta = np.sqrt(problem.G[point])  # [m, l]
    towards = np.einsum("ln,tlnk->tlk", a_t, transmit)  # a_{t,l}^T x_l[n]

    statistic = {}
    alpha_energy = 0.0
    for hypothesis in (1, 0):
        total = np.zeros(n_trials)
        for m in range(n_bs):
            # Echo at BS m, eq. (7), with per-sample noise N sigma_d^2: sigma_d^2 after the 1/N matched filter,
            # as in eqs. (8)-(9) (isacsim's reading of sigma_d^2; see isacsim.framesim.lrt).
            received = complex_gaussian(rng, (n_trials, n_rx, n_symbols)) * np.sqrt(n_symbols * problem.sigma_d2)
            if hypothesis:
                for l in range(n_bs):
                    lag = propagation[:, l] + propagation[:, m] + clock[:, l] - clock[:, m]
                    echo = _delay(towards[:, l], lag) * np.exp(1j * (phase[:, l] - phase[:, m]))[:, None]
                    received += zeta[m, l] * a_r[m][None, :, None] * echo[:, None, :]
            links = range(n_bs) if detector.synchronized else [m]
            for l in links:
                known = propagation[:, l] + propagation[:, m]  # the delay BS m / the CC knows
                reference = _delay(streams[:, l][:, matched], known)  # (n, |matched|, N)
                d = np.einsum("trn,tsn->tsr", received, reference.conj()) / n_symbols  # eqs. (8)-(9): (n, streams, Nr)
                alpha = zeta[m, l] * (beams[l][matched] @ a_t[l])[:, None] * a_r[m][None, :]  # (streams, Nr), eq. (12)
                total += np.einsum("sr,tsr->t", alpha.conj(), d).real
                if hypothesis:
                    alpha_energy += float(np.vdot(alpha, alpha).real)
        statistic[hypothesis] = total
    threshold = float(np.sqrt(problem.sigma_d2 * alpha_energy / 2.0) * q_inverse(detector.false_alarm(problem)))

    # Users, eq. (2): BS l's signal reaches cell m o_l - o_m symbols late.
    sinr = {TypeI.name: np.empty((n_trials, n_bs, n_users)), TypeII.name: np.empty((n_trials, n_bs, n_users))}
    for m in range(n_bs):
        for k in range(n_users):
            h = problem.H[:, m, k].conj()  # (L, Nt): h_{l,m,k}^H
            arrivals = [_delay(transmit[:, l], clock[:, l] - clock[:, m]) for l in range(n_bs)]
            received = sum(np.einsum("n,tnk->tk", h[l], arrivals[l]) for l in range(n_bs))
            received = received + complex_gaussian(rng, (n_trials, n_symbols)) * np.sqrt(problem.sigma_c2)
            desired = (h[m] @ beams[m, k]) * streams[:, m, k]
            sensing_part = sum(
                np.einsum("s,tsk->tk", beams[l, n_users:] @ h[l], _delay(streams[:, l, n_users:], clock[:, l] - clock[:, m]))
                for l in range(n_bs)
            )
            power = np.sum(np.abs(desired) ** 2, axis=1)
            sinr[TypeI.name][:, m, k] = power / np.sum(np.abs(received - desired) ** 2, axis=1)
            sinr[TypeII.name][:, m, k] = power / np.sum(np.abs(received - desired - sensing_part) ** 2, axis=1)
    return statistic[1], statistic[0], threshold, sinr
