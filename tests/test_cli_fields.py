"""The command line beyond the paper's setting: --cells, the field flags, --set, --designers, and its manners."""
import itertools
import math

import numpy as np
import pytest

from isacsim import DesignProblem
from isacsim.cli import main


def run(*args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _problem(tmp_path, capsys, *args):
    path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.npz"
    code, _, err = run("problem", "--out", path, *args, capsys=capsys)
    assert code == 0, err
    return DesignProblem.load(path)


def _nearest_neighbour_distances(positions):
    positions = np.asarray(positions)
    gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    return gaps.min(axis=1)


@pytest.mark.parametrize("cells", [7, 19])
def test_cells_builds_a_hexagonal_layout_of_that_size(tmp_path, capsys, cells):
    problem = _problem(tmp_path, capsys, "--cells", cells, "--isd", 100)
    assert problem.n_bs == cells and problem.H.shape[:2] == (cells, cells)
    # A hexagonal lattice: every site has a neighbour exactly one inter-site distance away,
    # and the centre site has six of them.
    sites = np.load(tmp_path / "p0.npz")["bs_positions"]
    assert np.allclose(_nearest_neighbour_distances(sites), 100.0)
    centre_gaps = np.linalg.norm(sites - sites[0], axis=1)
    assert np.sum(np.isclose(centre_gaps, 100.0)) == 6


def test_cells_refuses_a_count_that_is_no_layout(tmp_path, capsys):
    code, _, err = run("problem", "--cells", 5, "--out", tmp_path / "p.npz", capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "n_cells" in err and "7, 19" in err


def test_noise_flags_and_set_reach_the_problem_in_watts(tmp_path, capsys):
    problem = _problem(tmp_path, capsys, "--sigma-c2-dbm", -90, "--set", "sigma_d2_dbm=-110")
    assert problem.sigma_c2 == pytest.approx(10 ** (-90 / 10) / 1000, rel=1e-12)
    assert problem.sigma_d2 == pytest.approx(10 ** (-110 / 10) / 1000, rel=1e-12)


def test_path_gain_flags_scale_the_channels_as_the_path_loss_law(tmp_path, capsys):
    """Same seed, same fading draw: |h|^2 scales by the ratio of kappa_c (d / 1 m)^-nu."""
    base = _problem(tmp_path, capsys)
    weaker = _problem(tmp_path, capsys, "--kappa-c-db", -65)
    steeper = _problem(tmp_path, capsys, "--set", "path_loss_exponent=3.5")
    assert np.allclose(np.abs(weaker.H) ** 2, np.abs(base.H) ** 2 * 10 ** (-1.0), rtol=1e-10)
    saved = np.load(tmp_path / "p0.npz")
    bs, users = saved["bs_positions"], saved["user_positions"]  # (L, 2), (L, K, 2)
    for l, m in itertools.product(range(3), range(3)):
        d = np.linalg.norm(users[m, 0] - bs[l])
        ratio = np.sum(np.abs(steeper.H[l, m, 0]) ** 2) / np.sum(np.abs(base.H[l, m, 0]) ** 2)
        assert ratio == pytest.approx(d ** -0.5, rel=1e-10)


def test_set_reaches_every_scenario_field_and_reads_its_type(tmp_path, capsys):
    problem = _problem(tmp_path, capsys, "--set", "points_per_side=4", "--set", "area_side_m=6", "--set", "p_max_w=2.5")
    assert problem.n_points == 16 and np.allclose(problem.p_max, 2.5)
    points = np.load(tmp_path / "p0.npz")["points"]
    assert points.min() == pytest.approx(-3.0) and points.max() == pytest.approx(3.0)


@pytest.mark.parametrize(
    "assignment, words",
    [("n_cels=7", ["n_cells", "did you mean"]), ("n_tx=2.5", ["n_tx", "integer"]), ("n_tx", ["FIELD=VALUE"]), ("p_fa=2", ["p_fa"])],
)
def test_a_bad_set_is_one_line_naming_the_field(tmp_path, capsys, assignment, words):
    code, _, err = run("problem", "--set", assignment, "--out", tmp_path / "p.npz", capsys=capsys)
    assert code == 2 and err.count("\n") == 1
    assert all(word in err for word in words)
    assert not (tmp_path / "p.npz").exists()


def test_reproduce_refuses_setting_the_swept_field(tmp_path, capsys):
    code, _, err = run("reproduce", "fig3", "--quick", "--set", "sinr_target_db=3", "--out", tmp_path / "o", capsys=capsys)
    assert code == 2 and "sinr_target_db" in err and "sweeps" in err


def test_reproduce_set_and_designers_change_the_run_and_write_elsewhere(tmp_path, capsys, monkeypatch):
    import csv
    import json

    monkeypatch.chdir(tmp_path)
    code, _, err = run(
        "reproduce", "fig6", "--quick", "--realizations", 1, "--designers", "+RZF", "--set", "n_tx=8", "--set", "p_max_w=20",
        "--workers", 1, "--quiet", capsys=capsys,
    )
    assert code == 0, err
    directory = tmp_path / "results" / "fig6-quick+rzf+n_tx=8+p_max_w=20"
    metadata = json.loads((directory / "metadata.json").read_text())
    config = metadata["description"]["config"]
    assert config["n_tx"] == 8 and config["p_max_w"] == 20.0
    assert "+rzf" in metadata["title"] and "quick" in metadata["title"]
    rows = list(csv.DictReader(open(directory / "results.csv")))
    designers = {row["designer"] for row in rows}
    assert designers == {"sdr", "zf", "sensing-only", "rzf"}
    assert {(row["receiver"], row["scenario"]) for row in rows if row["designer"] == "rzf"} == {
        (r, s) for r in ("type-i", "type-ii") for s in ("sync", "unsync")
    }
    assert not (tmp_path / "results" / "fig6-quick").exists()


def test_bare_command_prints_the_help(capsys):
    code, out, err = run(capsys=capsys)
    assert code == 0 and out.startswith("usage: isacsim") and "reproduce" in out and not err


def test_a_misspelt_command_gets_a_suggestion(capsys):
    code, _, err = run("slove", "p.npz", capsys=capsys)
    assert code == 2 and "did you mean 'solve'?" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["problem", "designers", "bench", "solve", "reproduce"])
def test_every_command_documents_its_exit_codes(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "xit codes" in text and "2" in text.split("xit codes")[1]


def test_bench_says_its_targets_are_development_targets(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "development targets" in text and "MISSED" in text and "not an error of the installation" in text
