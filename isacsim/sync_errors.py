"""Partial synchronization: residual phase and timing errors between the BSs.

Scenario I assumes that the central controller knows every delay and phase
of the cross links l -> target -> m; Scenario II uses only the direct links
m -> target -> m. Between them, the BSs are synchronized up to residual
errors: BS l's clock and carrier carry a timing error ``tau_l`` and a phase
error ``phi_l``, independent across BSs and uniform,

    ``phi_l ~ U[-pi s, pi s]``,   ``tau_l ~ U[-t / 2, t / 2] T_s``,

with the **phase spread** ``s`` in [0, 1] (0: Scenario I; 1: phases
uniform on the circle) and the **timing spread** ``t`` in [0, 1] symbols.
A direct link is unaffected (one BS's own clock). On the cross link
``(m, l)``, ``m != l``, the matched-filter output of eq. (8) becomes

    ``d_{m,l} = lambda_{m,l} e^{j psi_{m,l}} H_{m,l} w + z``,
    ``psi_{m,l} = phi_l - phi_m``,  ``lambda_{m,l} = sinc(tau_l - tau_m)``,

``sinc(x) = sin(pi x) / (pi x)`` being the matched-filter response of
band-limited (Nyquist sinc) pulses to a timing offset of x symbols; the
echo energy the offset moves to other lags averages out over a long frame,
as in the paper's eqs. (8)-(9).

The detector. A linear detector ``T = Re(h^H d)`` with per-link weights
``h_j = k_j alpha_j`` (alpha of eq. (12)) has, given the errors, the law
``N(mu, 1)`` after normalizing by its H0 standard deviation
``sqrt(sigma_d^2 sum_j k_j^2 e_j / 2)``, with

    ``mu = sum_j k_j e_j lambda_j cos(psi_j) / sqrt(sigma_d^2 sum_j k_j^2 e_j / 2)``.

Under H0 the errors do not matter (``T ~ N(0, 1)``), so ``pFA = Q(delta)``
exactly, and

    ``pD = E[Q(delta - mu)]``

over the errors. Two choices of weights:

* **aware** (default): ``k_j = E[lambda_j e^{j psi_j}]``, the mean phasor of
  the link, ``sinc(s)^2 E[sinc(tau_l - tau_m)]`` on a cross link (1 on a
  direct one) with
  ``E[sinc(D)] = (2 / t) (Si(pi t) / pi - (1 - cos(pi t)) / (pi^2 t))`` for
  the triangular law of ``D = tau_l - tau_m``. Among linear detectors it
  maximizes the deflection ``E[T | H1]^2 / var(T | H0)``. It is the paper's
  Scenario I detector at ``s = t = 0`` and its Scenario II detector at
  ``s = 1`` (``sinc(1) = 0``: the cross links get no weight), where
  ``pD`` is exactly eq. (29);
* **blind**: ``k_j = 1``, the paper's Scenario I detector used as if the
  BSs were synchronized; the cross links' random phases then cost more
  than they bring as ``s`` grows (``mu`` averages
  ``sum_direct e_j + k^2 sum_cross e_j`` over ``sqrt(sigma_d^2 E / 2)``).

The expectation over the errors is a tensor Gauss-Legendre cubature over
``phi`` (L dimensions) and, with ``t > 0``, ``tau`` (L more): the integrand
is analytic in the errors, so the rule converges exponentially; the number
of nodes per dimension grows (4, 6, 8, 12, 16, ..., 64) until the detection probabilities at
pFA = 1e-1, 1e-3 and 1e-6 change by less than 1e-10, within 2^19 nodes
(the last change is kept as ``error_estimate``; a law starts one rule below
where the last one with the same errors converged). Where fewer than two
rules fit (more than six error dimensions: L > 3 with timing errors, L > 6
without) eight
independently scrambled Sobol sets of 2^13 points (seeds 0-7) are averaged,
and their standard error is the estimate.
"""
from __future__ import annotations

import functools
from typing import Any

import attrs
import numpy as np

from . import validation as v
from .errors import InputError
from .fluctuation import _columns, _probabilities
from .stats import q_function, q_inverse

__all__ = ["SyncErrors", "PhaseErrorMixture", "mean_timing_factor"]

#: Largest cubature, in nodes.
_MAX_NODES = 2**19
#: Gauss-Legendre nodes per dimension, in the order they are tried.
_RULE_SIZES = (4, 6, 8, 12, 16, 24, 32, 48, 64)
#: Where the last law of each (errors, L) converged: the next one starts a rule below.
_CONVERGED_AT: dict[tuple[object, int], int] = {}
#: Nodes per block of the mixture's evaluation (bounds its memory).
_CHUNK = 2**14
#: Convergence tolerance of the cubature (absolute, in probability).
_TOLERANCE = 1e-10
#: Quasi-Monte Carlo points beyond the cubature's reach.
_QMC_POINTS = 2**16


