"""Failures never lose or misreport a point: fault injection through a real plugin.

The plugin ``tests/plugins/isacsim_fault_plugin.py`` is installed as a real
entry point (a ``*.dist-info`` directory on the path, which
``importlib.metadata`` finds exactly as it finds a pip-installed package).
Each test runs the real ``isacsim reproduce`` command line on a tiny figure,
with two worker processes.
"""
import csv
import os
import pathlib
import signal
import subprocess
import sys
import time
import warnings

import pytest

from fault_plugin import fault_plugin_in_this_process
from isacsim import cli, plugins
from isacsim.figures import CurveFigure
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation

def _tiny(*designers):
    """A figure of ``designers`` at two SINR targets and two realizations: 4 tasks."""
    return CurveFigure(
        name="tiny",
        title="tiny",
        simulation=Simulation(
            config=ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2),
            x_name="sinr_target_db",
            x_values=(5.0, 15.0),
            schemes=tuple(Scheme(designer, "type-ii", True) for designer in designers),
            n_realizations=2,
        ),
        x_label="SINR target [dB]",
    )


@pytest.fixture
def fault_plugin(tmp_path, monkeypatch):
    """Install the fault plugin's entry point; returns a function setting the fault."""
    yield from fault_plugin_in_this_process(tmp_path, monkeypatch)


def _reproduce(monkeypatch, figure, out, capsys):
    monkeypatch.setattr("isacsim.reproduce.load", lambda name: figure)
    code = cli.main(["reproduce", figure.name, "--out", str(out), "--workers", "2"])
    return code, capsys.readouterr()


def _rows(out):
    with open(out / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _failure_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("isacsim:   ")]


def test_a_designer_that_raises_fails_its_points_only_and_a_rerun_retries_them(fault_plugin, monkeypatch, tmp_path, capsys):
    fault_plugin("raise")
    out = tmp_path / "run"
    code, captured = _reproduce(monkeypatch, _tiny("sdr", "faulty"), out, capsys)
    assert code == cli.EXIT_FAILED_POINTS == 4
    lines = _failure_lines(captured.err)
    assert len(lines) == 1 and "2 x designer 'faulty' of plugin 'faulty' raised RuntimeError" in lines[0] and "simulated plugin bug" in lines[0]
    rows = _rows(out)
    assert len(rows) == 8  # every other row kept: the SDR rows and the faulty designer's 5 dB rows
    failed = [(r["designer"], r["x"]) for r in rows if r["status"] == "error"]
    assert sorted(failed) == [("faulty", "15.0"), ("faulty", "15.0")]
    assert all(r["status"] == "optimal" for r in rows if r["status"] != "error")

    fault_plugin("")  # the bug fixed: a clean re-run retries exactly the failed tasks
    code, captured = _reproduce(monkeypatch, _tiny("sdr", "faulty"), out, capsys)
    assert code == cli.EXIT_OK, captured.err
    assert "2 computed, 2 resumed" in captured.out
    rows = _rows(out)
    assert len(rows) == 8 and all(r["status"] == "optimal" for r in rows)
    assert len({(r["task"], r["designer"]) for r in rows}) == 8  # no row duplicated


def test_a_plugin_designer_that_ends_its_process_fails_its_points_only(fault_plugin, monkeypatch, tmp_path, capsys):
    fault_plugin("exit")  # os._exit(13) inside design(): its child process ends, the worker goes on
    out = tmp_path / "run"
    code, captured = _reproduce(monkeypatch, _tiny("sdr", "faulty"), out, capsys)
    assert code == cli.EXIT_FAILED_POINTS
    lines = _failure_lines(captured.err)
    assert len(lines) == 1 and "2 x designer 'faulty' of plugin 'faulty' ended its process without an answer" in lines[0]
    assert "(exited with code 13)" in lines[0]
    rows = _rows(out)
    assert len(rows) == 8  # the SDR's points of the same tasks are kept
    assert sorted((r["designer"], r["x"]) for r in rows if r["status"] == "error") == [("faulty", "15.0"), ("faulty", "15.0")]

    fault_plugin("")
    code, captured = _reproduce(monkeypatch, _tiny("sdr", "faulty"), out, capsys)
    assert code == cli.EXIT_OK, captured.err
    assert "2 computed, 2 resumed" in captured.out
    assert len(_rows(out)) == 8


class _DyingJob:
    """A job whose task ``t1`` kills its worker process (``os._exit(13)``): once if a marker path is given."""

    def __init__(self, marker=None):
        self.marker = marker

    def run_task(self, task):
        if task == "t1" and not (self.marker and os.path.exists(self.marker)):
            if self.marker:
                open(self.marker, "w").close()
            os._exit(13)
        return [{"task": task, "status": "optimal"}]


def test_a_worker_that_dies_costs_only_its_task():
    from isacsim.simulation import run_tasks

    outcomes = {o.task: o for o in run_tasks(_DyingJob(), ["t0", "t1", "t2"], workers=2)}
    assert outcomes["t1"].failure == "WorkerDied: its worker process exited with code 13, 2 times"
    assert outcomes["t0"].rows and outcomes["t2"].rows and not outcomes["t0"].failed


