"""What became of a task, and of a run's failed points."""
from __future__ import annotations

import collections

import attrs

__all__ = ["TaskOutcome", "FailureGroup", "describe_exception", "group_failures", "is_failed_row"]


def is_failed_row(row):
    """Whether a result row records a failed point (``status == "error"``): never counted as done."""
    return row.get("status") == "error"


def describe_exception(error):
    """``"TypeName: message"`` on one line."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


@attrs.frozen
class TaskOutcome:
    """The rows of a finished task, or why it failed.

    Attributes
    ----------
    task : str
        Task id.
    rows : list of dict or None
        Its rows (possibly with ``status == "error"`` points).
    failure : str or None
        ``"TypeName: message"`` when no rows could be computed at all (the
        job raised, or its worker died twice).
    """

    task: str
    rows: list | None = None
    failure: str | None = None

    @property
    def failed(self):
        """Whether the task failed, whole or at some of its points (``error`` rows)."""
        return self.failure is not None or any(is_failed_row(row) for row in self.rows)


@attrs.frozen
class FailureGroup:
    """Failed points that share one cause.

    Attributes
    ----------
    cause : str
        What failed, e.g. ``"designer 'sdr': ValueError"`` or ``"task: WorkerDied"``.
    count : int
        Failed points (result rows, or whole tasks) with this cause.
    first : str
        The first such point's task and message.
    """

    cause: str
    count: int
    first: str

    def line(self):
        """One line for a report on stderr."""
        return f"{self.count} x {self.cause}; first: {self.first}"


def group_failures(outcomes):
    """Group the failed points of ``outcomes`` by cause, in order of appearance.

    Parameters
    ----------
    outcomes : iterable of TaskOutcome

    Returns
    -------
    list of FailureGroup
        A whole failed task is one point; otherwise each row with
        ``status == "error"`` is one, its cause being the head of its reason
        (e.g. ``designer 'x' of plugin 'p' raised RuntimeError``), with the
        designer named.
    """
    counts, firsts = collections.Counter(), {}
    for outcome in outcomes:
        if outcome.failure is not None:
            failed = [(f"task: {outcome.failure.split(':')[0]}", outcome.failure)]
        else:
            failed = [
                (_row_cause(row), row.get("reason", ""))
                for row in outcome.rows
                if is_failed_row(row)
            ]
        for cause, message in failed:
            counts[cause] += 1
            firsts.setdefault(cause, f"task {outcome.task}: {message}")
    return [FailureGroup(cause, counts[cause], firsts[cause]) for cause in firsts]


def _row_cause(row):
    """What failed: the head of the reason, naming the designer (and its plugin) when the reason does not."""
    head = str(row.get("reason", "")).split(":")[0].split(" (")[0].strip() or "error"
    designer = row.get("designer")
    return f"designer {designer!r}: {head}" if designer and not head.startswith("designer ") else head
