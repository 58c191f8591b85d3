"""Figures: p_D curves in the paper's two-panel layout, topologies, coverage maps.

Needs matplotlib (``pip install 'isacsim[plot]'``). Figures are written with
fixed metadata, so the same numbers give the same PNG bytes.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from .errors import InputError

__all__ = ["plot_curves", "plot_topology", "plot_coverage"]

_STYLE = {
    ("sdr", "type-ii"): dict(color="tab:red", marker="o", label="Proposed, Type-II"),
    ("sdr", "type-i"): dict(color="tab:blue", marker="s", label="Proposed, Type-I"),
    ("zf", "type-ii"): dict(color="tab:orange", marker="^", linestyle="--", label="ZF, Type-II"),
    ("zf", "type-i"): dict(color="tab:cyan", marker="v", linestyle="--", label="ZF, Type-I"),
    ("sensing-only", "type-ii"): dict(color="tab:purple", marker="D", linestyle=":", label="Sensing-only, Type-II"),
    ("sensing-only", "type-i"): dict(color="tab:gray", marker="x", linestyle=":", label="Sensing-only, Type-I"),
}
_PANELS = (("sync", "(a) Scenario I (synchronized)"), ("unsync", "(b) Scenario II (unsynchronized)"))
_PNG = {"Software": None}


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plotting needs matplotlib: pip install 'isacsim[plot]'") from None
    return plt


def _f(value):
    return math.nan if value in ("", None) else float(value)


def _by_scheme(rows):
    """Rows grouped by (scenario, designer, receiver)."""
    curves = defaultdict(list)
    for row in rows:
        curves[row["scenario"], row["designer"], row["receiver"]].append(row)
    return curves


def _panel_curves(curves, scenario):
    """``(designer, receiver, rows, x)`` of one scenario's curves, rows sorted by x."""
    for (sc, designer, receiver), rows in sorted(curves.items()):
        if sc == scenario:
            rows = sorted(rows, key=lambda r: _f(r["x"]))
            yield designer, receiver, rows, np.array([_f(r["x"]) for r in rows])


def _style(designer, receiver):
    return dict(_STYLE.get((designer, receiver), dict(label=f"{designer}, {receiver}")))


def plot_curves(summary, path, *, title, x_label, x_scale="linear", x_ticks=None, solve_times=None):
    """Two panels (Scenario I, II) of mean p_D versus the swept value.

    Error bars are the 95 % confidence interval over realizations; a red ring
    marks a point where any realization was infeasible (counted as p_D = 0).

    Parameters
    ----------
    summary : list of dict
        Rows of ``summary.csv``.
    path : str or Path
        PNG destination.
    title, x_label : str
    x_scale : {"linear", "log"}
    x_ticks : sequence of float or None
        Label exactly these swept values (default: matplotlib's ticks).
    solve_times : list of dict or None
        Rows of :func:`isacsim.simulation.summarize_solve_times`; if given, a
        second row of panels shows the median solve time [s] (log scale).
    """
    plt = _pyplot()
    curves = _by_scheme(summary)
    if solve_times is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    else:
        fig, grid = plt.subplots(2, 2, figsize=(11, 8.2), sharey="row")
        axes = grid[0]
    for ax, (scenario, panel_title) in zip(axes, _PANELS):
        for designer, receiver, rows, x in _panel_curves(curves, scenario):
            y = np.array([_f(r["p_d_mean"]) for r in rows])
            low = np.array([_f(r["p_d_low"]) for r in rows])
            high = np.array([_f(r["p_d_high"]) for r in rows])
            style = _style(designer, receiver)
            err = np.vstack([np.nan_to_num(y - low), np.nan_to_num(high - y)])
            ax.errorbar(x, y, yerr=err, capsize=2, markersize=5, linewidth=1.4, **style)
            bad = np.array([int(_f(r["n_infeasible"])) > 0 for r in rows])
            if bad.any():
                ax.scatter(x[bad], y[bad], s=120, facecolors="none", edgecolors="red", linewidths=1.2, zorder=5)
        ax.set_title(panel_title)
        ax.set_xlabel(x_label)
        ax.set_xscale(x_scale)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("Detection probability $p_D$ (min over the area)")
    if solve_times is not None:
        _plot_solve_times(grid[1], solve_times, x_label=x_label, x_scale=x_scale)
    if x_ticks is not None:
        for ax in np.ravel(grid if solve_times is not None else axes):
            ax.set_xticks(list(x_ticks), [f"{t:g}" for t in x_ticks])
            ax.minorticks_off()
    handles, labels = axes[0].get_legend_handles_labels()
    if any(int(_f(r["n_infeasible"])) > 0 for r in summary):
        handles.append(axes[0].scatter([], [], s=120, facecolors="none", edgecolors="red"))
        labels.append("some realizations infeasible")
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1 if solve_times is None else 0.06, 1, 0.95))
    fig.savefig(path, dpi=120, metadata=_PNG)
    plt.close(fig)


