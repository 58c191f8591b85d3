"""Your own scenario: a seven-cell hexagonal network swept over the number of antennas, with its figure."""
from pathlib import Path

from isacsim.figures import CurveFigure, reproduce
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Scheme, Simulation

#: Seven hexagonal cells, two users each, at the paper's other settings.
CONFIG = ScenarioConfig(n_cells=7, n_users_per_cell=2, sinr_target_db=10.0)

FIGURE = CurveFigure(
    name="antennas",
    title="$p_D$ vs. transmit antennas (7 hexagonal cells, K = 2, $\\Gamma$ = 10 dB)",
    simulation=Simulation(
        config=CONFIG,
        x_name="n_tx",  # any ScenarioConfig field can be swept
        x_values=(16, 24, 32),
        schemes=tuple(
            Scheme(designer, receiver, synchronized)
            for synchronized in (True, False)
            for designer in ("sdr", "zf")
            for receiver in ("type-i", "type-ii")
        ),
        n_realizations=2,  # a first look; 50 or more for a result
    ),
    x_label="transmit antennas per BS, $N_t$",
    x_ticks=(16, 24, 32),
)


def main(out_dir="results/antennas"):
    report = reproduce(FIGURE, out_dir, progress=False)  # results.csv, summary.csv, metadata.json, antennas.png
    for row in report.summary:
        print(row["scenario"], row["designer"], row["receiver"], row["x"], round(float(row["p_d_mean"]), 3))
    return report, Path(out_dir) / "antennas.png"


if __name__ == "__main__":
    main()
