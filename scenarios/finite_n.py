"""Finite frame length (beyond the paper): pD, pFA and SINR against N.

The proposed design (``sdr``) at Fig. 3's setting with Gamma = 15 dB (K = 1,
Pmax = 15 W, pFA = 1e-3, Rayleigh fading, Q = 9), for Type-I and Type-II
users, in both scenarios, simulated over frames of N = 16, 64, 256, 1024 and
4096 symbols with complex Gaussian information symbols and pseudorandom
complex Gaussian sensing waveforms (:mod:`isacsim.framesim`): 20 channel
realizations, 10^4 frames per hypothesis each. Row 1: pD at the worst
sample point with the paper's threshold and with a threshold calibrated under
H0, against the closed form of eqs. (26)/(29) (the asymptote); row 2: pFA;
row 3: the users' empirical SINR (mean and 5th percentile over frames; each
design measured with the receiver type it was designed for) against the
target. One legend below the panels.

``--quick``: 2 realizations and 2,000 frames per point.
"""
from isacsim.framesim.figure import FiniteNFigure
from isacsim.framesim.study import FiniteNStudy
from isacsim_scenarios._common import K1

FIGURE = FiniteNFigure(
    name="finite-n",
    title="Finite frame length: $p_D$, $p_{FA}$ and SINR vs. N (Fig. 3 setting, $\\Gamma$ = 15 dB, proposed design)",
    study=FiniteNStudy(config=K1.evolve(sinr_target_db=15.0), n_realizations=20, n_trials=10_000),
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
