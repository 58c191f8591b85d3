"""Where tasks run: in-process, local worker processes, or a Dask cluster.

All three call the same pure function on each task and hand the rows back
to the main process, which alone writes them, as each task finishes.
"""
from __future__ import annotations

import contextlib
import os
from ..errors import InputError

__all__ = ["run_tasks", "default_workers"]

#: Single-threaded BLAS for spawned workers (set before they import numpy):
#: the parallelism is across tasks. Forked workers inherit the parent's BLAS;
#: the matrices here are too small for BLAS to thread, and the tests check
#: that results are identical across worker counts.
_SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def default_workers():
    """All local cores."""
    return os.cpu_count() or 1


def _execute(job, task):
    return task, job.run_task(task)


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
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # fork (POSIX) starts workers instantly and needs no `if __name__ == "__main__"`
    # guard in user scripts; elsewhere spawn, with single-threaded BLAS set
    # before the workers import numpy.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with _environment(_SINGLE_THREAD), ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_execute, job, task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _dask(job, tasks, address):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler: needs Dask distributed; install the extra: pip install 'isacsim[dist]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler: cannot reach a Dask scheduler at {address!r} ({error})") from None
    with client:
        futures = [client.submit(_execute, job, task, pure=False, key=f"isacsim-{task}-{os.getpid()}") for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)


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
    (str, list of dict)
        Each task and its rows, in completion order.
    """
    if not tasks:
        return iter(())
    if scheduler:
        return _dask(job, tasks, scheduler)
    if workers <= 1:
        return _serial(job, tasks)
    return _processes(job, tasks, min(workers, len(tasks)))
