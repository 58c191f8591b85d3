"""Figures: p_D curves in the paper's two-panel layout, topologies, coverage maps.

Needs matplotlib (``pip install 'isacsim[plot]'``). Figures are written with
fixed metadata, so the same numbers give the same PNG bytes.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from .atomic import atomic_write
from .errors import InputError

__all__ = ["plot_curves", "plot_topology", "plot_coverage", "curve_styles", "designer_shifts", "DESIGNER_SHIFT", "IMAGE_FORMATS"]

#: Per designer: legend name, colour (Okabe-Ito, safe for the common
#: colour-vision deficiencies) and marker; the paper's designers in this order.
_DESIGNERS = {
    "sdr": ("Proposed", "#D55E00", "o"),  # vermillion
    "zf": ("ZF", "#0072B2", "s"),  # blue
    "sensing-only": ("Sensing-only", "#009E73", "^"),  # bluish green
}
#: Colours and markers of any other (plugin) designer, cycled with coprime
#: periods so that 15 extra designers still look different.
_EXTRA_COLORS = ("#CC79A7", "#E69F00", "#56B4E9")  # reddish purple, orange, sky blue
_EXTRA_MARKERS = ("D", "v", "P", "X", "<")
#: Per receiver: legend name, filled marker, line style. Type-II filled and
#: solid, Type-I hollow (and larger, so it rings a coinciding Type-II marker)
#: and dashed.
_RECEIVERS = {"type-ii": ("Type-II", True, "-"), "type-i": ("Type-I", False, "--")}
_EXTRA_RECEIVERS = ((True, ":"), (False, "-."), (True, "-."), (False, ":"))
#: Horizontal shift between neighbouring designers' markers, as a fraction of
#: the x-axis range: curves that coincide (ZF and sensing-only often do) stay
#: visible side by side.
DESIGNER_SHIFT = 0.012
#: The file formats a figure can be written in, named by the path's suffix.
IMAGE_FORMATS = ("png", "pdf", "svg")
_PANELS = (("sync", "(a) Scenario I (synchronized)"), ("unsync", "(b) Scenario II (unsynchronized)"))
#: Per format: leave out what would change between identical runs (dates, versions).
_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}, "svg": {"Date": None}}


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plotting needs matplotlib, which is not installed: pip install 'isacsim[plot]'") from None
    return plt


def require_matplotlib():
    """Raise the one-line :class:`InputError` naming the ``plot`` extra if matplotlib is missing.

    Called before a run computes anything, so that a missing extra costs
    nothing but the message.
    """
    _pyplot()


def _f(value):
    return math.nan if value in ("", None) else float(value)


def _by_scheme(rows):
    """Rows grouped by (scenario, designer, receiver)."""
    curves = defaultdict(list)
    for row in rows:
        curves[row["scenario"], row["designer"], row["receiver"]].append(row)
    return curves


def _rank(name, known):
    """Sort key: the known names in their order, then the others by name."""
    return (0, list(known).index(name), "") if name in known else (1, 0, name)


def _curve_rank(key):
    designer, receiver = key
    return _rank(designer, _DESIGNERS), _rank(receiver, _RECEIVERS)


def _panel_curves(curves, scenario):
    """``(designer, receiver, rows, x)`` of one scenario's curves, rows sorted by x.

    Curves come designer by designer (the paper's first), Type-II before
    Type-I, so that the legend's columns are the designers.
    """
    keys = sorted(((d, r) for sc, d, r in curves if sc == scenario), key=_curve_rank)
    for designer, receiver in keys:
        rows = sorted(curves[scenario, designer, receiver], key=lambda r: _f(r["x"]))
        yield designer, receiver, rows, np.array([_f(r["x"]) for r in rows])


def _others(names, known):
    """The names not in ``known``, sorted (their index picks their extra style)."""
    return sorted(set(names) - set(known))


def curve_styles(keys, labels=None):
    """A look of its own for every ``(designer, receiver)`` curve of a figure.

    The designer sets the colour (Okabe-Ito, colour-blind safe) and the
    marker; the receiver sets the fill (Type-II filled, Type-I hollow and
    larger) and the line style (solid, dashed). So no two curves share
    marker, fill, colour and line style, and each property means one thing.

    Parameters
    ----------
    keys : iterable of (str, str)
        The figure's ``(designer, receiver)`` pairs.
    labels : dict or None
        Legend name of each designer (a designer's ``label``); default: the
        paper's names for its designers, the registered name for others.

    Returns
    -------
    dict
        ``(designer, receiver)`` -> keyword arguments of ``Axes.plot``
        (``label``, ``color``, ``marker``, ``linestyle``, ``markerfacecolor``,
        ``markeredgecolor``, ``markersize``, ``markeredgewidth``).
    """
    keys = list(keys)
    extra_designers = _others({d for d, _ in keys}, _DESIGNERS)
    extra_receivers = _others({r for _, r in keys}, _RECEIVERS)
    styles = {}
    for designer, receiver in keys:
        if designer in _DESIGNERS:
            designer_label, color, marker = _DESIGNERS[designer]
        else:
            index = extra_designers.index(designer)
            designer_label, color, marker = designer, _EXTRA_COLORS[index % len(_EXTRA_COLORS)], _EXTRA_MARKERS[index % len(_EXTRA_MARKERS)]
        designer_label = (labels or {}).get(designer) or designer_label
        if receiver in _RECEIVERS:
            receiver_label, filled, linestyle = _RECEIVERS[receiver]
        else:
            receiver_label = receiver
            filled, linestyle = _EXTRA_RECEIVERS[extra_receivers.index(receiver) % len(_EXTRA_RECEIVERS)]
        styles[designer, receiver] = dict(
            label=f"{designer_label}, {receiver_label}",
            color=color,
            marker=marker,
            linestyle=linestyle,
            markerfacecolor=color if filled else "none",
            markeredgecolor=color,
            markersize=5.5 if filled else 8.0,
            markeredgewidth=1.3,
        )
    return styles


def designer_shifts(designers):
    """Horizontal marker shift of each designer, as a fraction of the x-range.

    Centred on zero, :data:`DESIGNER_SHIFT` apart, the paper's designers first.
    """
    ordered = sorted(set(designers), key=lambda d: _rank(d, _DESIGNERS))
    middle = (len(ordered) - 1) / 2
    return {designer: (index - middle) * DESIGNER_SHIFT for index, designer in enumerate(ordered)}


def _shifted(x, fraction, x_range, x_scale):
    """``x`` moved by ``fraction`` of the axis range (in log10 on a log axis)."""
    if x_scale == "log":
        low, high = np.log10(x_range)
        return x * 10.0 ** (fraction * ((high - low) or 1.0))
    low, high = x_range
    return x + fraction * ((high - low) or 1.0)


def _y_limits(values):
    """A y-range around ``values`` (p_D and its interval), within [-0.02, 1.02]."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -0.02, 1.02
    low, high = values.min(), values.max()
    pad = max(0.08 * (high - low), 0.01)
    return max(-0.02, low - pad), min(1.02, high + pad)


def _draw_detection_panel(ax, curves, scenario, styles, x_scale):
    """Mean p_D with its interval per curve; y-range fitted to this panel."""
    panel = list(_panel_curves(curves, scenario))
    if not panel:
        return
    shifts = designer_shifts(designer for designer, *_ in panel)
    all_x = np.concatenate([x for *_, x in panel])
    x_range = (np.nanmin(all_x), np.nanmax(all_x))
    shown = []
    for designer, receiver, rows, x in panel:
        y = np.array([_f(r["p_d_mean"]) for r in rows])
        low = np.array([_f(r["p_d_low"]) for r in rows])
        high = np.array([_f(r["p_d_high"]) for r in rows])
        x = _shifted(x, shifts[designer], x_range, x_scale)
        err = np.vstack([np.nan_to_num(y - low), np.nan_to_num(high - y)])
        ax.errorbar(x, y, yerr=err, capsize=2, linewidth=1.4, **styles[designer, receiver])
        bad = np.array([int(_f(r["n_infeasible"])) > 0 for r in rows])
        if bad.any():
            ax.scatter(x[bad], y[bad], **_INFEASIBLE)
        shown += [y, low, high]
    ax.set_ylim(*_y_limits(np.concatenate(shown)))


#: The ring around a point where some realization was infeasible.
_INFEASIBLE = dict(s=160, facecolors="none", edgecolors="black", linewidths=1.0, zorder=5)


def plot_curves(summary, path, *, title, x_label, x_scale="linear", x_ticks=None, solve_times=None, labels=None):
    """Two panels (Scenario I, II) of mean p_D versus the swept value.

    Each panel has its own y-range, fitted to its curves. Every curve has a
    look of its own (:func:`curve_styles`), and each designer's markers are
    shifted sideways (:func:`designer_shifts`) so that curves that coincide
    stay visible. Error bars are the 95 % confidence interval over
    realizations; a black ring marks a point where any realization was
    infeasible (counted as p_D = 0).

    Parameters
    ----------
    summary : list of dict
        Rows of ``summary.csv``.
    path : str or Path
        Destination; its suffix (``.png``, ``.pdf``, ``.svg``) sets the format.
    title, x_label : str
    x_scale : {"linear", "log"}
    x_ticks : sequence of float or None
        Label exactly these swept values (default: matplotlib's ticks).
    solve_times : list of dict or None
        Rows of :func:`isacsim.simulation.summarize_solve_times`; if given, a
        second row of panels shows the median solve time [s] (log scale).
    labels : dict or None
        Legend name of each designer (see :func:`curve_styles`).

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn (already saved and closed).
    """
    plt = _pyplot()
    curves = _by_scheme(summary)
    styles = curve_styles({(designer, receiver) for _, designer, receiver in curves}, labels)
    if solve_times is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    else:
        fig, grid = plt.subplots(2, 2, figsize=(11, 8.4))
        axes = grid[0]
    for ax, (scenario, panel_title) in zip(axes, _PANELS):
        _draw_detection_panel(ax, curves, scenario, styles, x_scale)
        ax.set_title(panel_title)
        ax.set_xlabel(x_label)
        ax.set_xscale(x_scale)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("Detection probability $p_D$ (min over the area)")
    if solve_times is not None:
        _plot_solve_times(grid[1], solve_times, styles, x_label=x_label, x_scale=x_scale)
    if x_ticks is not None:
        for ax in np.ravel(grid if solve_times is not None else axes):
            ax.set_xticks(list(x_ticks), [f"{t:g}" for t in x_ticks])
            ax.minorticks_off()
    _legend(fig, axes, summary, order=[styles[key]["label"] for key in sorted(styles, key=_curve_rank)],
            n_designers=len({designer for designer, _ in styles}))
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.12 if solve_times is None else 0.065, 1, 0.95))
    save_figure(fig, path)
    plt.close(fig)
    return fig


