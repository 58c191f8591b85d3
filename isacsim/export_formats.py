"""The file formats of a run's xarray export (:mod:`isacsim.simulation.export`).

A module of its own, without imports, so that the command line lists the
formats without loading the simulation package.
"""
from __future__ import annotations

__all__ = ["EXPORT_FORMATS"]

#: ``{format: (the xarray.Dataset method that writes it, the engine's package)}``.
EXPORT_FORMATS = {"netcdf": ("to_netcdf", "h5netcdf"), "zarr": ("to_zarr", "zarr")}
