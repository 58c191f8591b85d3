"""Fig. 3: pD versus the SINR target Gamma, K = 1, Pmax = 15 W, pFA = 1e-3."""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K1, REALIZATIONS

FIGURE = CurveFigure(
    name="fig3",
    title="Fig. 3: $p_D$ vs. SINR target ($P_{max}$ = 15 W, K = 1, $p_{FA}$ = 1e-3)",
    simulation=Simulation(
        config=K1,
        x_name="sinr_target_db",
        x_values=(0, 5, 10, 15, 20, 25, 30),
        schemes=PAPER_SCHEMES,
        n_realizations=REALIZATIONS,
    ),
    x_label=r"SINR target $\Gamma$ [dB]",
    quick={"n_realizations": 4, "x_values": (0, 15, 30)},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
