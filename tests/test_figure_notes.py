"""What the figures say about what they would otherwise hide: coinciding curves, empty panels,
cells of one colour, quick runs."""
import itertools

import matplotlib.colors
import numpy as np
import pytest

from isacsim import plotting
from isacsim.figures import TopologyFigure, reproduce
from isacsim.scenario import ScenarioConfig


def _summary(values):
    """summary.csv rows: ``values[scenario][(designer, receiver)]`` is p_D at x = 0, 10, 20."""
    return [
        dict(scenario=scenario, designer=designer, receiver=receiver, x=str(x), p_d_mean=str(y),
             p_d_low=str(y - 0.002), p_d_high=str(y + 0.002), n_infeasible="0")
        for scenario, curves in values.items()
        for (designer, receiver), ys in curves.items()
        for x, y in zip((0, 10, 20), ys)
    ]


def _texts(fig):
    return [text.get_text() for legend in fig.legends for text in legend.get_texts()]


SYNC = {("sdr", "type-ii"): (0.80, 0.79, 0.70), ("sdr", "type-i"): (0.70, 0.65, 0.60), ("zf", "type-ii"): (0.6, 0.5, 0.4)}


def test_a_sweep_with_only_one_scenario_draws_no_empty_panel(tmp_path):
    for scenario, title in (("sync", "Scenario I"), ("unsync", "Scenario II")):
        fig = plotting.plot_curves(_summary({scenario: SYNC}), tmp_path / f"{scenario}.png", title="t", x_label="x")
        assert len(fig.axes) == 1 and title in fig.axes[0].get_title()
        assert len(fig.axes[0].containers) == 3  # every curve in the one panel
    both = plotting.plot_curves(_summary({"sync": SYNC, "unsync": SYNC}), tmp_path / "both.png", title="t", x_label="x")
    assert len(both.axes) == 2 and all(len(ax.containers) == 3 for ax in both.axes)


def test_only_one_scenario_with_solve_times_draws_one_column(tmp_path):
    times = [dict(row, solve_seconds_median="0.1") for row in _summary({"unsync": SYNC})]
    fig = plotting.plot_curves(_summary({"unsync": SYNC}), tmp_path / "f.png", title="t", x_label="x", solve_times=times)
    assert len(fig.axes) == 2 and "Scenario II" in fig.axes[1].get_title()


def test_curves_that_lie_on_each_other_are_named_and_others_are_not(tmp_path):
    hidden = {("sdr", "type-ii"): (0.80, 0.79, 0.70), ("sdr", "type-i"): (0.80, 0.79 + 1e-4, 0.70),  # under its twin
              ("zf", "type-ii"): (0.6, 0.5, 0.4), ("zf", "type-i"): (0.6, 0.5, 0.38)}  # apart at one point
    fig = plotting.plot_curves(_summary({"sync": hidden, "unsync": SYNC}), tmp_path / "f.png", title="t", x_label="x")
    note = [text for text in _texts(fig) if "coincide" in text]
    assert len(note) == 1
    assert "(a): Proposed, Type-II = Type-I" in note[0] and "ZF" not in note[0]
    plain = plotting.plot_curves(_summary({"sync": SYNC}), tmp_path / "g.png", title="t", x_label="x")
    assert not any("coincide" in text for text in _texts(plain))


def test_coincidence_is_judged_against_the_panel_height():
    curves = {("sync", "sdr", r): [dict(x=str(x), p_d_mean=str(y)) for x, y in zip((0, 1), ys)]
              for r, ys in (("type-ii", (0.010, 0.020)), ("type-i", (0.0102, 0.020)))}
    assert plotting.coinciding_curves(curves, "sync", y_range=1.0) == [(("sdr", "type-ii"), ("sdr", "type-i"))]
    assert plotting.coinciding_curves(curves, "sync", y_range=0.01) == []  # 2 % of a narrow panel: visible


def _lab(color):
    """CIE L*a*b* (D65) of an sRGB colour: the standard formulas, written out here."""
    rgb = np.array(matplotlib.colors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("n_cells", [3, 7, 19])
def test_every_cell_of_a_topology_has_a_colour_of_its_own(tmp_path, n_cells):
    report = type("Report", (), {})()
    job = TopologyFigure(name="t", title="t", config=ScenarioConfig(n_cells=n_cells)).job()
    report.rows = job.run_task(job.tasks()[0])
    fig = plotting.plot_topology(report.rows, tmp_path / "t.png", title="t")
    bs_colors = [line.get_color() for line in fig.axes[0].lines if line.get_marker() == "^" and line.get_xdata().size == 1
                 and line.get_label().startswith("_")]
    assert len(bs_colors) == n_cells
    labs = [_lab(color) for color in bs_colors]
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(labs, 2))
    assert closest > 10  # CIE76 Delta E: clearly different colours, not merely different codes
    if n_cells >= 7:
        assert np.linalg.norm(labs[0] - labs[6]) > 40  # BS 1 and BS 7, which used to share a colour


def test_a_quick_figure_says_so_in_its_title(tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(plotting, "plot_topology", lambda rows, path, *, title: captured.setdefault("title", title))
    figure = TopologyFigure(name="t", title="Topology", config=ScenarioConfig())
    reproduce(figure, tmp_path / "full", workers=1, progress=False)
    assert captured.pop("title") == "Topology"
    from isacsim.figures import CurveFigure
    from isacsim.simulation import Scheme, Simulation

    curve = CurveFigure(
        name="c", title="Curves", x_label="x",
        simulation=Simulation(config=ScenarioConfig(n_tx=6, n_rx=2, points_per_side=1), x_values=[0.0],
                              schemes=(Scheme("zf", "type-ii", True),), n_realizations=5),
        quick={"n_realizations": 2},
    )
    monkeypatch.setattr(plotting, "plot_curves", lambda summary, path, *, title, **kw: captured.setdefault("title", title))
    reproduce(curve, tmp_path / "quick", quick=True, workers=1, progress=False)
    assert "quick: 2 realizations" in captured["title"]


def test_equal_curves_of_different_designers_are_not_flagged_since_they_are_shifted_apart():
    same = (0.6, 0.5, 0.4)
    curves = {("sdr", "type-ii"): (0.8, 0.7, 0.6), ("zf", "type-ii"): same, ("sensing-only", "type-ii"): same}
    grouped = plotting._by_scheme(_summary({"sync": curves}))
    assert plotting.coinciding_curves(grouped, "sync") == []
