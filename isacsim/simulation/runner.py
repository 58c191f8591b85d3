"""`run`: drive a job's tasks through an executor into a resumable store."""
from __future__ import annotations

import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from os import PathLike
from typing import Any

import attrs

from ..guard import parse_timeout, timeout_from_environment
from ..plugins import installed_plugins
from ..solvers.registry import solver_description
from .batching import plan_batches
from .budget import check_run_memory
from .executors import capped_workers, check_scheduler, default_workers, run_batches
from .lock import exclusive_directory
from .outcomes import group_failures
from .progress import Progress
from .store import ResultStore, write_csv, write_json

__all__ = ["run", "RunReport", "package_versions"]


@attrs.frozen
class RunReport:
    """What a run did.

    Attributes
    ----------
    directory : Path
        Output directory.
    n_tasks : int
        Tasks of the job.
    n_computed : int
        Tasks computed by this invocation.
    n_resumed : int
        Tasks found finished on disk and skipped.
    wall_seconds : float
        Wall time of this invocation [s].
    summary : list of dict
        The summary rows.
    failures : list of FailureGroup
        This invocation's failed points, grouped by cause (empty when every
        point succeeded). They are not counted as finished: running again
        retries them.
    rows : list of dict
        The stored rows of this run's tasks (dicts of strings), in task
        order: what the summary was made from.
    """

    directory: Path
    n_tasks: int
    n_computed: int
    n_resumed: int
    wall_seconds: float
    summary: list
    failures: list = attrs.field(factory=list)
    rows: list = attrs.field(factory=list, repr=False, eq=False)

    @property
    def n_failed(self) -> int:
        """Failed points of this invocation."""
        return sum(group.count for group in self.failures)

    def to_xarray(self) -> Any:
        """This run's rows as one ``xarray.Dataset`` (:func:`isacsim.simulation.export.to_dataset`).

        Dimensions scenario, designer, receiver, the swept variable and
        realization; a variable per numeric column of ``results.csv`` and
        ``status``; ``metadata.json`` as attributes. Needs the ``xarray`` extra.
        """
        import json

        from .export import to_dataset

        return to_dataset(self.rows, json.loads((self.directory / "metadata.json").read_text(encoding="utf-8")))


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that determine the numbers."""
    versions: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("isacsim", "numpy", "scipy", "cvxopt", "picos", "attrs", "pluggy", "matplotlib", "distributed"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run(job: Any, directory: str | PathLike[str], *, workers: int | None = None, scheduler: str | None = None, progress: Any = None, label: str = "", extra_metadata: dict[str, Any] | None = None, timeout: float | None = None) -> RunReport:
    """Run every unfinished task of ``job`` and write the results.

    Writes ``results.csv`` (appended as batches of tasks finish, sorted at the end),
    ``summary.csv``, ``run.json`` (the job's description, checked on resume)
    and ``metadata.json`` (description, versions, every loaded plugin's
    distribution and version, solver, wall time, failed points).

    A job with ``extendable_fields = ("n_realizations",)`` may be re-run into
    its directory with another number of realizations: more computes only the
    new ones (the others stay bit-identical), fewer summarizes the first ones.

    A job with ``batch_key`` and ``run_batch`` runs its tasks of one shape in
    batches (:mod:`.batching`), whose size adapts to the pending tasks, the
    workers and the memory; the results do not depend on it.

    A task that fails never stops the others. Its ``error`` rows are written,
    so that the failure can be read, but the task does not count as finished
    (:class:`.ResultStore`): the next run retries it. A task that produced no
    rows at all (it raised, or its worker died twice) is not written. Both
    are in :attr:`RunReport.failures`.

    Parameters
    ----------
    job : object
        With ``describe()``, ``columns``, ``summary_columns``, ``tasks()``,
        ``rows_per_task(task)``, ``run_task(task)`` and ``summarize(rows)``;
        optionally ``batch_key``, ``run_batch`` and ``batch_limit``.
    directory : str or Path
        Output directory; re-running with the same directory resumes.
    workers : int or None
        Local worker processes; ``None`` uses every core.
    scheduler : str or None
        Dask scheduler address; runs the tasks on that cluster instead.
    progress : bool or None
        ``False``: silent. Otherwise a live bar on a terminal, and a line
        every 15 s elsewhere (:class:`.Progress`).
    label : str
        Shown first on every progress line.
    extra_metadata : dict or None
        Added to ``metadata.json``.
    timeout : float or None
        Time limit of every design [s]: a design that runs longer is an
        ``error`` point ("timed out after S s"), retried by the next run.
        ``None``: ``$ISACSIM_DESIGN_TIMEOUT``, else no limit.

    Returns
    -------
    RunReport

    Raises
    ------
    ConfigMismatch
        If ``directory`` holds results of another job description.
    DirectoryInUse
        If another run holds ``directory`` (:mod:`.lock`).
    LockLost
        If the directory or its lock was removed or replaced during the run;
        the run stops before its next write.
    MemoryLimitError
        If its results would not fit in memory (:mod:`.budget`); nothing starts.
    """
    if scheduler is not None:
        scheduler = check_scheduler(scheduler)  # a bad address fails before the directory is touched
    timeout = parse_timeout(timeout, "timeout") if timeout is not None else timeout_from_environment()
    check_run_memory(job)  # and a run too large for memory
    with exclusive_directory(directory) as lock:
        return _run(job, Path(directory), workers, scheduler, progress, label, extra_metadata, lock, timeout)


def _run(job, directory, workers, scheduler, progress, label, extra_metadata, lock, timeout):
    """:func:`run`, with the directory held by ``lock``."""
    started = time.monotonic()
    store = ResultStore(directory, job.describe(), job.columns, guard=lock.check)
    tasks = job.tasks()
    finished = store.open(job.rows_per_task, extendable=getattr(job, "extendable_fields", ()))
    for repair in store.repairs:  # a damaged results file, repaired: said once, before the run
        print(f"isacsim: warning: {repair}", file=sys.stderr)
    pending = [task for task in tasks if task not in finished]
    workers = default_workers() if workers is None else workers
    if not scheduler:
        workers, warning = capped_workers(workers, len(pending))  # never more than the machine holds
        if warning:
            print(f"isacsim: warning: {warning}", file=sys.stderr)
    bar = Progress(len(pending), label=label, enabled=progress)
    failed = []  # only the outcomes with a failure: the rows themselves stream to disk
    try:
        batches = plan_batches(job, pending, workers)
        for outcomes in run_batches(job, batches, workers=workers, scheduler=scheduler, timeout=timeout):
            _record(store, outcomes, failed)
            bar.advance(len(outcomes))
    finally:
        bar.close()
    failures = group_failures(failed)
    current = set(tasks)  # rows of realizations beyond this run's stay on disk, out of its summary
    rows = [row for row in store.sort(tasks) if row["task"] in current]
    summary = job.summarize(rows)
    write_csv(directory / "summary.csv", job.summary_columns, summary)
    wall = time.monotonic() - started
    write_json(
        directory / "metadata.json",
        {
            "description": job.describe(),
            "tasks": {"total": len(tasks), "computed_now": len(pending), "resumed": len(tasks) - len(pending)},
            "failed_points": [attrs.asdict(group) for group in failures],
            "execution": {"workers": None if scheduler else workers, "scheduler": scheduler, "wall_seconds": wall,
                          "design_timeout_seconds": timeout},
            "solver": solver_description(),
            "versions": package_versions(),
            "plugins": installed_plugins(),
            **(extra_metadata or {}),
        },
    )
    return RunReport(directory, len(tasks), len(pending), len(tasks) - len(pending), wall, summary, failures, rows)


def _record(store, outcomes, failed):
    """Append the rows of a batch's outcomes in one durable write; keep the failed outcomes in ``failed``."""
    rows = [row for outcome in outcomes if outcome.rows is not None for row in outcome.rows]
    if rows:
        store.append(rows)
    failed.extend(outcome for outcome in outcomes if outcome.failed)