def _unit_interval(instance, attribute, value):
    v.finite(instance, attribute, value)
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{attribute.name}: expected a spread in [0, 1], got {value!r}")


def mean_timing_factor(timing_spread: float) -> float:
    """``E[sinc(tau_l - tau_m)]`` for independent ``tau ~ U[-t/2, t/2]`` [symbols].

    Parameters
    ----------
    timing_spread : float
        ``t`` in [0, 1].

    Returns
    -------
    float
    """
    from scipy import special

    t = float(timing_spread)
    if t < 1e-4:  # the series 1 - pi^2 t^2 / 36 + pi^4 t^4 / 1200, exact to rounding here
        return 1.0 - (np.pi * t) ** 2 / 36.0 + (np.pi * t) ** 4 / 1200.0
    si, _ = special.sici(np.pi * t)
    return float(2.0 / t * (si / np.pi - (1.0 - np.cos(np.pi * t)) / (np.pi**2 * t)))


@attrs.frozen(kw_only=True)
class SyncErrors:
    """Residual synchronization errors of the BSs (Scenario I with imperfect sync).

    Parameters
    ----------
    phase_spread : float
        ``s`` in [0, 1]: ``phi_l ~ U[-pi s, pi s]`` [rad].
    timing_spread : float
        ``t`` in [0, 1]: ``tau_l ~ U[-t/2, t/2]`` [symbols].
    aware : bool
        Weight each cross link by its mean phasor (True) or use the paper's
        Scenario I detector as if synchronized (False); see the module notes.
    """

    phase_spread: float = attrs.field(default=0.0, converter=float, validator=_unit_interval)
    timing_spread: float = attrs.field(default=0.0, converter=float, validator=_unit_interval)
    aware: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))

    def cross_link_factor(self) -> float:
        """``E[lambda e^{j psi}]`` of a cross link: ``sinc(s)^2 E[sinc(tau_l - tau_m)]``.

        Exactly 0 at ``s = 1`` (``np.sinc(1)`` is 4e-17 in floating point).
        """
        phase = 0.0 if self.phase_spread == 1.0 else float(np.sinc(self.phase_spread)) ** 2
        return phase * mean_timing_factor(self.timing_spread)

    def weights(self, n_bs: int) -> np.ndarray:
        """Per-link detector weights ``k[m, l]``, shape (L, L): 1 on the direct links."""
        factor = self.cross_link_factor() if self.aware else 1.0
        k = np.full((n_bs, n_bs), factor)
        np.fill_diagonal(k, 1.0)
        return k

    def law(self, link_energies: np.ndarray, sigma_d2: float | np.ndarray) -> Any:
        """The law of the normalized statistic at every point.

        Parameters
        ----------
        link_energies : numpy.ndarray, float, shape (Q, L, L)
            ``e[q, m, l]`` [W] of every link (synchronized detector).
        sigma_d2 : float
            Radar noise power [W].

        Returns
        -------
        PhaseErrorMixture
        """
        energies = np.maximum(np.asarray(link_energies, dtype=float), 0.0)
        n_points, n_bs = energies.shape[0], energies.shape[1]
        k = self.weights(n_bs)
        norm = np.sqrt(sigma_d2 * np.einsum("ml,qml->q", k**2, energies) / 2.0)
        amplitude = np.where(norm[:, None, None] > 0, k * energies / np.where(norm > 0, norm, 1.0)[:, None, None], 0.0)
        direct = np.einsum("qmm->q", amplitude)
        cross = amplitude.reshape(n_points, -1)[:, ~np.eye(n_bs, dtype=bool).ravel()]  # (Q, L(L-1)), (m, l) order
        if self.phase_spread == 0.0 and self.timing_spread == 0.0 or not np.any(cross):
            return PhaseErrorMixture(means=(direct + cross.sum(axis=1))[:, None], weights=np.ones(1))
        return _converged(lambda rule: PhaseErrorMixture.from_rule(direct, cross, n_bs, rule), self, n_bs)


