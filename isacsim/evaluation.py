"""Performance of a design: SINRs, powers, reflected power and detection."""
from __future__ import annotations

import attrs
import numpy as np

from .units import linear_to_db

__all__ = ["Evaluation", "evaluate", "transmit_power"]


def transmit_power(w, R):
    """Per-BS transmit power ``sum_i ||w_li||^2 + tr R_l``.

    Parameters
    ----------
    w : numpy.ndarray, complex, shape (L, K, Nt)
    R : numpy.ndarray, complex, shape (L, Nt, Nt)
        (Or stacks of them, with the same leading batch axes.)

    Returns
    -------
    numpy.ndarray, float, shape (L,)
        [W].
    """
    return (np.abs(w) ** 2).sum(axis=(-2, -1)) + np.einsum("...lnn->...l", R).real


@attrs.frozen(kw_only=True)
class Evaluation:
    """What a design achieves on a problem, recomputed from ``w`` and ``R``.

    Attributes
    ----------
    reflected_power_w : numpy.ndarray, shape (Q,)
        Reflected power E at each sample point [W], eq. (20)/(28) (R only for
        the sensing-only detector), ``n_rx`` included.
    detection_probability : numpy.ndarray, shape (Q,)
        Closed-form p_D at each point, eq. (26)/(29).
    sinr_db : numpy.ndarray, shape (L, K)
        SINR of every user [dB].
    tx_power_w : numpy.ndarray, shape (L,)
        Transmit power of every BS [W].
    """

    reflected_power_w: np.ndarray
    detection_probability: np.ndarray
    sinr_db: np.ndarray
    tx_power_w: np.ndarray

    @property
    def min_reflected_power_w(self):
        """Minimum of E over the sample points [W]."""
        return float(self.reflected_power_w.min())

    @property
    def min_detection_probability(self):
        """Minimum p_D over the sample points."""
        return float(self.detection_probability.min())


def evaluate(problem, design):
    """Evaluate a design with the receiver and detector it was made for.

    A design without beams (infeasible or failed) evaluates to zero
    reflected power and ``p_D = p_FA``.

    Parameters
    ----------
    problem : DesignProblem
    design : Design

    Returns
    -------
    Evaluation
    """
    detector, receiver = design.detector, design.receiver
    with np.errstate(divide="ignore"):
        sinr_db = linear_to_db(receiver.sinr(problem, design.w, design.R))
    return Evaluation(
        reflected_power_w=detector.reflected_power(problem, design.w, design.R),
        detection_probability=detector.detection_probability(problem, design.w, design.R),
        sinr_db=np.atleast_2d(sinr_db),
        tx_power_w=transmit_power(design.w, design.R),
    )
