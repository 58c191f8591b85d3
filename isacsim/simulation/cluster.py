"""Dask clusters: the versions check at the start of a run, and SLURM through dask-jobqueue.

A run on a cluster (``run(..., scheduler=ADDRESS)``, ``isacsim reproduce
--scheduler ADDRESS``) first asks every worker which isacsim and which
isacsim plugins (the ``isacsim`` entry-point group, with their package
versions) it has, and refuses to start if any worker differs from the client,
naming the worker: mixed versions would mix results. A worker that joins
later checks itself before each task (:func:`worker_mismatch`): on a
mismatch the task fails, naming the worker, and the next run retries it.

:func:`slurm_cluster` starts a scheduler here and workers as SLURM jobs,
through dask-jobqueue (``pip install 'isacsim[cluster]'``).
"""
from __future__ import annotations

import functools
from importlib import metadata

from ..errors import InputError

__all__ = ["installed_versions", "check_worker_versions", "worker_mismatch", "slurm_cluster"]

#: The entry-point group of isacsim plugins.
_GROUP = "isacsim"


def installed_versions():
    """The isacsim and plugin versions of this process.

    Returns
    -------
    dict
        ``{"isacsim": version, "plugins": {entry-point name: "package version"}}``.
    """
    plugins = {}
    for entry_point in metadata.entry_points(group=_GROUP):
        dist = getattr(entry_point, "dist", None)
        plugins[entry_point.name] = f"{dist.name} {dist.version}" if dist is not None else "?"
    try:
        version = metadata.version("isacsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - isacsim runs from a source tree
        from .. import __version__ as version
    return {"isacsim": version, "plugins": dict(sorted(plugins.items()))}


def _difference(worker, client):
    """What differs between a worker's versions and the client's, in words (empty: nothing)."""
    problems = []
    if worker["isacsim"] != client["isacsim"]:
        problems.append(f"isacsim {worker['isacsim']} (client: {client['isacsim']})")
    for name in sorted(set(worker["plugins"]) | set(client["plugins"])):
        mine, theirs = client["plugins"].get(name), worker["plugins"].get(name)
        if mine != theirs:
            problems.append(f"plugin {name!r}: {theirs or 'not installed'} (client: {mine or 'not installed'})")
    return "; ".join(problems)


def check_worker_versions(client):
    """Refuse a cluster whose workers run other isacsim or plugin versions than this client.

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster.

    Raises
    ------
    InputError
        Naming the first worker that differs and how, or a worker that
        cannot report (isacsim not installed there). A cluster without
        workers yet passes: each task checks its worker
        (:func:`worker_mismatch`).
    """
    mine = installed_versions()
    try:
        theirs = client.run(installed_versions)
    except Exception as error:  # noqa: BLE001 - a worker that cannot even import isacsim
        raise InputError(
            f"--scheduler: a worker cannot report its isacsim version ({type(error).__name__}: {error}); "
            "install isacsim and the plugins on every worker"
        ) from None
    for worker, versions in sorted(theirs.items()):
        difference = _difference(versions, mine)
        if difference:
            raise InputError(
                f"--scheduler: worker {worker} runs {difference}; install the same isacsim and plugins on every worker"
            )


@functools.lru_cache(maxsize=1)
def _this_process_versions():
    return installed_versions()


def worker_mismatch(expected):
    """How this worker's versions differ from the client's ``expected`` ones, or ``None``.

    Called in a worker before each task (the versions are read once per
    process).

    Returns
    -------
    str or None
        ``"VersionMismatch: worker ADDRESS runs ..."``, the task's failure.
    """
    difference = _difference(_this_process_versions(), expected)
    if not difference:
        return None
    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        where = "(this process)"
    return f"VersionMismatch: worker {where} runs {difference}; install the same isacsim and plugins on every worker"


def slurm_cluster(*, cores=1, memory="4GiB", walltime="01:00:00", queue=None, account=None, **options):
    """A Dask cluster whose workers are SLURM jobs (dask-jobqueue's ``SLURMCluster``).

    Each job runs ``cores`` single-threaded worker processes (the parallelism
    is across tasks; BLAS is kept to one thread), so tasks land one per core.
    Scale it (``cluster.scale(jobs=4)``, ``cluster.adapt(maximum_jobs=20)``)
    and pass ``cluster.scheduler_address`` to :func:`isacsim.simulation.run`
    (``scheduler=``) or to ``isacsim reproduce --scheduler``. The job
    environment must have the same isacsim and plugins as this process
    (checked at the start of every run).

    Parameters
    ----------
    cores : int
        Cores (and worker processes) per job.
    memory : str
        Memory per job, e.g. ``"8GiB"``.
    walltime : str
        ``HH:MM:SS`` per job.
    queue, account : str or None
        SLURM partition and account.
    **options
        Passed on to ``dask_jobqueue.SLURMCluster`` (``job_extra_directives``,
        ``job_script_prologue``, ``python``, ``interface``, ...).

    Returns
    -------
    dask_jobqueue.SLURMCluster
    """
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise InputError("slurm_cluster: needs dask-jobqueue, which is not installed: pip install 'isacsim[cluster]'") from None
    prologue = ["export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1", *options.pop("job_script_prologue", [])]
    return SLURMCluster(
        cores=cores,
        processes=cores,
        memory=memory,
        walltime=walltime,
        queue=queue,
        account=account,
        job_script_prologue=prologue,
        **options,
    )
