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

__all__ = [
    "plot_curves", "plot_topology", "plot_coverage", "curve_styles", "designer_shifts", "coinciding_curves", "cell_colors",
    "DESIGNER_SHIFT", "COINCIDENCE_TOLERANCE", "CELL_COLORS", "IMAGE_FORMATS",
]

#: Per designer: legend name, colour (Okabe-Ito, safe for the common
#: colour-vision deficiencies) and marker; the paper's designers in this order.
_DESIGNERS = {
    "sdr": ("Proposed", "#D55E00", "o"),  # vermillion
    "zf": ("ZF", "#0072B2", "s"),  # blue
    "sensing-only": ("Sensing-only", "#009E73", "^"),  # bluish green
    "clutter-aware": ("Clutter-aware", "#000000", "D"),  # black
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
#: Largest difference of mean p_D, as a fraction of the panel's y-range, at
#: which two curves count as coinciding (:func:`coinciding_curves`): drawn
#: less than about two pixels apart, one hides the other, so the figure
#: says so.
COINCIDENCE_TOLERANCE = 0.005
#: Colours of the cells of a topology figure: Kelly's colours of maximum
#: contrast (K. L. Kelly, "Twenty-two colors for maximum contrast", 1965)
#: without white, black and grey, so that up to 19 cells (two hexagonal
#: rings) all look different.
CELL_COLORS = (
    "#BE0032", "#0067A5", "#008856", "#F38400", "#875692", "#F3C300", "#A1CAF1", "#882D17", "#8DB600", "#E68FAC",
    "#604E97", "#C2B280", "#F99379", "#2B3D26", "#B3446C", "#DCD300", "#654522", "#E25822", "#F6A600",
)
#: The file formats a figure can be written in, named by the path's suffix.
IMAGE_FORMATS = ("png", "pdf", "svg")
_PANELS = (("sync", "Scenario I (synchronized)"), ("unsync", "Scenario II (unsynchronized)"))
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


def curve_styles(keys):
    """A look of its own for every ``(designer, receiver)`` curve of a figure.

    The designer sets the colour (Okabe-Ito, colour-blind safe) and the
    marker; the receiver sets the fill (Type-II filled, Type-I hollow and
    larger) and the line style (solid, dashed). So no two curves share
    marker, fill, colour and line style, and each property means one thing.

    Parameters
    ----------
    keys : iterable of (str, str)
        The figure's ``(designer, receiver)`` pairs.

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


def coinciding_curves(curves, scenario, y_range=1.0, tolerance=COINCIDENCE_TOLERANCE):
    """The pairs of one designer's curves (its receivers) that lie on each other in one scenario.

    Different designers' markers are shifted sideways (:func:`designer_shifts`),
    so their curves stay visible even when equal; one designer's curves for
    two receivers are drawn at the same x and one hides the other.

    Parameters
    ----------
    curves : dict
        Summary rows grouped by ``(scenario, designer, receiver)``.
    scenario : {"sync", "unsync"}
    y_range : float
        Height of the panel's y-axis (p_D).
    tolerance : float
        Largest difference of mean p_D at every swept value, as a fraction
        of ``y_range``.

    Returns
    -------
    list of tuple
        ``((designer, receiver), (designer, other receiver))`` pairs with the
        same swept values and means within ``tolerance`` everywhere, in the
        panel's curve order.
    """
    panel = [(designer, receiver, dict(zip(x, (_f(r["p_d_mean"]) for r in rows)))) for designer, receiver, rows, x in _panel_curves(curves, scenario)]
    pairs = []
    for i, (d1, r1, y1) in enumerate(panel):
        for d2, r2, y2 in panel[i + 1:]:
            if d1 == d2 and y1.keys() == y2.keys() and all(abs(y1[x] - y2[x]) <= tolerance * y_range for x in y1):
                pairs.append(((d1, r1), (d2, r2)))
    return pairs


def _coincidence_lines(pairs_by_panel, styles):
    """'(a), (b): Proposed, Type-II = Type-I' lines for the curves that coincide, by panel letter."""
    panels_of = {}
    for letter, pairs in pairs_by_panel.items():
        for (d1, r1), (d2, r2) in pairs:
            first, second = styles[d1, r1]["label"], styles[d2, r2]["label"]
            text = f"{first} = {second.split(', ', 1)[1]}"
            panels_of.setdefault(text, []).append(f"({letter})")
    return [f"{', '.join(letters)}: {text}" for text, letters in panels_of.items()]


def _draw_detection_panel(ax, curves, scenario, styles, x_scale):
    """Mean p_D with its interval per curve; y-range fitted to this panel.

    Returns the pairs of curves that coincide (:func:`coinciding_curves`).
    """
    panel = list(_panel_curves(curves, scenario))
    if not panel:
        return []
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
    low, high = _y_limits(np.concatenate(shown))
    ax.set_ylim(low, high)
    return coinciding_curves(curves, scenario, y_range=high - low)


#: The ring around a point where some realization was infeasible.
_INFEASIBLE = dict(s=160, facecolors="none", edgecolors="black", linewidths=1.0, zorder=5)


def plot_curves(summary, path, *, title, x_label, x_scale="linear", x_ticks=None, solve_times=None):
    """Panels of mean p_D versus the swept value: Scenario I, Scenario II.

    A scenario without curves gets no (empty) panel. Each panel has its own
    y-range, fitted to its curves. Every curve has a look of its own
    (:func:`curve_styles`), and each designer's markers are shifted sideways
    (:func:`designer_shifts`) so that curves that coincide stay visible;
    curves that lie on each other all the way (:func:`coinciding_curves`,
    e.g. a designer's Type-I and Type-II curves when the design leaves no
    sensing power) are named in a note inside the panel. Error bars are the 95 % confidence interval over
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

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn (already saved and closed).
    """
    plt = _pyplot()
    curves = _by_scheme(summary)
    styles = curve_styles({(designer, receiver) for _, designer, receiver in curves})
    panels = [(scenario, panel_title) for scenario, panel_title in _PANELS if any(key[0] == scenario for key in curves)] or list(_PANELS[:1])
    width = 11 if len(panels) == 2 else 8
    if solve_times is None:
        fig, axes = plt.subplots(1, len(panels), figsize=(width, 4.6), squeeze=False)
        axes = axes[0]
    else:
        fig, grid = plt.subplots(2, len(panels), figsize=(width, 8.4), squeeze=False)
        axes = grid[0]
    coinciding = {}
    for index, (ax, (scenario, panel_title)) in enumerate(zip(axes, panels)):
        coinciding["ab"[index]] = _draw_detection_panel(ax, curves, scenario, styles, x_scale)
        ax.set_title(f"({'ab'[index]}) {panel_title}")
        ax.set_xlabel(x_label)
        ax.set_xscale(x_scale)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("Detection probability $p_D$ (min over the area)")
    if solve_times is not None:
        _plot_solve_times(grid[1], panels, solve_times, styles, x_label=x_label, x_scale=x_scale)
    if x_ticks is not None:
        for ax in np.ravel(grid if solve_times is not None else axes):
            ax.set_xticks(list(x_ticks), [f"{t:g}" for t in x_ticks])
            ax.minorticks_off()
    bottom = _legend(fig, axes[0], summary, n_designers=len({designer for designer, _ in styles}), coinciding=_coincidence_lines(coinciding, styles))
    fig.suptitle(title)
    fig.tight_layout(rect=(0, bottom, 1, 1 - (0.05 + 0.22 * (title.count("\n") + 1)) / fig.get_figheight()))
    save_figure(fig, path)
    plt.close(fig)
    return fig


def _legend(fig, ax, summary, *, n_designers, coinciding=()):
    """The curves (one column per designer) above a row of notes: the infeasibility
    ring, the designers' shift and the curves that coincide.

    Returns
    -------
    float
        The fraction of the figure's height the two take at its bottom.
    """
    handles, labels = ax.get_legend_handles_labels()
    notes = []
    if any(int(_f(r["n_infeasible"])) > 0 for r in summary):
        notes.append((ax.scatter([], [], **_INFEASIBLE), "some realizations infeasible ($p_D$ = 0)"))
    if n_designers > 1:
        notes.append((ax.plot([], [], linestyle="none")[0], f"markers shifted by {100 * DESIGNER_SHIFT:g} % of the\naxis width per designer"))
    if coinciding:
        notes.append((ax.plot([], [], linestyle="none")[0], "curves that coincide (one hides the other):\n" + "\n".join(coinciding)))
    height = fig.get_figheight()
    note_lines = max((label.count("\n") + 1 for _, label in notes), default=0)
    notes_inches = 0.16 * note_lines + 0.08 if notes else 0.0
    rows = -(-len(handles) // max(n_designers, 1))
    curves_inches = 0.2 * rows + 0.12
    fig.legend(
        handles, labels, loc="lower center", bbox_to_anchor=(0.5, notes_inches / height), ncol=max(n_designers, 1), fontsize=8, frameon=False
    )
    if notes:
        fig.legend(*zip(*notes), loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(notes), fontsize=7, frameon=False, handlelength=1.2)
    return (notes_inches + curves_inches) / height


def _plot_solve_times(axes, panels, solve_times, styles, *, x_label, x_scale):
    """Median solve time per scheme versus the swept value, one panel per drawn scenario."""
    curves = _by_scheme(solve_times)
    names = {"sync": "Scenario I", "unsync": "Scenario II"}
    for ax in axes[1:]:
        ax.sharey(axes[0])
    for index, (ax, (scenario, _)) in enumerate(zip(axes, panels)):
        panel_title = f"({'abcd'[len(panels) + index]}) solve time, {names[scenario]}"
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


def cell_colors(n_cells):
    """A colour per cell, all different up to ``len(CELL_COLORS)`` (19) cells, then repeating.

    Returns
    -------
    list of str
        ``n_cells`` hex colours, from :data:`CELL_COLORS`.
    """
    return [CELL_COLORS[cell % len(CELL_COLORS)] for cell in range(n_cells)]


def plot_topology(rows, path, *, title):
    """BSs (with array broadside), users by cell, and the target sample points.

    Each cell has its colour (:func:`cell_colors`: all different up to 19
    cells), shared by its BS and its users.

    Parameters
    ----------
    rows : list of dict
        Rows of a topology ``results.csv``.
    path : str or Path
    title : str

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn (already saved and closed).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 6.6))
    colors = cell_colors(1 + max((int(row["cell"]) for row in rows if row["kind"] in ("bs", "user")), default=0))
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
    return fig


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
        label = curve_styles([(designer, receiver)])[designer, receiver]["label"]
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