def _legend(fig, axes, summary, *, order, n_designers):
    """The curves of both panels in ``order`` (one column per designer), the infeasibility ring and the shift note."""
    curves = {}
    for panel in axes:  # a curve drawn in one scenario only is listed too
        for handle, label in zip(*panel.get_legend_handles_labels()):
            curves.setdefault(label, handle)
    ax = axes[0]
    labels = [label for label in order if label in curves]
    handles = [curves[label] for label in labels]
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.42, 0.0), ncol=max(n_designers, 1), fontsize=8, frameon=False)
    notes = []
    if any(int(_f(r["n_infeasible"])) > 0 for r in summary):
        notes.append((ax.scatter([], [], **_INFEASIBLE), "some realizations infeasible ($p_D$ = 0)"))
    if n_designers > 1:
        notes.append((ax.plot([], [], linestyle="none")[0], f"markers shifted by {100 * DESIGNER_SHIFT:g} % of the\naxis width per designer"))
    if notes:
        fig.legend(*zip(*notes), loc="lower right", bbox_to_anchor=(0.99, 0.0), fontsize=7, frameon=False, handlelength=1.2)


def _plot_solve_times(axes, solve_times, styles, *, x_label, x_scale):
    """Median solve time per scheme versus the swept value, one panel per scenario."""
    curves = _by_scheme(solve_times)
    titles = ("(c) solve time, Scenario I", "(d) solve time, Scenario II")
    axes[1].sharey(axes[0])
    for ax, (scenario, _), panel_title in zip(axes, _PANELS, titles):
        for designer, receiver, rows, x in _panel_curves(curves, scenario):
            y = np.array([_f(r["solve_seconds_median"]) for r in rows])
            shown = np.isfinite(y) & (y > 0)
            style = dict(styles[designer, receiver])
            style.pop("label")
            ax.plot(x[shown], y[shown], linewidth=1.4, **style)
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
    save_figure(fig, path)
    plt.close(fig)


