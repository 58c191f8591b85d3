"""Sweeps: common random numbers, determinism across workers, resume after a
kill, refusal of a changed configuration, aggregation, failed points, Dask."""
import csv
import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.simulation import ConfigMismatch, Scheme, Simulation, run, summarize_sweep
from isacsim.simulation.progress import Progress

SMALL = ScenarioConfig(n_users_per_cell=1, n_tx=6, n_rx=6, points_per_side=2)
SCHEMES = (Scheme("sdr", "type-ii", True), Scheme("zf", "type-i", False), Scheme("sensing-only", "type-ii", True))


def small_sweep(**changes):
    fields = dict(config=SMALL, x_name="sinr_target_db", x_values=(0.0, 20.0), schemes=SCHEMES, n_realizations=3, seed=11)
    fields.update(changes)
    return Simulation(**fields)


def read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def without_timing(rows):
    return [{k: v for k, v in row.items() if k != "solve_seconds"} for row in rows]


def test_common_random_numbers():
    """Realization r has the same channels for every swept value and scheme."""
    a = SMALL.evolve(p_max_w=5.0).build(realization_rng(11, 2))
    b = SMALL.evolve(sinr_target_db=25.0).build(realization_rng(11, 2))
    np.testing.assert_array_equal(a.H, b.H)
    assert not np.array_equal(a.H, SMALL.build(realization_rng(11, 3)).H)
    assert not np.array_equal(a.H, SMALL.build(realization_rng(12, 2)).H)


def test_results_do_not_depend_on_worker_count(tmp_path):
    serial = run(small_sweep(), tmp_path / "serial", workers=1)
    parallel = run(small_sweep(), tmp_path / "parallel", workers=2)
    assert serial.n_computed == parallel.n_computed == 6
    assert (tmp_path / "serial" / "summary.csv").read_bytes() == (tmp_path / "parallel" / "summary.csv").read_bytes()
    assert without_timing(read(tmp_path / "serial" / "results.csv")) == without_timing(read(tmp_path / "parallel" / "results.csv"))


def test_rerun_is_a_no_op_and_a_changed_configuration_is_refused(tmp_path):
    first = run(small_sweep(), tmp_path / "out", workers=1)
    again = run(small_sweep(), tmp_path / "out", workers=1)
    assert (again.n_computed, again.n_resumed) == (0, first.n_tasks)
    assert len(read(tmp_path / "out" / "results.csv")) == 6 * len(SCHEMES)
    with pytest.raises(ConfigMismatch, match="seed"):
        run(small_sweep(seed=12), tmp_path / "out", workers=1)


def test_a_finished_run_extends_to_more_realizations_and_rereads_fewer(tmp_path):
    out = tmp_path / "out"
    first = run(small_sweep(n_realizations=4), out, workers=1)
    old_rows = {(r["task"], r["designer"], r["receiver"], r["scenario"]): r for r in read(out / "results.csv")}

    more = run(small_sweep(n_realizations=6), out, workers=2)
    n_x = len(small_sweep().x_values)
    assert (more.n_computed, more.n_resumed) == (2 * n_x, first.n_tasks)  # only realizations 4 and 5
    rows = read(out / "results.csv")
    assert len(rows) == 6 * n_x * len(SCHEMES)
    kept = {(r["task"], r["designer"], r["receiver"], r["scenario"]): r for r in rows if int(r["realization"]) < 4}
    assert kept == old_rows  # every cell of the first four realizations unchanged
    assert {int(r["n_realizations"]) for r in more.summary} == {6}
    # the new realizations are exactly what a fresh six-realization run computes
    run(small_sweep(n_realizations=6), tmp_path / "fresh", workers=1)
    solver_free = lambda r: {k: v for k, v in r.items() if k not in ("solve_seconds",)}
    assert [solver_free(r) for r in read(tmp_path / "fresh" / "results.csv")] == [solver_free(r) for r in rows]

    fewer = run(small_sweep(n_realizations=3), out, workers=1)
    assert fewer.n_computed == 0 and {int(r["n_realizations"]) for r in fewer.summary} == {3}
    assert len(read(out / "results.csv")) == 6 * n_x * len(SCHEMES)  # nothing deleted
    direct = run(small_sweep(n_realizations=3), tmp_path / "three", workers=1)
    assert [solver_free(r) for r in fewer.summary] == [solver_free(r) for r in direct.summary]

    with pytest.raises(ConfigMismatch, match="seed") as refused:  # anything else is still refused
        run(small_sweep(n_realizations=6, seed=12), out, workers=1)
    assert "n_realizations" not in str(refused.value)  # only what blocks the run is named


