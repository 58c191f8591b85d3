"""The command line: output, exit codes and bad input."""
import json
import subprocess
import sys

import numpy as np
import pytest

from isacsim import DesignProblem
from isacsim.cli import main
from isacsim.testing import small_problem


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problem.npz"
    small_problem(seed=0, n_users_per_cell=1, n_tx=6).save(path)
    return path


def run(*args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_problem_command_builds_and_saves(tmp_path, capsys):
    path = tmp_path / "paper.npz"
    code, out, _ = run("problem", "--out", path, "--nt", 8, capsys=capsys)
    assert code == 0 and "L=3 BSs" in out
    assert DesignProblem.load(path).n_tx == 8


def test_solve_json_has_every_field_and_consistent_numbers(problem_file, tmp_path, capsys):
    out_path = tmp_path / "design.npz"
    code, out, _ = run("solve", problem_file, "--designer", "sdr", "--receiver", "type-i", "--no-sync", "--json", "--out", out_path, capsys=capsys)
    assert code == 0
    report = json.loads(out)
    for key in ("status", "designer", "receiver", "synchronized", "min_reflected_power_w", "min_detection_probability",
                "reflected_power_w", "sinr_db", "tx_power_w", "certificate", "solve_seconds"):
        assert key in report
    assert report["status"] == "optimal" and report["synchronized"] is False and report["receiver"] == "type-i"
    assert report["min_reflected_power_w"] == pytest.approx(min(report["reflected_power_w"]))
    assert len(report["sinr_db"]) == 3 and len(report["sinr_db"][0]) == 1 and len(report["tx_power_w"]) == 3
    assert min(min(row) for row in report["sinr_db"]) >= 5.0 - 1e-5  # Gamma = 5 dB
    saved = np.load(out_path)
    assert saved["w"].shape == (3, 1, 6) and saved["R"].shape == (3, 6, 6)


def test_infeasible_exits_3(tmp_path, capsys):
    path = tmp_path / "hard.npz"
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    problem.evolve(gamma=np.full_like(problem.gamma, 1e12)).save(path)
    code, out, _ = run("solve", path, "--json", capsys=capsys)
    assert code == 3 and json.loads(out)["status"] == "infeasible"


def _malformed_files(tmp_path, problem):
    (tmp_path / "text.npz").write_text("hello")
    yield tmp_path / "text.npz"
    yield tmp_path / "absent.npz"
    for name, change in [("nan", {"H": np.full_like(problem.H, np.nan)}), ("pfa", {"p_fa": 2.0}), ("shape", {"gamma": np.ones(5)})]:
        arrays = problem.to_arrays()
        arrays.update(change)
        np.savez(tmp_path / f"{name}.npz", **arrays)
        yield tmp_path / f"{name}.npz"
    arrays = problem.to_arrays()
    del arrays["A"]
    np.savez(tmp_path / "missing.npz", **arrays)
    yield tmp_path / "missing.npz"
    np.savez(tmp_path / "unknown.npz", **problem.to_arrays(), p_antena=np.ones((problem.n_bs, problem.n_tx)))
    yield tmp_path / "unknown.npz"


def test_malformed_files_exit_2_with_one_line(tmp_path, capsys):
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    for path in _malformed_files(tmp_path, problem):
        code, _, err = run("solve", path, capsys=capsys)
        assert code == 2, path
        assert err.count("\n") == 1 and "Traceback" not in err and err.startswith("isacsim: error:")


@pytest.mark.parametrize("value", ["1.0", "0", "-0.5", "nan"])
def test_a_detection_target_outside_0_1_exits_2_naming_the_option(problem_file, capsys, value):
    code, _, err = run("solve", problem_file, "--pd-target", value, capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "--pd-target:" in err


def test_an_unknown_field_exits_2_naming_it_and_the_known_ones(tmp_path, capsys):
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=6)
    np.savez(tmp_path / "typo.npz", **problem.to_arrays(), p_antena=np.ones((problem.n_bs, problem.n_tx)))
    code, _, err = run("solve", tmp_path / "typo.npz", capsys=capsys)
    assert code == 2 and err.count("\n") == 1
    assert "unknown field 'p_antena'" in err and "p_antenna" in err and "pd_target" in err and "bs_positions" in err


@pytest.mark.parametrize(
    "args",
    [["solve"], ["solve", "x.npz", "--sync", "--no-sync"], ["nonsense"], ["solve", "{p}", "--designer", "nope"], ["solve", "{p}", "--receiver", "type-iii"], ["solve", "{p}", "--solver", "nope"]],
)
def test_usage_errors_exit_2(args, problem_file, capsys):
    code, _, err = run(*[a.format(p=problem_file) for a in args], capsys=capsys)
    assert code == 2 and err.count("\n") == 1


def test_zero_forcing_with_too_few_antennas_is_an_infeasible_result(tmp_path, capsys):
    path = tmp_path / "small.npz"
    small_problem(seed=0, n_users_per_cell=2, n_tx=4).save(path)  # L K = 6 > Nt = 4: no ZF beam exists
    code, out, _ = run("solve", path, "--designer", "zf", capsys=capsys)
    assert code == 3 and "status: infeasible" in out and "L*K = 6" in out


def test_the_command_line_starts_without_scipy_or_the_solvers():
    # SciPy's import alone takes several times numpy's; --help and input
    # errors must not pay for it (measured in the README, not timed here).
    code = "import sys, isacsim.cli; isacsim.cli.build_parser(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'cvxopt', 'picos')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_console_script_runs_and_lists_designers():
    result = subprocess.run([sys.executable, "-m", "isacsim.cli", "designers"], capture_output=True, text=True, check=True)
    for name in ("sdr", "zf", "sensing-only", "type-i", "type-ii"):
        assert name in result.stdout


def test_bad_seed_and_missing_output_directory_exit_2(tmp_path, capsys):
    code, _, err = run("problem", "--seed", -1, "--out", tmp_path / "p.npz", capsys=capsys)
    assert code == 2 and "--seed" in err
    code, _, err = run("problem", "--out", tmp_path / "missing" / "p.npz", capsys=capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = run("reproduce", "fig3", "--seed", -5, capsys=capsys)
    assert code == 2 and "--seed" in err


def test_json_reports_an_infeasible_design_as_the_sweeps_count_it(tmp_path, capsys):
    from isacsim.designers.design import INFEASIBLE_P_D

    path = tmp_path / "unreachable.npz"
    small_problem(seed=0, n_users_per_cell=1, n_tx=6, sinr_target_db=90.0).save(path)
    code, out, _ = run("solve", path, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 3 and report["status"] == "infeasible"
    assert report["min_detection_probability"] == INFEASIBLE_P_D == 0.0


def test_json_reason_is_null_on_success(problem_file, capsys):
    code, out, _ = run("solve", problem_file, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["status"] == "optimal" and report["reason"] is None


@pytest.mark.parametrize("target", ["deterministic", "swerling1", "swerling1-links"])
def test_solve_reports_the_detection_probability_under_the_target_model(target, problem_file, tmp_path, capsys):
    from isacsim import Detector

    out_path = tmp_path / "design.npz"
    code, out, _ = run("solve", problem_file, "--target", target, "--json", "--out", out_path, capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["target"] == target
    saved, problem = np.load(out_path), DesignProblem.load(problem_file)
    expected = Detector(target=target).detection_probability(problem, saved["w"], saved["R"]).min()
    assert report["min_detection_probability"] == pytest.approx(expected, rel=1e-12)
    code, default, _ = run("solve", problem_file, "--json", capsys=capsys)
    assert json.loads(default)["target"] == "deterministic"
    assert report["min_reflected_power_w"] == pytest.approx(json.loads(default)["min_reflected_power_w"], rel=1e-9)  # the same design


def test_an_unknown_target_exits_2_naming_the_choices(problem_file, capsys):
    code, _, err = run("solve", problem_file, "--target", "swerling3", capsys=capsys)
    assert code == 2 and "--target" in err and "swerling1-links" in err and err.count("\n") == 1