def test_a_worker_that_dies_once_is_retried_in_a_fresh_worker(tmp_path):
    from isacsim.simulation import run_tasks

    marker = tmp_path / "died"
    outcomes = {o.task: o for o in run_tasks(_DyingJob(str(marker)), ["t0", "t1", "t2"], workers=2)}
    assert marker.exists()  # a worker did die
    assert not any(o.failed for o in outcomes.values()) and outcomes["t1"].rows == [{"task": "t1", "status": "optimal"}]


def test_a_plugin_that_fails_to_import_is_named_once_and_fails_no_run_that_does_not_use_it(fault_plugin, monkeypatch, tmp_path, capsys):
    fault_plugin("import")
    code, captured = _reproduce(monkeypatch, _tiny("sdr"), tmp_path / "run", capsys)
    assert code == cli.EXIT_OK, captured.err
    warnings = [line for line in captured.err.splitlines() if "faulty" in line]
    assert len(warnings) == 1
    assert "failed to import" in warnings[0] and "ISACSIM_DISABLE_PLUGINS=faulty" in warnings[0]
    assert all(r["status"] == "optimal" for r in _rows(tmp_path / "run"))

    # A run that does use it is refused at once, naming the broken plugin.
    with pytest.raises(ValueError, match="unknown name 'faulty'.*plugin 'faulty' is disabled: it failed to import"):
        plugins.get_designer("faulty")


def _children(pid):
    """Pids of the live processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid):
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_within_seconds_of_their_parents_sigkill(tmp_path):
    command = [sys.executable, "-m", "isacsim.cli", "reproduce", "fig3", "--quick", "--workers", "2", "--out", str(tmp_path / "run")]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(parent.pid)
        assert len(workers) >= 2, "the run never started its two workers"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [pid for pid in workers if _alive(pid)]
        assert not survivors, f"workers {survivors} outlived their killed parent by 10 s"
    finally:  # leave nothing behind, even when the test fails
        parent.kill()
        for pid in set(workers) | set(_children(parent.pid)):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _fail_inside(monkeypatch, error):
    """Make ``isacsim designers`` raise ``error`` from deep inside."""

    def handler(args):
        import numpy as np

        np.ones(1) / np.zeros(1)  # a RuntimeWarning on the way
        raise error

    monkeypatch.setattr(cli.designers, "run", handler)


def test_an_internal_value_error_is_exit_1_on_one_line_not_a_usage_error(monkeypatch, capsys):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    _fail_inside(monkeypatch, ValueError("Invalid input for linprog:\nA_ub must not contain\nvalues inf"))
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert cli.main(["designers"]) == cli.EXIT_FAILURE
    assert not shown  # no numerical warning reaches stderr
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("isacsim: internal error: ValueError: Invalid input for linprog")
    assert cli.DEBUG_ENV in err[0]


def test_the_debug_variable_prints_the_traceback_and_the_warnings(monkeypatch, capsys):
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    _fail_inside(monkeypatch, ValueError("deep"))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert cli.main(["designers"]) == cli.EXIT_FAILURE
    assert "Traceback" in capsys.readouterr().err


def test_input_errors_alone_are_exit_2(monkeypatch, capsys):
    from isacsim.errors import InputError

    _fail_inside(monkeypatch, InputError("n_tx: expected an integer >= 1, got 0"))
    assert cli.main(["designers"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == "isacsim: error: n_tx: expected an integer >= 1, got 0\n"


@pytest.mark.parametrize("kind", ["a file", "under /proc", "no permission"])
def test_an_unusable_results_directory_is_one_line_of_bad_input(kind, tmp_path, capsys):
    if kind == "a file":
        out = tmp_path / "file"
        out.write_text("")
    elif kind == "under /proc":
        out = pathlib.Path("/proc/isacsim-test")
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "out"
    assert cli.main(["reproduce", "fig2", "--out", str(out)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"isacsim: error: --out {out}")


def test_the_lock_file_is_never_written_through_a_symbolic_link(tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").symlink_to(victim)
    assert cli.main(["reproduce", "fig2", "--out", str(out)]) == cli.EXIT_USAGE
    assert victim.read_text() == "precious\n"


def test_a_plugin_designer_that_raises_under_solve_is_named_not_reported_as_ours(fault_plugin, tmp_path, capsys):
    from isacsim.scenario import ScenarioConfig, realization_rng

    fault_plugin("raise")
    path = tmp_path / "p.npz"
    ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, sinr_target_db=15.0, points_per_side=2).build(realization_rng(0, 0)).save(path)
    assert cli.main(["solve", str(path), "--designer", "FAULTY"]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "designer 'faulty' of plugin 'faulty' raised RuntimeError" in err[0]
    assert "ISACSIM_DISABLE_PLUGINS=faulty" in err[0] and "please report it" not in err[0]


def test_solve_json_names_the_designer_as_registered(fault_plugin, tmp_path, capsys):
    from isacsim.testing import small_problem

    fault_plugin("")
    path = tmp_path / "p.npz"
    small_problem(seed=0, n_users_per_cell=1, n_tx=4).save(path)
    assert cli.main(["solve", str(path), "--designer", "SDr", "--receiver", "TYPE-i", "--json"]) == cli.EXIT_OK
    import json

    report = json.loads(capsys.readouterr().out)
    assert (report["designer"], report["receiver"]) == ("sdr", "type-i")
