"""``isacsim bench --batch``: the table of amortized times, with the agreement of every batched solve."""
import pytest

from isacsim import cli
from isacsim.bench.batch import BatchCase, run_batch_benchmark

TINY = BatchCase("tiny", dict(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2), 4, 4, 1.0)


def test_the_table_has_every_size_and_the_batched_solves_agree():
    lines = []
    results = run_batch_benchmark(sizes=(1, 2, 8), cases=(TINY,), print_line=lines.append)
    assert [r.kind for r in results] == ["solve", "design"]
    for result in results:
        assert sorted(result.amortized_seconds) == [1, 2]  # 8 is over the case's largest batch
        assert result.max_difference <= 1e-9 and result.mismatched == 0 and result.statuses == {"optimal": 4}
        assert result.failures() == []
    headers = [line for line in lines if "unbatched" in line and "B=1" in line]
    assert len(headers) == 2 and all("B=2" in line and "B=8" in line for line in headers)
    assert sum(line.strip().startswith("tiny") for line in lines) == 2


def test_a_missed_target_and_a_disagreement_are_reported():
    import attrs

    result = run_batch_benchmark(sizes=(1,), cases=(attrs.evolve(TINY, target_seconds=1e-9),), kinds=("solve",), print_line=lambda line: None)[0]
    assert any("over the" in line and "target" in line for line in result.failures())
    assert any("differ by" in line for line in attrs.evolve(result, max_difference=1e-6).failures())
    assert any("status" in line for line in attrs.evolve(result, mismatched=2).failures())


@pytest.mark.parametrize("extra", [["--scale"], ["--primal"], ["--instances", "3"]])
def test_batch_is_not_combined_with_the_other_modes(extra, capsys):
    assert cli.main(["bench", "--batch", *extra]) == cli.EXIT_USAGE
    assert "--batch" in capsys.readouterr().err


def test_the_profile_times_every_phase_of_a_figures_batches(monkeypatch):
    from isacsim.bench import profile
    from isacsim.figures import CurveFigure
    from isacsim.scenario import ScenarioConfig
    from isacsim.simulation import Scheme, Simulation

    figure = CurveFigure(
        name="tiny", title="tiny", x_label="SINR target [dB]",
        simulation=Simulation(config=ScenarioConfig(n_tx=4, n_rx=4, points_per_side=2), x_name="sinr_target_db", x_values=(5.0, 15.0),
                              schemes=(Scheme("sdr", "type-ii", True), Scheme("zf", "type-i", False)), n_realizations=6),
    )
    monkeypatch.setattr("isacsim.reproduce.load", lambda name: figure)
    lines = []
    result = profile.run_profile("tiny", n_tasks=6, workers=1, print_line=lines.append)
    assert "6 tasks in 3 batches" in lines[0] and "12 designs" in lines[0]  # batches of 2: 12 tasks for 1 worker x 8
    for phase in ("problem building", "interior-point solve", "rank-one beams", "verification", "evaluation", "result rows", "other"):
        assert result.seconds[phase] >= 0 and any(line.strip().startswith(phase) for line in lines)
    assert result.calls["problem building"] == 6 and result.calls["result rows"] == 12
    import isacsim.simulation.rows as rows
    assert not hasattr(rows.solve_row, "__wrapped__")  # every phase unwrapped afterwards
