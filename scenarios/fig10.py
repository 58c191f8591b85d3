"""Fig. 10: pD versus the power budget Pmax, K = 3, Gamma = 15 dB, pFA = 1e-3."""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K3, REALIZATIONS

FIGURE = CurveFigure(
    name="fig10",
    title="Fig. 10: $p_D$ vs. $P_{max}$ (K = 3, $\\Gamma$ = 15 dB, $p_{FA}$ = 1e-3)",
    simulation=Simulation(
        config=K3, x_name="p_max_w", x_values=(2, 5, 10, 15, 20, 25, 30), schemes=PAPER_SCHEMES, n_realizations=REALIZATIONS
    ),
    x_label=r"power budget per BS $P_{max}$ [W]",
    quick={"n_realizations": 3, "x_values": (2, 15, 30)},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
