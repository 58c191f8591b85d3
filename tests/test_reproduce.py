"""Every figure's --quick mode end to end, and the reproduce command line."""
import csv
import json

import pytest

from isacsim.cli import main
from isacsim.figures import reproduce
from isacsim.reproduce import available, load

PAPER_FIGURES = {"fig2", "fig3", "fig4", "fig5", "fig6", "fig6-own", "fig7", "fig8", "fig9", "fig10", "coverage"}


def test_every_paper_figure_is_listed():
    assert PAPER_FIGURES <= set(available())


@pytest.mark.parametrize("name", sorted(PAPER_FIGURES))
def test_quick_mode_runs_end_to_end(name, tmp_path):
    figure = load(name)
    report = reproduce(figure, tmp_path / name, quick=True, workers=2)
    for file in ("results.csv", "summary.csv", "metadata.json", f"{name}.png"):
        assert (tmp_path / name / file).stat().st_size > 0
    metadata = json.loads((tmp_path / name / "metadata.json").read_text())
    assert metadata["quick"] is True and metadata["versions"]["numpy"] and metadata["execution"]["wall_seconds"] > 0
    with open(tmp_path / name / "summary.csv", newline="") as handle:
        summary = list(csv.DictReader(handle))
    assert summary
    if "p_d_mean" in summary[0]:
        statuses = [(int(r["n_ok"]), int(r["n_error"])) for r in summary]
        assert all(errors == 0 for _, errors in statuses), f"{name}: solver errors in quick mode"
        for row in summary:
            assert 0.0 <= float(row["p_d_mean"]) <= 1.0
    assert report.n_computed == report.n_tasks


def test_reproduce_cli_lists_runs_and_refuses_a_changed_run(tmp_path, capsys):
    assert main(["reproduce", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "fig3" in listing and "netsize" in listing
    out = tmp_path / "fig2"
    assert main(["reproduce", "fig2", "--out", str(out)]) == 0
    assert (out / "fig2.png").exists()
    capsys.readouterr()  # the run's progress lines
    assert main(["reproduce", "fig3", "--quick", "--out", str(out)]) == 2  # another figure's directory
    err = capsys.readouterr().err
    assert "different configuration" in err and err.count("\n") == 1
    assert main(["reproduce", "nonexistent"]) == 2
    assert main(["reproduce", "fig3", "--workers", "0"]) == 2


@pytest.mark.parametrize("image_format, magic", [("pdf", b"%PDF-"), ("svg", b"<svg")])
def test_reproduce_draws_the_figure_in_the_format_asked_and_names_it(image_format, magic, tmp_path, capsys):
    out = tmp_path / "fig2"
    assert main(["reproduce", "fig2", "--out", str(out), "--format", image_format]) == 0
    assert magic in (out / f"fig2.{image_format}").read_bytes()[:500]
    assert not (out / "fig2.png").exists()
    assert f"summary.csv, fig2.{image_format}, metadata.json)" in capsys.readouterr().out
    assert main(["reproduce", "fig2", "--out", str(out), "--format", "jpg"]) == 2
    assert "--format" in capsys.readouterr().err


def test_netsize_job_sweeps_the_number_of_cells():
    figure = load("netsize")
    full, quick = figure.job(), figure.job(quick=True)
    for job in (full, quick):
        assert job.x_name == "n_cells" and job.x_values == (3.0, 7.0, 19.0)
        c = job.config
        assert (c.n_users_per_cell, c.n_tx, c.points_per_side**2) == (4, 64, 49)
        assert [c.evolve(n_cells=x).network().n_bs for x in job.x_values] == [3, 7, 19]
        curves = {(s.designer, s.receiver, s.synchronized) for s in job.schemes}
        assert {(d, "type-ii", sync) for d in ("sdr", "zf", "sensing-only") for sync in (True, False)} <= curves
    assert full.n_realizations >= 50 and {s.receiver for s in full.schemes} == {"type-i", "type-ii"}
    assert quick.n_realizations <= 3 and len(quick.schemes) == 6
    assert figure.solve_times


def test_netsize_tiny_version_end_to_end(tmp_path):
    """L = 3, 7, 19 with K = 1, Nt = 20 (>= LK, so ZF exists), Q = 9, one realization."""
    import attrs

    figure = load("netsize")
    sweep = figure.simulation
    tiny = attrs.evolve(
        sweep, config=sweep.config.evolve(n_users_per_cell=1, n_tx=20, n_rx=8, points_per_side=3), n_realizations=1
    )
    report = reproduce(attrs.evolve(figure, simulation=tiny), tmp_path, workers=1)
    assert report.n_computed == 3
    for file in ("results.csv", "summary.csv", "metadata.json", "solve_times.csv", "netsize.png"):
        assert (tmp_path / file).stat().st_size > 0
    with open(tmp_path / "summary.csv", newline="") as handle:
        summary = list(csv.DictReader(handle))
    assert len(summary) == 3 * len(tiny.schemes)
    assert all(int(r["n_ok"]) == 1 and int(r["n_error"]) == 0 for r in summary)
    with open(tmp_path / "solve_times.csv", newline="") as handle:
        times = list(csv.DictReader(handle))
    assert {float(r["x"]) for r in times} == {3.0, 7.0, 19.0}
    assert all(int(r["n_solves"]) == 1 and float(r["solve_seconds_median"]) > 0 for r in times)