_KILLABLE = textwrap.dedent(
    """
    import sys, time
    from isacsim.simulation import Simulation, run
    from isacsim.simulation import sweep as sweep_module
    sys.path.insert(0, {tests!r})
    from test_simulation import small_sweep

    original = sweep_module.Simulation.run_task
    def slow(self, task):
        time.sleep(0.3)  # leave time to be killed between tasks
        return original(self, task)
    sweep_module.Simulation.run_task = slow
    run(small_sweep(n_realizations=8), {out!r}, workers=1)
    """
)


def test_sigkill_loses_no_finished_task_and_resume_duplicates_nothing(tmp_path):
    out = tmp_path / "killed"
    script = _KILLABLE.format(tests=os.path.dirname(__file__), out=str(out))
    process = subprocess.Popen([sys.executable, "-c", script])
    results = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if results.exists() and len(read(results)) >= 3 * len(SCHEMES):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = {row["task"] for row in read(results)}
    assert 3 <= len(finished_before) < 16, "the run must be stopped midway"
    with open(results, "a") as handle:  # a torn write: half a row, no newline
        handle.write("r7-x1,sync,sdr,type-ii,sinr_tar")
    resumed = run(small_sweep(n_realizations=8), out, workers=2)
    assert resumed.n_resumed == len(finished_before)
    rows = read(results)
    keys = [(r["task"], r["scenario"], r["designer"], r["receiver"]) for r in rows]
    assert len(keys) == len(set(keys)) == 16 * len(SCHEMES)
    clean = run(small_sweep(n_realizations=8), tmp_path / "clean", workers=1)
    assert (out / "summary.csv").read_bytes() == (tmp_path / "clean" / "summary.csv").read_bytes()
    assert clean.n_computed == 16


def test_a_design_that_cannot_exist_is_an_infeasible_result_not_a_failure(tmp_path):
    sweep = Simulation(
        config=SMALL, x_name="n_tx", x_values=(2.0, 6.0), schemes=(Scheme("zf", "type-ii", True), Scheme("sdr", "type-ii", True)), n_realizations=2
    )
    report = run(sweep, tmp_path / "out", workers=1)
    summary = {(r["designer"], r["x"]): r for r in report.summary}
    assert summary["zf", 2.0]["n_infeasible"] == 2  # Nt = 2 < L K = 3: ZF cannot exist
    assert summary["zf", 6.0]["n_ok"] == 2
    assert summary["sdr", 2.0]["n_ok"] + summary["sdr", 2.0]["n_infeasible"] == 2
    assert not report.failures
    infeasible = [r for r in read(tmp_path / "out" / "results.csv") if r["designer"] == "zf" and r["x"] == "2.0"]
    assert all("at least L*K = 3 transmit antennas" in r["reason"] for r in infeasible)


def _row(realization, status, p_d, x_index=0):
    return {"scenario": "sync", "designer": "sdr", "receiver": "type-i", "x_name": "g", "x": "1.0", "x_index": str(x_index),
            "realization": str(realization), "status": status, "min_p_d": "" if p_d is None else repr(p_d),
            "min_reflected_power_w": "" if p_d is None else "1e-13"}


