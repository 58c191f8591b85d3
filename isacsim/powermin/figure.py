"""The ``power-min`` figure: minimum total transmit power against the detection target pD*."""
from __future__ import annotations

import attrs
import numpy as np

from ..figures import _evolve
from ..plotting import _f, _pyplot, curve_styles, designer_shifts, save_figure
from .study import PANELS, PowerMinStudy

__all__ = ["PowerMinFigure", "plot_power_min"]

#: The paper's design each power-minimizing designer is the counterpart of (for its colour, marker and name).
COUNTERPART = {"power-min": "sdr", "power-min-zf": "zf", "power-min-sensing-only": "sensing-only"}
_SCENARIOS = (("sync", "Scenario I"), ("unsync", "Scenario II"))
_PANEL_TITLES = {"budget": "per-BS budgets", "antenna": "and per-antenna budgets"}
_INFEASIBLE = dict(s=160, facecolors="none", edgecolors="black", linewidths=1.0, zorder=5)
#: Marker shift between designers, as a fraction of the pD* range.
_SHIFT = 0.012


@attrs.frozen(kw_only=True)
class PowerMinFigure:
    """A :class:`PowerMinStudy` and its plot, for :func:`isacsim.figures.reproduce`.

    Parameters
    ----------
    name, title : str
    study : PowerMinStudy
        The full-fidelity study.
    reference_w : float or None
        A total power to mark on every panel [W] (e.g. the paper's budget
        summed over the BSs), with ``reference_label``.
    reference_label : str
    quick : dict
        :class:`PowerMinStudy` fields replaced in ``--quick`` mode.
    """

    name: str
    title: str
    study: PowerMinStudy
    reference_w: float | None = None
    reference_label: str = ""
    quick: dict = attrs.field(factory=lambda: {"n_realizations": 2, "pd_targets": (0.5, 0.9, 0.99)})

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`PowerMinStudy` to run."""
        return _evolve(self.study, self.quick, quick, realizations, seed)

    def plot(self, job, report, path):
        """Draw the figure from the run's summary."""
        plot_power_min(report.summary, path, title=self.title, p_antenna_w=job.p_antenna_w, reference=(self.reference_w, self.reference_label))


def plot_power_min(summary, path, *, title="", p_antenna_w=None, reference=(None, "")):
    """Two rows (per-BS budgets; per-antenna budgets too) by two columns (Scenario I, II).

    Each curve is the mean minimum total transmit power over the realizations
    that every design of its panel could serve for its receiver type (95 %
    Student-t interval as error bars); a black ring marks a target that some realization could not
    meet (certified infeasible).

    Parameters
    ----------
    summary : list of dict
        Rows of :func:`~isacsim.powermin.study.summarize_power_min`.
    path : str or Path
        Destination; its suffix sets the format.
    title : str
    p_antenna_w : float or None
        The per-antenna budget [W], for the panel titles.
    reference : (float or None, str)
        A total power [W] to draw as a dotted line on every panel, and its label.
    """
    plt = _pyplot()
    from matplotlib import transforms

    keys = {(COUNTERPART.get(r["designer"], r["designer"]), r["receiver"]) for r in summary}
    styles = curve_styles(keys)
    shifts = designer_shifts(designer for designer, _ in keys)
    fig, axes = plt.subplots(len(PANELS), 2, figsize=(11, 8.6), sharex=True)
    targets = np.array(sorted({_f(r["pd_target"]) for r in summary}))
    span = (targets.max() - targets.min()) or 1.0
    for row, panel in enumerate(PANELS):
        axes[row, 1].sharey(axes[row, 0])
        for column, (scenario, scenario_title) in enumerate(_SCENARIOS):
            ax = axes[row, column]
            for designer, receiver in sorted({(r["designer"], r["receiver"]) for r in summary}):
                rows = sorted((r for r in summary if (r["panel"], r["scenario"], r["designer"], r["receiver"]) == (panel, scenario, designer, receiver)),
                              key=lambda r: _f(r["pd_target"]))
                if not rows:
                    continue
                key = (COUNTERPART.get(designer, designer), receiver)
                x = np.array([_f(r["pd_target"]) for r in rows]) + shifts[key[0]] * span
                y, low, high = (np.array([_f(r[field]) for r in rows]) for field in ("power_mean_w", "power_low_w", "power_high_w"))
                err = np.clip(np.nan_to_num(np.vstack([y - low, high - y])), 0, None)
                ax.errorbar(x, y, yerr=err, capsize=2, linewidth=1.4, **styles[key])
                bad = np.array([int(_f(r["n_infeasible"])) > 0 for r in rows])
                if bad.any():
                    ax.scatter(x[bad], y[bad], **_INFEASIBLE)
                never = np.array([int(_f(r["n_infeasible"])) == int(_f(r["n_realizations"])) for r in rows])  # a cross at the top
                if never.any():
                    top = transforms.blended_transform_factory(ax.transData, ax.transAxes)
                    ax.scatter(x[never], np.full(never.sum(), 0.96), transform=top, marker="x", color=styles[key]["color"], s=30, zorder=6)
            if reference[0] is not None:
                ax.axhline(reference[0], color="black", linestyle=":", linewidth=1.2, label=reference[1])
            budget = f" ({p_antenna_w:g} W)" if panel == "antenna" and p_antenna_w else ""
            letter = "abcd"[2 * row + column] if 2 * row + column < 4 else "?"
            ax.set_title(f"({letter}) {scenario_title}, {_PANEL_TITLES.get(panel, panel)}{budget}", fontsize=10)
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
        axes[row, 0].set_ylabel("minimum total transmit power [W]")
    for ax in axes[-1]:
        ax.set_xlabel(r"detection target $p_D^\star$ (every point of the area)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles.append(axes[0, 0].scatter([], [], **_INFEASIBLE))
    labels.append("some realizations infeasible (certified)")
    handles.append(axes[0, 0].scatter([], [], marker="x", color="black", s=30))
    labels.append("infeasible in every realization (top of the panel)")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    save_figure(fig, path)
    plt.close(fig)
