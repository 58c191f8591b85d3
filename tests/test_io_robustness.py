"""Outputs, streams, locks, limits and signals: what isacsim promises about each.

Devices and FIFOs are written in place, never replaced; the input problem is
never overwritten; a full disk or a failing standard output is one line naming
it (exit 5); closed standard streams neither crash a run nor swallow a result;
the lock of a results directory survives the deletion of ``DIR/.lock``; a bad
Dask address is refused naming the flag, and a Dask cluster without workers
fails the run instead of hanging it; sizes are refused before any work starts;
SIGTERM and SIGHUP end a run with a message; JSON is always JSON.
"""
import csv
import io
import json
import math
import os
import pathlib
import resource
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import isacsim.plugins
from isacsim import DesignProblem, cli
from isacsim.designers.design import Certificate, Design
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation, run
from isacsim.simulation.lock import DirectoryInUse, exclusive_directory
from isacsim.simulation.store import ResultStore
from isacsim.testing import small_problem

SMALL = ScenarioConfig(n_users_per_cell=1, n_tx=4, n_rx=4, points_per_side=2)
#: The memory limit of every command (:mod:`isacsim.limits`).
LIMIT_VARIABLE = "ISACSIM_SOLVER_MEMORY_LIMIT"
#: Exit code of an output the system refused (:mod:`isacsim.cli`).
EXIT_OUTPUT = 5
#: The ``isacsim`` command, run as a separate process (streams and signals are the process's).
ISACSIM = [sys.executable, "-c", "import sys; from isacsim.cli import main; sys.exit(main())"]


def small_sweep(**changes):
    fields = dict(config=SMALL, x_name="sinr_target_db", x_values=(0.0, 10.0), schemes=(Scheme("sdr", "type-ii", True),), n_realizations=2, seed=3)
    fields.update(changes)
    return Simulation(**fields)


def main(*args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "p.npz"
    small_problem(seed=0).save(path)
    return path


# ------------------------------------------------------- devices and FIFOs
def _read_fifo(path, into):
    with open(path, "rb") as fifo:
        into.append(fifo.read())


WRITERS = {
    "problem --out": lambda path, problem_file: cli.main(["problem", "--out", str(path)]),
    "solve --out": lambda path, problem_file: cli.main(["solve", str(problem_file), "--out", str(path)]),
    "DesignProblem.save": lambda path, problem_file: DesignProblem.load(problem_file).save(path),
    "Design.save": lambda path, problem_file: _any_design().save(path),
}


def _any_design():
    problem = small_problem(seed=0)
    from isacsim.designers import ZFDesigner
    from isacsim.detection import Detector
    from isacsim.receivers import TypeII

    return ZFDesigner().design(problem, TypeII(), Detector())


@pytest.mark.parametrize("writer", WRITERS)
def test_a_fifo_is_written_in_place_never_replaced(writer, tmp_path, problem_file, capsys):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, received), daemon=True)
    reader.start()
    result = WRITERS[writer](fifo, problem_file)
    reader.join(30)
    assert result in (None, 0), capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO
    arrays = np.load(io.BytesIO(received[0]))  # what went through it is the whole archive
    assert ("w" in arrays.files) == (writer in ("solve --out", "Design.save"))
    assert sorted(os.listdir(tmp_path)) == sorted(["out.fifo", "p.npz"])  # no temporary file left


def test_a_link_to_a_fifo_is_written_through_and_kept(tmp_path, problem_file):
    """As ``--out /dev/stdout`` is, with standard output on a pipe."""
    fifo, link = tmp_path / "out.fifo", tmp_path / "link"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    received = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, received), daemon=True)
    reader.start()
    DesignProblem.load(problem_file).save(link)
    reader.join(30)
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "copy.npz").write_bytes(received[0])
    assert DesignProblem.load(tmp_path / "copy.npz") == DesignProblem.load(problem_file)


@pytest.fixture
def null_device(tmp_path):
    """A character device that discards writes: a node of /dev/null's own where root may make one, else /dev/null."""
    if os.geteuid() != 0:
        return pathlib.Path(os.devnull)  # not replaceable by this user anyway
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return node


