"""The figures: every curve distinguishable, panels fitted, grids complete, formats."""
import numpy as np
import pytest

from isacsim import plotting
from isacsim.errors import InputError
from isacsim.figures import CurveFigure, figure_file
from isacsim.reproduce import available, load

CURVE_FIGURES = [name for name in available() if isinstance(load(name), CurveFigure)]


def _look(style):
    """The properties a reader tells curves apart by."""
    return style["marker"], style["markerfacecolor"] != "none", style["color"], style["linestyle"]


def _scheme_keys(figure, quick):
    return {(scheme.designer, scheme.receiver) for scheme in figure.job(quick=quick).schemes}


@pytest.mark.parametrize("name", CURVE_FIGURES)
@pytest.mark.parametrize("quick", [False, True])
def test_no_two_curves_of_a_figure_share_a_style(name, quick):
    keys = _scheme_keys(load(name), quick)
    looks = [_look(style) for style in plotting.curve_styles(keys).values()]
    assert len(keys) > 1 and len(set(looks)) == len(looks)


def test_plugin_designers_and_receivers_get_styles_of_their_own():
    keys = {(d, r) for d in ("sdr", "zf", "sensing-only", "rzf", "mmse", "a", "b") for r in ("type-i", "type-ii", "type-iii")}
    styles = plotting.curve_styles(keys)
    looks = [_look(style) for style in styles.values()]
    assert len(set(looks)) == len(looks) == 21
    assert len({style["label"] for style in styles.values()}) == 21


def _summary(values):
    """summary.csv rows: ``values[scenario][(designer, receiver)]`` is p_D at x = 0, 10, 20."""
    rows = []
    for scenario, curves in values.items():
        for (designer, receiver), ys in curves.items():
            for x, y in zip((0, 10, 20), ys):
                rows.append(
                    dict(scenario=scenario, designer=designer, receiver=receiver, x=str(x), p_d_mean=str(y),
                         p_d_low=str(y - 0.002), p_d_high=str(y + 0.002), n_infeasible="0")
                )
    return rows


def _drawn_curves(ax):
    """``label -> Line2D`` of the curves (error-bar data lines) of a panel."""
    return {container.get_label(): container.lines[0] for container in ax.containers}


def test_coinciding_curves_are_drawn_distinguishable_and_panels_fit_their_range(tmp_path):
    same = (0.78, 0.75, 0.60)
    sync = {("sdr", "type-ii"): (0.80, 0.79, 0.70), ("sdr", "type-i"): (0.80, 0.77, 0.66),
            ("zf", "type-ii"): same, ("sensing-only", "type-ii"): same,
            ("zf", "type-i"): (0.70, 0.65, 0.5), ("sensing-only", "type-i"): (0.70, 0.65, 0.5)}
    unsync = {key: tuple(y / 5 for y in ys) for key, ys in sync.items()}  # p_D 0.10 - 0.16
    fig = plotting.plot_curves(_summary({"sync": sync, "unsync": unsync}), tmp_path / "f.png", title="t", x_label="x")
    assert (tmp_path / "f.png").stat().st_size > 0
    scenario_i, scenario_ii = fig.axes[:2]
    for ax in (scenario_i, scenario_ii):
        curves = _drawn_curves(ax)
        assert len(curves) == 6
        looks = {(c.get_marker(), c.get_markerfacecolor() != "none", c.get_color(), c.get_linestyle()) for c in curves.values()}
        assert len(looks) == 6
        zf, sensing = curves["ZF, Type-II"], curves["Sensing-only, Type-II"]
        np.testing.assert_array_equal(zf.get_ydata(), sensing.get_ydata())
        assert np.all(np.abs(zf.get_xdata() - sensing.get_xdata()) >= 0.01 * 20)  # shifted apart, by >= 1 % of the range
    low, high = scenario_ii.get_ylim()
    assert 0.05 < low < 0.098 and 0.162 < high < 0.2  # Scenario II's own range, not 0-1
    assert scenario_i.get_ylim()[0] > 0.4


@pytest.mark.parametrize("name", CURVE_FIGURES)
def test_quick_grid_spans_the_full_grid(name):
    figure = load(name)
    full, quick = figure.job().x_values, figure.job(quick=True).x_values
    assert (min(quick), max(quick)) == (min(full), max(full))


@pytest.mark.parametrize("name", ["fig6", "fig6-own"])
def test_fig6_grids_hold_the_angle_the_paper_discusses(name):
    figure = load(name)
    for quick in (False, True):
        assert 110.0 in figure.job(quick=quick).x_values


def test_fig6_readings_differ_only_in_the_cross_cell_channels():
    los, own = load("fig6").job(), load("fig6-own").job()
    assert (los.config.channel, own.config.channel) == ("los", "los-own")
    assert los.config.evolve(channel="los-own") == own.config
    assert los.x_values == own.x_values and los.n_realizations == 1 and own.n_realizations > 1


def test_figure_file_names_the_format():
    assert [figure_file("fig3", fmt) for fmt in plotting.IMAGE_FORMATS] == ["fig3.png", "fig3.pdf", "fig3.svg"]
    with pytest.raises(InputError, match="^image_format: .*'jpg'"):
        figure_file("fig3", "jpg")
