"""Fig. 6: pD versus the CU angle theta, LoS channels, K = 1, Pmax = 12 W, Gamma = 30 dB.

Each CU stands 45 m from its BS at angle theta from the array broadside,
which points at the network centre (theta = 0: the CU is in the direction of
the target area). Every BS -> CU link is LoS, the cross-cell ones included
(``channel="los"``); ``fig6-own`` is the other reading of the paper, LoS to
the own CU only.
"""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import FIG6, FIG6_ANGLES, FIG6_QUICK_ANGLES

FIGURE = CurveFigure(
    name="fig6",
    title="Fig. 6: $p_D$ vs. CU angle $\\theta$ (LoS on every link, $P_{max}$ = 12 W, $\\Gamma$ = 30 dB, K = 1)",
    simulation=Simulation(
        config=FIG6,
        x_name="user_angle_deg",
        x_values=FIG6_ANGLES,
        schemes=PAPER_SCHEMES,
        # LoS channels are deterministic: one realization is exact.
        n_realizations=1,
    ),
    x_label=r"CU angle $\theta$ from the array broadside [deg]",
    quick={"n_realizations": 1, "x_values": FIG6_QUICK_ANGLES},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