@pytest.mark.parametrize("writer", WRITERS)
def test_a_character_device_is_written_in_place_never_replaced(writer, null_device, problem_file, capsys):
    before = os.lstat(null_device)
    assert WRITERS[writer](null_device, problem_file) in (None, 0), capsys.readouterr().err
    after = os.lstat(null_device)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_socket_is_refused_and_kept(tmp_path, capsys):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        code, _, err = main("problem", "--out", path, capsys=capsys)
        assert code == cli.EXIT_USAGE and err.count("\n") == 1 and f"{path}: is a socket" in err
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


# ----------------------------------------------------- the input problem
@pytest.mark.parametrize("alias", ["same", "symlink", "hardlink"])
def test_solve_never_overwrites_its_input_problem(alias, tmp_path, problem_file, monkeypatch, capsys):
    original = problem_file.read_bytes()
    out = {"same": problem_file, "symlink": tmp_path / "link.npz", "hardlink": tmp_path / "hard.npz"}[alias]
    if alias == "symlink":
        out.symlink_to(problem_file)
    elif alias == "hardlink":
        os.link(problem_file, out)
    monkeypatch.setattr(isacsim.plugins, "get_designer", lambda name: pytest.fail("solved before refusing"))
    code, _, err = main("solve", problem_file, "--out", out, capsys=capsys)
    assert code == cli.EXIT_USAGE and err.count("\n") == 1 and f"--out {out}: is the input problem file" in err
    assert problem_file.read_bytes() == original


# ------------------------------------------------------------ JSON is JSON
class _NaNDesigner:
    """A designer (as a misbehaving plugin's might be) whose beams are NaN."""

    name = "nan-beams"

    def __init__(self, **options):
        pass

    def design(self, problem, receiver, detector):
        w = np.full((problem.n_bs, problem.n_users_per_cell, problem.n_tx), np.nan, dtype=complex)
        R = np.full((problem.n_bs, problem.n_tx, problem.n_tx), np.inf, dtype=complex)
        return Design(w=w, R=R, status="error", reason="NaN beams", designer=self.name, receiver=receiver,
                      detector=detector, certificate=Certificate(objective=math.nan, bound=math.inf))


def _strict_json(text):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_solve_json_is_json_whatever_the_design(problem_file, monkeypatch, capsys):
    monkeypatch.setattr(isacsim.plugins, "get_designer", lambda name: _NaNDesigner)
    code, out, _ = main("solve", problem_file, "--json", capsys=capsys)
    report = _strict_json(out)  # no bare NaN or Infinity anywhere
    assert code == cli.EXIT_FAILURE and report["status"] == "error"
    assert report["min_reflected_power_w"] is None and report["min_detection_probability"] is None
    assert report["reflected_power_w"] == [None] * 4 and report["tx_power_w"] == [None] * 3
    assert report["certificate"]["bound"] is None


def test_finite_makes_every_non_finite_number_null_at_any_depth():
    from isacsim.strictjson import dumps, finite

    value = {"a": [1.0, math.nan, {"b": np.array([math.inf, 2.0])}], "c": (np.float32("nan"), np.int64(3), True, None, "x")}
    assert finite(value) == {"a": [1.0, None, {"b": [None, 2.0]}], "c": [None, 3, True, None, "x"]}
    assert _strict_json(dumps(value))["c"] == [None, 3, True, None, "x"]


def test_metadata_json_is_json_too(tmp_path):
    from isacsim.simulation.store import write_json

    write_json(tmp_path / "m.json", {"wall_seconds": math.nan, "x": [math.inf]})
    assert _strict_json((tmp_path / "m.json").read_text()) == {"wall_seconds": None, "x": [None]}


# ------------------------------------------- OS errors: one line, exit 5
def _limit_file_size(n_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, n_bytes))  # writes beyond fail with EFBIG

    return apply


