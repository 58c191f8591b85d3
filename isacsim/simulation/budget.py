"""What a run will hold in memory, estimated from its size before it starts.

The main process keeps every task id (the task list, the finished set, the
order of the final sort) and, once the tasks are done, every result row: the
rows are read back, sorted, summarized and returned in the
:class:`~.runner.RunReport`. A row is a dict of short strings, about 135
bytes per cell as measured; the estimate takes 160 per cell, 256 per row and
1 KiB per task, so that it errs on the high side. A run over the memory
limit (:mod:`isacsim.limits`) is refused before anything starts, for
example ``--realizations 10000000``, instead of failing with a
``MemoryError`` after minutes.
"""
from __future__ import annotations

from ..limits import require_memory

__all__ = ["run_bytes", "job_size", "check_run_memory"]

#: Bytes per cell of a result row, per row and per task held by the main process.
BYTES_PER_CELL, BYTES_PER_ROW, BYTES_PER_TASK = 160, 256, 1024


def run_bytes(n_tasks, n_rows, n_columns):
    """Estimated memory the main process of a run holds [bytes].

    Parameters
    ----------
    n_tasks : int
        Tasks of the job.
    n_rows : int
        Result rows they write.
    n_columns : int
        Columns of a row.
    """
    return n_tasks * BYTES_PER_TASK + n_rows * (BYTES_PER_ROW + BYTES_PER_CELL * n_columns)


def job_size(job):
    """``(tasks, result rows)`` of ``job``: its ``size()`` where it has one (nothing listed), else counted."""
    if hasattr(job, "size"):
        return job.size()
    tasks = job.tasks()
    return len(tasks), sum(job.rows_per_task(task) for task in tasks)


def check_run_memory(job):
    """Refuse a job whose results would not fit in memory, before it starts.

    Raises
    ------
    MemoryLimitError
        Naming the number of tasks and rows, the estimate and the limit.
    """
    n_tasks, n_rows = job_size(job)
    require_memory(
        f"run: {n_tasks} tasks with {n_rows} result rows",
        run_bytes(n_tasks, n_rows, len(job.columns)),
        advice="use fewer realizations (--realizations) or swept values",
    )