def test_aggregation_counts_infeasible_as_zero_and_ignores_order():
    rows = [_row(0, "optimal", 0.8), _row(1, "infeasible", None), _row(2, "optimal", 0.6), _row(3, "inaccurate", 0.5), _row(4, "error", None)]
    summary = summarize_sweep(rows)[0]
    values = [0.8, 0.0, 0.6, 0.5]
    assert summary["p_d_mean"] == pytest.approx(np.mean(values))
    assert summary["p_d_mean_feasible"] == pytest.approx(np.mean([0.8, 0.6, 0.5]))
    from scipy import stats

    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert summary["p_d_low"] == pytest.approx(max(0.0, np.mean(values) - half))  # a probability: clipped at 0
    assert summary["p_d_high"] == pytest.approx(min(1.0, np.mean(values) + half))
    assert (summary["n_ok"], summary["n_inaccurate"], summary["n_infeasible"], summary["n_error"], summary["n_realizations"]) == (2, 1, 1, 1, 5)
    shuffled = rows[:]
    random.Random(0).shuffle(shuffled)
    assert summarize_sweep(shuffled) == summarize_sweep(rows)


def test_evaluation_only_sweep_designs_once_and_p_d_rises_with_p_fa(tmp_path):
    sweep = small_sweep(x_name="p_fa", x_values=(1e-4, 1e-2, 0.2), n_realizations=2)
    assert sweep.tasks() == ["r0-xall", "r1-xall"]
    report = run(sweep, tmp_path / "out", workers=1)
    rows = read(tmp_path / "out" / "results.csv")
    for task in ("r0-xall", "r1-xall"):
        for scheme in SCHEMES:
            mine = [r for r in rows if r["task"] == task and r["designer"] == scheme.designer and r["receiver"] == scheme.receiver and r["scenario"] == scheme.scenario]
            assert len({r["objective_w"] for r in mine}) == 1  # one design for every p_FA
            p_d = [float(r["min_p_d"]) for r in sorted(mine, key=lambda r: float(r["x"]))]
            assert p_d == sorted(p_d) and p_d[0] < p_d[-1]
    assert len(report.summary) == len(SCHEMES) * 3


