"""Settings shared by the figure scripts (Section V of the paper)."""
from isacsim.scenario import ScenarioConfig

#: Figs. 3-5: K = 1, Rayleigh fading, Pmax = 15 W, pFA = 1e-3 (Gamma = 25 dB for Figs. 4-5).
K1 = ScenarioConfig(n_users_per_cell=1, p_max_w=15.0, p_fa=1e-3, sinr_target_db=25.0)
#: Figs. 8-10: K = 3 random CUs per cell, Pmax = 15 W, Gamma = 15 dB, pFA = 1e-3.
K3 = ScenarioConfig(n_users_per_cell=3, p_max_w=15.0, p_fa=1e-3, sinr_target_db=15.0)
#: Full-fidelity channel realizations per point.
REALIZATIONS = 100
#: The false-alarm probabilities of Figs. 4 and 9.
P_FA_VALUES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 0.3)
#: Fig. 6: K = 1 CU 45 m from its BS at an angle theta from the array
#: broadside, LoS channels, Pmax = 12 W, Gamma = 30 dB, pFA = 1e-3.
FIG6 = K1.evolve(channel="los", p_max_w=12.0, sinr_target_db=30.0, user_angle_deg=0.0, user_distance_m=45.0)
#: Fig. 6's angles [deg]: every 15 degrees, and 110, which the paper discusses.
FIG6_ANGLES = tuple(sorted({*range(0, 361, 15), 110}))
#: Fig. 6's ``--quick`` angles: the whole range, 110, and the features
#: (the dip at 15, the infeasible 150, the peak at 180).
FIG6_QUICK_ANGLES = (0, 15, 45, 110, 150, 180, 270, 360)
