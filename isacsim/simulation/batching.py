"""Batches of tasks: which tasks run together, and how one batch runs.

A job may solve several tasks in one call: it then has

``batch_key(task)``
    A hashable key, equal for tasks that can run together (tasks of one
    shape, e.g. the realizations of one sweep point), or None for a task
    that runs alone;
``run_batch(tasks)``
    The rows of each task, in order: the same rows ``run_task`` gives
    (the solve times aside) whatever the other tasks of the batch;
``batch_limit(key)`` (optional)
    The largest batch of that key that fits the memory a worker may use.

:func:`plan_batches` groups the pending tasks of a run into batches whose
size adapts to the number of tasks, the workers and that memory limit;
:func:`execute_batch` runs one, so that a task that fails never fails the
others of its batch. A job without these methods runs task by task.

Because a task's rows do not depend on its batch-mates, the batch size may
change from run to run (another worker count, a resumed run with fewer
pending tasks) and the results stay identical.
"""
from __future__ import annotations

import math

from .outcomes import TaskOutcome, describe_exception

__all__ = ["MAX_BATCH", "BATCHES_PER_WORKER", "plan_batches", "execute_batch", "execute_task"]

#: Largest batch: beyond it the amortized time per solve no longer falls
#: (``isacsim bench --batch``) while memory and the tail of a run grow.
MAX_BATCH = 64
#: Batches per worker the planner aims at, at least: enough that the last
#: batches of a run keep every worker busy.
BATCHES_PER_WORKER = 8


def execute_task(job, task):
    """``job.run_task(task)`` as a :class:`TaskOutcome`: its rows, or why it failed."""
    try:
        return TaskOutcome(task, rows=job.run_task(task))
    except Exception as error:  # noqa: BLE001 - the task's failure, not the run's
        return TaskOutcome(task, failure=describe_exception(error))


def execute_batch(job, batch):
    """Run one batch of tasks.

    Parameters
    ----------
    job : object
        A job (see the module notes).
    batch : sequence of str
        Task ids; one task runs through ``run_task``, several through
        ``run_batch``.

    Returns
    -------
    list of TaskOutcome
        One per task, in order. If ``run_batch`` raises, every task of the
        batch is run again alone, so that only a task that fails by itself
        is reported failed.
    """
    batch = list(batch)
    if len(batch) > 1:
        try:
            rows = job.run_batch(batch)
            if len(rows) == len(batch):
                return [TaskOutcome(task, rows=task_rows) for task, task_rows in zip(batch, rows)]
        except Exception:  # noqa: BLE001 - retried task by task below, where a failure is its task's
            pass
    return [execute_task(job, task) for task in batch]


def _limit(job, key):
    """The largest batch of ``key``: the job's limit, if any, within [1, MAX_BATCH].

    A limit that cannot be computed (e.g. the tasks' problem cannot be
    built, which those tasks will record) gives batches of one.
    """
    batch_limit = getattr(job, "batch_limit", None)
    if batch_limit is None:
        return MAX_BATCH
    try:
        return max(1, min(MAX_BATCH, int(batch_limit(key))))
    except Exception:  # noqa: BLE001 - the tasks report their own failure
        return 1


def plan_batches(job, tasks, workers):
    """Split tasks into batches of one key each.

    Parameters
    ----------
    job : object
        With ``batch_key``, ``run_batch`` and optionally ``batch_limit``
        (see the module notes); any other job gets batches of one task.
    tasks : sequence of str
        The pending tasks, in the order they should run.
    workers : int
        Workers the batches are shared among.

    Returns
    -------
    list of tuple of str
        Every task exactly once. Tasks of one key are split into batches of
        nearly equal size, at most the key's limit, :data:`MAX_BATCH`, and
        ``ceil(len(tasks) / (workers * BATCHES_PER_WORKER))``; batches run in
        the order of their first task.
    """
    tasks = list(tasks)
    if not (hasattr(job, "batch_key") and hasattr(job, "run_batch")):
        return [(task,) for task in tasks]
    balance = max(1, math.ceil(len(tasks) / (max(1, workers) * BATCHES_PER_WORKER)))
    groups, singles = {}, []
    for position, task in enumerate(tasks):
        key = job.batch_key(task)
        if key is None:
            singles.append((position, (task,)))
        else:
            groups.setdefault(key, []).append((position, task))
    batches = singles
    for key, members in groups.items():
        size = min(balance, _limit(job, key))
        count = math.ceil(len(members) / size)
        bounds = [round(i * len(members) / count) for i in range(count + 1)]
        for start, stop in zip(bounds, bounds[1:]):
            chunk = members[start:stop]
            batches.append((chunk[0][0], tuple(task for _, task in chunk)))
    return [batch for _, batch in sorted(batches, key=lambda item: item[0])]
