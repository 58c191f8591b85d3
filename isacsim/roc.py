"""Receiver operating characteristics: pD against pFA for any design and detector.

The closed form comes from the detector's statistic law
(:meth:`isacsim.Detector.statistic_law`): for every pFA of a grid, the
threshold that gives it and the detection probability at that threshold, at
every sample point. The area's ROC is the minimum over the sample points
(the paper's Figs. 4 and 9 plot it). The Monte Carlo ROC counts, at the same
thresholds, the trials of :func:`isacsim.detector_mc.simulate_statistics`
over them, so that each point of the curve is checked in both coordinates,
with Wilson intervals.

>>> curve = roc_curve(Detector(target="swerling1"), problem, design.w, design.R)   # doctest: +SKIP
>>> curve.p_fa, curve.area_p_d                                                      # doctest: +SKIP
"""
from __future__ import annotations

import attrs
import numpy as np

from .errors import InputError

__all__ = ["ROC", "roc_curve", "monte_carlo_roc", "plot_roc", "DEFAULT_P_FA"]

#: pFA grid of a default ROC: 1e-6 to 0.5, five points per decade.
DEFAULT_P_FA = tuple(np.round(np.logspace(-6, np.log10(0.5), 30), 12))


@attrs.frozen(kw_only=True)
class ROC:
    """A design's ROC at every sample point.

    Attributes
    ----------
    p_fa : numpy.ndarray, shape (n,)
        The false-alarm probabilities.
    thresholds : numpy.ndarray, shape (Q, n)
        The detector's thresholds that give them, in its normalized units.
    p_d : numpy.ndarray, shape (Q, n)
        Closed-form detection probabilities.
    counts : ExceedanceCounts or None
        Monte Carlo counts at the same thresholds (:func:`monte_carlo_roc`).
    """

    p_fa: np.ndarray
    thresholds: np.ndarray
    p_d: np.ndarray
    counts: object = None

    @property
    def worst_point(self):
        """Index of the point of lowest pD at each pFA, shape (n,)."""
        return np.argmin(self.p_d, axis=0)

    @property
    def area_p_d(self):
        """The area's ROC: minimum over the points of pD, shape (n,)."""
        return self.p_d.min(axis=0)

    def monte_carlo_at_worst(self, confidence=0.999):
        """Monte Carlo rates at each pFA's worst point, with Wilson intervals.

        Returns
        -------
        dict of str -> numpy.ndarray, each shape (n,)
            ``p_fa``, ``p_fa_low``, ``p_fa_high``, ``p_d``, ``p_d_low``,
            ``p_d_high``.

        Raises
        ------
        InputError
            Without Monte Carlo counts.
        """
        if self.counts is None:
            raise InputError("counts: this ROC has no Monte Carlo counts (use monte_carlo_roc)")
        columns = np.arange(self.p_fa.size)
        worst = self.worst_point
        fa_low, fa_high = self.counts.p_fa_interval(confidence)
        d_low, d_high = self.counts.p_d_interval(confidence)
        return {
            "p_fa": self.counts.p_fa[worst, columns], "p_fa_low": fa_low[worst, columns], "p_fa_high": fa_high[worst, columns],
            "p_d": self.counts.p_d[worst, columns], "p_d_low": d_low[worst, columns], "p_d_high": d_high[worst, columns],
        }


def _grid(p_fa):
    p_fa = np.atleast_1d(np.asarray(p_fa, dtype=float))
    if p_fa.ndim != 1 or not np.all((p_fa > 0) & (p_fa < 1)):
        raise InputError(f"p_fa: expected a sequence of probabilities in (0, 1), got {p_fa!r}")
    return p_fa


def roc_curve(detector, problem, w, R, p_fa=DEFAULT_P_FA):
    """The closed-form ROC of design (w, R) with ``detector``.

    Parameters
    ----------
    detector : Detector
    problem : DesignProblem
    w : array_like, complex, shape (L, K, Nt)
    R : array_like, complex, shape (L, Nt, Nt)
    p_fa : sequence of float
        False-alarm probabilities in (0, 1).

    Returns
    -------
    ROC
    """
    p_fa = _grid(p_fa)
    law = detector.statistic_law(problem, w, R)
    thresholds = law.threshold(p_fa)
    return ROC(p_fa=p_fa, thresholds=thresholds, p_d=law.p_detect(thresholds))


def monte_carlo_roc(detector, problem, w, R, p_fa=DEFAULT_P_FA, *, n_trials=100_000, rng=None):
    """:func:`roc_curve` with Monte Carlo counts at the same thresholds.

    Parameters
    ----------
    n_trials : int
        Trials per hypothesis and point.
    rng : numpy.random.Generator or int or None

    Returns
    -------
    ROC
        With ``counts``.
    """
    from .detector_mc import simulate_statistics

    curve = roc_curve(detector, problem, w, R, p_fa)
    counts = simulate_statistics(detector, problem, w, R, curve.thresholds, n_trials=n_trials, rng=rng)
    return attrs.evolve(curve, counts=counts)


def plot_roc(curves, path, *, title="", confidence=0.999):
    """Draw area ROCs: one line per curve, Monte Carlo markers where counted.

    Parameters
    ----------
    curves : dict of str -> ROC
        Label -> curve (its ``area_p_d`` is drawn; with counts, also the
        Monte Carlo rates at the worst point with their Wilson intervals in
        both coordinates).
    path : str or Path
        Image file (format by suffix).
    title : str
    confidence : float
        Level of the intervals.
    """
    from .plotting import _pyplot, save_figure

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for index, (label, curve) in enumerate(curves.items()):
        color = f"C{index % 10}"
        ax.plot(curve.p_fa, curve.area_p_d, color=color, label=f"{label} (closed form)")
        if curve.counts is not None:
            mc = curve.monte_carlo_at_worst(confidence)
            ax.errorbar(mc["p_fa"], mc["p_d"],
                        xerr=np.clip([mc["p_fa"] - mc["p_fa_low"], mc["p_fa_high"] - mc["p_fa"]], 0, None),
                        yerr=np.clip([mc["p_d"] - mc["p_d_low"], mc["p_d_high"] - mc["p_d"]], 0, None),
                        color=color, marker="o", markersize=3, linestyle="none", capsize=1.5,
                        label=f"{label} (Monte Carlo, {100 * confidence:g} % Wilson)")
    ax.set_xscale("log")
    ax.set_xlabel("$p_{FA}$")
    ax.set_ylabel("$p_D$ (minimum over the sample points)")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
