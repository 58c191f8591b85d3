"""`ResultStore`: results appended as tasks finish, and resumed after a kill.

``DIR/results.csv`` gets one block of rows per finished task, written with a
single write, flushed and fsync'ed. ``DIR/run.json`` records the run's
description: re-running with the same ``DIR`` resumes (finished tasks are
skipped, a half-written task is dropped and redone, no row is duplicated),
and a different description is refused.

A damaged ``results.csv`` never makes a directory unusable: a malformed row
(torn, wrong field count, a cell that is not its column's kind, an unknown
task) is dropped together with the rest of its task, which is recomputed;
each problem is reported with the file and the line in
:attr:`ResultStore.repairs`. A task with an ``error`` row is not finished
either, so that a re-run retries it. Nothing is written through a symbolic
link.
"""
from __future__ import annotations

import contextlib
import csv
import errno
import io
import itertools
import json
import numbers
import os
import stat
from collections import Counter
from pathlib import Path

import numpy as np

from ..atomic import atomic_write, writing
from .. import strictjson
from ..errors import InputError
from .outcomes import is_failed_row

__all__ = ["ResultStore", "ConfigMismatch", "write_json", "write_csv", "read_csv", "describe_differences", "RESULTS_FORMAT"]

#: Version of the results files' meaning, kept in ``run.json``. 1 (no
#: record): the ``seed`` column held the run's root seed on every row; 2: each
#: row's realization seed (:func:`isacsim.scenario.realization_seed`). A
#: directory of another format is refused, never mixed.
RESULTS_FORMAT = 2


class ConfigMismatch(InputError):
    """The output directory holds results of another configuration."""


def _without(description, fields):
    """``description`` without the top-level ``fields``."""
    return {key: value for key, value in description.items() if key not in fields}


def write_json(path, content):
    """Write JSON atomically (temp file + rename); NaN and infinities become null."""
    text = strictjson.dumps(content, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path, lambda handle: handle.write(text))


def read_csv(path):
    """Iterate over the rows of a CSV written here (dicts of strings)."""
    with open(path, newline="", encoding="utf-8") as handle:
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
    atomic_write(path, lambda handle: handle.write(buffer.getvalue().encode("utf-8")), binary=True)