def test_a_write_the_system_refuses_is_one_line_naming_the_file_with_exit_5(tmp_path):
    out = tmp_path / "p.npz"
    result = subprocess.run([*ISACSIM, "problem", "--out", str(out)], capture_output=True, text=True,
                            preexec_fn=_limit_file_size(4096), timeout=120)
    assert result.returncode == EXIT_OUTPUT, result.stderr
    assert result.stderr.splitlines() == [f"isacsim: error: {out}: cannot be written (File too large)"]
    assert os.listdir(tmp_path) == []  # nothing half-written, no temporary file left


def test_results_that_cannot_be_appended_name_results_csv_with_exit_5_and_stay_safe(tmp_path):
    out = tmp_path / "run"
    command = [*ISACSIM, "reproduce", "fig3", "--quick", "--realizations", "1", "--out", str(out), "--workers", "1", "--quiet"]
    # run.json (2.7 kB) and the first task's rows (3.5 kB) fit under 6 kB, the second task's not
    result = subprocess.run(command, capture_output=True, text=True, preexec_fn=_limit_file_size(6000), timeout=120)
    assert result.returncode == EXIT_OUTPUT, result.stderr
    assert result.stderr.splitlines() == [f"isacsim: error: {out / 'results.csv'}: cannot be written (File too large)"]
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)  # room again: the torn row is repaired
    assert again.returncode == cli.EXIT_OK, again.stderr
    assert "an incomplete last line (an interrupted write) was dropped" in again.stderr


def test_an_io_error_while_appending_is_an_output_error_naming_the_file(tmp_path, monkeypatch):
    from isacsim.errors import OutputError

    store = ResultStore(tmp_path, {"kind": "test"}, ["task", "x"])
    store.open(lambda task: 1)
    store.append([{"task": "a", "x": 1}])  # the column kinds are learned (run.json written) here

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OutputError, match=rf"{tmp_path / 'results.csv'}: cannot be written \(Input/output error\)"):
        store.append([{"task": "b", "x": 2}])


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_standard_output_on_dev_full_is_one_line_with_exit_5(json_flag, problem_file):
    with open("/dev/full", "w") as full:
        result = subprocess.run([*ISACSIM, "solve", str(problem_file), *json_flag], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == EXIT_OUTPUT
    assert result.stderr.splitlines() == ["isacsim: error: standard output (/dev/full): cannot be written (No space left on device)"]


# --------------------------------------------------------- closed streams
def _shell(command, **kwargs):
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=180, **kwargs)


def _quoted(args):
    return " ".join("'" + str(a).replace("'", "'\\''") + "'" for a in args)


def test_a_run_with_a_closed_stderr_completes(tmp_path):
    out = tmp_path / "run"
    result = _shell(f"{_quoted(ISACSIM)} reproduce fig2 --out {_quoted([out])} 2>&-")  # a progress line is written at once
    assert result.returncode == cli.EXIT_OK, result.stdout
    assert (out / "summary.csv").exists() and "fig2: 1 tasks" in result.stdout


def test_solve_with_a_closed_stdout_is_refused_not_lost(problem_file, tmp_path):
    design = tmp_path / "design.npz"
    result = _shell(f"{_quoted(ISACSIM)} solve {_quoted([problem_file])} --out {_quoted([design])} >&-")
    assert result.returncode == EXIT_OUTPUT
    assert result.stderr.splitlines() == [
        "isacsim: error: standard output: is closed, so the result would be lost; redirect it to a file (or to /dev/null to discard it)"
    ]
    assert not design.exists()  # refused before the solve


def test_a_quiet_run_needs_no_stdout(tmp_path):
    out = tmp_path / "run"
    result = _shell(f"{_quoted(ISACSIM)} reproduce fig2 --quiet --out {_quoted([out])} >&-")
    assert result.returncode == cli.EXIT_OK, result.stderr
    assert (out / "summary.csv").exists()


