"""Local worker processes that survive the death of a worker.

Each worker runs one task at a time, so the parent always knows which task a
dead worker was running (a segfault, ``os._exit``, the out-of-memory killer).
That task alone is retried once, in a fresh worker; if it kills that worker
too it is reported as failed, and every other task goes on.

A worker never outlives its parent by more than a second or so: on Linux the
kernel kills it when the parent dies (``PR_SET_PDEATHSIG``), elsewhere a
watchdog thread notices that it has been re-parented. So a killed run leaves
no orphan holding ``| tee`` open.
"""
from __future__ import annotations

import collections
import os
import signal
from multiprocessing.connection import wait

from ..isolation import describe_exit, die_with_parent
from .outcomes import TaskOutcome, describe_exception

__all__ = ["run_in_workers", "ATTEMPTS"]

#: Runs a task gets when its worker dies: the first, and one retry.
ATTEMPTS = 2
#: How long a finished worker gets to exit before it is killed [s].
_STOP_SECONDS = 5.0


def _serve(connection, job, parent_pid):
    """A worker's loop: receive a task, send back its outcome, until told to stop."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            task = connection.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            outcome = TaskOutcome(task, rows=job.run_task(task))
        except Exception as error:  # noqa: BLE001 - reported as the task's failure
            outcome = TaskOutcome(task, failure=describe_exception(error))
        connection.send(outcome)


class _Worker:
    """One worker process and the task it is running."""

    def __init__(self, context, job):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, job, os.getpid()), daemon=True, name="isacsim-worker")
        self.process.start()
        child.close()
        self.task = None

    def assign(self, task):
        self.task = task
        try:
            self.connection.send(task)
        except OSError:  # the worker is gone: its sentinel reports it
            pass

    def collect(self):
        """The outcome of the running task, or ``None`` if the worker died."""
        try:
            if self.connection.poll():
                return self.connection.recv()
        except (EOFError, OSError):
            pass
        self.process.join(_STOP_SECONDS)
        return None

    def stop(self):
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(_STOP_SECONDS if self.task is None else 0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def run_in_workers(job, tasks, workers, context):
    """Run ``job.run_task`` on every task in ``workers`` processes.

    Parameters
    ----------
    job : object
        With ``run_task(task) -> list of rows``; inherited (fork) or pickled
        (spawn) by every worker.
    tasks : list of str
        Task ids.
    workers : int
        Processes, >= 1.
    context : multiprocessing context
        ``fork`` or ``spawn``.

    Yields
    ------
    TaskOutcome
        One per task, in completion order; a task whose worker died twice,
        or whose ``run_task`` raised, carries a ``failure`` instead of rows.
    """
    queue = collections.deque(tasks)
    deaths = collections.Counter()
    pool = [_Worker(context, job) for _ in range(min(workers, len(tasks)))]
    try:
        while queue or any(worker.task is not None for worker in pool):
            for worker in pool:
                if worker.task is None and queue:
                    worker.assign(queue.popleft())
            busy = [worker for worker in pool if worker.task is not None]
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.connection not in ready and worker.process.sentinel not in ready:
                    continue
                task, outcome = worker.task, worker.collect()
                worker.task = None
                if outcome is not None:
                    yield outcome
                    continue
                deaths[task] += 1
                cause = describe_exit(worker.process.exitcode)
                worker.stop()
                pool[pool.index(worker)] = _Worker(context, job)
                if deaths[task] < ATTEMPTS:
                    queue.appendleft(task)  # once more, in a fresh worker
                else:
                    yield TaskOutcome(task, failure=f"WorkerDied: its worker process {'was ' * cause.startswith('killed')}{cause}, {ATTEMPTS} times")
    finally:
        for worker in pool:
            worker.stop()
