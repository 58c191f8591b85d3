"""power-min from the command line and in its study: verdicts, exit codes, the job and its figure."""
import json

import numpy as np
import pytest

from isacsim import Detector, TypeI, TypeII
from isacsim.cli import main
from isacsim.designers import PowerMinDesigner, SDRDesigner
from isacsim.detection import detection_probability
from isacsim.powermin import PowerMinStudy, plot_power_min
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import run
from isacsim.simulation.schemes import Scheme
from isacsim.testing import small_problem


def echo_problem(seed):
    """A small paper-layout problem with echoes strong enough for pD ~ 0.6 (Scenario I) at its budgets."""
    problem = small_problem(seed=seed, n_users_per_cell=1, n_tx=6)
    return problem.evolve(G=problem.G * 20)


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problem.npz"
    echo_problem(0).save(path)
    return path


def test_solve_power_min_meets_the_target_with_less_power_than_the_max_min_design(problem_file, capsys):
    code = main(["solve", str(problem_file), "--designer", "power-min", "--pd-target", "0.2", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["status"] == "optimal" and report["certificate"]["objective_kind"] == "min-power"
    assert report["min_detection_probability"] >= 0.2 * (1 - 1e-6)
    assert sum(report["tx_power_w"]) == pytest.approx(report["certificate"]["objective"], rel=1e-9)
    # the max-min design spends the whole budget for a higher pD; the least power for pD* = 0.2 is less
    problem = echo_problem(0)
    paper = SDRDesigner().design(problem, TypeII(), Detector())
    assert paper.evaluate(problem).min_detection_probability > 0.2
    assert sum(report["tx_power_w"]) < paper.evaluate(problem).tx_power_w.sum()


def test_an_unreachable_target_exits_3_naming_the_points(problem_file, capsys):
    code = main(["solve", str(problem_file), "--designer", "power-min", "--pd-target", "0.9999", "--no-sync"])
    out = capsys.readouterr().out
    assert code == 3 and "infeasible" in out and "detection targets at sample points" in out


def test_a_target_in_the_file_is_used_and_the_option_replaces_it(tmp_path, capsys):
    path = tmp_path / "target.npz"
    echo_problem(0).evolve(pd_target=0.9999).save(path)
    assert main(["solve", str(path), "--designer", "power-min"]) == 3
    assert main(["solve", str(path), "--designer", "power-min", "--pd-target", "0.2"]) == 0
    capsys.readouterr()


def test_the_max_min_designer_honours_a_detection_target_as_floors():
    """The SDR with floors meets every point's target or is infeasible; above its max-min pD it is infeasible."""
    problem = echo_problem(1)
    free = SDRDesigner().design(problem, TypeI(), Detector())
    best = free.evaluate(problem).min_detection_probability
    below = SDRDesigner().design(problem.evolve(pd_target=0.5 * best), TypeI(), Detector())
    assert below.status == "optimal" and below.certificate.objective == pytest.approx(free.certificate.objective, rel=1e-6)
    above = SDRDesigner().design(problem.evolve(pd_target=min(0.999, best + 0.05)), TypeI(), Detector())
    assert above.status == "infeasible" and "detection targets" in above.reason


def test_least_power_grows_with_the_target_and_meets_it_exactly():
    problem = echo_problem(2)
    previous = 0.0
    for target in (0.1, 0.2, 0.3):
        design = PowerMinDesigner().design(problem.evolve(pd_target=target), TypeII(), Detector())
        assert design.status == "optimal", design.reason
        worst = design.evaluate(problem).min_detection_probability
        assert worst == pytest.approx(target, abs=1e-6)  # the least power puts the worst point exactly on target
        assert design.certificate.objective > previous
        previous = design.certificate.objective


def test_the_study_runs_summarizes_and_draws(tmp_path):
    study = PowerMinStudy(
        config=ScenarioConfig(n_users_per_cell=1, n_tx=6, n_rx=6, points_per_side=2, p_max_w=100.0, kappa_r_db=-45.0),
        pd_targets=(0.3, 0.6),
        schemes=(Scheme("power-min", "type-ii", True), Scheme("power-min-zf", "type-ii", True)),
        p_antenna_w=10.0,  # the designs put at most ~9 W on an antenna; 7 W would make pD* = 0.6 infeasible
        n_realizations=2,
    )
    report = run(study, tmp_path / "study", workers=1, progress=False)
    assert report.n_tasks == 4 and not report.failures
    rows = report.rows
    assert len(rows) == 4 * 2 * 2  # tasks x panels x schemes
    for row in rows:
        assert row["status"] == "optimal"
        assert float(row["min_p_d"]) >= float(row["pd_target"]) * (1 - 1e-6)
        if row["panel"] == "antenna":
            assert float(row["max_antenna_power_w"]) <= 10.0 * (1 + 1e-6)
    summary = {(r["panel"], r["designer"], r["pd_target"]): r for r in report.summary}
    for panel in ("budget", "antenna"):
        proposed, zf = (summary[panel, d, 0.6] for d in ("power-min", "power-min-zf"))
        assert proposed["power_mean_w"] <= zf["power_mean_w"] * (1 + 1e-6)  # free beams never need more power
        assert summary[panel, "power-min", 0.3]["power_mean_w"] < proposed["power_mean_w"]
    for target in (0.3, 0.6):  # more limits never cost less power
        assert summary["antenna", "power-min", target]["power_mean_w"] >= summary["budget", "power-min", target]["power_mean_w"] * (1 - 1e-6)
    plot_power_min(report.summary, tmp_path / "power-min.png", title="test", p_antenna_w=10.0, reference=(100.0, "ref"))
    assert (tmp_path / "power-min.png").stat().st_size > 10_000


def test_the_bench_verdict_of_a_formulation_case():
    from isacsim.bench.compare import check_failures
    from isacsim.bench.formulations import PAPER_CASES, FormulationComparison

    case = PAPER_CASES[0]  # target x1.2
    fast = FormulationComparison(case=case, seconds=(1.0, 2.0, 3.0), sdr_seconds=(1.0, 2.0, 2.0), statuses=("optimal",) * 3, sdr_statuses=("optimal",) * 3)
    slow = FormulationComparison(case=case, seconds=(2.0, 2.0, 9.0), sdr_seconds=(1.0, 1.0, 1.0), statuses=("optimal", "error", "optimal"), sdr_statuses=("optimal",) * 3)
    assert fast.ratio == 1.0 and not fast.failures()
    assert slow.ratio == 2.0
    assert check_failures([fast, slow]) == [f"{case.label}: time ratio x2.00 over the x1.2 target", f"{case.label}: power-min returned 1 error"]


def test_the_bench_times_a_formulation_case_against_the_sdr():
    from isacsim.bench.formulations import FormulationCase, run_formulation_cases

    case = FormulationCase(label="tiny", fields=dict(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2, kappa_r_db=-40.0),
                           per_antenna=1.0, variants=(("type-ii", True),))
    lines = []
    (comparison,) = run_formulation_cases([case], n_instances=2, print_line=lines.append)
    assert len(comparison.seconds) == len(comparison.sdr_seconds) == 2 and comparison.statuses == ("optimal", "optimal")
    assert "tiny" in lines[-1] and f"x{comparison.ratio:.2f}" in lines[-1]
