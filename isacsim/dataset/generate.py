"""`generate`: compute a dataset into a directory, shard by shard, resumably."""
from __future__ import annotations

import collections
import hashlib
import sys
import time
from pathlib import Path

import attrs
import numpy as np

from ..simulation.executors import capped_workers, default_workers, run_batches
from ..simulation.lock import exclusive_directory
from ..simulation.outcomes import group_failures
from ..simulation.progress import Progress
from ..simulation.runner import package_versions
from ..simulation.store import ConfigMismatch, describe_differences, write_json
from ..solvers.registry import solver_description
from .files import FIELDS, FORMAT, FORMAT_VERSION, MANIFEST, read_manifest, shard_file, write_shard

__all__ = ["generate", "DatasetReport"]


@attrs.frozen
class DatasetReport:
    """What a run of :func:`generate` did.

    Attributes
    ----------
    directory : Path
    n_samples : int
        Samples of the dataset.
    n_computed : int
        Samples computed (and written) by this run.
    n_resumed : int
        Samples found finished on disk.
    statuses : dict of str -> int
        Samples of the finished shards by design status.
    failures : list of FailureGroup
        Failed samples of this run, grouped by cause; their shards are not
        written, and the next run retries them.
    wall_seconds : float
    complete : bool
        Whether every shard is finished.
    """

    directory: Path
    n_samples: int
    n_computed: int
    n_resumed: int
    statuses: dict
    failures: list
    wall_seconds: float
    complete: bool

    @property
    def n_failed(self):
        """Failed samples (or shards) of this run."""
        return sum(group.count for group in self.failures)


def generate(config, directory, *, workers=None, progress=None, label="dataset"):
    """Compute every unfinished shard of a dataset.

    Parameters
    ----------
    config : DatasetConfig
    directory : str or Path
        Output directory; running again with the same directory resumes
        (finished shards are kept, a changed configuration is refused).
    workers : int or None
        Local worker processes; ``None`` uses every core.
    progress : bool or None
        As for :func:`isacsim.simulation.run`.
    label : str
        Shown first on every progress line.

    Returns
    -------
    DatasetReport

    Raises
    ------
    ConfigMismatch
        If ``directory`` holds a dataset of another configuration.
    DirectoryInUse
        If another run holds ``directory``.
    LockLost
        If the directory or its lock was removed or replaced during the run;
        the run stops before its next write.
    """
    with exclusive_directory(directory) as lock:
        return _generate(config, Path(directory), workers, progress, label, lock)


def _generate(config, directory, workers, progress, label, lock):
    started = time.monotonic()
    manifest = _open_manifest(config, directory)
    pending = [task for k, task in enumerate(config.tasks()) if str(k) not in manifest["shards"]]
    n_resumed = sum(entry["stop"] - entry["start"] for entry in manifest["shards"].values())
    workers, warning = capped_workers(default_workers() if workers is None else workers, len(pending))
    if warning:
        print(f"isacsim: warning: {warning}", file=sys.stderr)
    bar = Progress(config.n - n_resumed, label=label, enabled=progress, unit="sample")
    failed, computed, solve_seconds = [], 0, 0.0
    try:
        for outcomes in run_batches(config, [(task,) for task in pending], workers=workers):
            for outcome in outcomes:
                shard = int(outcome.task.split("-")[1])
                start, stop = config.shard_range(shard)
                if outcome.failed:  # not written: the next run retries the shard
                    failed.append(outcome)
                else:
                    arrays = {name: np.stack([sample[name] for sample in outcome.rows]) for name in FIELDS}
                    statuses = collections.Counter(str(status) for status in arrays["status"])
                    lock.check()  # the directory is still this run's: never write into a replaced one
                    manifest["shards"][str(shard)] = {
                        "file": shard_file(shard),
                        "start": start,
                        "stop": stop,
                        "sha256": write_shard(directory, shard, arrays),
                        "statuses": dict(sorted(statuses.items())),
                    }
                    write_json(directory / MANIFEST, manifest)
                    computed += stop - start
                bar.advance(stop - start)
    finally:
        bar.close()
    manifest["complete"] = len(manifest["shards"]) == config.n_shards
    write_json(directory / MANIFEST, manifest)
    statuses = collections.Counter()
    for entry in manifest["shards"].values():
        statuses.update(entry["statuses"])
    failures = group_failures(failed)
    wall = time.monotonic() - started
    write_json(
        directory / "metadata.json",
        {
            "description": config.describe(),
            "samples": {"total": config.n, "computed_now": computed, "resumed": n_resumed, "statuses": dict(statuses)},
            "failed_points": [attrs.asdict(group) for group in failures],
            "execution": {"workers": workers, "wall_seconds": wall},
            "solver": solver_description(),
            "versions": package_versions(),
        },
    )
    return DatasetReport(directory, config.n, computed, n_resumed, dict(statuses), failures, wall, manifest["complete"])


def _open_manifest(config, directory):
    """The manifest to resume from: the configuration checked, shards that do not match their record dropped."""
    description = config.describe()
    manifest = read_manifest(directory)
    if manifest is None:
        if any(directory.glob("shard-*.npz")):
            raise ConfigMismatch(f"{directory}: has shards but no {MANIFEST}, so what made them is unknown; choose another --out or delete the directory")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "description": description, "n_shards": config.n_shards,
                    "complete": False, "fields": {name: list(spec) for name, spec in FIELDS.items()}, "shards": {}}
        write_json(directory / MANIFEST, manifest)
        return manifest
    if manifest.get("description") != description:
        changes = "; ".join(describe_differences(manifest.get("description") or {}, description)[:6])
        raise ConfigMismatch(f"{directory}: holds a dataset of a different configuration ({changes}); choose another --out or delete the directory")
    for key, entry in list(manifest["shards"].items()):
        path = directory / entry["file"]
        try:
            intact = hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        except OSError:
            intact = False
        if not intact:
            print(f"isacsim: warning: {path}: missing or damaged; it is recomputed", file=sys.stderr)
            del manifest["shards"][key]
    return manifest
