"""The ``finite-n`` figure: pD, pFA and the users' SINR against the frame length N."""
from __future__ import annotations

import attrs
import numpy as np

from ..figures import _evolve
from ..plotting import _f, _pyplot, save_figure
from .study import FiniteNStudy

__all__ = ["FiniteNFigure", "plot_finite_n"]

_PANELS = (("sync", "Scenario I (synchronized)"), ("unsync", "Scenario II (unsynchronized)"))
_COLORS = {"type-i": "tab:blue", "type-ii": "tab:orange"}
_LABELS = {"type-i": "Type-I", "type-ii": "Type-II"}
#: Fraction of the figure's height below the axes, for the shared legend.
_LEGEND_HEIGHT = 0.085


@attrs.frozen(kw_only=True)
class FiniteNFigure:
    """A :class:`FiniteNStudy` and its plot, for :func:`isacsim.figures.reproduce`.

    Parameters
    ----------
    name, title : str
    study : FiniteNStudy
        The full-fidelity study.
    quick : dict
        :class:`FiniteNStudy` fields replaced in ``--quick`` mode.
    """

    name: str
    title: str
    study: FiniteNStudy
    quick: dict = attrs.field(factory=lambda: {"n_realizations": 2, "n_trials": 2000})

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`FiniteNStudy` to run."""
        return _evolve(self.study, self.quick, quick, realizations, seed)

    def plot(self, job, report, path):
        """Draw the figure from the run's summary."""
        plot_finite_n(report.summary, path, title=self.title, p_fa=job.config.p_fa, confidence=job.confidence)


def _percent(level):
    return f"{100 * level:g} %"


def plot_finite_n(summary, path, *, title="", p_fa=None, confidence=0.999):
    """Three rows (pD, pFA, SINR) by two columns (Scenario I, II) against N.

    Parameters
    ----------
    summary : list of dict
        Rows of :func:`~isacsim.framesim.study.summarize_finite_n`.
    path : str or Path
        PNG (or any matplotlib format, by suffix) to write.
    title : str
    p_fa : float or None
        The required false-alarm probability (a reference line).
    confidence : float
        Level of the summary's Wilson intervals (for the legend).

    Lines are the conditional-probability estimates (noise averaged out
    exactly), markers the counted rates with their Wilson intervals. Each
    SINR curve is the design for one receiver type measured with that
    receiver. One legend below the axes serves every panel.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(3, 2, figsize=(11, 13), sharex=True)
    for row in (1, 2):
        axes[row, 1].sharey(axes[row, 0])
    for column, (scenario, panel_title) in enumerate(_PANELS):
        for receiver in ("type-i", "type-ii"):
            rows = sorted((r for r in summary if r["scenario"] == scenario and r["receiver"] == receiver), key=lambda r: int(r["n_symbols"]))
            if not rows:
                continue
            n = np.array([int(r["n_symbols"]) for r in rows])
            color, label = _COLORS.get(receiver, "k"), _LABELS.get(receiver, receiver)
            design = f"{label} design"

            def series(field):
                return np.array([_f(r[field]) for r in rows])

            for ax, rate in ((axes[0, column], "p_d"), (axes[1, column], "p_fa")):
                value = series(f"{rate}_asymptotic")
                err = np.vstack([value - series(f"{rate}_asymptotic_low"), series(f"{rate}_asymptotic_high") - value])
                ax.errorbar(n, value, yerr=np.clip(np.nan_to_num(err), 0, None), color=color, marker="o", linestyle="none", capsize=2,
                            label=f"{design}, paper's threshold (counts, {_percent(confidence)} Wilson)")
                ax.plot(n, series(f"{rate}_asymptotic_conditional"), color=color, linestyle="-", label=f"{design}, paper's threshold")
                ax.plot(n, series(f"{rate}_calibrated_conditional"), color=color, marker="s", markerfacecolor="none", linestyle="--",
                        label=f"{design}, threshold calibrated under H0")
            closed = float(np.nanmean(series("p_d_closed")))
            axes[0, column].axhline(closed, color=color, linestyle=":", linewidth=1.2, label=f"{design}, closed form (26)/(29)")
            suffix = receiver.replace("-", "_")  # the design for this receiver, measured with this receiver
            own = f"{design}, {label} receiver"
            axes[2, column].plot(n, series(f"sinr_mean_db_{suffix}"), color=color, marker="o", label=f"{own}: SINR mean")
            axes[2, column].plot(n, series(f"sinr_p05_db_{suffix}"), color=color, marker="v", linestyle="--",
                                 label=f"{own}: SINR 5th percentile")
        axes[0, column].set_title(panel_title)
        if p_fa is not None:
            axes[1, column].axhline(p_fa, color="k", linestyle=":", linewidth=1.2, label=f"required $p_{{FA}}$ = {p_fa:g}")
        targets = [_f(r["sinr_target_db"]) for r in summary if r["scenario"] == scenario]
        if targets:
            axes[2, column].axhline(float(np.nanmean(targets)), color="k", linestyle=":", linewidth=1.2, label=r"SINR target $\Gamma$")
        axes[2, column].set_xlabel("frame length N [symbols]")
    axes[0, 0].set_ylabel("$p_D$ (worst sample point)")
    axes[0, 1].set_ylabel("$p_D$ (worst sample point)")
    axes[1, 0].set_ylabel("$p_{FA}$")
    axes[2, 0].set_ylabel("users' empirical SINR [dB]\n(each design, its own receiver type)")
    lengths = sorted({int(r["n_symbols"]) for r in summary})
    for ax in axes.ravel():
        ax.set_xscale("log", base=2)
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.grid(True, which="both", alpha=0.3)
    # One legend below the axes (inside them it covered error bars): every label once.
    entries = {}
    for ax in axes.ravel():
        for handle, text in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(text, handle)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, _LEGEND_HEIGHT, 1, 1))
    fig.legend(entries.values(), entries.keys(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    save_figure(fig, path)
    plt.close(fig)