def _plot_solve_times(axes, solve_times, *, x_label, x_scale):
    """Median solve time per scheme versus the swept value, one panel per scenario."""
    curves = _by_scheme(solve_times)
    titles = ("(c) solve time, Scenario I", "(d) solve time, Scenario II")
    for ax, (scenario, _), panel_title in zip(axes, _PANELS, titles):
        for designer, receiver, rows, x in _panel_curves(curves, scenario):
            y = np.array([_f(r["solve_seconds_median"]) for r in rows])
            shown = np.isfinite(y) & (y > 0)
            style = _style(designer, receiver)
            style.pop("label")
            ax.plot(x[shown], y[shown], markersize=5, linewidth=1.4, **style)
        ax.set_title(panel_title)
        ax.set_xlabel(x_label)
        ax.set_xscale(x_scale)
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("median solve time per design [s]")


def plot_topology(rows, path, *, title):
    """BSs (with array broadside), users by cell, and the target sample points.

    Parameters
    ----------
    rows : list of dict
        Rows of a topology ``results.csv``.
    path : str or Path
    title : str
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 6.6))
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for row in rows:
        x, y = _f(row["x_m"]), _f(row["y_m"])
        if row["kind"] == "bs":
            cell = int(row["cell"])
            ax.plot(x, y, "^", color=colors[cell % len(colors)], markersize=12, markeredgecolor="k")
            angle = math.radians(_f(row["broadside_deg"]))
            ax.annotate("", xy=(x + 15 * math.cos(angle), y + 15 * math.sin(angle)), xytext=(x, y), arrowprops=dict(arrowstyle="->"))
            ax.text(x + 4, y + 4, f"BS {cell + 1}")
        elif row["kind"] == "user":
            ax.plot(x, y, "o", color=colors[int(row["cell"]) % len(colors)], markersize=7)
        else:
            ax.plot(x, y, "k.", markersize=3)
    points = np.array([[_f(r["x_m"]), _f(r["y_m"])] for r in rows if r["kind"] == "point"])
    low, high = points.min(axis=0), points.max(axis=0)
    ax.add_patch(plt.Rectangle(low, *(high - low), fill=False, edgecolor="k", linestyle="--"))
    ax.plot([], [], "^", color="gray", markeredgecolor="k", label="BS (arrow: array broadside)")
    ax.plot([], [], "o", color="gray", label="communication user")
    ax.plot([], [], "k.", label="target sample points")
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata=_PNG)
    plt.close(fig)


def plot_coverage(summary, path, *, title, design_points):
    """Heat maps of mean p_D over the fine grid, one panel per scheme.

    Parameters
    ----------
    summary : list of dict
        Rows of a coverage ``summary.csv``.
    path : str or Path
    title : str
    design_points : numpy.ndarray, shape (Q, 2)
        The sample points the designs were made for [m].
    """
    plt = _pyplot()
    panels = defaultdict(list)
    for row in summary:
        panels[row["scenario"], row["designer"], row["receiver"]].append(row)
    keys = sorted(panels)
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys) + 1.0, 4.4), squeeze=False, sharey=True, constrained_layout=True)
    image = None
    for ax, key in zip(axes[0], keys):
        rows = panels[key]
        x = np.array([_f(r["x"]) for r in rows])
        y = np.array([_f(r["y_m"]) for r in rows])
        z = np.array([_f(r["p_d_mean"]) for r in rows])
        xs, ys = np.unique(x), np.unique(y)
        grid = np.full((ys.size, xs.size), np.nan)
        grid[np.searchsorted(ys, y), np.searchsorted(xs, x)] = z
        image = ax.imshow(grid, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), vmin=0, vmax=1, cmap="viridis")
        ax.plot(design_points[:, 0], design_points[:, 1], "w+", markersize=8, label="design points")
        scenario, designer, receiver = key
        ax.set_title(f"{_STYLE.get((designer, receiver), {}).get('label', designer)}\n{'Scenario I' if scenario == 'sync' else 'Scenario II'}", fontsize=9)
        ax.set_xlabel("x [m]")
    axes[0][0].set_ylabel("y [m]")
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), label="mean $p_D$", shrink=0.85)
    fig.suptitle(title)
    fig.savefig(path, dpi=120, metadata=_PNG)
    plt.close(fig)
