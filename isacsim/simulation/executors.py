"""Where tasks run: in-process, local worker processes, or a Dask cluster.

All three call the same pure function on each task and hand its outcome
back to the main process, which alone writes the rows, as each task finishes.
A task that raises, or whose worker dies twice (:mod:`.workers`), becomes a
failed :class:`~.outcomes.TaskOutcome`: it never stops the other tasks.

A Dask address is checked before anything starts (:func:`check_scheduler`),
and a Dask run whose cluster has had no worker for
:data:`NO_WORKERS_ENV` seconds fails its remaining tasks instead of waiting
for workers forever.
"""
from __future__ import annotations

import contextlib
import os
import time

from ..errors import InputError
from .outcomes import TaskOutcome, describe_exception
from .workers import run_in_workers

__all__ = ["run_tasks", "default_workers", "capped_workers", "worker_capacity", "WORKER_BYTES", "check_scheduler", "NO_WORKERS_ENV", "DEFAULT_NO_WORKERS_SECONDS"]

#: Environment variable: seconds a Dask run waits while its cluster has no
#: worker at all before it fails its remaining tasks (``inf``: forever).
NO_WORKERS_ENV = "ISACSIM_DASK_NO_WORKERS_TIMEOUT"
#: Default of :data:`NO_WORKERS_ENV` [s]: time for workers to (re)join.
DEFAULT_NO_WORKERS_SECONDS = 120.0
#: Address schemes of Dask's network transports (``inproc`` cannot reach another process).
_SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
#: How often a waiting Dask run looks for finished tasks [s], and asks the scheduler for its workers [s].
_POLL_SECONDS, _WORKER_CHECK_SECONDS = 0.1, 1.0

#: Single-threaded BLAS for spawned workers (set before they import numpy):
#: the parallelism is across tasks. Forked workers inherit the parent's BLAS;
#: the matrices here are too small for BLAS to thread, and the tests check
#: that results are identical across worker counts.
_SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def default_workers():
    """All local cores."""
    return os.cpu_count() or 1


#: Memory of one local worker process [bytes]: a forked worker holds about
#: 28 MiB of its own at paper size (private dirty pages); twice that, for
#: larger problems.
WORKER_BYTES = 64 * 2**20
#: Open files the parent holds per worker (its pipe and process sentinel, with margin), and those it keeps for itself.
_FILES_PER_WORKER, _FILES_RESERVED = 4, 64


