"""The command line helps: defaults, examples, exit codes, an early missing-extra check, --quiet."""
import sys

import pytest

from isacsim import cli

SUBCOMMANDS = ("reproduce", "problem", "solve", "dataset", "designers", "bench")


def _help(capsys, *args):
    with pytest.raises(SystemExit) as done:
        cli.main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_ends_with_examples_that_use_it(command, capsys):
    text = _help(capsys, command)
    examples = text.split("examples:\n", 1)[1].splitlines()
    assert any(line.strip().startswith(f"isacsim {command}") for line in examples)


def test_solve_help_shows_the_defaults_and_every_exit_code(capsys):
    text = " ".join(_help(capsys, "solve").split())
    assert "(default: sdr)" in text and "(default: type-ii)" in text
    for code in range(4):
        assert f" {code} " in text.split("exit codes:", 1)[1]
    assert "infeasible" in text.split("exit codes:", 1)[1]


def test_problem_help_shows_every_default_and_explains_the_channel(capsys):
    from isacsim.scenario import CHANNELS, ScenarioConfig

    text = " ".join(_help(capsys, "problem").split())
    defaults = ScenarioConfig()
    for value in (defaults.n_users_per_cell, defaults.n_tx, defaults.n_rx, defaults.sinr_target_db, defaults.p_max_w, defaults.p_fa):
        assert f"(default: {value})" in text
    for channel in CHANNELS:
        assert f"'{channel}'" in text


def test_reproduce_help_names_defaults_of_realizations_and_seed(capsys):
    text = " ".join(_help(capsys, "reproduce").split())
    assert "--realizations" in text and "(default: the figure's" in text and "(default: 2024)" in text


def test_the_channel_is_case_insensitive(tmp_path, capsys):
    assert cli.main(["problem", "--channel", "LoS", "--out", str(tmp_path / "p.npz")]) == cli.EXIT_OK


def test_a_missing_plot_extra_is_named_before_anything_is_computed(tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    out = tmp_path / "fig3"
    assert cli.main(["reproduce", "fig3", "--quick", "--out", str(out)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "pip install 'isacsim[plot]'" in err[0]
    assert not out.exists()  # nothing computed, nothing written


def test_quiet_prints_nothing_on_success(tmp_path, capsys):
    assert cli.main(["reproduce", "fig2", "--quiet", "--out", str(tmp_path / "fig2")]) == cli.EXIT_OK
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "fig2" / "fig2.png").exists()
