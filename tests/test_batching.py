"""Batches of tasks: planned from the pending tasks, run together, and never changing a result.

A batch's rows must be exactly the rows its tasks give alone (the solve
times aside), so that the batch size may follow the worker count, the
memory and the pending tasks of a resumed run without changing any number.
"""
import pytest
from test_simulation import read, without_timing

from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation, batching, run
from isacsim.simulation.batching import MAX_BATCH, execute_batch, plan_batches
from isacsim.simulation.outcomes import TaskOutcome

SMALL = ScenarioConfig(n_users_per_cell=1, n_tx=6, n_rx=6, points_per_side=2)
SCHEMES = (Scheme("sdr", "type-ii", True), Scheme("zf", "type-i", False), Scheme("sensing-only", "type-i", True))


def sweep(**changes):
    fields = dict(config=SMALL, x_name="sinr_target_db", x_values=(0.0, 20.0), schemes=SCHEMES, n_realizations=6, seed=5)
    fields.update(changes)
    return Simulation(**fields)


class Keyed:
    """A job whose tasks ``"k-i"`` are batched by ``k``; ``limit`` caps a batch."""

    def __init__(self, limit=None):
        self.limit = limit

    def batch_key(self, task):
        key = task.split("-")[0]
        return None if key == "alone" else key

    def run_batch(self, tasks):
        return [[{"task": task}] for task in tasks]

    def run_task(self, task):
        return [{"task": task}]

    def batch_limit(self, key):
        return self.limit or MAX_BATCH


def test_a_plan_holds_every_task_once_in_batches_of_one_key():
    tasks = [f"{key}-{i}" for i in range(40) for key in ("a", "b", "alone")]
    batches = plan_batches(Keyed(), tasks, workers=2)
    assert sorted(task for batch in batches for task in batch) == sorted(tasks)
    for batch in batches:
        assert len({task.split("-")[0] for task in batch}) == 1
        assert len(batch) == 1 or not batch[0].startswith("alone")
    # 120 tasks for 2 workers x 8 batches each: at most 8 tasks a batch, nearly equal sizes per key
    sizes = sorted(len(batch) for batch in batches if not batch[0].startswith("alone"))
    assert max(sizes) <= 8 and max(sizes) - min(sizes) <= 1
    firsts = [tasks.index(batch[0]) for batch in batches]
    assert firsts == sorted(firsts)  # batches run in the order of their first task


def test_batches_grow_with_fewer_workers_and_respect_the_memory_limit():
    tasks = [f"a-{i}" for i in range(400)]
    one = plan_batches(Keyed(), tasks, workers=1)
    four = plan_batches(Keyed(), tasks, workers=4)
    assert max(map(len, one)) == 50 and max(map(len, four)) == 13
    assert max(map(len, plan_batches(Keyed(limit=3), tasks, workers=1))) == 3
    assert max(map(len, plan_batches(Keyed(), [f"a-{i}" for i in range(5000)], workers=1))) == MAX_BATCH


def test_a_job_without_batches_runs_task_by_task():
    class Plain:
        def run_task(self, task):
            return []

    assert plan_batches(Plain(), ["a", "b"], workers=1) == [("a",), ("b",)]


def test_a_batch_that_raises_is_run_again_task_by_task():
    class Fragile(Keyed):
        def run_batch(self, tasks):
            raise RuntimeError("a bug in the batched path")

        def run_task(self, task):
            if task == "a-1":
                raise ValueError("this task alone fails")
            return [{"task": task}]

    outcomes = execute_batch(Fragile(), ("a-0", "a-1", "a-2"))
    assert [o.task for o in outcomes] == ["a-0", "a-1", "a-2"]
    assert outcomes[0] == TaskOutcome("a-0", rows=[{"task": "a-0"}]) and outcomes[2].rows == [{"task": "a-2"}]
    assert outcomes[1].rows is None and outcomes[1].failure == "ValueError: this task alone fails"


