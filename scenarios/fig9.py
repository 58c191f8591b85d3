"""Fig. 9: pD versus the false-alarm probability, K = 3, Pmax = 15 W, Gamma = 15 dB."""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K3, P_FA_VALUES, REALIZATIONS

FIGURE = CurveFigure(
    name="fig9",
    title="Fig. 9: $p_D$ vs. $p_{FA}$ ($P_{max}$ = 15 W, K = 3, $\\Gamma$ = 15 dB)",
    simulation=Simulation(config=K3, x_name="p_fa", x_values=P_FA_VALUES, schemes=PAPER_SCHEMES, n_realizations=REALIZATIONS),
    x_label=r"false-alarm probability $p_{FA}$",
    x_scale="log",
    quick={"n_realizations": 3},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