# ------------------------------------------------------------------ the lock
def test_a_replaced_directory_stops_the_run_before_it_writes(tmp_path):
    from isacsim.simulation.lock import LockLost

    out = tmp_path / "out"
    with exclusive_directory(out) as lock:
        lock.check()
        out.rename(tmp_path / "moved")
        out.mkdir()
        with pytest.raises(LockLost, match="was removed or replaced during the run"):
            lock.check()


def test_where_a_directory_cannot_be_locked_the_lock_file_is_and_its_deletion_stops_the_run(tmp_path, monkeypatch):
    import isacsim.simulation.lock as lock_module
    from isacsim.simulation.lock import LockLost

    real_flock = lock_module._flock

    def no_directory_locks(descriptor):  # as on NFS, where flock needs a file open for writing
        if stat.S_ISDIR(os.fstat(descriptor).st_mode):
            raise OSError(9, "Bad file descriptor")
        return real_flock(descriptor)

    monkeypatch.setattr(lock_module, "_flock", no_directory_locks)
    out = tmp_path / "out"
    with exclusive_directory(out) as lock:
        assert lock.locked == out / ".lock"
        with pytest.raises(DirectoryInUse):
            with exclusive_directory(out):
                pass
        (out / ".lock").unlink()
        with pytest.raises(LockLost):
            lock.check()

    class DeletesTheLock:
        """A sweep whose first task deletes the lock file, as a user's ``rm DIR/.lock`` would."""

        def __init__(self, sweep):
            self.sweep = sweep
            for name in ("describe", "columns", "summary_columns", "tasks", "rows_per_task", "summarize", "size"):
                setattr(self, name, getattr(sweep, name))

        def run_task(self, task):
            (out / ".lock").unlink(missing_ok=True)
            return self.sweep.run_task(task)

    with pytest.raises(LockLost):
        run(DeletesTheLock(small_sweep()), out, workers=1)
    assert list(csv.DictReader(open(out / "results.csv"))) == []  # nothing appended after the lock was lost


