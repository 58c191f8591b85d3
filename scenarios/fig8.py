"""Fig. 8: pD versus the SINR target Gamma, K = 3, Pmax = 15 W, pFA = 1e-3."""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K3, REALIZATIONS

FIGURE = CurveFigure(
    name="fig8",
    title="Fig. 8: $p_D$ vs. SINR target ($P_{max}$ = 15 W, K = 3, $p_{FA}$ = 1e-3)",
    simulation=Simulation(
        config=K3, x_name="sinr_target_db", x_values=(0, 5, 10, 15, 20, 25), schemes=PAPER_SCHEMES, n_realizations=REALIZATIONS
    ),
    x_label=r"SINR target $\Gamma$ [dB]",
    quick={"n_realizations": 3, "x_values": (0, 15, 25)},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
