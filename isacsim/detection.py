"""Target detection: reflected power and detection probability, Section III.

Which echo links count is the :class:`Detector`'s choice:

* synchronized BSs (Scenario I) use all ``L^2`` links l -> target -> m, eq. (20);
* unsynchronized BSs (Scenario II) use the ``L`` direct links only, eq. (28);
* ``information_echoes=False`` matched-filters the dedicated sensing
  waveforms only, the benchmark of eqs. (45)-(48).

Beyond the paper's model, the detector also says what it assumes about the
echo, and uses the likelihood-ratio test for it:

* ``target``: the paper's deterministic coefficient, or a Swerling I
  coefficient common to the links or independent per link
  (:mod:`isacsim.fluctuation`);
* ``sync_errors``: residual phase and timing errors between synchronized
  BSs (:mod:`isacsim.sync_errors`);
* ``clutter``: echoes of static scatterers, whitened or ignored by the
  detector (:mod:`isacsim.clutter`).

Every choice has a law for its normalized statistic
(:meth:`Detector.statistic_law`), from which the detection probability at
the required pFA and the ROC follow (:mod:`isacsim.roc`). The defaults are
the paper's detector, whose detection probability is computed exactly as
eqs. (26)/(29).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from . import validation as v
from .blas import single_threaded_blas
from .clutter.echoes import ClutterEchoes
from .errors import InputError
from .fluctuation import check_target, target_law
from .stack import ProblemStack
from .stats import q_function, q_inverse
from .sync_errors import SyncErrors

if TYPE_CHECKING:
    from .clutter.scnr import ClutterStatistics
    from .problem import DesignProblem

__all__ = ["Detector", "detection_probability", "reflected_power_floor"]


def detection_probability(reflected_power: npt.ArrayLike, sigma_d2: float | np.ndarray, p_fa: npt.ArrayLike) -> Any:
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


def reflected_power_floor(pd_target: npt.ArrayLike, sigma_d2: float | np.ndarray, p_fa: npt.ArrayLike) -> Any:
    """The least reflected power E [W] whose detection probability reaches ``pd_target``.

    Eqs. (26)/(29) solved for E: ``p_D = Q(Q^{-1}(p_fa) - sqrt(2 E / sigma_d2))``
    increases with E from ``p_D(0) = p_fa``, so ``p_D >= pd_target`` holds
    exactly when ``E >= sigma_d2 / 2 (Q^{-1}(p_fa) - Q^{-1}(pd_target))^2``
    for ``pd_target > p_fa``, and for every E >= 0 when ``pd_target <= p_fa``
    (floor 0: the target asks for no more than chance).

    Parameters
    ----------
    pd_target : array_like
        Required detection probabilities, each in (0, 1).
    sigma_d2 : float
        Radar receiver noise power per antenna [W].
    p_fa : float
        False-alarm probability.

    Returns
    -------
    numpy.ndarray
        The floors [W], shaped like ``pd_target``, >= 0.
    """
    pd_target = np.asarray(pd_target, dtype=float)
    excess = np.maximum(q_inverse(p_fa) - q_inverse(pd_target), 0.0)  # > 0 exactly when pd_target > p_fa
    return 0.5 * sigma_d2 * excess**2


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
    target : {"deterministic", "swerling1", "swerling1-links"}
        The target's reflection coefficients: the paper's known ones, one
        Swerling I coefficient common to every link, or an independent one
        per link (:mod:`isacsim.fluctuation`).
    sync_errors : SyncErrors or None
        Residual synchronization errors of synchronized BSs
        (:mod:`isacsim.sync_errors`); deterministic target, no clutter.
    clutter : ClutterEchoes or None
        Static scatterers' echoes (:mod:`isacsim.clutter`); not with
        ``swerling1-links``.
    clutter_aware : bool
        With clutter: whiten with the clutter-plus-noise covariance (True),
        or use the paper's statistic with the threshold that holds pFA in
        that clutter (False).

    Raises
    ------
    InputError
        For a combination that is not modelled (named in the message).
    """

    synchronized: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    p_fa: float | None = attrs.field(default=None, validator=_optional_probability)
    information_echoes: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    target: str = attrs.field(default="deterministic", validator=check_target)
    sync_errors: SyncErrors | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(SyncErrors))
    )
    clutter: ClutterEchoes | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(ClutterEchoes))
    )
    clutter_aware: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self):
        if self.sync_errors is not None:
            if not self.synchronized:
                raise InputError("sync_errors: residual synchronization errors concern the cross links of Scenario I; "
                                 "the unsynchronized detector uses none")
            if self.target != "deterministic" or self.clutter is not None:
                raise InputError("sync_errors: modelled for the deterministic target without clutter "
                                 f"(got target={self.target!r}, clutter {'set' if self.clutter is not None else 'None'})")
        if self.clutter is not None and self.target == "swerling1-links":
            raise InputError("clutter: not modelled with target='swerling1-links' (the clutter couples the links' "
                             "statistics); use 'deterministic' or 'swerling1'")

    @property
    def scenario(self) -> str:
        """``"sync"`` (Scenario I) or ``"unsync"`` (Scenario II)."""
        return "sync" if self.synchronized else "unsync"

    def false_alarm(self, problem: DesignProblem | ProblemStack) -> float | np.ndarray:
        """The false-alarm probability in force for ``problem``."""
        return problem.p_fa if self.p_fa is None else self.p_fa

    def reflected_power_floors(self, problem: DesignProblem) -> npt.NDArray[np.float64] | None:
        """The reflected power each sample point needs for the problem's detection target.

        Parameters
        ----------
        problem : DesignProblem

        Returns
        -------
        numpy.ndarray, float, shape (Q,), or None
            :func:`reflected_power_floor` of ``problem.pd_target`` at this
            detector's false-alarm probability [W]; None when the problem
            has no detection target.
        """
        targets = problem.pd_targets()
        if targets is None:
            return None
        return reflected_power_floor(targets, problem.sigma_d2, self.false_alarm(problem))

    def link_weights(self, problem: DesignProblem | ProblemStack) -> npt.NDArray[np.float64]:
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

    def gains_by_signal(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
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

    def beam_gains(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
        """Transmit gain of each BS towards each point.

        Returns
        -------
        numpy.ndarray, float, shape (Q, L)
            ``sum_i |a^T w_{l,i}|^2 + a^T R_l a^*`` [W] (the first sum only
            with ``information_echoes``); see :meth:`gains_by_signal`.
        """
        beams, sensing = self.gains_by_signal(problem, w, R)
        return beams.sum(axis=-1) + sensing

    def reflected_power(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
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

    @property
    def is_paper_model(self) -> bool:
        """True for the paper's detector: deterministic target, no clutter, no synchronization errors."""
        return self.target == "deterministic" and self.sync_errors is None and self.clutter is None

    def link_energies(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
        """Echo energy of every link at every point: the terms of eq. (20)/(28).

        Parameters
        ----------
        problem : DesignProblem
        w : array_like, complex, shape (L, K, Nt)
        R : array_like, complex, shape (L, Nt, Nt)

        Returns
        -------
        numpy.ndarray, float, shape (Q, L, L)
            ``e[q, m, l] = n_rx G[q, m, l] g[q, l]`` [W] with ``g`` of
            :meth:`beam_gains`; 0 on the links the detector does not use.
            Summed over (m, l) it is :meth:`reflected_power`.
        """
        gains = problem.n_rx * problem.G * self.beam_gains(problem, w, R)[:, None, :]
        return gains if self.synchronized else gains * np.eye(problem.n_bs)

    def used_link_energies(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
        """:meth:`link_energies` of the links the detector uses only, flattened.

        Returns
        -------
        numpy.ndarray, float, shape (Q, J)
            ``J = L^2`` links in (m, l) order (synchronized) or the ``L``
            direct links.
        """
        energies = self.link_energies(problem, w, R)
        return energies.reshape(problem.n_points, -1) if self.synchronized else np.einsum("qmm->qm", energies)

    def statistic_law(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> Any:
        """Law of the detector's normalized statistic at every point, under H0 and H1.

        Returns
        -------
        GaussianShift or Exponential or WeightedExponentials or PhaseErrorMixture
            With ``threshold(p_fa)``, ``p_false_alarm(threshold)`` and
            ``p_detect(threshold)``, vectorized over the Q points.
        """
        if self.clutter is not None:
            from .clutter.scnr import clutter_statistics

            return self.clutter_law(clutter_statistics(problem, self.clutter, self, w, R))
        if self.sync_errors is not None:
            with single_threaded_blas():
                return self.sync_errors.law(self.link_energies(problem, w, R), problem.sigma_d2)
        return target_law(self.target, self.used_link_energies(problem, w, R), problem.sigma_d2,
                          total_energy=self.reflected_power(problem, w, R))

    def clutter_law(self, stats: ClutterStatistics) -> Any:
        """The law of the statistic in clutter, from the design's :class:`~isacsim.clutter.scnr.ClutterStatistics`.

        The whitened detector's is eq. (26) (or the Swerling I law) with the
        effective energy, the clutter-blind one's with the matched filter's.
        """
        energy = stats.effective_energy if self.clutter_aware else stats.matched_energy
        return target_law(self.target, None, stats.sigma_d2, total_energy=energy)

    def detection_probability(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray) -> npt.NDArray[np.float64]:
        """Detection probability at every sample point at the detector's pFA.

        The paper's detector: eqs. (26)/(29). Otherwise the law of
        :meth:`statistic_law` at the threshold that gives the pFA.

        Returns
        -------
        numpy.ndarray, float, shape (Q,), or (B, Q) for a stack
        """
        if self.is_paper_model:
            energy = self.reflected_power(problem, w, R)
            return detection_probability(energy, problem.sigma_d2, self.false_alarm(problem))
        if isinstance(problem, ProblemStack):  # the laws beyond the paper's are computed one problem at a time
            return np.stack([self.detection_probability(member, w[b], R[b]) for b, member in enumerate(problem.members)])
        law = self.statistic_law(problem, w, R)
        return law.p_detect(law.threshold(self.false_alarm(problem)))

    def monte_carlo(self, problem: DesignProblem | ProblemStack, w: np.ndarray, R: np.ndarray, *, n_trials: int = 20000, rng: np.random.Generator | int | None = None, confidence: float = 0.99, thresholds: npt.ArrayLike | None = None) -> Any:
        """Simulate the matched-filter outputs of eq. (14) and the LRT.

        See :func:`isacsim.montecarlo.simulate_detection`.
        """
        from .montecarlo import simulate_detection

        return simulate_detection(self, problem, w, R, n_trials=n_trials, rng=rng, confidence=confidence, thresholds=thresholds)
