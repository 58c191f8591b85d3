"""Fig. 4: pD versus the false-alarm probability, K = 1, Pmax = 15 W, Gamma = 25 dB."""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K1, P_FA_VALUES, REALIZATIONS

FIGURE = CurveFigure(
    name="fig4",
    title="Fig. 4: $p_D$ vs. $p_{FA}$ ($P_{max}$ = 15 W, K = 1, $\\Gamma$ = 25 dB)",
    simulation=Simulation(config=K1, x_name="p_fa", x_values=P_FA_VALUES, schemes=PAPER_SCHEMES, n_realizations=REALIZATIONS),
    x_label=r"false-alarm probability $p_{FA}$",
    x_scale="log",
    quick={"n_realizations": 4},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
