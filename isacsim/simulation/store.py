"""`ResultStore`: results appended as tasks finish, and resumed after a kill.

``DIR/results.csv`` gets one block of rows per finished task, written with a
single write, flushed and fsync'ed. ``DIR/run.json`` records the run's
description: re-running with the same ``DIR`` resumes (finished tasks are
skipped, a half-written task is dropped and redone, no row is duplicated),
and a different description is refused.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from pathlib import Path

from ..atomic import atomic_write
from ..errors import InputError

__all__ = ["ResultStore", "ConfigMismatch", "write_json", "write_csv", "read_csv"]


class ConfigMismatch(InputError):
    """The output directory holds results of another configuration."""


def write_json(path, content):
    """Write JSON atomically (temp file + rename)."""
    text = json.dumps(content, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path, lambda handle: handle.write(text))


def read_csv(path):
    """Iterate over the rows of a CSV written here (dicts of strings)."""
    with open(path, newline="") as handle:
        yield from csv.DictReader(handle)


def _one_line(row):
    """Cells without line breaks, so that every record is exactly one line and a
    file cut at its last newline holds only whole records."""
    return {k: (v.replace("\r", " ").replace("\n", " ") if isinstance(v, str) else v) for k, v in row.items()}


def write_csv(path, columns, rows):
    """Write a CSV atomically, one line per row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(_one_line(row) for row in rows)
    atomic_write(path, lambda handle: handle.write(buffer.getvalue()))


def _differences(old, new, prefix=""):
    keys = sorted(set(old) | set(new))
    out = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return out


class ResultStore:
    """Append-only, resumable result file of one run.

    Parameters
    ----------
    directory : str or Path
        The run's output directory (created if missing).
    description : dict
        JSON-friendly description of what is computed.
    columns : sequence of str
        Column order of ``results.csv``.
    """

    def __init__(self, directory, description, columns):
        self.directory = Path(directory)
        self.description = json.loads(json.dumps(description, default=str))
        self.columns = list(columns)
        self.results_path = self.directory / "results.csv"
        self.run_path = self.directory / "run.json"

    def open(self, rows_per_task):
        """Check the description, repair a half-written file, list finished tasks.

        Parameters
        ----------
        rows_per_task : callable
            ``rows_per_task(task) -> int``, the rows of a finished task.

        Returns
        -------
        set of str
            Tasks already finished.

        Raises
        ------
        ConfigMismatch
            If the directory holds a run with another description.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.run_path.exists():
            recorded = json.loads(self.run_path.read_text())["description"]
            if recorded != self.description:
                changes = "; ".join(_differences(recorded, self.description)[:6])
                raise ConfigMismatch(
                    f"{self.directory}: holds results of a different configuration ({changes}); "
                    "choose another --out or delete the directory"
                )
        elif self.results_path.exists():
            raise ConfigMismatch(
                f"{self.directory}: has results.csv but no run.json, so the configuration that produced it is "
                "unknown; choose another --out or delete the directory"
            )
        else:
            write_json(self.run_path, {"description": self.description})
        if not self.results_path.exists():
            write_csv(self.results_path, self.columns, [])
            return set()
        return self._repair(rows_per_task)

    def _repair(self, rows_per_task):
        text = self.results_path.read_text()
        torn = bool(text) and not text.endswith("\n")  # killed in the middle of a line
        if torn:
            text = text[: text.rfind("\n") + 1]
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and list(rows[0].keys()) != self.columns:
            raise ConfigMismatch(f"{self.results_path}: has columns {list(rows[0].keys())}, expected {self.columns}")
        counts = Counter(row["task"] for row in rows)
        finished = {task for task, n in counts.items() if n == rows_per_task(task)}
        kept = [row for row in rows if row["task"] in finished]
        if torn or len(kept) != len(rows):
            write_csv(self.results_path, self.columns, kept)
        return finished

    def append(self, rows):
        """Append one task's rows durably (one write, flush, fsync)."""
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n").writerows(_one_line(row) for row in rows)
        with open(self.results_path, "a", newline="") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())

    def rows(self):
        """Iterate over the stored rows (dicts of strings)."""
        yield from read_csv(self.results_path)

    def sort(self, task_order):
        """Rewrite ``results.csv`` in task order (stable within a task)."""
        rank = {task: i for i, task in enumerate(task_order)}
        rows = sorted(self.rows(), key=lambda row: rank.get(row["task"], len(rank)))
        write_csv(self.results_path, self.columns, rows)