# ------------------------------------------------------------------- Dask
@pytest.mark.parametrize("address", ["garbage", "http://localhost:8786", "tcp://host:notaport", "tcp://[::1", "", "inproc://x", "tcp://h:99999"])
def test_a_bad_scheduler_address_is_exit_2_naming_the_flag(address, tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    code, _, err = main("reproduce", "fig2", "--out", out, "--scheduler", address, capsys=capsys)
    assert code == cli.EXIT_USAGE and err.count("\n") == 1 and err.startswith("isacsim: error: --scheduler: ")
    assert not out.exists()  # refused before the directory was touched


def test_good_scheduler_addresses_pass():
    pytest.importorskip("distributed")
    from isacsim.simulation.executors import check_scheduler

    assert check_scheduler("tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"
    assert check_scheduler("host:8786") == "tcp://host:8786"
    assert check_scheduler("tls://[::1]:8786") == "tls://[::1]:8786"


def test_a_dask_cluster_without_workers_fails_the_run_instead_of_waiting(tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "out"
    env = dict(os.environ, ISACSIM_DASK_NO_WORKERS_TIMEOUT="2")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        command = [*ISACSIM, "reproduce", "fig3", "--quick", "--realizations", "1", "--out", str(out), "--scheduler", cluster.scheduler_address]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == cli.EXIT_FAILED_POINTS, result.stderr
    assert "NoDaskWorkers: the Dask cluster at" in result.stderr and "has had no worker for 2 s" in result.stderr
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["failed_points"][0]["count"] == metadata["tasks"]["total"] == 3  # every task, retried next time


# -------------------------------------------------------- sizes, up front
def test_a_sweep_too_large_for_memory_is_refused_at_once(tmp_path, capsys):
    started = time.monotonic()
    code, _, err = main("reproduce", "fig3", "--realizations", 10_000_000, "--out", tmp_path / "out", capsys=capsys)
    assert time.monotonic() - started < 20
    assert code == cli.EXIT_USAGE and err.count("\n") == 1
    assert "run: 70000000 tasks" in err and "(estimate), over the limit of" in err and LIMIT_VARIABLE in err
    assert not (tmp_path / "out").exists()


def test_the_run_limit_is_the_configurable_one(tmp_path, monkeypatch):
    from isacsim.limits import MemoryLimitError

    sweep = small_sweep()
    monkeypatch.setenv(LIMIT_VARIABLE, "8KiB")  # four tasks' rows are more than that
    with pytest.raises(MemoryLimitError, match="run: 4 tasks with 4 result rows"):
        run(sweep, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv(LIMIT_VARIABLE, "64MiB")
    assert run(sweep, tmp_path / "out", workers=1).n_computed == 4


def test_a_problem_too_large_for_memory_is_refused_at_once(tmp_path, capsys):
    started = time.monotonic()
    code, _, err = main("problem", "--users", 1_000_000, "--out", tmp_path / "p.npz", capsys=capsys)
    assert time.monotonic() - started < 10
    assert code == cli.EXIT_USAGE and err.count("\n") == 1
    assert "K = 1000000 users per cell" in err and "(estimate), over the limit of" in err
    assert not (tmp_path / "p.npz").exists()


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_the_problem_estimate_bounds_the_memory_of_building_it():
    """The estimate errs high against the peak growth of a real build (a child process, measured by the kernel)."""
    code = textwrap.dedent(
        """
        from isacsim.scenario import ScenarioConfig, realization_rng

        def peak():  # the peak resident memory of this process image [bytes] (ru_maxrss would include the parent's)
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

        config = ScenarioConfig(n_users_per_cell=4000, n_tx=32)
        before = peak()
        config.build(realization_rng(0, 0))
        print(peak() - before, config.build_bytes())
        """
    )
    growth, estimate = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert 0 < growth <= estimate < 4 * growth


def test_a_problem_file_solve_could_not_read_is_not_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ISACSIM_MAX_PROBLEM_BYTES", "100000")
    code, _, err = main("problem", "--users", 40, "--out", tmp_path / "p.npz", capsys=capsys)
    assert code == cli.EXIT_USAGE and "ISACSIM_MAX_PROBLEM_BYTES" in err and not (tmp_path / "p.npz").exists()


def test_workers_are_capped_at_what_the_machine_holds(tmp_path, monkeypatch, capsys):
    from isacsim import limits
    from isacsim.simulation.executors import WORKER_BYTES, capped_workers

    monkeypatch.setattr(limits, "available_memory", lambda: 2 * WORKER_BYTES + 1)
    assert capped_workers(1, 100) == (1, None)
    report = run(small_sweep(), tmp_path / "out", workers=50)
    err = capsys.readouterr().err
    assert "isacsim: warning: --workers 50: this machine holds about 2 worker processes" in err
    assert json.loads((tmp_path / "out" / "metadata.json").read_text())["execution"]["workers"] == 2
    assert report.n_computed == 4


# ------------------------------------------------------------------ signals
def _wait_for_rows(path, n_rows, process, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") > n_rows:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    pytest.fail("no rows written in time")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_termination_signal_ends_a_run_with_a_message_and_it_resumes(signum, workers, tmp_path):
    out = tmp_path / "out"
    command = [*ISACSIM, "reproduce", "fig3", "--quick", "--realizations", "40", "--out", str(out), "--workers", workers]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for_rows(out / "results.csv", 1, process)
    os.killpg(process.pid, signum)  # the whole process group, as a batch system or a closing terminal does
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert err.splitlines()[-1] == f"isacsim: terminated ({signal.Signals(signum).name})"
    with open(out / "results.csv") as handle:
        kept = len(list(csv.DictReader(handle)))
    assert kept > 0  # what was finished stays, and the next run resumes from it


def test_an_ignored_hangup_stays_ignored(tmp_path):
    """Under ``nohup`` (SIGHUP ignored), a hangup does not end the run."""
    out = tmp_path / "out"
    process = subprocess.Popen([*ISACSIM, "reproduce", "fig2", "--out", str(out), "--quiet"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    time.sleep(0.5)
    process.send_signal(signal.SIGHUP)
    _, err = process.communicate(timeout=120)
    assert process.returncode == cli.EXIT_OK, err
