"""`simulate_frames`: detection and communication of one design over frames of N symbols.

This is the symbol-level counterpart of :mod:`isacsim.montecarlo` (which
simulates the asymptotic matched-filter outputs of eq. (14)). Each trial is a
frame: fresh symbols and sensing waveforms, fresh receive noise, and in
Scenario II fresh clock offsets and carrier phases of the BSs. The frames are
streamed in batches (bounded memory) and every batch draws from its own
``SeedSequence`` child, so the results depend on ``seed`` only.
"""
from __future__ import annotations

import math

import attrs
import numpy as np

from ..errors import InputError
from ..receivers import TypeI, TypeII
from ..stats import wilson_interval
from .grams import project, stream_grams, wishart_grams
from .layout import _ARRAY_EQ, FrameLayout
from .lrt import THRESHOLDS, Exceedances, asymptotic_threshold, calibrated_threshold, count_exceedances, echo_energies
from .registry import get_alphabet, get_sensing, resolve
from .sinr import empirical_sinr
from ..validation import shown

__all__ = ["FrameResult", "simulate_frames", "METHODS", "frame_seed"]

#: Ways to draw the frames' Gram matrices: ``wishart`` (exact for Gaussian
#: streams, O(1) in N), ``streams`` (materializes every frame, any waveform).
METHODS = ("auto", "wishart", "streams")
#: Frames per batch of the Wishart sampler.
_WISHART_BATCH = 4096
#: Complex numbers (samples and Gram entries) per batch of the stream sampler (8 MB).
_STREAM_SAMPLES = 2**19
#: ``SeedSequence`` keys of the two passes.
_CALIBRATION, _FRAMES = 0, 1