def test_a_sweeps_batch_gives_exactly_the_rows_of_its_tasks_alone():
    job = sweep()
    tasks = [task for task in job.tasks() if task.endswith("x1")]
    batched = job.run_batch(tasks)
    alone = [job.run_task(task) for task in tasks]
    assert [without_timing(rows) for rows in batched] == [without_timing(rows) for rows in alone]
    # and in another order, with other batch-mates
    shuffled = tasks[::-1][:4]
    assert [without_timing(rows) for rows in job.run_batch(shuffled)] == [without_timing(job.run_task(task)) for task in shuffled]


def test_an_evaluation_only_sweep_designs_once_per_task_in_a_batch():
    job = sweep(x_name="p_fa", x_values=(1e-4, 1e-2), n_realizations=3)
    batched = job.run_batch(job.tasks())
    assert [without_timing(rows) for rows in batched] == [without_timing(job.run_task(task)) for task in job.tasks()]
    for rows in batched:  # one design per scheme, evaluated at both values
        by_scheme = {}
        for row in rows:
            by_scheme.setdefault((row["designer"], row["receiver"], row["scenario"]), []).append(row)
        assert all(len({r["objective_w"] for r in group}) == 1 and len(group) == 2 for group in by_scheme.values())


def test_results_are_identical_whatever_the_batch_size(tmp_path, monkeypatch):
    monkeypatch.setattr(batching, "BATCHES_PER_WORKER", 1)  # batches of 6: every realization of a value
    large = run(sweep(), tmp_path / "large", workers=1)
    monkeypatch.setattr(batching, "MAX_BATCH", 1)
    single = run(sweep(), tmp_path / "single", workers=2)
    assert large.n_computed == single.n_computed == 12
    assert (tmp_path / "large" / "summary.csv").read_bytes() == (tmp_path / "single" / "summary.csv").read_bytes()
    assert without_timing(read(tmp_path / "large" / "results.csv")) == without_timing(read(tmp_path / "single" / "results.csv"))


def test_a_resumed_run_with_other_batches_gives_the_same_results(tmp_path, monkeypatch):
    monkeypatch.setattr(batching, "BATCHES_PER_WORKER", 1)
    run(sweep(n_realizations=4), tmp_path / "out", workers=1)  # batches of 4
    extended = run(sweep(), tmp_path / "out", workers=2)  # realizations 4, 5: batches of 2
    fresh = run(sweep(), tmp_path / "fresh", workers=1)  # batches of 6
    assert (extended.n_computed, fresh.n_computed) == (4, 12)
    assert without_timing(read(tmp_path / "out" / "results.csv")) == without_timing(read(tmp_path / "fresh" / "results.csv"))


@pytest.mark.parametrize("key", ["0", "1", "all"])
def test_a_sweeps_batch_limit_follows_its_size(key):
    job = Simulation(config=ScenarioConfig(), x_name="n_cells", x_values=(3, 19), n_realizations=1)
    if key == "all":
        assert job.batch_limit(key) == job.batch_limit("0")
    else:
        assert job.batch_limit("0") > job.batch_limit("1") >= 1


class Dying:
    """Eight tasks in one batch key; task ``a-3`` kills its worker whenever it runs."""

    columns = ("task", "value")
    summary_columns = ("n",)

    def describe(self):
        return {"kind": "dying"}

    def tasks(self):
        return [f"a-{i}" for i in range(8)]

    def rows_per_task(self, task):
        return 1

    def batch_key(self, task):
        return "a"

    def run_batch(self, tasks):
        return [self.run_task(task) for task in tasks]

    def run_task(self, task):
        if task == "a-3":
            import os

            os._exit(13)
        return [{"task": task, "value": int(task[2:]) ** 2}]

    def summarize(self, rows):
        return [{"n": len(rows)}]


def test_a_task_that_kills_its_batchs_worker_fails_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(batching, "BATCHES_PER_WORKER", 1)  # batches of 4: a-0..a-3 and a-4..a-7
    report = run(Dying(), tmp_path / "out", workers=2, progress=False)
    assert [group.cause for group in report.failures] == ["task: WorkerDied"] and report.n_failed == 1
    assert "exited with code 13, 2 times" in report.failures[0].first and "a-3" in report.failures[0].first
    rows = read(tmp_path / "out" / "results.csv")
    assert sorted((r["task"], int(r["value"])) for r in rows) == [(f"a-{i}", i * i) for i in range(8) if i != 3]
