"""Fig. 6: pD versus the CU angle theta, LoS channels, K = 1, Pmax = 12 W, Gamma = 30 dB.

Each CU stands 45 m from its BS at angle theta from the array broadside,
which points at the network centre (theta = 0: the CU is in the direction of
the target area).
"""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K1, REALIZATIONS

FIGURE = CurveFigure(
    name="fig6",
    title="Fig. 6: $p_D$ vs. CU angle $\\theta$ (LoS, $P_{max}$ = 12 W, $\\Gamma$ = 30 dB, K = 1)",
    simulation=Simulation(
        config=K1.evolve(channel="los", p_max_w=12.0, sinr_target_db=30.0, user_angle_deg=0.0, user_distance_m=45.0),
        x_name="user_angle_deg",
        x_values=tuple(range(0, 361, 15)),
        schemes=PAPER_SCHEMES,
        # LoS channels are deterministic: one realization is exact.
        n_realizations=1,
    ),
    x_label=r"CU angle $\theta$ from the array broadside [deg]",
    quick={"n_realizations": 1, "x_values": (0, 45, 110, 180, 270)},
)

if __name__ == "__main__":
    from isacsim.reproduce import script

    script(FIGURE)
