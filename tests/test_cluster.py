"""Clusters: a real multi-process Dask cluster on 127.0.0.1, the workers' versions checked, SLURM job scripts."""
import contextlib
import csv
import os
import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")

from isacsim.errors import InputError
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation, run
from isacsim.simulation.cluster import check_worker_versions, installed_versions, slurm_cluster

#: Every process the tests start is stopped within this bound [s].
BOUND = 90


def _sweep():
    return Simulation(
        config=ScenarioConfig(n_tx=4, n_rx=2, points_per_side=1), x_name="sinr_target_db", x_values=(0.0, 5.0),
        schemes=(Scheme("sdr", "type-ii", True), Scheme("zf", "type-i", False)), n_realizations=2,
    )


@contextlib.contextmanager
def _processes(directory):
    """Start processes in ``directory`` (not a source tree, whose metadata would shadow the installed one);
    stop every one of them (by its own pid) at the end."""
    started = []

    def start(*args, env=None):
        process = subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, cwd=directory, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _scheduler(start, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file))
    deadline = time.monotonic() + BOUND
    while not scheduler_file.exists():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.2)
    time.sleep(0.3)  # the file is written whole before it is renamed into place; give the server a moment
    return scheduler_file


def _worker(start, scheduler_file, *, nworkers=1, env=None):
    return start("worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--nworkers", str(nworkers),
                 "--nthreads", "1", "--no-dashboard", "--death-timeout", str(BOUND), env=env)


def _rows(path):
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k != "solve_seconds"} for row in csv.DictReader(handle)]


def test_a_multi_process_cluster_on_loopback_gives_the_serial_results_and_refuses_a_stale_worker(tmp_path):
    run(_sweep(), tmp_path / "serial", workers=1, progress=False)
    with _processes(tmp_path) as start:
        scheduler_file = _scheduler(start, tmp_path)
        _worker(start, scheduler_file, nworkers=2)
        with distributed.Client(scheduler_file=str(scheduler_file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=BOUND)
            address = client.scheduler.address
            check_worker_versions(client)  # the same installation everywhere: accepted
        report = run(_sweep(), tmp_path / "cluster", scheduler=address, progress=False)
        assert report.n_computed == 4 and not report.failures
        assert _rows(tmp_path / "serial" / "results.csv") == _rows(tmp_path / "cluster" / "results.csv")

        # A worker whose environment has another isacsim: its distribution metadata first on the path.
        stale = tmp_path / "stale"
        (stale / "isacsim-9.9.9.dist-info").mkdir(parents=True)
        (stale / "isacsim-9.9.9.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: isacsim\nVersion: 9.9.9\n")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(stale), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        _worker(start, scheduler_file, env=env)
        with distributed.Client(scheduler_file=str(scheduler_file), timeout="30s") as client:
            client.wait_for_workers(3, timeout=BOUND)
            workers = client.run(installed_versions)
        stale_workers = [w for w, versions in workers.items() if versions["isacsim"] == "9.9.9"]
        assert len(stale_workers) == 1, workers
        with pytest.raises(InputError, match="isacsim 9.9.9") as refused:
            run(_sweep(), tmp_path / "mixed", scheduler=address, progress=False)
        assert stale_workers[0] in str(refused.value)  # the worker is named
        assert not (tmp_path / "mixed" / "results.csv").exists() or len(_rows(tmp_path / "mixed" / "results.csv")) == 0


def test_a_worker_without_a_plugin_is_named():
    client_side = {"isacsim": "1.0", "plugins": {"rzf": "isacsim-rzf 0.1.0"}}

    class Client:
        def run(self, function):
            return {"tcp://127.0.0.1:1": dict(client_side), "tcp://127.0.0.1:2": {"isacsim": "1.0", "plugins": {}}}

    import isacsim.simulation.cluster as cluster

    original = cluster.installed_versions
    cluster.installed_versions = lambda: client_side
    try:
        with pytest.raises(InputError, match=r"worker tcp://127\.0\.0\.1:2 runs plugin 'rzf': not installed \(client: isacsim-rzf 0\.1\.0\)"):
            check_worker_versions(Client())
    finally:
        cluster.installed_versions = original


def test_installed_versions_name_the_plugins_and_their_packages():
    from importlib import metadata

    versions = installed_versions()
    assert versions["isacsim"] == metadata.version("isacsim")
    assert versions["plugins"].get("rzf") == f"isacsim-rzf {metadata.version('isacsim-rzf')}"


def test_slurm_recipe_writes_a_job_script_of_single_threaded_workers():
    pytest.importorskip("dask_jobqueue")
    with slurm_cluster(cores=4, memory="8GiB", walltime="02:00:00", queue="short", account="isac",
                       scheduler_options={"host": "127.0.0.1", "dashboard_address": None}) as cluster:
        script = cluster.job_script()
    lines = script.splitlines()
    assert lines[0].startswith("#!") and "#SBATCH -p short" in lines and "#SBATCH -A isac" in lines
    assert "#SBATCH -t 02:00:00" in lines and any(line.startswith("#SBATCH --mem=") for line in lines)
    assert "export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1" in lines
    command = lines[-1]
    assert "distributed.cli.dask_worker" in command or "dask worker" in command or "dask_worker" in command
    assert "--nthreads 1" in command and "--nworkers 4" in command and "tcp://127.0.0.1:" in command


def test_a_worker_that_joins_later_fails_its_tasks_naming_itself(monkeypatch):
    import isacsim.simulation.cluster as cluster
    from isacsim.simulation.executors import _execute_checked

    expected = {"isacsim": "1.0", "plugins": {"rzf": "isacsim-rzf 0.1.0"}}
    monkeypatch.setattr(cluster, "_this_process_versions", lambda: {"isacsim": "0.9", "plugins": {"rzf": "isacsim-rzf 0.1.0"}})
    outcomes = _execute_checked(_sweep(), ("r0-x0", "r1-x0"), expected)  # a batch of two tasks
    assert [outcome.task for outcome in outcomes] == ["r0-x0", "r1-x0"]
    for outcome in outcomes:
        assert outcome.rows is None and outcome.failure.startswith("VersionMismatch: worker") and "isacsim 0.9 (client: 1.0)" in outcome.failure
    monkeypatch.setattr(cluster, "_this_process_versions", lambda: expected)
    assert all(outcome.rows for outcome in _execute_checked(_sweep(), ("r0-x0", "r1-x0"), expected))  # the same versions: they run
