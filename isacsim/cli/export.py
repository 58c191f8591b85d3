"""``isacsim export``: a run's results as one xarray Dataset in NetCDF or Zarr."""
from __future__ import annotations

from .common import OUTPUT_CODE, EXIT_OK, INTERNAL_CODE, USAGE_CODE, exit_codes, subcommand

__all__ = ["add", "run"]


def add(subparsers):
    from ..export_formats import EXPORT_FORMATS

    p = subcommand(
        subparsers,
        "export",
        help="write a run's results as one xarray Dataset (NetCDF or Zarr)",
        description="Read DIR/results.csv and DIR/metadata.json of a sweep or coverage run and write one Dataset: "
        "dimensions scenario, designer, receiver, the swept variable and realization; a variable per numeric "
        "column and status; the metadata as attributes. Needs the extra: pip install 'isacsim[xarray]'.",
        examples=(
            "isacsim export results/fig3-quick --format netcdf --out fig3.nc",
            "isacsim export results/fig8 --format zarr --out fig8.zarr",
        ),
    )
    exit_codes(p, {EXIT_OK: "written", **USAGE_CODE, **OUTPUT_CODE, **INTERNAL_CODE})
    p.add_argument("directory", metavar="DIR", help="a results directory written by 'isacsim reproduce' or run()")
    p.add_argument("--format", default="netcdf", choices=list(EXPORT_FORMATS), help="file format (default: %(default)s)")
    p.add_argument("--out", required=True, help="the file (NetCDF) or directory (Zarr) to write")
    p.set_defaults(handler=run)


def run(args):
    from ..simulation.export import load_dataset, write_dataset

    dataset = load_dataset(args.directory)
    write_dataset(dataset, args.out, args.format)
    sizes = ", ".join(f"{name} {size}" for name, size in dataset.sizes.items())
    print(f"{args.out}: {len(dataset.data_vars)} variables over {sizes}")
    return EXIT_OK
