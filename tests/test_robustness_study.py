"""The robustness study: a runner job (resume, seeding across worker counts), its summary and figure."""
import csv
import math

import pytest

from isacsim.errors import InputError
from isacsim.reproduce import available, load
from isacsim.robustness import RobustnessFigure, RobustnessStudy
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, run

TINY = RobustnessStudy(
    config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2, sinr_target_db=10.0, kappa_r_db=-40.0),
    sinr_values_db=(0.0, 10.0), phase_spreads=(0.0, 0.5, 1.0), clutter_ratios_db=(10.0,), clutter_points_per_side=4,
    clutter_side_m=14.0, clutter_exclude_m=0.0, clutter_aware_schemes=(Scheme("clutter-aware", "type-ii", True),),
    schemes=tuple(Scheme(d, r, s) for d, r in (("sdr", "type-ii"), ("zf", "type-i")) for s in (True, False)),
    roc_p_fa=(1e-3, 0.1), roc_trials=2000, n_realizations=2,
)


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """TINY run once, with one worker (shared by the tests of this module)."""
    directory = tmp_path_factory.mktemp("robustness") / "one"
    return run(TINY, directory, workers=1, progress=False)


def test_results_are_identical_across_worker_counts_and_resume(one, tmp_path):
    two = run(TINY, tmp_path / "two", workers=2, progress=False)
    for name in ("results.csv", "summary.csv"):
        assert (one.directory / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert len(_rows(one.directory / "results.csv")) == sum(TINY.rows_per_task(task) for task in TINY.tasks())
    again = run(TINY, one.directory, workers=1, progress=False)
    assert (again.n_computed, again.n_resumed) == (0, one.n_tasks) and again.summary == one.summary
    assert not one.failures and not two.failures


def test_summary_holds_every_part_and_its_numbers_are_the_detectors(one):
    from isacsim import Detector
    from isacsim.scenario import realization_rng

    report, tmp_path = one, one.directory
    parts = {r["part"] for r in report.summary}
    assert parts == {"target", "sync", "crossover", "roc", "clutter"}
    rows = _rows(tmp_path / "results.csv")
    # a target row's pD is the detector's on the same design (remade here from the same channels)
    problem = TINY.config.evolve(sinr_target_db=0.0).build(realization_rng(TINY.seed, 1))
    designer, receiver, detector = Scheme("sdr", "type-ii", False).make()
    design = designer.design(problem, receiver, detector)
    row = next(r for r in rows if r["part"] == "target" and r["realization"] == "1" and r["sinr_target_db"] == "0.0"
               and r["designer"] == "sdr" and r["receiver"] == "type-ii" and r["scenario"] == "unsync" and r["target_model"] == "swerling1-links")
    expected = Detector(synchronized=False, target="swerling1-links").detection_probability(problem, design.w, design.R).min()
    assert float(row["p_d"]) == pytest.approx(expected, rel=1e-9)
    # at spread 0 both synchronization detectors are Scenario I's; the error-aware one at spread 1 is Scenario II's
    sync = {(r["designer"], r["receiver"], r["variant"], float(r["x"])): float(r["p_d_mean"]) for r in report.summary if r["part"] == "sync"}
    target = {(r["scenario"], r["designer"], r["receiver"], float(r["x"])): float(r["p_d_mean"]) for r in report.summary
              if r["part"] == "target" and r["variant"] == "deterministic"}
    assert sync["sdr", "type-ii", "aware", 0.0] == pytest.approx(target["sync", "sdr", "type-ii", 10.0], rel=1e-12)
    assert sync["sdr", "type-ii", "blind", 0.0] == pytest.approx(target["sync", "sdr", "type-ii", 10.0], rel=1e-12)
    crossover = next(r for r in report.summary if r["part"] == "crossover" and r["designer"] == "sdr" and r["receiver"] == "type-ii"
                     and r["variant"] == "blind")
    assert 0.0 < crossover["crossover_mean"] < 1.0 and crossover["n_crossing"] == 2
    roc = [r for r in report.summary if r["part"] == "roc" and math.isfinite(r["mc_p_d"])]
    assert roc and all(r["mc_p_d_low"] <= r["p_d_first"] <= r["mc_p_d_high"] for r in roc)
    clutter = [r for r in report.summary if r["part"] == "clutter"]
    assert {r["designer"] for r in clutter} == {"sdr", "zf", "clutter-aware"}
    aware = next(r for r in clutter if r["designer"] == "clutter-aware")
    blind = next(r for r in clutter if r["designer"] == "sdr" and r["receiver"] == "type-ii" and r["scenario"] == "sync")
    assert aware["scnr_bound_db_mean"] >= blind["scnr_bound_db_mean"] - 1e-9 and aware["steps_mean"] >= 2


def test_robustness_is_a_reproducible_figure(one, tmp_path):
    assert "robustness" in available()
    figure = load("robustness")
    assert isinstance(figure, RobustnessFigure) and figure.job(quick=True).n_realizations == 2
    tiny = RobustnessFigure(name="robustness", title="tiny", study=TINY)
    tiny.plot(TINY, one, tmp_path / "robustness.png")
    assert (tmp_path / "robustness.png").stat().st_size > 50_000


def test_study_inputs_are_checked():
    with pytest.raises(InputError, match="sinr_target_db"):
        RobustnessStudy(config=ScenarioConfig(sinr_target_db=12.0))
    with pytest.raises(InputError, match="phase_spreads"):
        RobustnessStudy(phase_spreads=(0.0, 1.5))
    with pytest.raises(InputError, match="roc_p_fa"):
        RobustnessStudy(roc_p_fa=(0.0,))
    with pytest.raises(InputError, match="clutter_aware_options"):
        RobustnessStudy(clutter_aware_options={"nonsense": 1})
