"""``isacsim bench``: the comparison logic, the table, --check, --scale (never timings)."""
import csv
import math

import numpy as np
import pytest

from isacsim import cli
from isacsim.bench import paper as bench
from isacsim.bench.compare import AGREEMENT_TOLERANCE, Comparison, SolverRuns, check_failures, comparison_header, comparison_line, format_statuses
from isacsim.bench.process import Measurement, measure_in_fresh_process
from isacsim.bench.report import CSV_COLUMNS
from isacsim.bench.scale import QUICK_SETUP, ScalePoint, ScaleSetup, _measure_point, _skip_reason, fit_power_law, run_scale
from isacsim.bench.scale import _comparison as _comparison_of

NAN = math.nan
TINY = dict(n_cells=3, n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=1)


def _runs(solver, seconds, statuses=None, bounds=None, peaks=()):
    statuses = statuses or ["optimal"] * len(seconds)
    bounds = bounds or [1.0] * len(seconds)
    return SolverRuns(solver=solver, seconds=seconds, statuses=statuses, bounds=bounds, peak_rss_mib=peaks)


def _comparison(new_seconds=(0.001, 0.002, 0.003), baseline_seconds=(0.01, 0.02, 0.03), target=0.005, **new):
    return Comparison(
        label="K=1, Nt=32",
        new=_runs("structured", list(new_seconds), **new),
        baseline=_runs("cvxopt", list(baseline_seconds)),
        target_seconds=target,
    )


# ------------------------------------------------------------------ fit
def test_power_law_recovers_a_known_exponent():
    x = np.array([3.0, 7.0, 19.0, 37.0])
    fit = fit_power_law(x, 0.02 * x**2.7)
    assert fit.exponent == pytest.approx(2.7, rel=1e-12)
    assert fit.coefficient == pytest.approx(0.02, rel=1e-10)
    assert fit.n_points == 4


def test_power_law_is_the_least_squares_line_of_the_logs():
    # Independent check: the closed-form slope of a least-squares line.
    x = np.array([16.0, 32.0, 64.0, 128.0])
    y = np.array([0.1, 0.25, 0.5, 1.7])
    u, v = np.log(x), np.log(y)
    slope = np.sum((u - u.mean()) * (v - v.mean())) / np.sum((u - u.mean()) ** 2)
    assert fit_power_law(x, y).exponent == pytest.approx(slope, rel=1e-12)
    assert fit_power_law([2.0, 4.0], [1.0, 8.0]).exponent == pytest.approx(3.0)  # log(8)/log(2)


def test_power_law_needs_two_usable_points():
    assert fit_power_law([3.0, 7.0], [1.0, NAN]) is None
    assert fit_power_law([3.0, 3.0], [1.0, 2.0]) is None
    assert fit_power_law([3.0, 7.0, 19.0], [1.0, 0.0, 2.0]).n_points == 2  # the zero is left out


# ------------------------------------------------------------ comparison
def test_ratio_is_the_median_of_per_solve_ratios():
    comparison = _comparison(new_seconds=(1.0, 2.0, 10.0), baseline_seconds=(4.0, 40.0, 30.0))
    assert comparison.ratio == pytest.approx(4.0)  # ratios 4, 20, 3; the ratio of medians would be 15


def test_agreement_counts_only_solves_optimal_for_both():
    comparison = Comparison(
        label="case",
        new=_runs("structured", [1.0, 1.0], statuses=["optimal", "infeasible"], bounds=[1.0 + 1e-9, 5.0]),
        baseline=_runs("cvxopt", [1.0, 1.0], statuses=["optimal", "optimal"], bounds=[1.0, 1.0]),
    )
    assert comparison.agreement == pytest.approx(1e-9)


def test_statuses_read_as_text():
    assert format_statuses(["optimal", "inaccurate", "optimal"]) == "2 optimal, 1 inaccurate"


def test_table_line_has_the_case_both_medians_the_ratio_and_the_verdict():
    header, line = comparison_header(), comparison_line(_comparison())
    assert "cvxopt/structured" in header and "target" in header
    assert "K=1, Nt=32" in line and "2.0 ms" in line and "20.0 ms" in line
    assert "x10.0" in line and "meets" in line and "3 optimal | 3 optimal" in line