def plot_coverage(summary, path, *, title, design_points, labels=None):
    """Heat maps of mean p_D over the fine grid, one panel per scheme.

    Parameters
    ----------
    summary : list of dict
        Rows of a coverage ``summary.csv``.
    path : str or Path
    title : str
    design_points : numpy.ndarray, shape (Q, 2)
        The sample points the designs were made for [m].
    labels : dict or None
        Legend name of each designer (see :func:`curve_styles`).
    """
    plt = _pyplot()
    panels = _by_scheme(summary)
    keys = sorted(panels)
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys) + 1.0, 5.0), squeeze=False, sharey=True, constrained_layout=True)
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
        label = curve_styles([(designer, receiver)], labels)[designer, receiver]["label"]
        ax.set_title(f"{label}\n{'Scenario I' if scenario == 'sync' else 'Scenario II'}", fontsize=9)
        ax.set_xlabel("x [m]")
        ax.set_xticks(np.linspace(xs[0], xs[-1], 5))  # sparse enough not to run into the next panel's
    axes[0][0].set_ylabel("y [m]")
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), label="mean $p_D$", shrink=0.85)
    fig.suptitle(title)
    save_figure(fig, path)
    plt.close(fig)


def save_figure(fig, path):
    """Write ``fig`` to ``path`` atomically (never a half-written file, never through a
    symbolic link), in the format named by the path's suffix (default PNG).

    No date or version is embedded, so the same numbers give the same file,
    byte for byte, in every format.
    """
    from pathlib import Path

    import matplotlib

    image_format = Path(path).suffix.lstrip(".").lower() or "png"
    with matplotlib.rc_context({"svg.hashsalt": "isacsim"}):
        atomic_write(
            path,
            lambda handle: fig.savefig(handle, format=image_format, dpi=120, metadata=_METADATA.get(image_format)),
            binary=True,
        )