def worker_capacity():
    """How many local worker processes this machine holds, and what bounds it.

    Returns
    -------
    capacity : int or None
        The smaller of the available memory over :data:`WORKER_BYTES` and
        what the open-file limit (``RLIMIT_NOFILE``) allows, at least 1;
        None where the system tells neither.
    bound : str
        What sets ``capacity``, in words.
    """
    from ..limits import available_memory, format_bytes

    bounds = []
    memory = available_memory()
    if memory:
        bounds.append((memory // WORKER_BYTES, f"{format_bytes(memory)} of memory available, about {format_bytes(WORKER_BYTES)} a worker"))
    try:
        import resource

        files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if files != resource.RLIM_INFINITY:
            bounds.append(((files - _FILES_RESERVED) // _FILES_PER_WORKER, f"an open-file limit of {files} (ulimit -n)"))
    except (ImportError, OSError, ValueError):
        pass
    if not bounds:
        return None, ""
    capacity, bound = min(bounds)
    return max(1, int(capacity)), bound


def capped_workers(requested, n_tasks):
    """``requested`` local workers for ``n_tasks`` tasks, capped at :func:`worker_capacity`.

    Returns
    -------
    workers : int
        ``requested``, or the capacity when that is fewer than both
        ``requested`` and ``n_tasks``.
    warning : str or None
        Why fewer workers run, when they do.
    """
    capacity, bound = worker_capacity()
    if capacity is None or min(requested, n_tasks) <= capacity:
        return requested, None
    return capacity, f"--workers {requested}: this machine holds about {capacity} worker processes ({bound}); using {capacity}"


def _execute(job, task):
    try:
        return TaskOutcome(task, rows=job.run_task(task))
    except Exception as error:  # noqa: BLE001 - the task's failure, not the run's
        return TaskOutcome(task, failure=describe_exception(error))


def _execute_checked(job, task, expected):
    """:func:`_execute` on a Dask worker whose isacsim and plugins match ``expected``; else the task fails."""
    from .cluster import worker_mismatch

    mismatch = worker_mismatch(expected)
    return TaskOutcome(task, failure=mismatch) if mismatch else _execute(job, task)


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


def _serial(job, tasks):
    for task in tasks:
        yield _execute(job, task)


def _processes(job, tasks, workers):
    import multiprocessing

    # fork (POSIX) starts workers instantly and needs no `if __name__ == "__main__"`
    # guard in user scripts; elsewhere spawn, with single-threaded BLAS set
    # before the workers import numpy.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with _environment(_SINGLE_THREAD):
        yield from run_in_workers(job, tasks, workers, multiprocessing.get_context(method))


def check_scheduler(address):
    """Check a Dask scheduler address before anything starts.

    Parameters
    ----------
    address : str
        ``SCHEME://HOST:PORT`` (``tcp``, ``tls``, ``ws``, ``wss``, ``ucx``) or
        ``HOST:PORT`` (TCP).

    Returns
    -------
    str
        The address, with ``tcp://`` added where no scheme was given.

    Raises
    ------
    InputError
        Naming ``--scheduler``: not a string, no host, no port, an unknown
        scheme, or Dask distributed is not installed.
    """
    def refuse(why):
        raise InputError(
            f"--scheduler: {address!r} is not a Dask scheduler address ({why}); expected SCHEME://HOST:PORT with "
            f"SCHEME {', '.join(_SCHEDULER_SCHEMES[:-1])} or {_SCHEDULER_SCHEMES[-1]}, e.g. tcp://host:8786"
        )

    if not isinstance(address, str) or not address.strip():
        refuse("empty")
    address = address.strip()
    scheme, _, location = address.rpartition("://") if "://" in address else ("tcp", "", address)
    if scheme not in _SCHEDULER_SCHEMES:
        refuse(f"unknown scheme {scheme!r}")
    host, _, port = location.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]") and len(host) > 2  # an IPv6 address
    if not (bracketed or (host and not any(c in host for c in ":[]/"))):
        refuse("no valid host")
    if not (port.isdecimal() and 0 < int(port) < 65536):
        refuse("no valid port, 1-65535")
    try:
        import distributed  # noqa: F401 - needed to reach any scheduler
    except ImportError:
        raise InputError("--scheduler: needs Dask distributed; install the extra: pip install 'isacsim[dist]'") from None
    _no_workers_timeout()  # a bad setting fails now, not once the run waits
    return f"{scheme}://{location}"


def _no_workers_timeout():
    """:data:`NO_WORKERS_ENV` [s]."""
    text = os.environ.get(NO_WORKERS_ENV, "").strip()
    if not text:
        return DEFAULT_NO_WORKERS_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise InputError(f"{NO_WORKERS_ENV}: expected a number of seconds > 0 (or inf), got {text!r}")
    return seconds


class _WorkerWatch:
    """How long a Dask cluster has been without any worker (asked at most every second)."""

    def __init__(self, client):
        self.client = client
        self.last_seen = self.last_asked = time.monotonic()

    def idle_seconds(self):
        now = time.monotonic()
        if now - self.last_asked >= _WORKER_CHECK_SECONDS:
            self.last_asked = now
            try:
                workers = self.client.nthreads()
            except Exception:  # noqa: BLE001 - a lost scheduler cancels the futures, which report it
                workers = None
            if workers is None or workers:
                self.last_seen = now
        return now - self.last_seen


def _dask(job, tasks, address):
    from distributed import Client, as_completed

    grace = _no_workers_timeout()
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler: cannot reach a Dask scheduler at {address!r} ({error})") from None
    with client:
        from .cluster import check_worker_versions, installed_versions

        check_worker_versions(client)  # mixed versions would mix results
        expected = installed_versions()  # and a worker that joins later checks itself
        # Dask reruns a task whose worker dies; after too many deaths the
        # future raises (KilledWorker), which fails that task alone.
        futures = {
            client.submit(_execute_checked, job, task, expected, pure=False, key=f"isacsim-{task}-{os.getpid()}"): task
            for task in tasks
        }
        unfinished, watch = dict(futures), _WorkerWatch(client)
        try:
            completed = as_completed(futures)
            while not completed.is_empty():
                if not completed.has_ready():
                    if watch.idle_seconds() > grace:
                        break
                    time.sleep(_POLL_SECONDS)
                    continue
                for future in completed.next_batch(block=False):
                    unfinished.pop(future, None)
                    try:
                        yield future.result()
                    except Exception as error:  # noqa: BLE001 - the task's failure, not the run's
                        yield TaskOutcome(futures[future], failure=describe_exception(error))
            reason = (
                f"NoDaskWorkers: the Dask cluster at {address} has had no worker for {grace:g} s "
                f"(wait longer with {NO_WORKERS_ENV}=SECONDS)"
            )
            for task in unfinished.values():  # not run: failed, so that the next run retries them
                yield TaskOutcome(task, failure=reason)
        finally:
            client.cancel(list(futures))


def run_tasks(job, tasks, *, workers=1, scheduler=None):
    """Run ``job.run_task`` on every task.

    Parameters
    ----------
    job : object
        Picklable, with ``run_task(task) -> list of rows``.
    tasks : list of str
        Task ids.
    workers : int
        Local worker processes (1: in this process).
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:port``); when
        given, ``workers`` is ignored and the cluster's workers are used.

    Yields
    ------
    TaskOutcome
        One per task, in completion order: its rows, or why it failed.
    """
    if not tasks:
        return iter(())
    if scheduler:
        return _dask(job, tasks, check_scheduler(scheduler))
    if workers <= 1:
        return _serial(job, tasks)
    return _processes(job, tasks, min(workers, len(tasks)))
