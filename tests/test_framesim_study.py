"""The finite-n study: a runner job (resume, seeding across worker counts) and its figure."""
import csv

import numpy as np
import pytest

from isacsim.errors import InputError
from isacsim.figures import reproduce
from isacsim.framesim.figure import FiniteNFigure
from isacsim.framesim.study import FRAME_LENGTHS, FiniteNStudy
from isacsim.reproduce import available, load
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.simulation import run

TINY = FiniteNStudy(
    config=ScenarioConfig(n_users_per_cell=1, n_tx=8, n_rx=8, points_per_side=2, sinr_target_db=10.0, kappa_r_db=-42.0),
    n_symbols=(8, 64), n_realizations=2, n_trials=400,
)


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_results_are_identical_across_worker_counts_and_resume(tmp_path):
    one = run(TINY, tmp_path / "one", workers=1, progress=False)
    two = run(TINY, tmp_path / "two", workers=2, progress=False)
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert len(_rows(tmp_path / "one" / "results.csv")) == sum(TINY.rows_per_task(task) for task in TINY.tasks())
    again = run(TINY, tmp_path / "one", workers=1, progress=False)
    assert (again.n_computed, again.n_resumed) == (0, one.n_tasks) and again.summary == one.summary
    assert not one.failures and not two.failures


def test_summary_pools_the_worst_points_of_independently_made_designs(tmp_path):
    report = run(TINY, tmp_path, workers=1, progress=False)
    assert [(r["scenario"], r["receiver"], r["n_symbols"]) for r in report.summary] == [
        (scenario, receiver, n) for scenario in ("sync", "unsync") for receiver in ("type-i", "type-ii") for n in (8, 64)
    ]
    for entry in report.summary:
        scheme = next(s for s in TINY.schemes if (s.scenario, s.receiver) == (entry["scenario"], entry["receiver"]))
        closed = []
        for r in range(TINY.n_realizations):
            problem = TINY.config.build(realization_rng(TINY.seed, r))
            designer, receiver, detector = scheme.make()
            design = designer.design(problem, receiver, detector)
            closed.append(detector.detection_probability(problem, design.w, design.R).min())
        assert entry["p_d_closed"] == pytest.approx(np.mean(closed), rel=1e-9)
        assert entry["n_ok"] == TINY.n_realizations and entry["sinr_target_db"] == pytest.approx(10.0)
        assert entry["p_d_asymptotic_low"] <= entry["p_d_asymptotic"] <= entry["p_d_asymptotic_high"]
        assert entry["p_fa_per_frame_conditional"] == pytest.approx(TINY.config.p_fa, rel=1e-9)


def test_finite_n_is_a_reproducible_figure(tmp_path):
    assert "finite-n" in available()
    figure = load("finite-n")
    assert isinstance(figure, FiniteNFigure) and figure.name == "finite-n"
    full, quick = figure.job(), figure.job(quick=True)
    assert (full.n_symbols, full.n_realizations, full.n_trials) == (FRAME_LENGTHS, 20, 10_000)
    assert (quick.n_realizations, quick.n_trials) == (2, 2000)
    assert (full.config.sinr_target_db, full.config.n_users_per_cell, full.config.p_fa) == (15.0, 1, 1e-3)
    assert {(s.designer, s.receiver, s.synchronized) for s in full.schemes} == {
        ("sdr", r, sync) for r in ("type-i", "type-ii") for sync in (True, False)
    }
    tiny = FiniteNFigure(name="finite-n", title="tiny", study=TINY)
    report = reproduce(tiny, tmp_path, realizations=1, progress=False)
    assert report.n_tasks == 2
    for name in ("results.csv", "summary.csv", "metadata.json", "finite-n.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_study_inputs_are_checked():
    with pytest.raises(InputError, match="n_symbols"):
        FiniteNStudy(n_symbols=(16, 0))
    with pytest.raises(InputError, match="n_symbols"):
        FiniteNStudy(n_symbols=(16.5,))
    with pytest.raises(InputError, match="alphabet"):
        FiniteNStudy(alphabet="8psk")
