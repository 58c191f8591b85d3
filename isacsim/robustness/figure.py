"""The ``robustness`` figure: the paper's designs under fluctuating targets, clutter and partial synchronization."""
from __future__ import annotations

import math

import attrs
import numpy as np

from ..figures import _evolve
from ..plotting import _by_scheme, _draw_detection_panel, _f, _pyplot, curve_styles, save_figure
from .study import RobustnessStudy

__all__ = ["RobustnessFigure", "plot_robustness"]

_MODEL_LABELS = {"deterministic": "deterministic (paper)", "swerling1": "Swerling I, common", "swerling1-links": "Swerling I, per link"}
_MODEL_COLORS = {"deterministic": "black", "swerling1": "#D55E00", "swerling1-links": "#0072B2"}


@attrs.frozen(kw_only=True)
class RobustnessFigure:
    """A :class:`RobustnessStudy` and its plot, for :func:`isacsim.figures.reproduce`.

    Parameters
    ----------
    name, title : str
    study : RobustnessStudy
        The full-fidelity study.
    quick : dict
        :class:`RobustnessStudy` fields replaced in ``--quick`` mode.
    """

    name: str
    title: str
    study: RobustnessStudy
    quick: dict = attrs.field(factory=dict)

    def job(self, *, quick=False, realizations=None, seed=None):
        """The :class:`RobustnessStudy` to run."""
        return _evolve(self.study, self.quick, quick, realizations, seed)

    def plot(self, job, report, path):
        """Draw the figure from the run's summary."""
        plot_robustness(report.summary, path, title=self.title, sinr_target_db=job.config.sinr_target_db, p_fa=job.config.p_fa)


def _curves(summary, part, variant, x_key="x"):
    """Summary rows of one part and variant, shaped for :func:`isacsim.plotting._draw_detection_panel`."""
    rows = [dict(r, x=r[x_key]) for r in summary if r["part"] == part and r["variant"] == variant]
    return _by_scheme(rows)


