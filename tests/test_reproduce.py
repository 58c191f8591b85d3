"""Every figure's --quick mode end to end, and the reproduce command line."""
import csv
import json

import pytest

from isacsim.cli import main
from isacsim.figures import reproduce
from isacsim.reproduce import available, load

PAPER_FIGURES = {"fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "coverage"}


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
    assert "fig3" in capsys.readouterr().out
    out = tmp_path / "fig2"
    assert main(["reproduce", "fig2", "--out", str(out)]) == 0
    assert (out / "fig2.png").exists()
    assert main(["reproduce", "fig3", "--quick", "--out", str(out)]) == 2  # another figure's directory
    err = capsys.readouterr().err
    assert "different configuration" in err and err.count("\n") == 1
    assert main(["reproduce", "nonexistent"]) == 2
    assert main(["reproduce", "fig3", "--workers", "0"]) == 2
