"""The seed column of results.csv: each row's own realization seed; old directories refused, never mixed."""
import csv
import json

import numpy as np
import pytest

from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.simulation import ConfigMismatch, Scheme, Simulation, run


def _sweep(n_realizations=3, seed=11):
    return Simulation(
        config=ScenarioConfig(n_tx=6, n_rx=2, points_per_side=1),
        x_name="sinr_target_db",
        x_values=[0.0, 5.0],
        schemes=(Scheme("sdr", "type-ii", True), Scheme("zf", "type-ii", False)),
        n_realizations=n_realizations,
        seed=seed,
    )


def test_each_row_holds_the_seed_of_its_own_realization(tmp_path):
    run(_sweep(), tmp_path, workers=1, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    by_realization = {}
    for row in rows:
        by_realization.setdefault(int(row["realization"]), set()).add(int(row["seed"]))
    assert sorted(by_realization) == [0, 1, 2]
    assert all(len(seeds) == 1 for seeds in by_realization.values())  # one seed per realization
    seeds = [seeds.pop() for _, seeds in sorted(by_realization.items())]
    assert len(set(seeds)) == 3 and 11 not in seeds  # not the root seed on every row
    for realization, seed in enumerate(seeds):
        # As documented: the first 64-bit word of the realization's SeedSequence, one bit less.
        sequence = np.random.SeedSequence(11, spawn_key=(realization,))
        assert seed == int(sequence.generate_state(1, np.uint64)[0]) >> 1 and 0 <= seed < 2**63
        # ... and that SeedSequence is the one that draws the realization's channels.
        assert np.array_equal(
            np.random.default_rng(sequence).standard_normal(4), realization_rng(11, realization).standard_normal(4)
        )


def test_a_directory_of_the_earlier_format_is_refused_clearly(tmp_path):
    run(_sweep(n_realizations=1), tmp_path, workers=1, progress=False)
    record = json.loads((tmp_path / "run.json").read_text())
    del record["results_format"]  # as an earlier isacsim wrote it
    (tmp_path / "run.json").write_text(json.dumps(record))
    before = (tmp_path / "results.csv").read_bytes()
    with pytest.raises(ConfigMismatch, match="seed column held the root seed"):
        run(_sweep(n_realizations=1), tmp_path, workers=1, progress=False)
    assert (tmp_path / "results.csv").read_bytes() == before
