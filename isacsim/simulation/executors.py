"""Where tasks run: in-process, local worker processes, or a Dask cluster.

All three call the same pure function on each batch of tasks
(:func:`~.batching.execute_batch`) and hand its outcomes back to the main
process, which alone writes the rows, as each batch finishes. A task that
raises, or whose worker dies twice (:mod:`.workers`), becomes a failed
:class:`~.outcomes.TaskOutcome`: it never stops the other tasks, those of
its batch included.

Wherever a task runs, it runs with the designers, receivers and waveforms
registered in this process from a script (:func:`isacsim.register`; forked
workers inherit them, Dask workers receive them with each task) and under
the run's design time limit (:func:`isacsim.guard.time_limit`).
"""
from __future__ import annotations

import contextlib
import os

import attrs

from ..errors import InputError
from ..guard import time_limit
from ..plugins import adopt, registered_plugins
from .batching import execute_batch
from .outcomes import TaskOutcome, describe_exception
from .workers import run_in_workers

__all__ = ["run_tasks", "run_batches", "default_workers", "ConfiguredJob"]

#: Single-threaded BLAS for spawned workers (set before they import numpy):
#: the parallelism is across tasks. Forked workers inherit the parent's BLAS;
#: the matrices here are too small for BLAS to thread, and the tests check
#: that results are identical across worker counts.
_SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def default_workers():
    """All local cores."""
    return os.cpu_count() or 1


@attrs.frozen
class ConfiguredJob:
    """A job whose tasks run with a script's registrations and a design time limit, in any process.

    Attributes
    ----------
    job : object
        With ``run_task(task)`` (and ``run_batch(tasks)`` for batches).
    timeout : float or None
        Design time limit [s] (None: none).
    plugins : tuple
        :func:`isacsim.plugins.registered_plugins` of the process that made it.
    """

    job: object
    timeout: float | None = None
    plugins: tuple = ()

    @contextlib.contextmanager
    def _configured(self):
        adopt(self.plugins)
        with time_limit(self.timeout):
            yield

    def run_task(self, task):
        """``job.run_task(task)`` with the registrations and the time limit in force."""
        with self._configured():
            return self.job.run_task(task)

    def run_batch(self, tasks):
        """``job.run_batch(tasks)`` with the registrations and the time limit in force."""
        with self._configured():
            return self.job.run_batch(tasks)


@contextlib.contextmanager
def _environment(values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _serial(job, batches):
    for batch in batches:
        yield execute_batch(job, batch)


def _processes(job, batches, workers):
    import multiprocessing

    # fork (POSIX) starts workers instantly and needs no `if __name__ == "__main__"`
    # guard in user scripts; elsewhere spawn, with single-threaded BLAS set
    # before the workers import numpy.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with _environment(_SINGLE_THREAD):
        yield from run_in_workers(job, batches, workers, multiprocessing.get_context(method))


def _dask(job, batches, address):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler: needs Dask distributed; install the extra: pip install 'isacsim[dist]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler: cannot reach a Dask scheduler at {address!r} ({error})") from None
    with client:
        # Dask reruns a batch whose worker dies; after too many deaths the
        # future raises (KilledWorker): each task of the batch is then
        # submitted alone, and a task that fails alone fails by itself.
        def submit(batch):
            return client.submit(execute_batch, job, batch, pure=False, key=f"isacsim-{batch[0]}-{len(batch)}-{os.getpid()}")

        futures = {submit(tuple(batch)): tuple(batch) for batch in batches}
        pending = as_completed(futures)
        try:
            for future in pending:
                batch = futures[future]
                try:
                    yield future.result()
                except Exception as error:  # noqa: BLE001 - the batch's failure, not the run's
                    if len(batch) == 1:
                        yield [TaskOutcome(batch[0], failure=describe_exception(error))]
                        continue
                    for task in batch:
                        alone = submit((task,))
                        futures[alone] = (task,)
                        pending.add(alone)
        finally:
            client.cancel(list(futures))


def run_batches(job, batches, *, workers=1, scheduler=None, timeout=None):
    """Run every batch of tasks (:func:`~.batching.execute_batch`).

    Parameters
    ----------
    job : object
        Picklable, with ``run_task(task) -> list of rows`` (and, for batches
        of several tasks, ``run_batch``; see :mod:`.batching`).
    batches : list of tuple of str
        Task ids, grouped (:func:`~.batching.plan_batches`).
    workers : int
        Local worker processes (1: in this process).
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:port``); when
        given, ``workers`` is ignored and the cluster's workers are used.
    timeout : float or None
        Design time limit [s] of every design of the tasks (None: none).

    Yields
    ------
    list of TaskOutcome
        The outcomes of one batch, or of one task of a batch that was split
        after its worker died, in completion order.
    """
    if not batches:
        return iter(())
    job = ConfiguredJob(job, timeout, registered_plugins())
    if scheduler:
        return _dask(job, batches, scheduler)
    if workers <= 1:
        return _serial(job, batches)
    return _processes(job, batches, min(workers, len(batches)))


def run_tasks(job, tasks, *, workers=1, scheduler=None, timeout=None):
    """Run ``job.run_task`` on every task, one task at a time: :func:`run_batches` with a batch per task.

    Yields
    ------
    TaskOutcome
        One per task, in completion order: its rows, or why it failed.
    """
    batches = [(task,) for task in tasks]
    outcomes = run_batches(job, batches, workers=workers, scheduler=scheduler, timeout=timeout)
    return (outcome for batch in outcomes for outcome in batch)