@attrs.frozen
class PhaseErrorMixture:
    """``T ~ N(0, 1)`` under H0 and the mixture ``sum_k p_k N(mu_k, 1)`` under H1, per point.

    Attributes
    ----------
    means : numpy.ndarray, float, shape (Q, n_nodes)
        ``mu`` at each cubature node.
    weights : numpy.ndarray, float, shape (n_nodes,)
        The nodes' weights (sum 1).
    error_estimate : float
        Largest change of pD (at pFA = 1e-1, 1e-3, 1e-6) between the last
        two cubature rules, or the standard error of the quasi-Monte Carlo
        average; 0 when no average was needed.
    """

    means: np.ndarray
    weights: np.ndarray
    error_estimate: float = 0.0

    @classmethod
    def from_rule(cls, direct: np.ndarray, cross: np.ndarray, n_bs: int, rule: Any) -> PhaseErrorMixture:
        """Evaluate ``mu`` on the nodes of ``rule = (phases, timings, weights)``."""
        phases, timings, weights = rule
        m, l = np.nonzero(~np.eye(n_bs, dtype=bool))
        factor = np.cos(phases[:, l] - phases[:, m])
        if timings is not None:
            factor = factor * np.sinc(timings[:, l] - timings[:, m])
        return cls(means=direct[:, None] + cross @ factor.T, weights=weights)

    def threshold(self, p_fa: Any) -> Any:
        """``Q^-1(p_fa)``, shape (Q,) or (Q, n)."""
        p_fa = _probabilities(p_fa)
        return np.broadcast_to(q_inverse(p_fa), (self.means.shape[0],) + p_fa.shape).copy()

    def p_false_alarm(self, threshold: Any) -> Any:
        """``Q(threshold)``."""
        return q_function(_columns(threshold, self.means.shape[0]))

    def p_detect(self, threshold: Any) -> Any:
        """``sum_k p_k Q(threshold - mu_k)``, shaped like the thresholds."""
        threshold = _columns(threshold, self.means.shape[0])
        flat = threshold.reshape(threshold.shape[0], -1)
        out = np.zeros(flat.shape)
        for start in range(0, self.weights.size, _CHUNK):  # bounded memory: (Q, chunk, n) at a time
            means = self.means[:, start : start + _CHUNK]
            out += np.einsum("qkn,k->qn", q_function(flat[:, None, :] - means[:, :, None]), self.weights[start : start + _CHUNK])
        return out.reshape(threshold.shape)


def _error_axes(errors, n_bs):
    """The spreads of the error dimensions that vary: phases, then timings."""
    spreads = []
    if errors.phase_spread > 0:
        spreads += [np.pi * errors.phase_spread] * n_bs
    if errors.timing_spread > 0:
        spreads += [errors.timing_spread / 2.0] * n_bs
    return spreads


def _split(errors, n_bs, points):
    """Phases and timings (or None) from points of the error box, shape (n, dims)."""
    zero = np.zeros((points.shape[0], n_bs))
    phases = points[:, :n_bs] if errors.phase_spread > 0 else zero
    offset = n_bs if errors.phase_spread > 0 else 0
    timings = points[:, offset : offset + n_bs] if errors.timing_spread > 0 else None
    return phases, timings


@functools.lru_cache(maxsize=64)
def _gauss_legendre_rule(errors, n_bs, n_nodes):
    """Tensor Gauss-Legendre nodes over the error box (cached: the same for every design; never modified)."""
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    spreads = _error_axes(errors, n_bs)
    grid = np.stack(np.meshgrid(*[x] * len(spreads), indexing="ij"), axis=-1).reshape(-1, len(spreads))
    weights = np.prod(np.stack(np.meshgrid(*[w / 2.0] * len(spreads), indexing="ij"), axis=-1).reshape(-1, len(spreads)), axis=1)
    return (*_split(errors, n_bs, grid * np.array(spreads)), weights)


def _sobol_rules(errors, n_bs, n_replicates=8):
    """Independently scrambled Sobol point sets over the error box (seeds 0, 1, ...)."""
    from scipy.stats import qmc

    spreads = np.array(_error_axes(errors, n_bs))
    for seed in range(n_replicates):
        u = qmc.Sobol(d=spreads.size, scramble=True, seed=seed).random(_QMC_POINTS // n_replicates) * 2.0 - 1.0
        yield (*_split(errors, n_bs, u * spreads), np.full(u.shape[0], n_replicates / _QMC_POINTS))


def _converged(build, errors, n_bs):
    """Refine the cubature until pD at three false-alarm levels settles."""
    dims = len(_error_axes(errors, n_bs))
    probe = q_inverse(np.array([1e-1, 1e-3, 1e-6]))

    def values(law):
        return law.p_detect(np.broadcast_to(probe, (law.means.shape[0], probe.size)))

    previous, sizes = None, _RULE_SIZES
    start = max(0, _CONVERGED_AT.get((errors, n_bs), 0) - 1)  # one rule below where the last design converged
    for n_nodes in sizes[start:]:
        if n_nodes**dims > _MAX_NODES:
            break
        law = build(_gauss_legendre_rule(errors, n_bs, n_nodes))
        current = values(law)
        if previous is not None:
            change = float(np.max(np.abs(current - previous)))
            following = sizes[sizes.index(n_nodes) + 1] if n_nodes != sizes[-1] else None
            if change < _TOLERANCE or following is None or following**dims > _MAX_NODES:
                _CONVERGED_AT[errors, n_bs] = sizes.index(n_nodes)
                return attrs.evolve(law, error_estimate=change)
        previous = current
    parts = [build(rule) for rule in _sobol_rules(errors, n_bs)]
    spread = np.std([values(part) for part in parts], axis=0, ddof=1) / np.sqrt(len(parts))
    merged = PhaseErrorMixture(
        means=np.concatenate([p.means for p in parts], axis=1), weights=np.concatenate([p.weights for p in parts]) / len(parts)
    )
    return attrs.evolve(merged, error_estimate=float(spread.max()))