def test_dask_local_cluster_gives_the_serial_results(tmp_path):
    distributed = pytest.importorskip("distributed")
    run(small_sweep(), tmp_path / "serial", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = run(small_sweep(), tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert report.n_computed == 6
    assert (tmp_path / "serial" / "summary.csv").read_bytes() == (tmp_path / "dask" / "summary.csv").read_bytes()
    assert without_timing(read(tmp_path / "serial" / "results.csv")) == without_timing(read(tmp_path / "dask" / "results.csv"))


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="scheduler"):
        run(small_sweep(n_realizations=1), tmp_path / "out", scheduler="tcp://127.0.0.1:9")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_off_a_terminal_is_a_line_every_interval_with_rate_and_eta(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr("isacsim.simulation.progress.time.monotonic", lambda: clock[0])
    log = io.StringIO()  # not a terminal, like a batch job's log
    bar = Progress(4, "fig8", stream=log, interval=15.0)
    for seconds in (5.0, 20.0, 30.0, 40.0):  # tasks finish at these times
        clock[0] = seconds
        bar.advance()
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    # the start, then at 20 s (>= 15 s after the start) and 40 s (>= 15 s after 20 s), then the end
    assert [line.split()[2] for line in lines] == ["0/4", "2/4", "4/4", "4/4"]
    assert all(line.startswith("fig8:") for line in lines)
    assert "<00:20" in lines[1] and "10.00s/task" in lines[1]  # 20 s elapsed, 2 left at 10 s each


def test_progress_on_a_terminal_is_a_live_bar_and_quiet_is_silent():
    screen = _Terminal()
    bar = Progress(4, "fig3", stream=screen)
    bar.advance(2)
    bar.close()
    assert "\r" in screen.getvalue() and "2/4" in screen.getvalue()
    silent = _Terminal()
    bar = Progress(4, "fig3", stream=silent, enabled=False)
    bar.advance(4)
    bar.close()
    assert silent.getvalue() == ""


def test_a_run_reports_progress_in_logs(tmp_path, capsys):
    sweep = small_sweep(n_realizations=2)
    n = len(sweep.tasks())
    run(sweep, tmp_path / "out", workers=1, label="small")
    err = capsys.readouterr().err.splitlines()  # captured stderr is not a terminal
    assert err[0].startswith("small:") and f" 0/{n} " in err[0]
    assert err[-1].startswith("small:") and f" {n}/{n} " in err[-1]


def test_invalid_sweeps_are_clear():
    with pytest.raises(ValueError, match="x_name"):
        small_sweep(x_name="no_such_field")
    with pytest.raises(ValueError, match="p_fa"):
        small_sweep(x_name="p_fa", x_values=(0.5, 1.5))
    with pytest.raises(ValueError, match="n_realizations"):
        small_sweep(n_realizations=0)


def test_line_breaks_in_a_reason_cannot_corrupt_a_resumed_file(tmp_path):
    from isacsim.simulation.store import ResultStore

    columns = ("task", "value", "reason")
    store = ResultStore(tmp_path, {"kind": "test"}, columns)
    store.open(lambda task: 1)
    store.append([{"task": "a", "value": 1, "reason": "first line\nsecond line"}])
    store.append([{"task": "b", "value": 2, "reason": "ok"}])
    text = (tmp_path / "results.csv").read_text()
    assert text.count("\n") == 3  # header + one line per row
    (tmp_path / "results.csv").write_text(text + 'c,3,"unterminat')  # killed inside a quoted cell
    again = ResultStore(tmp_path, {"kind": "test"}, columns)
    assert again.open(lambda task: 1) == {"a", "b"}
    again.append([{"task": "c", "value": 3, "reason": "redone"}])
    assert [(r["task"], r["reason"]) for r in again.rows()] == [("a", "first line second line"), ("b", "ok"), ("c", "redone")]


def test_results_without_their_configuration_are_refused(tmp_path):
    run(small_sweep(n_realizations=1), tmp_path / "out", workers=1)
    (tmp_path / "out" / "run.json").unlink()
    with pytest.raises(ConfigMismatch, match="run.json"):
        run(small_sweep(n_realizations=1), tmp_path / "out", workers=1)


def test_a_point_that_cannot_be_built_is_recorded(tmp_path):
    sweep = Simulation(config=SMALL.evolve(points_per_side=3), x_name="area_side_m", x_values=(2.0, 160.0), schemes=SCHEMES[:1], n_realizations=1)
    report = run(sweep, tmp_path / "out", workers=1)  # a 160 m area puts a sample point on BS 1
    status = {r["x"]: (r["n_ok"], r["n_error"]) for r in report.summary}
    assert status[2.0] == (1, 0) and status[160.0] == (0, 1)


HOLD_DIRECTORY = textwrap.dedent(
    """
    import sys, time
    from isacsim.simulation.lock import exclusive_directory
    with exclusive_directory(sys.argv[1]):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_one_run_per_directory_and_a_killed_holder_never_blocks(tmp_path):
    out = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DIRECTORY, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(ValueError, match=rf"is in use by another isacsim run \(pid {holder.pid}\)"):
            run(small_sweep(n_realizations=1), out, workers=1)
        assert time.monotonic() - started < 5  # refused at once, not after waiting
        assert not (out / "results.csv").exists()  # nothing was written by the refused run
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    report = run(small_sweep(n_realizations=1), out, workers=1)  # the dead holder's lock is gone
    assert report.n_computed == report.n_tasks > 0


def test_deleting_the_lock_file_does_not_let_a_second_run_in(tmp_path):
    """The lock is on the directory itself; ``DIR/.lock`` only names the holder."""
    out = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DIRECTORY, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        (out / ".lock").unlink()
        with pytest.raises(ValueError, match=r"is in use by another isacsim run \(pid unknown\)"):
            run(small_sweep(n_realizations=1), out, workers=1)
        assert not (out / "results.csv").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