def frame_seed(seed, *keys):
    """A ``SeedSequence`` for ``keys`` below ``seed``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence or None
    *keys : int
        Appended to the spawn key: ``SeedSequence(entropy, spawn_key=key + keys)``.

    Returns
    -------
    numpy.random.SeedSequence
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + tuple(int(k) for k in keys))


@attrs.frozen(kw_only=True)
class FrameResult:
    """What frames of N symbols did with one design.

    Attributes
    ----------
    n_symbols, n_trials : int
        Frame length N and frames per hypothesis.
    method : str
        ``wishart`` or ``streams`` (:data:`METHODS`).
    synchronized : bool
        Scenario I (True) or II (False).
    alphabet, sensing : str
        Names of the symbol alphabet and sensing waveform.
    p_fa_target : float
        The required false-alarm probability.
    reflected_power : numpy.ndarray, shape (Q,)
        Closed-form E of eqs. (20)/(28) [W].
    p_d_closed : numpy.ndarray, shape (Q,)
        Closed-form pD of eqs. (26)/(29).
    thresholds : dict of str -> numpy.ndarray, shape (Q,)
        ``delta'`` of each fixed threshold [W] (:data:`~isacsim.framesim.lrt.THRESHOLDS`;
        the per-frame one varies and is not listed).
    detections, false_alarms : dict of str -> numpy.ndarray, int, shape (Q,)
        Frames over threshold under H1 and H0, per threshold and point.
    p_d_conditional, p_fa_conditional : dict of str -> numpy.ndarray, shape (Q,)
        The same rates with the noise averaged out exactly (mean over frames
        of ``P(T > delta | frame)``): lower-variance estimates.
    sinr : dict of str -> numpy.ndarray, shape (n_trials, L, K)
        Empirical SINR of every user in every frame, per receiver name [linear].
    sinr_closed : dict of str -> numpy.ndarray, shape (L, K)
        Eq. (3)/(4) for the same receivers [linear].
    """

    n_symbols: int
    n_trials: int
    method: str
    synchronized: bool
    alphabet: str
    sensing: str
    p_fa_target: float
    reflected_power: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    p_d_closed: np.ndarray = attrs.field(eq=_ARRAY_EQ)
    thresholds: dict
    detections: dict
    false_alarms: dict
    p_d_conditional: dict
    p_fa_conditional: dict
    sinr: dict
    sinr_closed: dict

    def p_d(self, threshold="asymptotic"):
        """Empirical pD per point, shape (Q,)."""
        return self.detections[threshold] / self.n_trials

    def p_fa(self, threshold="asymptotic"):
        """Empirical pFA per point, shape (Q,)."""
        return self.false_alarms[threshold] / self.n_trials

    def p_d_interval(self, threshold="asymptotic", confidence=0.999):
        """Wilson interval of pD per point: (lower, upper), each shape (Q,)."""
        return wilson_interval(self.detections[threshold], self.n_trials, confidence)

    def p_fa_interval(self, threshold="asymptotic", confidence=0.999):
        """Wilson interval of pFA per point: (lower, upper), each shape (Q,)."""
        return wilson_interval(self.false_alarms[threshold], self.n_trials, confidence)


def _positive_int(name, value, minimum=1):
    if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum):
        raise InputError(f"{name}: expected an integer >= {minimum}, got {shown(value)}")
    return int(value)


class _Sampler:
    """Draws batches of probe Gram matrices with the chosen method."""

    def __init__(self, method, layout, detection_probes, alphabet, sensing, n_symbols, synchronized):
        self.method, self.layout, self.probes = method, layout, detection_probes
        self.alphabet, self.sensing, self.n_symbols, self.synchronized = alphabet, sensing, n_symbols, synchronized

    def batch_size(self):
        if self.method == "wishart":
            return _WISHART_BATCH
        per_frame = self.layout.n_streams * (self.n_symbols + self.layout.n_streams)  # samples and Gram matrix
        return max(1, min(_WISHART_BATCH, _STREAM_SAMPLES // per_frame))

    def draw(self, rng, n_trials, users=True):
        """Detection Grams (n, Q, 2L, 2L) and user Grams (n, L, K, 3, 3) (or None)."""
        if self.method == "wishart":
            detection = np.stack([wishart_grams(rng, probes, self.n_symbols, n_trials) for probes in self.probes], axis=1)
            if not users:
                return detection, None
            rows = self.layout.users
            grams = [wishart_grams(rng, rows[m, k], self.n_symbols, n_trials) for m in range(rows.shape[0]) for k in range(rows.shape[1])]
            return detection, np.stack(grams, axis=1).reshape(n_trials, *rows.shape[:2], 3, 3)
        n_bs = self.layout.target.shape[1]
        offsets = None if self.synchronized else rng.integers(self.n_symbols, size=(n_trials, n_bs))
        grams = stream_grams(rng, self.layout, self.alphabet, self.sensing, self.n_symbols, n_trials, offsets)
        return project(grams, self.probes), (project(grams, self.layout.users) if users else None)


def _batches(seed, purpose, n_trials, size):
    """``(rng, n)`` per batch, each batch with its own ``SeedSequence`` child."""
    for index, start in enumerate(range(0, n_trials, size)):
        yield np.random.default_rng(frame_seed(seed, purpose, index)), min(size, n_trials - start)


def simulate_frames(problem, design, *, n_symbols, n_trials=10_000, alphabet="gaussian", sensing="gaussian",
                    receivers=None, method="auto", calibration_trials=None, seed=None):
    """Simulate frames of N symbols of one design: detection (H1 and H0) and the users' SINR.

    Parameters
    ----------
    problem : DesignProblem
    design : Design
        Its ``w``, ``R`` and ``detector`` (scenario, matched-filtered
        signals) are used; ``p_fa`` is the detector's.
    n_symbols : int
        Frame length N, >= 1.
    n_trials : int
        Frames per hypothesis, >= 1.
    alphabet : str or SymbolAlphabet
        Information symbols: a registered name (``gaussian``, ``qpsk``,
        ``16qam``, or a plugin's) or an instance or class.
    sensing : str or SensingWaveform
        Dedicated sensing waveforms, likewise (``gaussian``, ``qpsk``, ...).
    receivers : sequence of Receiver or None
        Whose empirical SINR to measure; default Type-I and Type-II.
    method : {"auto", "wishart", "streams"}
        ``auto``: ``wishart`` when both the alphabet and the sensing waveform
        are i.i.d. Gaussian, else ``streams``.
    calibration_trials : int or None
        H0 frames simulated to calibrate the fixed threshold (default
        ``n_trials``; 0 skips the calibrated threshold).
    seed : int or numpy.random.SeedSequence or None
        Root of every random stream.

    Returns
    -------
    FrameResult
    """
    n_symbols = _positive_int("n_symbols", n_symbols)
    n_trials = _positive_int("n_trials", n_trials)
    calibration_trials = n_trials if calibration_trials is None else _positive_int("calibration_trials", calibration_trials, 0)
    if method not in METHODS:
        raise InputError(f"method: expected one of {', '.join(METHODS)}, got {shown(method)}")
    alphabet, sensing = resolve(alphabet, get_alphabet), resolve(sensing, get_sensing)
    if method == "auto":
        method = "wishart" if alphabet.gaussian and sensing.gaussian else "streams"
    elif method == "wishart" and not (alphabet.gaussian and sensing.gaussian):
        raise InputError(f"method: 'wishart' needs Gaussian symbols and sensing waveforms, got {alphabet.name!r} and {sensing.name!r}")
    seed = frame_seed(seed)
    detector = design.detector
    receivers = (TypeI(), TypeII()) if receivers is None else tuple(receivers)
    layout = FrameLayout.build(problem, design.w, design.R, information_echoes=detector.information_echoes)
    sampler = _Sampler(method, layout, np.concatenate([layout.reference, layout.target], axis=1), alphabet, sensing,
                       n_symbols, detector.synchronized)
    zeta = np.sqrt(problem.G)
    p_fa = detector.false_alarm(problem)
    energy = detector.reflected_power(problem, design.w, design.R)

    def energies(rng, grams):
        phases = None if detector.synchronized else rng.uniform(0.0, 2.0 * math.pi, size=(grams.shape[0], problem.n_bs))
        return [echo_energies(grams[:, q], zeta[q], problem.n_rx, phases) for q in range(problem.n_points)]

    thresholds = {"asymptotic": asymptotic_threshold(energy, problem.sigma_d2, p_fa)}
    if calibration_trials:
        null_energy = []
        for rng, n in _batches(seed, _CALIBRATION, calibration_trials, sampler.batch_size()):
            null_energy.append([e0 for e0, _ in energies(rng, sampler.draw(rng, n, users=False)[0])])
        null_energy = np.concatenate(null_energy, axis=1)  # (Q, frames)
        thresholds["calibrated"] = np.array([calibrated_threshold(e0, problem.sigma_d2, p_fa) for e0 in null_energy])

    names = [name for name in THRESHOLDS if name in thresholds or name == "per-frame"]
    counts = [{name: Exceedances() for name in names} for _ in range(problem.n_points)]
    sinr = {receiver.name: [] for receiver in receivers}
    for rng, n in _batches(seed, _FRAMES, n_trials, sampler.batch_size()):
        detection, users = sampler.draw(rng, n)
        for q, (e0, e1) in enumerate(energies(rng, detection)):
            fixed = {name: thresholds[name][q] for name in thresholds}
            count_exceedances(counts[q], e0, e1, {**fixed, "per-frame": None}, problem.sigma_d2, p_fa, rng)
        for receiver in receivers:
            sinr[receiver.name].append(empirical_sinr(users, receiver.sensing_leakage))

    def per_point(field):
        return {name: np.array([getattr(point[name], field) for point in counts]) for name in names}

    return FrameResult(
        n_symbols=n_symbols,
        n_trials=n_trials,
        method=method,
        synchronized=detector.synchronized,
        alphabet=alphabet.name,
        sensing=sensing.name,
        p_fa_target=p_fa,
        reflected_power=energy,
        p_d_closed=detector.detection_probability(problem, design.w, design.R),
        thresholds={name: np.asarray(value, dtype=float) for name, value in thresholds.items()},
        detections=per_point("detections"),
        false_alarms=per_point("false_alarms"),
        p_d_conditional={name: value / n_trials for name, value in per_point("p_d_sum").items()},
        p_fa_conditional={name: value / n_trials for name, value in per_point("p_fa_sum").items()},
        sinr={name: np.concatenate(values, axis=0) for name, values in sinr.items()},
        sinr_closed={receiver.name: receiver.sinr(problem, design.w, design.R) for receiver in receivers},
    )