def plot_robustness(summary, path, *, title="", sinr_target_db=None, p_fa=None):
    """Four rows of two panels.

    1-2. pD against the SINR target under the Swerling I target, common and
         per link (Scenario I left, II right), every paper scheme;
    3.   pD with the whitened detector against the clutter power, the
         paper's designs and the clutter-aware design;
    4.   left: pD of the Scenario I Type-II designs against the phase spread,
         error-aware (solid) and error-blind (dotted) detector, with the
         Scenario II designs' pD (dashed, flat) and the crossover marked;
         right: the proposed Type-II designs' ROC in realization 0 under the
         three target models, closed form and Monte Carlo (99.9 % Wilson).

    Parameters
    ----------
    summary : list of dict
        Rows of :func:`~isacsim.robustness.study.summarize_robustness`.
    path : str or Path
    title : str
    sinr_target_db, p_fa : float or None
        The fixed SINR target and pFA (labels).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(4, 2, figsize=(12, 19))
    keys = {(r["designer"], r["receiver"]) for r in summary if r["part"] in ("target", "clutter")}
    styles = curve_styles(keys)
    panels = (("target", "swerling1", "SINR target $\\Gamma$ [dB]", "Swerling I target, one coefficient common to the links"),
              ("target", "swerling1-links", "SINR target $\\Gamma$ [dB]", "Swerling I target, one coefficient per link"),
              ("clutter", "whitened", "clutter-to-target power ratio [dB]", "clutter, whitened detector"))
    for row, (part, variant, x_label, what) in enumerate(panels):
        curves = _curves(summary, part, variant)
        for column, scenario in enumerate(("sync", "unsync")):
            ax = axes[row, column]
            _draw_detection_panel(ax, curves, scenario, styles, "linear")
            letter = "abcdef"[2 * row + column]
            ax.set_title(f"({letter}) Scenario {'I (synchronized)' if column == 0 else 'II (unsynchronized)'}\n{what}", fontsize=10)
            ax.set_xlabel(x_label)
            ax.grid(True, alpha=0.3)
        axes[row, 0].set_ylabel("$p_D$ (min over the area)")
    _plot_sync(axes[3, 0], summary, styles, sinr_target_db)
    _plot_roc(axes[3, 1], summary, sinr_target_db)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    extra_handles, extra_labels = axes[2, 0].get_legend_handles_labels()
    for handle, label in zip(extra_handles, extra_labels):
        if label not in labels:
            handles.append(handle)
            labels.append(label)
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title + (f"\n($\\Gamma$ = {sinr_target_db:g} dB in rows 3-4, $p_{{FA}}$ = {p_fa:g})" if sinr_target_db is not None else ""))
    fig.tight_layout(rect=(0, 0.035, 1, 0.97))
    save_figure(fig, path)
    plt.close(fig)


def _plot_sync(ax, summary, styles, sinr_target_db):
    reference = {(r["designer"], r["receiver"]): r for r in summary
                 if r["part"] == "target" and r["scenario"] == "unsync" and r["variant"] == "deterministic"
                 and sinr_target_db is not None and math.isclose(_f(r["x"]), sinr_target_db)}
    crossings = {(r["designer"], r["receiver"], r["variant"]): _f(r["crossover_mean"]) for r in summary if r["part"] == "crossover"}
    for (designer, receiver), style in sorted(styles.items()):
        if receiver != "type-ii":
            continue
        color = style["color"]
        for variant, line, fill in (("aware", "-", color), ("blind", ":", "none")):
            rows = sorted((r for r in summary if r["part"] == "sync" and r["variant"] == variant and r["designer"] == designer
                           and r["receiver"] == receiver), key=lambda r: _f(r["x"]))
            if not rows:
                continue
            x = np.array([_f(r["x"]) for r in rows])
            y = np.array([_f(r["p_d_mean"]) for r in rows])
            label = f"{style['label'].split(',')[0]}: Scenario I design, error-{variant} detector"
            ax.plot(x, y, color=color, linestyle=line, marker=style["marker"], markerfacecolor=fill, markeredgecolor=color, label=label)
            crossing = crossings.get((designer, receiver, variant), math.nan)
            if math.isfinite(crossing):
                ax.axvline(crossing, color=color, linestyle=line, linewidth=0.8, alpha=0.7)
        if (designer, receiver) in reference:
            ax.axhline(_f(reference[designer, receiver]["p_d_mean"]), color=color, linestyle="--", linewidth=1.2,
                       label=f"{style['label'].split(',')[0]}: Scenario II design (no cross links)")
    ax.set_xlabel("phase spread s  (phases uniform in $[-\\pi s, \\pi s]$)")
    ax.set_ylabel("$p_D$ (min over the area), Type-II")
    ax.set_title("(g) partial synchronization, Scenario I designs: where the cross links\n"
                 "stop paying (vertical lines: mean crossover over the realizations)", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper right")


def _plot_roc(ax, summary, sinr_target_db):
    line = {"sync": "-", "unsync": "--"}
    for scenario in ("sync", "unsync"):
        for model, color in _MODEL_COLORS.items():
            rows = sorted((r for r in summary if r["part"] == "roc" and r["scenario"] == scenario and r["variant"] == model),
                          key=lambda r: _f(r["x"]))
            if not rows:
                continue
            x = np.array([_f(r["x"]) for r in rows])
            # Monte Carlo where it can say something: 50 false alarms expected at least
            rows_mc = [r for r in rows if _f(r["x"]) * _f(r["mc_trials"]) >= 50]
            mc = np.array([_f(r["mc_p_d"]) for r in rows_mc])
            name = f"{'I' if scenario == 'sync' else 'II'}, {_MODEL_LABELS[model]}"
            ax.plot(x, [_f(r["p_d_first"]) for r in rows], color=color, linestyle=line[scenario], marker="o" if scenario == "sync" else "s",
                    markersize=3, label=f"Scenario {name}")
            if mc.size and np.any(np.isfinite(mc)):
                fa = np.array([_f(r["mc_p_fa"]) for r in rows_mc])
                yerr = np.clip([mc - [_f(r["mc_p_d_low"]) for r in rows_mc], [_f(r["mc_p_d_high"]) for r in rows_mc] - mc], 0, None)
                xerr = np.clip([fa - [_f(r["mc_p_fa_low"]) for r in rows_mc], [_f(r["mc_p_fa_high"]) for r in rows_mc] - fa], 0, None)
                ax.errorbar(fa, mc, xerr=xerr, yerr=yerr, color=color, marker="o" if scenario == "sync" else "s", markersize=3,
                            linestyle="none", capsize=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("$p_{FA}$")
    ax.set_ylabel("$p_D$ (min over the area), proposed Type-II")
    ax.set_title("(h) ROC under the three target models, realization 0: lines closed form,\n"
                 "error bars Monte Carlo at the worst point (99.9 % Wilson, where 50 false\n"
                 "alarms or more are expected; solid Scenario I, dashed II)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6.5, loc="upper left")
