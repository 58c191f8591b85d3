"""Local worker processes that survive the death of a worker.

Each worker runs one batch of tasks at a time (:mod:`.batching`), so the
parent always knows which tasks a dead worker was running (a segfault,
``os._exit``, the out-of-memory killer). Each of them is retried alone, in a
fresh worker; a task that kills its worker twice is reported as failed, and
every other task goes on, those of its batch included.

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
from .batching import execute_batch
from .outcomes import TaskOutcome

__all__ = ["run_in_workers", "ATTEMPTS"]

#: Runs a task gets when its worker dies: the first (maybe in a batch), and one alone.
ATTEMPTS = 2
#: How long a finished worker gets to exit before it is killed [s].
_STOP_SECONDS = 5.0


def _serve(connection, job, parent_pid):
    """A worker's loop: receive a batch, send back its outcomes, until told to stop."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            batch = connection.recv()
        except EOFError:
            return
        if batch is None:
            return
        connection.send(execute_batch(job, batch))


class _Worker:
    """One worker process and the batch of tasks it is running."""

    def __init__(self, context, job):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, job, os.getpid()), daemon=True, name="isacsim-worker")
        self.process.start()
        child.close()
        self.batch = None

    def assign(self, batch):
        self.batch = batch
        try:
            self.connection.send(batch)
        except OSError:  # the worker is gone: its sentinel reports it
            pass

    def collect(self):
        """The outcomes of the running batch, or ``None`` if the worker died."""
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
        self.process.join(_STOP_SECONDS if self.batch is None else 0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def run_in_workers(job, batches, workers, context):
    """Run every batch of tasks in ``workers`` processes (:func:`~.batching.execute_batch`).

    Parameters
    ----------
    job : object
        With ``run_task(task) -> list of rows`` (and ``run_batch`` for
        batches of several tasks); inherited (fork) or pickled (spawn) by
        every worker.
    batches : list of tuple of str
        Task ids, grouped.
    workers : int
        Processes, >= 1.
    context : multiprocessing context
        ``fork`` or ``spawn``.

    Yields
    ------
    list of TaskOutcome
        The outcomes of one batch, in completion order. When a worker dies,
        each task of its batch is queued again alone, in a fresh worker; a
        task whose worker died twice carries a ``failure`` instead of rows.
    """
    queue = collections.deque(tuple(batch) for batch in batches)
    deaths = collections.Counter()
    pool = [_Worker(context, job) for _ in range(min(workers, len(queue)))]
    try:
        while queue or any(worker.batch is not None for worker in pool):
            for worker in pool:
                if worker.batch is None and queue:
                    worker.assign(queue.popleft())
            busy = [worker for worker in pool if worker.batch is not None]
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.connection not in ready and worker.process.sentinel not in ready:
                    continue
                batch, outcomes = worker.batch, worker.collect()
                worker.batch = None
                if outcomes is not None:
                    yield outcomes
                    continue
                cause = describe_exit(worker.process.exitcode)
                worker.stop()
                pool[pool.index(worker)] = _Worker(context, job)
                failed = []
                for task in reversed(batch):  # each once more, alone, in a fresh worker
                    deaths[task] += 1
                    if deaths[task] < ATTEMPTS:
                        queue.appendleft((task,))
                    else:
                        failure = f"WorkerDied: its worker process {'was ' * cause.startswith('killed')}{cause}, {ATTEMPTS} times"
                        failed.append(TaskOutcome(task, failure=failure))
                if failed:
                    yield failed[::-1]
    finally:
        for worker in pool:
            worker.stop()
