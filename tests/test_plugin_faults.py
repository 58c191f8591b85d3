"""A plugin that misbehaves in every way cannot take isacsim down or speak for it.

The plugin ``tests/plugins/isacsim_fault_plugin.py`` is installed as a real
distribution (``isacsim-fault-plugin``, a ``*.dist-info`` with its entry
point on ``PYTHONPATH``) and the real command line runs in a fresh process
for each of its misbehaviours, as a user would meet them. Every row checks
the exit code, the one line on stderr that names the plugin, and that a
design breaking a constraint is never reported ``optimal``.
"""
import csv
import json
import os
import subprocess
import sys
import textwrap

import pytest

from fault_plugin import PLUGIN_DIR, install_fault_plugin
from isacsim.scenario import ScenarioConfig, realization_rng

NAMED = "designer 'faulty' of plugin 'faulty'"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A site directory with the plugin installed, and a problem file at the plugin's 15 dB fault point."""
    root = tmp_path_factory.mktemp("fault-plugin")
    install_fault_plugin(root / "site")
    problem = root / "p15.npz"
    ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, sinr_target_db=15.0, points_per_side=2).build(realization_rng(0, 0)).save(problem)
    return root


def _environment(installed, fault):
    """This process's environment with the plugin on the path and ``ISACSIM_FAULT=fault``."""
    paths = [str(installed / "site"), str(PLUGIN_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, ISACSIM_FAULT=fault, PYTHONPATH=os.pathsep.join(paths))
    env.pop("ISACSIM_DESIGN_TIMEOUT", None)
    return env


def _isacsim(installed, fault, *args, cwd=None):
    """``isacsim ARGS`` in a fresh process with the plugin installed and ``ISACSIM_FAULT=fault``."""
    env = _environment(installed, fault)
    return subprocess.run([sys.executable, "-m", "isacsim.cli", *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def _messages(stderr):
    return [line for line in stderr.splitlines() if line.startswith("isacsim:")]


#: (fault, extra solve arguments, what the one stderr line says after the plugin's name)
FAILURES = [
    ("raise", (), "raised RuntimeError: simulated plugin bug at 15 dB"),
    ("sys-exit", (), "called sys.exit(3)"),
    ("sys-exit-0", (), "called sys.exit(0)"),
    ("os-exit", (), "ended its process without an answer (exited with code 0)"),
    ("segfault", (), "ended its process without an answer (killed by SIGSEGV)"),
    ("keyboard-interrupt", (), "raised KeyboardInterrupt"),
    ("hang", ("--timeout", "1"), "timed out after 1 s"),
    ("none", (), "returned NoneType, not a Design"),
    ("dict", (), "returned dict, not a Design"),
    ("wrong-shape", (), "returned w of shape (3, 1, 3), expected (3, 1, 4)"),
    ("nan", (), "returned a design without finite numbers"),
    ("over-budget", (), "breaks the power budget of BS"),
    ("not-psd", (), "breaks the positive semidefiniteness of R of BS"),
    ("zero", (), "breaks the SINR target of cell"),
    ("mutate", (), "raised ValueError: assignment destination is read-only"),
    ("mutate-attribute", (), "breaks the power budget of BS"),
    ("false-bound", (), "claims optimality with a bound"),
]


@pytest.mark.parametrize("fault, extra, message", FAILURES, ids=[row[0] for row in FAILURES])
def test_a_plugin_fault_under_solve_is_its_own_failure(installed, fault, extra, message):
    done = _isacsim(installed, fault, "solve", str(installed / "p15.npz"), "--designer", "faulty", "--json", *extra)
    assert done.returncode == 1, done.stderr
    lines = _messages(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"isacsim: failed: {NAMED} {message}"), lines[0]
    assert "please report it" not in lines[0]
    report = json.loads(done.stdout)  # one JSON object: nothing else on stdout
    assert report["status"] == "error" and report["reason"].startswith(NAMED)
    assert report["min_reflected_power_w"] == 0.0 and report["min_detection_probability"] is None  # no beams deployed


def test_a_plugin_printing_to_stdout_leaves_the_json_intact(installed):
    done = _isacsim(installed, "print", "solve", str(installed / "p15.npz"), "--designer", "faulty", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"
    assert "a plugin's chatter on stdout" in done.stderr and "and on file descriptor 1" in done.stderr


@pytest.mark.parametrize("fault, status", [("no-bound", "feasible"), ("", "optimal")])
def test_optimal_needs_a_bound_that_proves_it(installed, fault, status):
    done = _isacsim(installed, fault, "solve", str(installed / "p15.npz"), "--designer", "faulty", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == status
    if fault:
        assert "claims optimality without a bound" in report["reason"] and NAMED in report["reason"]


@pytest.mark.parametrize("fault", ["hook-raise", "hook-garbage", "hook-duplicate"])
def test_a_broken_registration_disables_its_plugin_alone(installed, fault):
    done = _isacsim(installed, fault, "solve", str(installed / "p15.npz"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["designer"] == "sdr"
    warnings = _messages(done.stderr)
    assert len(warnings) == 1 and warnings[0].startswith("isacsim: warning: plugin 'faulty'") and "is disabled" in warnings[0]
    asked = _isacsim(installed, fault, "solve", str(installed / "p15.npz"), "--designer", "faulty")
    assert asked.returncode == 2
    assert "unknown name 'faulty'" in asked.stderr and "plugin 'faulty' is disabled" in asked.stderr


#: A scenario script of one's own: the SDR and the plugin at 5 and 15 dB (the plugin fails at 15 dB), one realization.
SCRIPT = """
from isacsim.cli import script
from isacsim.figures import CurveFigure
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation

FIGURE = CurveFigure(
    name="faults",
    title="faults",
    simulation=Simulation(
        config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2),
        x_name="sinr_target_db",
        x_values=(5.0, 15.0),
        schemes=(Scheme("sdr", "type-ii", True), Scheme("faulty", "type-ii", True)),
        n_realizations=1,
    ),
    x_label="SINR target [dB]",
)

if __name__ == "__main__":
    script(FIGURE)
"""


@pytest.mark.parametrize(
    "fault, extra, message",
    [
        ("sys-exit-0", (), "called sys.exit(0)"),
        ("os-exit", (), "ended its process without an answer"),
        ("segfault", (), "ended its process without an answer"),
        ("keyboard-interrupt", (), "raised KeyboardInterrupt"),
        ("hang", ("--timeout", "1"), "timed out after 1 s"),
    ],
)
def test_with_one_worker_a_dying_plugin_costs_only_its_point(installed, tmp_path, fault, extra, message):
    (tmp_path / "faults.py").write_text(textwrap.dedent(SCRIPT))
    env = _environment(installed, fault)
    command = [sys.executable, "faults.py", "--workers", "1", "--out", "run", "--quiet", *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    causes = [line for line in done.stderr.splitlines() if line.startswith("isacsim:   ")]
    assert len(causes) == 1 and f"1 x {NAMED} {message}" in causes[0], done.stderr
    with open(tmp_path / "run" / "results.csv", newline="") as handle:
        rows = {(row["designer"], row["x"]): row["status"] for row in csv.DictReader(handle)}
    assert rows == {("sdr", "5.0"): "optimal", ("sdr", "15.0"): "optimal", ("faulty", "5.0"): "optimal", ("faulty", "15.0"): "error"}


@pytest.mark.parametrize("args, variable, field", [(("--timeout", "0"), None, "--timeout"), ((), "soon", "ISACSIM_DESIGN_TIMEOUT")])
def test_a_bad_time_limit_is_bad_input_naming_where_it_came_from(installed, monkeypatch, capsys, args, variable, field):
    from isacsim import cli

    if variable:
        monkeypatch.setenv("ISACSIM_DESIGN_TIMEOUT", variable)
    assert cli.main(["solve", str(installed / "p15.npz"), *args]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"isacsim: error: {field}: expected a positive number of seconds")
