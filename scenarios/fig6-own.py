"""Fig. 6, the other reading: LoS to the own CU only, Rayleigh fading across cells.

The paper says the LoS channel is "considered in communication from each BS
to its respective CU". ``fig6`` makes every BS -> CU link LoS; here only the
link from each BS to its own CU is LoS and the links to the other cells' CUs
are Rayleigh fading with the same path loss (``channel="los-own"``), so the
points are means over channel realizations. Otherwise as ``fig6``.
"""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import FIG6, FIG6_ANGLES, FIG6_QUICK_ANGLES, REALIZATIONS

FIGURE = CurveFigure(
    name="fig6-own",
    title="Fig. 6, LoS to the own CU only, Rayleigh across cells ($P_{max}$ = 12 W, $\\Gamma$ = 30 dB, K = 1)",
    simulation=Simulation(
        config=FIG6.evolve(channel="los-own"),
        x_name="user_angle_deg",
        x_values=FIG6_ANGLES,
        schemes=PAPER_SCHEMES,
        n_realizations=REALIZATIONS,
    ),
    x_label=r"CU angle $\theta$ from the array broadside [deg]",
    quick={"n_realizations": 3, "x_values": FIG6_QUICK_ANGLES},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
