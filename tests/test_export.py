"""Results as one xarray Dataset: every row of results.csv is in it, in NetCDF and Zarr alike."""
import csv
import json
import math

import pytest

xarray = pytest.importorskip("xarray")

from isacsim.cli import main
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import CoverageMap, Scheme, Simulation, run


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    """A small sweep: two scenarios, three designers, two receivers, 3 values, 2 realizations;
    ZF needs Nt >= LK = 3, so with Nt = 2 its rows are infeasible (NaN p_D)."""
    directory = tmp_path_factory.mktemp("sweep")
    simulation = Simulation(
        config=ScenarioConfig(n_tx=2, n_rx=2, points_per_side=1, sinr_target_db=0.0),
        x_name="p_max_w",
        x_values=[5.0, 10.0, 20.0],
        schemes=tuple(Scheme(d, r, s) for s in (True, False) for d in ("sdr", "zf", "sensing-only") for r in ("type-i", "type-ii")),
        n_realizations=2,
    )
    report = run(simulation, directory, workers=1, progress=False)
    return directory, report


def _rows(directory):
    with open(directory / "results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _same(stored, written):
    if written in ("", None) or (isinstance(written, str) and written.lower() == "nan"):
        return math.isnan(float(stored))
    return float(stored) == pytest.approx(float(written), rel=1e-15, abs=0)


@pytest.mark.parametrize("file_format", ["netcdf", "zarr"])
def test_every_results_row_is_in_the_exported_dataset(sweep_run, tmp_path, capsys, file_format):
    directory, _ = sweep_run
    out = tmp_path / ("run.nc" if file_format == "netcdf" else "run.zarr")
    assert main(["export", str(directory), "--format", file_format, "--out", str(out)]) == 0
    dataset = xarray.open_zarr(out) if file_format == "zarr" else xarray.open_dataset(out, engine="h5netcdf")
    rows = _rows(directory)
    assert len(rows) == 2 * 6 * 3 * 2
    assert {row["status"] for row in rows} == {"optimal", "infeasible"}
    assert dict(dataset.sizes) == {"scenario": 2, "designer": 3, "receiver": 2, "p_max_w": 3, "realization": 2}
    assert int((dataset["status"] != "").sum()) == len(rows)  # no row lost, none invented
    numeric = [c for c in rows[0] if c not in ("task", "scenario", "designer", "receiver", "x_name", "x", "x_index",
                                                "realization", "seed", "status", "repaired", "solver", "reason")]
    assert set(numeric) <= set(dataset.data_vars)
    for row in rows:
        cell = dataset.sel(scenario=row["scenario"], designer=row["designer"], receiver=row["receiver"],
                           p_max_w=float(row["x"]), realization=int(row["realization"]))
        assert str(cell["status"].values) == row["status"]
        assert bool(cell["repaired"].values) == (row["repaired"] == "True")
        assert int(cell["seed"].values) == int(row["seed"])
        for column in numeric:
            assert _same(cell[column].values, row[column]), (column, row)
    metadata = json.loads((directory / "metadata.json").read_text())
    assert dataset.attrs["description.x_name"] == "p_max_w"
    assert dataset.attrs["description.config.n_tx"] == metadata["description"]["config"]["n_tx"] == 2
    assert json.loads(dataset.attrs["metadata_json"]) == metadata


def test_run_report_to_xarray_is_the_same_dataset(sweep_run):
    from isacsim.simulation.export import load_dataset

    directory, report = sweep_run
    xarray.testing.assert_identical(report.to_xarray(), load_dataset(directory))


def test_a_coverage_run_exports_its_points_with_their_positions(tmp_path):
    coverage = CoverageMap(config=ScenarioConfig(n_tx=4, n_rx=2, points_per_side=1), schemes=(Scheme("sdr", "type-ii", True),),
                           half_width_m=5.0, n_per_side=3, n_realizations=2)
    report = run(coverage, tmp_path, workers=1, progress=False)
    dataset = report.to_xarray()
    rows = _rows(tmp_path)
    assert dict(dataset.sizes) == {"scenario": 1, "designer": 1, "receiver": 1, "point": 9, "realization": 2}
    for row in rows:
        cell = dataset.sel(point=int(row["point"]), realization=int(row["realization"])).squeeze()
        assert _same(cell["p_d"].values, row["p_d"]) and float(cell["x_m"]) == float(row["x_m"])


def test_export_refuses_what_it_cannot_write(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing"), "--out", str(tmp_path / "x.nc")]) == 2
    assert "not a finished isacsim run" in capsys.readouterr().err