def test_benchmark_prints_every_case_with_its_ratio():
    lines = []
    cases = ((1, 4, 10.0), (2, 8, 1e-12))
    comparisons = bench.run_benchmark(n_instances=1, print_line=lines.append, cases=cases)
    table = "\n".join(lines)
    assert "cvxopt/structured" in table
    for (n_users, n_tx, _), comparison in zip(cases, comparisons):
        row = next(line for line in lines if f"K={n_users}, Nt={n_tx}" in line)
        assert f"x{comparison.ratio:.1f}" in row and "4 optimal | 4 optimal" in row
        assert comparison.agreement <= AGREEMENT_TOLERANCE
    assert [bool(c.failures()) for c in comparisons] == [False, True]  # no design takes 1e-12 s


# ----------------------------------------------------------------- check
def test_failures_name_each_missed_requirement():
    assert _comparison().failures() == []
    assert "over the 5.0 ms target" in _comparison(new_seconds=(0.004, 0.006, 0.007)).failures()[0]
    assert _comparison(target=None, new_seconds=(1.0, 2.0, 3.0)).failures() == []
    assert "bounds differ" in _comparison(bounds=[1.0, 1.0, 1.0 + 1e-6]).failures()[0]
    assert "1 error" in _comparison(statuses=["optimal", "error", "optimal"]).failures()[0]
    assert "over the" in _comparison(new_seconds=(NAN, NAN, NAN)).failures()[0]  # nothing finished
    assert _comparison(baseline_seconds=(NAN, NAN, NAN)).failures() == []  # a skipped baseline misses nothing
    memory = Comparison(label="L=19", new=_runs("structured", [1.0], peaks=[2000.0]), baseline=_runs("cvxopt", [NAN]), target_peak_rss_mib=1024.0)
    assert "peak memory 2000 MiB" in memory.failures()[0]


@pytest.mark.parametrize("check, comparisons, code", [
    (True, [_comparison()], cli.EXIT_OK),
    (True, [_comparison(), _comparison(new_seconds=(1.0, 1.0, 1.0))], cli.EXIT_FAILURE),
    (False, [_comparison(new_seconds=(1.0, 1.0, 1.0))], cli.EXIT_OK),
])
def test_check_sets_the_exit_code(monkeypatch, capsys, check, comparisons, code):
    from isacsim.bench import formulations

    monkeypatch.setattr(bench, "run_benchmark", lambda **_: comparisons)
    monkeypatch.setattr(formulations, "run_formulation_cases", lambda *args, **kwargs: [])  # timed by their own test
    assert cli.main(["bench"] + (["--check"] if check else [])) == code
    out = capsys.readouterr().out
    assert ("check: MISSED K=1, Nt=32: median 1.00 s" in out) == (code == cli.EXIT_FAILURE)
    if check:
        assert check_failures(comparisons) == [line[len("check: MISSED "):] for line in out.splitlines() if "MISSED" in line]


@pytest.mark.parametrize("argv", [["bench", "--budget", "5"], ["bench", "--scale", "--primal"], ["bench", "--instances", "0"], ["bench", "--scale", "--memory-cap", "-1"]])
def test_contradictory_bench_flags_are_usage_errors(argv, capsys):
    assert cli.main(argv) == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith("isacsim: error: --")


# ----------------------------------------------------------------- scale
def test_scale_quick_writes_the_figure_and_every_measurement(tmp_path):
    setup = ScaleSetup(cells=(3, 7), n_tx_values=(4, 8), n_tx_of_cell_sweep=8, n_users_per_cell=1, points_per_side=1, n_instances=1)
    lines = []
    points = run_scale(setup, tmp_path / "figs" / "scale.png", print_line=lines.append)
    assert (tmp_path / "figs" / "scale.png").stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "figs" / "scale.csv").open()))
    assert tuple(rows[0]) == CSV_COLUMNS
    # 2 points per sweep x 2 solvers x 1 instance; L=3, Nt=8 belongs to both sweeps
    assert sorted((r["sweep"], r["n_cells"], r["n_tx"], r["solver"]) for r in rows) == sorted(
        (sweep, cells, n_tx, solver)
        for sweep, cells, n_tx in (("L", "3", "8"), ("L", "7", "8"), ("Nt", "3", "4"), ("Nt", "3", "8"))
        for solver in ("structured", "cvxopt")
    )
    assert {r["status"] for r in rows} == {"optimal"} and all(float(r["peak_rss_mib"]) > 0 for r in rows)
    assert [(p.sweep, p.value) for p in points] == [("L", 3), ("L", 7), ("Nt", 4), ("Nt", 8)]
    assert points[1].comparison.agreement <= AGREEMENT_TOLERANCE
    table = "\n".join(lines)
    for label in ("L=3, Nt=8", "L=7, Nt=8", "L=3, Nt=4"):
        assert label in table
    assert "time ~ c L^a:" in table and "structured a = " in table and "cvxopt b = " in table


