"""Target detection: reflected power and detection probability, Section III.

Which echo links count is the :class:`Detector`'s choice:

* synchronized BSs (Scenario I) use all ``L^2`` links l -> target -> m, eq. (20);
* unsynchronized BSs (Scenario II) use the ``L`` direct links only, eq. (28);
* ``information_echoes=False`` matched-filters the dedicated sensing
  waveforms only, the benchmark of eqs. (45)-(48).
"""
from __future__ import annotations

import attrs
import numpy as np

from . import validation as v
from .stats import q_function, q_inverse

__all__ = ["Detector", "detection_probability"]


def detection_probability(reflected_power, sigma_d2, p_fa):
    """Detection probability of the LRT, eqs. (26)/(29).

    Parameters
    ----------
    reflected_power : array_like
        Received reflection-signal power E [W].
    sigma_d2 : float
        Radar receiver noise power per antenna [W].
    p_fa : float
        False-alarm probability.

    Returns
    -------
    numpy.ndarray
        ``Q(Q^{-1}(p_fa) - sqrt(2 E / sigma_d2))``, shaped like ``reflected_power``.
    """
    energy = np.maximum(np.asarray(reflected_power, dtype=float), 0.0)
    return q_function(q_inverse(p_fa) - np.sqrt(2.0 * energy / sigma_d2))


def _optional_probability(instance, attribute, value):
    if value is not None:
        v.open_unit_interval(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Detector:
    """Joint LRT detector at the central controller.

    Parameters
    ----------
    synchronized : bool
        Scenario I (True, all links) or Scenario II (False, direct links).
    p_fa : float or None
        False-alarm probability; ``None`` uses the problem's ``p_fa``.
    information_echoes : bool
        Whether the echoes of the information signals are matched-filtered
        too (True, the paper's proposed scheme) or only the dedicated sensing
        signals' (False, the sensing-only benchmark).
    """

    synchronized: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    p_fa: float | None = attrs.field(default=None, validator=_optional_probability)
    information_echoes: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))

    @property
    def scenario(self):
        """``"sync"`` (Scenario I) or ``"unsync"`` (Scenario II)."""
        return "sync" if self.synchronized else "unsync"

    def false_alarm(self, problem):
        """The false-alarm probability in force for ``problem``."""
        return problem.p_fa if self.p_fa is None else self.p_fa

    def link_weights(self, problem):
        """Total echo gain collected from each transmitting BS.

        Parameters
        ----------
        problem : DesignProblem

        Returns
        -------
        numpy.ndarray, float, shape (Q, L)
            ``c[q, l] = sum_m G[q, m, l]`` (synchronized) or ``G[q, l, l]``
            (unsynchronized).
        """
        if self.synchronized:
            return problem.G.sum(axis=-2)
        return np.diagonal(problem.G, axis1=-2, axis2=-1).copy()

    def gains_by_signal(self, problem, w, R):
        """Transmit gain of every information beam and every R_l towards each point.

        Parameters
        ----------
        problem : DesignProblem
        w : array_like, complex, shape (L, K, Nt)
        R : array_like, complex, shape (L, Nt, Nt)

        Returns
        -------
        beams : numpy.ndarray, float, shape (Q, L, K)
            ``|a_{q,l}^T w_{l,i}|^2`` [W]; zeros without ``information_echoes``.
        sensing : numpy.ndarray, float, shape (Q, L)
            ``a_{q,l}^T R_l a_{q,l}^*`` [W].

        Raises
        ------
        ValueError
            If ``w`` or ``R`` does not have the problem's shape (naming it).
        """
        w, R = v.as_beams(problem, w, R)
        A = problem.A
        sensing = np.einsum("...qln,...lnp,...qlp->...ql", A, R, A.conj()).real
        amplitude = np.einsum("...qln,...lin->...qli", A, w)
        beams = amplitude.real**2 + amplitude.imag**2
        return (beams if self.information_echoes else np.zeros_like(beams)), sensing

    def beam_gains(self, problem, w, R):
        """Transmit gain of each BS towards each point.

        Returns
        -------
        numpy.ndarray, float, shape (Q, L)
            ``sum_i |a^T w_{l,i}|^2 + a^T R_l a^*`` [W] (the first sum only
            with ``information_echoes``); see :meth:`gains_by_signal`.
        """
        beams, sensing = self.gains_by_signal(problem, w, R)
        return beams.sum(axis=-1) + sensing

    def reflected_power(self, problem, w, R):
        """Received reflection-signal power E at every sample point.

        Eq. (20) (synchronized) or eq. (28) (unsynchronized), including the
        factor ``n_rx``.

        Parameters
        ----------
        problem : DesignProblem
        w : array_like, complex, shape (L, K, Nt)
        R : array_like, complex, shape (L, Nt, Nt)

        Returns
        -------
        numpy.ndarray, float, shape (Q,)
            E [W].
        """
        return problem.n_rx * np.sum(self.link_weights(problem) * self.beam_gains(problem, w, R), axis=-1)

    def detection_probability(self, problem, w, R):
        """Closed-form detection probability at every sample point, eqs. (26)/(29).

        Returns
        -------
        numpy.ndarray, float, shape (Q,)
        """
        energy = self.reflected_power(problem, w, R)
        return detection_probability(energy, problem.sigma_d2, self.false_alarm(problem))

    def monte_carlo(self, problem, w, R, *, n_trials=20000, rng=None, confidence=0.99):
        """Simulate the matched-filter outputs of eq. (14) and the LRT.

        See :func:`isacsim.montecarlo.simulate_detection`.
        """
        from .montecarlo import simulate_detection

        return simulate_detection(self, problem, w, R, n_trials=n_trials, rng=rng, confidence=confidence)
