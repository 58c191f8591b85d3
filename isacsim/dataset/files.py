"""The files of a dataset, and :func:`load`, which needs NumPy alone.

A dataset directory holds

``dataset.json``
    The manifest: the configuration that made the samples, the shard size,
    and one entry per finished shard (its file, its first and last sample,
    the SHA-256 of its bytes and its statuses); ``complete`` once every
    shard is finished.
``shard-00000.npz``, ``shard-00001.npz``, ...
    Samples ``k S`` to ``(k + 1) S - 1`` (``S`` the shard size): one array
    per field of :data:`FIELDS`, stacked along a first sample axis.
``metadata.json``
    Versions, workers and wall time of the last run (provenance only).

Shards are written whole (a temporary file renamed over the name) and the
manifest after them, so a killed run leaves only finished shards, which the
next run keeps.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from os import PathLike
from typing import Any

import numpy as np

from ..atomic import atomic_write
from ..errors import InputError

__all__ = ["FIELDS", "FORMAT", "FORMAT_VERSION", "MANIFEST", "shard_file", "write_shard", "read_manifest", "load"]

#: ``"format"`` of a manifest.
FORMAT = "isacsim-dataset"
#: Version of the format described here.
FORMAT_VERSION = 1
#: The manifest's file name.
MANIFEST = "dataset.json"

#: Every array of a shard: name -> (dtype, shape of one sample, unit, meaning).
#: Shapes use L (BSs), K (users per cell), Nt (transmit antennas) and Q
#: (sample points); ``()`` is one number per sample.
FIELDS = {
    "index": ("int64", "()", "", "the sample's number, 0 .. N - 1 (its channels depend only on the seed and it)"),
    "H": ("complex128", "(L, L, K, Nt)", "amplitude", "H[l, m, k]: channel from BS l to user k of cell m; received amplitude h^H w"),
    "A": ("complex128", "(Q, L, Nt)", "", "A[q, l]: BS l's transmit steering vector towards point q; gain abs(a^T w)^2"),
    "G": ("float64", "(Q, L, L)", "", "G[q, m, l]: echo gain of the path BS l -> point q -> BS m"),
    "gamma": ("float64", "(L, K)", "linear", "SINR target of every user"),
    "p_max": ("float64", "(L,)", "W", "power budget of every BS"),
    "sigma_c2": ("float64", "()", "W", "user noise power"),
    "sigma_d2": ("float64", "()", "W", "radar receiver noise power per antenna"),
    "n_rx": ("int64", "()", "", "receive antennas per BS"),
    "p_fa": ("float64", "()", "", "false-alarm probability"),
    "bs_positions": ("float64", "(L, 2)", "m", "BS positions"),
    "user_positions": ("float64", "(L, K, 2)", "m", "user positions, by cell"),
    "points": ("float64", "(Q, 2)", "m", "the sample points of the target area"),
    "w": ("complex128", "(L, K, Nt)", "sqrt(W)", "w[l, i]: information beam of BS l for its user i (zero unless a design exists)"),
    "R": ("complex128", "(L, Nt, Nt)", "W", "R[l]: sensing covariance of BS l, Hermitian PSD (zero unless a design exists)"),
    "status": ("str", "()", "", "optimal, feasible (both verified), inaccurate, infeasible or error"),
    "reason": ("str", "()", "", "why the status is not optimal (empty when it is)"),
    "objective_w": ("float64", "()", "W", "min over the points of the reflected power of (w, R), recomputed from them"),
    "bound_w": ("float64", "()", "W", "certified upper bound on the optimum (the relaxation's dual value; NaN if none)"),
    "duality_gap": ("float64", "()", "", "relative gap between the relaxation's primal and dual values"),
    "max_sinr_violation": ("float64", "()", "", "max(0, max (gamma - SINR) / gamma), recomputed from (w, R)"),
    "max_power_violation": ("float64", "()", "", "max(0, max (P - p_max) / p_max), recomputed from (w, R)"),
    "min_eig_r": ("float64", "()", "W", "smallest eigenvalue of any R[l]"),
    "rank_one_residual": ("float64", "()", "", "relative loss of the rank-one construction against the relaxation"),
    "iterations": ("int64", "()", "", "interior-point iterations (-1 if unknown)"),
    "repaired": ("bool", "()", "", "whether the powers were re-optimized or the targets tightened to meet every constraint"),
    "reflected_power_w": ("float64", "(Q,)", "W", "reflected power of (w, R) at every point"),
    "detection_probability": ("float64", "(Q,)", "", "detection probability at every point, eqs. (26)/(29)"),
}


def shard_file(shard: int) -> str:
    """The file name of shard number ``shard``: ``shard-00012.npz``."""
    return f"shard-{shard:05d}.npz"


def write_shard(directory: str | PathLike[str], shard: int, arrays: dict[str, np.ndarray]) -> str:
    """Write one shard atomically.

    Parameters
    ----------
    directory : Path
    shard : int
    arrays : dict of str -> numpy.ndarray
        Every field of :data:`FIELDS`, stacked along the sample axis.

    Returns
    -------
    str
        The SHA-256 of the file's bytes (hex).
    """
    buffer = io.BytesIO()
    np.savez(buffer, **{name: arrays[name] for name in FIELDS})  # type: ignore[arg-type]  # numpy's stub types the keyword arrays as allow_pickle
    content = buffer.getvalue()
    atomic_write(Path(directory) / shard_file(shard), lambda handle: handle.write(content), binary=True)
    return hashlib.sha256(content).hexdigest()


def read_manifest(directory: str | PathLike[str]) -> dict[str, Any] | None:
    """The manifest of a dataset directory (a dict), or None if there is none.

    Raises
    ------
    InputError
        If ``dataset.json`` is not a manifest of this format.
    """
    path = Path(directory) / MANIFEST
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        manifest = json.loads(text.decode("utf-8"))
        if not (isinstance(manifest, dict) and manifest.get("format") == FORMAT and isinstance(manifest.get("shards"), dict)):
            raise ValueError("not an isacsim dataset manifest")
    except ValueError as error:
        raise InputError(f"{path}: is not an isacsim dataset manifest ({' '.join(str(error).split())})") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path}: format version {manifest.get('format_version')!r}, this isacsim reads version {FORMAT_VERSION}")
    return manifest


def _read_shard(directory, entry):
    """The arrays of one finished shard, its bytes checked against the manifest."""
    path = Path(directory) / entry["file"]
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}); run the same isacsim dataset command again to rewrite it") from None
    if hashlib.sha256(content).hexdigest() != entry["sha256"]:
        raise InputError(f"{path}: its content does not match the manifest (damaged); run the same isacsim dataset command again to rewrite it")
    with np.load(io.BytesIO(content), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def load(directory: str | PathLike[str], *, partial: bool = False) -> dict[str, np.ndarray]:
    """Every sample of a dataset, as arrays stacked along a first sample axis.

    Needs NumPy alone (no SciPy, no solver).

    Parameters
    ----------
    directory : str or os.PathLike
        Written by ``isacsim dataset --out DIRECTORY``.
    partial : bool
        Load the finished shards of an unfinished dataset instead of
        refusing it.

    Returns
    -------
    dict of str -> numpy.ndarray
        One array per field of :data:`FIELDS` (the problem, the design,
        ``status`` and the certificate's numbers), each of shape
        ``(N, ...)``, in sample order.

    Raises
    ------
    InputError
        If the directory holds no dataset, an unfinished one (unless
        ``partial``), or a shard that is missing or does not match the
        manifest.
    """
    directory = Path(os.fspath(directory))
    manifest = read_manifest(directory)
    if manifest is None:
        raise InputError(f"{directory}: holds no dataset ({MANIFEST} is missing)")
    entries = sorted(manifest["shards"].values(), key=lambda entry: entry["start"])
    missing = manifest["n_shards"] - len(entries)
    if missing and not partial:
        raise InputError(
            f"{directory}: the dataset is unfinished ({missing} of {manifest['n_shards']} shards missing); "
            "run the same isacsim dataset command again to finish it, or load(partial=True)"
        )
    if not entries:
        raise InputError(f"{directory}: no shard is finished yet")
    total = sum(entry["stop"] - entry["start"] for entry in entries)
    out: dict[str, np.ndarray] = {}
    texts: dict[str, list[Any]] = {}
    filled = 0  # numbers filled in place (one copy in memory); texts joined at the end
    for entry in entries:
        arrays = _read_shard(directory, entry)
        count = entry["stop"] - entry["start"]
        for name in FIELDS:
            if arrays[name].dtype.kind == "U":
                texts.setdefault(name, []).append(arrays[name])
                continue
            if name not in out:
                out[name] = np.empty((total,) + arrays[name].shape[1:], dtype=arrays[name].dtype)
            out[name][filled : filled + count] = arrays[name]
        filled += count
    out.update({name: np.concatenate(parts) for name, parts in texts.items()})
    return {name: out[name] for name in FIELDS}