def test_quick_setup_is_tiny():
    assert QUICK_SETUP.n_instances == 1 and max(QUICK_SETUP.n_tx_values) <= 8 and QUICK_SETUP.points_per_side <= 2


def _point(value, seconds, outcome="ok"):
    measurement = Measurement(outcome=outcome, status="optimal" if outcome == "ok" else outcome, seconds=seconds, peak_rss_mib=100.0)
    new, baseline = (_runs(solver, [seconds], peaks=[100.0]) for solver in ("structured", "cvxopt"))
    return ScalePoint(
        sweep="L", value=value, fields={}, measurements={"cvxopt": [measurement], "structured": [measurement]},
        comparison=Comparison(label=str(value), new=new, baseline=baseline),
    )


def test_scale_skips_a_solver_its_smaller_points_put_over_budget():
    setup = ScaleSetup(budget_seconds=100.0)
    earlier = [_point(3, 1.0), _point(7, 10.0)]  # time ~ L^2.72: 150 s at L = 19
    assert _skip_reason("cvxopt", "L", 19, earlier, setup) == "estimated 151 s per solve > 100 s budget"
    assert _skip_reason("cvxopt", "L", 9, earlier, setup) == ""
    assert _skip_reason("cvxopt", "L", 19, earlier[:1], setup) == ""  # one point: no estimate
    assert "L=3 already overran" in _skip_reason("cvxopt", "L", 7, [_point(3, NAN, "timeout")], setup)


def test_a_skipped_solver_does_not_run():
    setup = ScaleSetup(n_instances=2)
    measurements = _measure_point(TINY, {"structured": "a test", "cvxopt": "a test"}, setup)
    assert [m.outcome for runs in measurements.values() for m in runs] == ["skipped"] * 4
    line = comparison_line(_comparison_of(TINY, measurements))
    assert "2 skipped (a test) | 2 skipped (a test)" in line


def test_a_solve_over_its_budget_is_stopped_and_the_rest_skipped():
    # A fresh process builds and designs two problems: far more than a microsecond.
    measurements = _measure_point(TINY, {"structured": "", "cvxopt": ""}, ScaleSetup(n_instances=2, budget_seconds=1e-6))
    for runs in measurements.values():
        assert [m.outcome for m in runs] == ["timeout", "skipped"]
        assert runs[1].message == "instance 0 ended in timeout"
    measured = measure_in_fresh_process(TINY, 0, "structured", budget_seconds=60.0)
    assert measured.outcome == "ok" and measured.status == "optimal" and measured.peak_rss_mib >= measured.start_rss_mib > 0


def test_clutter_benchmark_times_both_designers_and_judges_the_ratio(capsys):
    from isacsim.bench.clutter import TARGET_RATIO, ClutterTiming, run_clutter_benchmark
    from isacsim.robustness import RobustnessStudy
    from isacsim.scenario import ScenarioConfig

    small = RobustnessStudy(config=ScenarioConfig(n_tx=6, n_rx=6, points_per_side=2, sinr_target_db=10.0),
                            sinr_values_db=(10.0,), clutter_points_per_side=4)
    lines = []
    (timing,) = run_clutter_benchmark(n_instances=1, print_line=lines.append, levels=(10.0,), study=small)
    assert len(timing.seconds) == len(timing.baseline_seconds) == 4 and set(timing.statuses) == {"optimal"}
    assert all(steps >= 2 for steps in timing.steps)
    assert "clutter-aware design time" in lines[0] and "ratio" in lines[1] and "4 optimal" in lines[2]
    fast = ClutterTiming(ratio_db=0.0, seconds=(2.0, 3.0), baseline_seconds=(1.0, 1.0), steps=(3, 3),
                         statuses=("optimal", "optimal"), baseline_statuses=("optimal", "optimal"))
    slow = ClutterTiming(ratio_db=20.0, seconds=(30.0, 40.0), baseline_seconds=(1.0, 1.0), steps=(6, 6),
                         statuses=("optimal", "inaccurate"), baseline_statuses=("optimal", "optimal"))
    assert fast.ratio == 2.5 and fast.failures() == []
    assert [f"{TARGET_RATIO:g}x" in line or "inaccurate" in line for line in slow.failures()] == [True, True]
    assert cli.main(["bench", "--clutter", "--scale"]) == 2 and "--clutter" in capsys.readouterr().err