def describe_differences(old, new, prefix=""):
    """``"path: old -> new"`` for every leaf that differs (into dicts, and lists of one length)."""
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        old, new = dict(enumerate(old)), dict(enumerate(new))
        label = lambda key: f"{prefix.rstrip('.')}[{key}]"  # noqa: E731
    elif isinstance(old, dict) and isinstance(new, dict):
        label = lambda key: f"{prefix}{key}"  # noqa: E731
    else:
        return [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"] if old != new else []
    out = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if isinstance(a, (dict, list)) and type(a) is type(b):
            out.extend(describe_differences(a, b, f"{label(key)}."))
        elif a != b:
            out.append(f"{label(key)}: {a!r} -> {b!r}")
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
        Column order of ``results.csv``; must include ``"task"``.

    Attributes
    ----------
    repairs : list of str
        What :meth:`open` found wrong in ``results.csv`` and did about it,
        one line each, ``"DIR/results.csv line N: ..."``; for the caller to
        print.

    guard : callable or None
        Called before every write of ``results.csv`` (an append, the final
        sort); it raises to stop the run, e.g. when the directory's lock was
        lost (:meth:`.lock.DirectoryLock.check`).

    Notes
    -----
    The kind of each column (integer, number or text) is learned from the
    rows appended and kept in ``run.json``; on resume a cell that does not
    parse as its column's kind marks its row malformed.
    """

    def __init__(self, directory, description, columns, guard=None):
        self.directory = Path(directory)
        self.guard = guard or (lambda: None)
        self.description = json.loads(json.dumps(description, default=str))
        self.columns = list(columns)
        self.results_path = self.directory / "results.csv"
        self.run_path = self.directory / "run.json"
        self.repairs = []
        self._kinds = {}

    def open(self, rows_per_task, tasks=None, extendable=()):
        """Check the description, repair ``results.csv``, list finished tasks.

        A task is finished when it has exactly its rows, all well-formed, and
        none with status ``error``. Every other row is removed from the file
        (so that the task is recomputed), and every problem found is added to
        :attr:`repairs`. A missing, empty or header-only file means nothing is
        finished; a file with a wrong header is moved aside to
        ``results.csv.bad`` (``.bad.1``, ...).

        Parameters
        ----------
        rows_per_task : callable
            ``rows_per_task(task) -> int``, the rows of a finished task.
        tasks : collection of str or None
            The job's task ids; rows of any other task are malformed. ``None``
            accepts any id for which ``rows_per_task`` answers.
        extendable : collection of str
            Top-level fields of the description that may change between runs
            into one directory (``n_realizations``: realization ``r`` depends
            only on the seed and ``r``, so more extend the run and fewer
            re-read its first ones). Rows are never removed for it; the
            record is updated to the new description.

        Returns
        -------
        set of str
            Tasks already finished.

        Raises
        ------
        ConfigMismatch
            If the directory holds a run with another description, or results
            without (or with an unreadable) ``run.json``.
        InputError
            If ``results.csv`` or ``run.json`` is a symbolic link or not a
            regular file.
        """
        self.repairs = []
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in (self.run_path, self.results_path):
            _require_regular_or_absent(path)
        if self.run_path.exists():
            record = self._read_record()
            recorded = record["description"]
            if record.get("results_format", 1) != RESULTS_FORMAT:
                raise ConfigMismatch(
                    f"{self.directory}: holds results of an earlier isacsim (results format {record.get('results_format', 1)}, "
                    f"whose seed column held the root seed on every row; this version writes format {RESULTS_FORMAT}, "
                    "each row's realization seed); choose another --out or delete the directory"
                )
            if _without(recorded, extendable) != _without(self.description, extendable):
                changes = "; ".join(describe_differences(_without(recorded, extendable), _without(self.description, extendable))[:6])
                raise ConfigMismatch(
                    f"{self.directory}: holds results of a different configuration ({changes}); "
                    "choose another --out or delete the directory"
                )
            self._kinds = {k: v for k, v in record.get("column_kinds", {}).items() if k in self.columns and v in _KIND_RANK}
            if recorded != self.description:
                self._write_record()
        elif self.results_path.exists():
            raise ConfigMismatch(
                f"{self.directory}: has results.csv but no run.json, so the configuration that produced it is "
                "unknown; choose another --out or delete the directory"
            )
        else:
            self._write_record()
        if not self.results_path.exists():
            write_csv(self.results_path, self.columns, [])
            return set()
        return self._repair(rows_per_task, tasks)

    def _read_record(self):
        try:
            record = json.loads(self.run_path.read_bytes().decode("utf-8"))
            if not (isinstance(record, dict) and isinstance(record.get("description"), dict) and isinstance(record.get("column_kinds", {}), dict)):
                raise ValueError("no description")
        except ValueError as error:
            raise ConfigMismatch(
                f"{self.run_path}: is not a run record written by isacsim ({' '.join(str(error).split())}); "
                "choose another --out or delete the directory"
            ) from None
        return record

    def _write_record(self):
        write_json(self.run_path, {"description": self.description, "column_kinds": self._kinds, "results_format": RESULTS_FORMAT})

    def _note(self, line, message):
        self.repairs.append(f"{self.results_path} line {line}: {message}")

    def _repair(self, rows_per_task, tasks):
        lines = self.results_path.read_bytes().split(b"\n")
        torn = lines.pop()  # b"" when the file ends with a newline
        if torn:
            self._note(len(lines) + 1, "an incomplete last line (an interrupted write) was dropped")
        if not lines:
            write_csv(self.results_path, self.columns, [])
            return set()
        try:
            header = _parse_line(lines[0])
        except (UnicodeDecodeError, csv.Error):
            header = None
        if header != self.columns:
            return self._set_aside()
        expected_rows = _RowCounts(rows_per_task, tasks)
        rows, first_line, rejected = [], {}, set()
        for number, line in enumerate(lines[1:], start=2):
            row, problem = self._parse_row(line, expected_rows)
            if problem:
                task = row.get("task", "")
                rejected.add(task)
                self._note(number, f"{problem}; the row was dropped" + (f" and task {task!r} is recomputed" if expected_rows.known(task) else ""))
                continue
            rows.append(row)
            first_line.setdefault(row["task"], number)
        counts = Counter(row["task"] for row in rows)
        failed = {row["task"] for row in rows if is_failed_row(row)}
        finished = set()
        for task, count in counts.items():
            expected = expected_rows(task)
            if count != expected and task not in rejected:
                self._note(first_line[task], f"task {task!r} has the wrong number of rows (found: {count}, expected: {expected}); it is recomputed")
            elif task not in rejected | failed:
                finished.add(task)
        kept = [row for row in rows if row["task"] in finished]
        if torn or len(kept) != len(lines) - 1:
            write_csv(self.results_path, self.columns, kept)
        return finished

    def _parse_row(self, line, expected_rows):
        """``(row, problem)``: the row as a dict (partial if malformed) and what is wrong with it, or None."""
        try:
            fields = _parse_line(line)
        except UnicodeDecodeError:
            return {}, "not UTF-8 text"
        except csv.Error as error:
            task = line.split(b",", 1)[0].decode("utf-8", "replace")
            return {"task": task}, f"malformed CSV ({error})"
        row = dict(zip(self.columns, fields))
        if len(fields) != len(self.columns):
            return row, f"{len(fields)} fields, expected {len(self.columns)}"
        if not expected_rows.known(row["task"]):
            return row, f"unknown task {row['task']!r}"
        for column, kind in self._kinds.items():
            if not _parses_as(kind, row[column]):
                return row, f"column {column!r} holds {row[column]!r}, expected {_KIND_NAMES[kind]}"
        return row, None

    def _set_aside(self):
        aside = self.results_path.with_name(self.results_path.name + ".bad")
        for n in itertools.count(1):
            if not os.path.lexists(aside):
                break
            aside = self.results_path.with_name(f"{self.results_path.name}.bad.{n}")
        os.rename(self.results_path, aside)
        self._note(1, f"the header is not the expected columns ({', '.join(self.columns)}); the file was moved to {aside.name} "
                      "and every task is recomputed")
        write_csv(self.results_path, self.columns, [])
        return set()

    def append(self, rows):
        """Append one task's rows durably (one write, flush, fsync).

        Raises
        ------
        InputError
            If ``results.csv`` has been replaced by a symbolic link or a
            special file, or removed: it is never written through a link.
        OutputError
            If the system fails the write (a full disk, an I/O error); the
            rows appended before stay, and a torn last line is repaired on
            the next run.
        """
        self.guard()
        kinds = _learn_kinds(self._kinds, rows, self.columns)
        if kinds != self._kinds:
            self._kinds = kinds
            self._write_record()
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n").writerows(_one_line(row) for row in rows)
        with writing(self.results_path), _open_for_append(self.results_path) as handle:
            handle.write(buffer.getvalue().encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def rows(self):
        """Iterate over the stored rows (dicts of strings)."""
        yield from read_csv(self.results_path)

    def sort(self, task_order):
        """Rewrite ``results.csv`` in task order (stable within a task).

        Returns
        -------
        list of dict
            The stored rows in that order (dicts of strings), so that a caller
            need not read the file again.
        """
        rank = {task: i for i, task in enumerate(task_order)}
        rows = sorted(self.rows(), key=lambda row: rank.get(row["task"], len(rank)))
        self.guard()
        write_csv(self.results_path, self.columns, rows)
        return rows


class _RowCounts:
    """``rows_per_task`` of the job, answering ``None`` for a task it does not know."""

    def __init__(self, rows_per_task, tasks):
        self._rows_per_task = rows_per_task
        self._tasks = None if tasks is None else set(tasks)

    def __call__(self, task):
        if self._tasks is not None and task not in self._tasks:
            return None
        try:
            return self._rows_per_task(task)
        except Exception:  # noqa: BLE001 - a garbled id the job cannot even parse
            return None

    def known(self, task):
        return self(task) is not None


def _parse_line(line):
    """The fields of one CSV line (bytes, without its newline)."""
    return next(csv.reader([line.decode("utf-8")], strict=True), [])


#: Column kinds, from the most to the least specific.
_KIND_RANK = {"int": 0, "float": 1, "text": 2}
_KIND_NAMES = {"int": "an integer", "float": "a number", "text": "text"}


def _kind(value):
    """The kind of one cell value as written, or None for an empty cell."""
    if value is None or (isinstance(value, str) and not value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "text"
    if isinstance(value, numbers.Integral):
        return "int"
    return "float" if isinstance(value, numbers.Real) else "text"


def _learn_kinds(kinds, rows, columns):
    """``kinds`` widened so that every cell of ``rows`` fits its column's kind."""
    learned = dict(kinds)
    for row in rows:
        for column in columns:
            kind = _kind(row.get(column))
            if kind is not None and _KIND_RANK[kind] > _KIND_RANK.get(learned.get(column), -1):
                learned[column] = kind
    return learned


def _parses_as(kind, cell):
    if kind == "text" or cell == "":
        return True
    try:
        (int if kind == "int" else float)(cell)
    except ValueError:
        return False
    return True


def _require_regular_or_absent(path):
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise InputError(f"{path}: is a symbolic link; isacsim keeps its results in regular files only (remove the link)")
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is not a regular file (remove it or choose another --out)")


@contextlib.contextmanager
def _open_for_append(path):
    """``path`` opened for appending bytes, never through a symbolic link, never created."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: was removed during the run") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: was replaced by a symbolic link; results are never written through one") from None
        raise InputError(f"{path}: cannot be appended to ({error.strerror})") from None
    with os.fdopen(fd, "wb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError(f"{path}: is not a regular file any more")
        yield handle
