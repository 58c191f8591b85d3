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

A Dask address is checked before anything starts (:func:`check_scheduler`),
and a Dask run whose cluster has had no worker for
:data:`NO_WORKERS_ENV` seconds fails its remaining tasks instead of waiting
for workers forever.
"""
from __future__ import annotations

import contextlib
import os
import time

import attrs

from ..errors import InputError
from ..guard import time_limit
from ..plugins import adopt, registered_plugins
from .batching import execute_batch
from .outcomes import TaskOutcome, describe_exception
from .workers import run_in_workers

__all__ = ["run_tasks", "run_batches", "default_workers", "ConfiguredJob", "capped_workers", "worker_capacity", "WORKER_BYTES", "check_scheduler", "NO_WORKERS_ENV", "DEFAULT_NO_WORKERS_SECONDS"]

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


def _execute_checked(job, batch, expected):
    """:func:`.batching.execute_batch` on a Dask worker whose isacsim and plugins match ``expected``; else every task fails."""
    from .cluster import worker_mismatch

    mismatch = worker_mismatch(expected)
    return [TaskOutcome(task, failure=mismatch) for task in batch] if mismatch else execute_batch(job, batch)


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


def _dask(job, batches, address):
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
        # Dask reruns a batch whose worker dies; after too many deaths the
        # future raises (KilledWorker): each task of the batch is then
        # submitted alone, and a task that fails alone fails by itself.
        def submit(batch):
            return client.submit(_execute_checked, job, batch, expected, pure=False, key=f"isacsim-{batch[0]}-{len(batch)}-{os.getpid()}")

        futures = {submit(tuple(batch)): tuple(batch) for batch in batches}
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
                    batch = unfinished.pop(future, futures[future])
                    try:
                        yield future.result()
                    except Exception as error:  # noqa: BLE001 - the batch's failure, not the run's
                        if len(batch) == 1:
                            yield [TaskOutcome(batch[0], failure=describe_exception(error))]
                            continue
                        for task in batch:
                            alone = submit((task,))
                            futures[alone] = unfinished[alone] = (task,)
                            completed.add(alone)
            reason = (
                f"NoDaskWorkers: the Dask cluster at {address} has had no worker for {grace:g} s "
                f"(wait longer with {NO_WORKERS_ENV}=SECONDS)"
            )
            stranded = [task for batch in unfinished.values() for task in batch]
            if stranded:  # not run: failed, so that the next run retries them
                yield [TaskOutcome(task, failure=reason) for task in stranded]
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
        Address of a Dask distributed scheduler (``tcp://host:port``,
        :func:`check_scheduler`); when given, ``workers`` is ignored and the
        cluster's workers are used.
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
        return _dask(job, batches, check_scheduler(scheduler))
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
