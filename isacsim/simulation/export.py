"""A run's results as one xarray Dataset, for NetCDF or Zarr.

Every row of ``results.csv`` becomes one cell of an N-dimensional Dataset
with dimensions ``scenario``, ``designer``, ``receiver``, the swept variable
(named after it, e.g. ``sinr_target_db``; ``point`` for a coverage map) and
``realization``. Every numeric column is a variable over all of them (NaN
where no row exists or the value is missing), ``status`` a text variable
(empty where no row exists), ``repaired`` a boolean; the realization seeds are
a coordinate along ``realization``; a coverage map's ``x_m`` and ``y_m`` are
coordinates along ``point``. ``metadata.json`` becomes the attributes: its
scalar entries under dotted names (``description.config.n_tx``), lists and
``None`` as JSON text, and the whole file as ``metadata_json``.

Needs xarray, and h5netcdf or zarr to write files: ``pip install 'isacsim[xarray]'``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..export_formats import EXPORT_FORMATS
from .store import read_csv

__all__ = ["to_dataset", "load_dataset", "write_dataset", "EXPORT_FORMATS"]

#: Columns that only say where a row is (or repeat its coordinates), not what it holds.
_POSITION = {"task", "x_name", "x", "x_index", "point", "seed", "realization", "scenario", "designer", "receiver"}
#: Text columns kept as variables; the others (solver, reason) stay in results.csv.
_TEXT = ("status",)
_TEXT_LEFT_OUT = ("solver", "reason")
_BOOLEAN = ("repaired",)


def _xarray():
    try:
        import xarray
    except ImportError:
        raise InputError("exporting needs xarray, which is not installed: pip install 'isacsim[xarray]'") from None
    return xarray


def _number(text):
    if text in ("", None):
        return math.nan
    return float(text)


def _is_numeric(rows, column):
    """Whether every cell of ``column`` is a number or empty."""
    try:
        for row in rows:
            _number(row[column])
    except (TypeError, ValueError):
        return False
    return True


def _attributes(metadata, prefix=""):
    """``metadata`` flattened to netCDF-friendly attributes (dotted names)."""
    attributes = {}
    for key, value in metadata.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            attributes.update(_attributes(value, f"{name}."))
        elif isinstance(value, bool):
            attributes[name] = int(value)
        elif isinstance(value, (int, float, str)) and not (isinstance(value, int) and not -(2**63) <= value < 2**63):
            attributes[name] = value
        else:
            attributes[name] = json.dumps(value)
    return attributes


def to_dataset(rows, metadata):
    """The rows of a sweep or coverage run as one ``xarray.Dataset``.

    Parameters
    ----------
    rows : iterable of dict
        Rows of ``results.csv`` (dicts of strings, as read, or of values).
    metadata : dict
        The run's ``metadata.json``; its ``description.kind`` must be
        ``"sweep"`` or ``"coverage"``.

    Returns
    -------
    xarray.Dataset
        See the module's description.

    Raises
    ------
    InputError
        For another kind of run, rows without a column the kind needs, or two
        rows at the same coordinates.
    """
    xarray = _xarray()
    rows = list(rows)
    kind = metadata.get("description", {}).get("kind")
    if kind == "sweep":
        swept, column = metadata["description"]["x_name"], "x"
    elif kind == "coverage":
        swept, column = "point", "point"
    else:
        raise InputError(f"export: runs of kind {kind!r} are not exported (only parameter sweeps and coverage maps)")
    dims = ("scenario", "designer", "receiver", swept, "realization")
    try:
        convert = int if kind == "coverage" else float
        keys = [(r["scenario"], r["designer"], r["receiver"], convert(float(r[column])), int(r["realization"])) for r in rows]
    except (KeyError, ValueError) as error:
        raise InputError(f"export: a row has no valid {error} (not a results.csv of a {kind} run?)") from None
    coordinates = [list(dict.fromkeys(k[i] for k in keys)) for i in range(3)] + [sorted({k[i] for k in keys}) for i in (3, 4)]
    index = [{value: n for n, value in enumerate(values)} for values in coordinates]
    positions = tuple(np.array([index[i][k[i]] for k in keys], dtype=int) for i in range(5)) if keys else tuple(np.zeros(0, int) for _ in range(5))
    shape = tuple(len(values) for values in coordinates)
    if len(set(keys)) != len(keys):
        raise InputError("export: two rows share scenario, designer, receiver, swept value and realization")
    variables = {}
    columns = [c for c in (rows[0] if rows else {}) if c not in _POSITION]
    for name in columns:
        if name in _TEXT:
            data = np.full(shape, "", dtype=object)
            data[positions] = [str(row[name]) for row in rows]
        elif name in _BOOLEAN:
            data = np.zeros(shape, dtype=bool)
            data[positions] = [str(row[name]) == "True" for row in rows]
        elif name not in _TEXT_LEFT_OUT and _is_numeric(rows, name):
            data = np.full(shape, math.nan)
            data[positions] = [_number(row[name]) for row in rows]
        else:
            continue
        variables[name] = (dims, data)
    coords = dict(zip(dims, coordinates))
    seeds = {int(r["realization"]): int(r["seed"]) for r in rows if str(r.get("seed", "")).strip()}
    if len(seeds) == len(coordinates[4]):
        coords["seed"] = ("realization", np.array([seeds[r] for r in coordinates[4]], dtype=np.int64))
    if kind == "coverage":
        where = {int(float(r["point"])): (float(r["x_m"]), float(r["y_m"])) for r in rows}
        coords["x_m"] = (swept, np.array([where[p][0] for p in coordinates[3]]))
        coords["y_m"] = (swept, np.array([where[p][1] for p in coordinates[3]]))
        variables.pop("x_m", None), variables.pop("y_m", None)
    dataset = xarray.Dataset(variables, coords=coords)
    dataset.attrs.update(_attributes(metadata))
    dataset.attrs["metadata_json"] = json.dumps(metadata, sort_keys=True)
    return dataset


def load_dataset(directory):
    """The Dataset of the run in ``directory`` (its ``results.csv`` and ``metadata.json``).

    Raises
    ------
    InputError
        If either file is missing or unreadable, or for a kind of run that is
        not exported (:func:`to_dataset`).
    """
    directory = Path(directory)
    try:
        metadata = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
        rows = list(read_csv(directory / "results.csv"))
    except (OSError, ValueError) as error:
        raise InputError(f"export: {directory} is not a finished isacsim run ({' '.join(str(error).split())})") from None
    return to_dataset(rows, metadata)


def write_dataset(dataset, path, file_format):
    """Write ``dataset`` to ``path`` as ``"netcdf"`` (HDF5-based NetCDF-4, through h5netcdf) or ``"zarr"``.

    Raises
    ------
    InputError
        For an unknown format or a missing writer package.
    """
    if file_format not in EXPORT_FORMATS:
        raise InputError(f"--format: expected one of {', '.join(EXPORT_FORMATS)}, got {file_format!r}")
    method, package = EXPORT_FORMATS[file_format]
    try:
        __import__(package)
    except ImportError:
        raise InputError(f"--format {file_format}: needs {package}, which is not installed: pip install 'isacsim[xarray]'") from None
    if file_format == "netcdf":
        dataset.to_netcdf(path, engine="h5netcdf")
    else:
        dataset.to_zarr(path, mode="w", zarr_format=2)  # format 3 has no specification for text arrays yet
    return Path(path)
