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
