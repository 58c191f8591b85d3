"""Coverage: mean pD over a fine grid of target positions around the area.

The designs are made for the 3 x 3 sample points of the 2 m x 2 m area
(K = 1, Gamma = 25 dB, Pmax = 15 W, Scenario I) and evaluated on a 41 x 41
grid over 20 m x 20 m: how the detection probability falls off between and
beyond the design points, for the proposed design (both receivers) and ZF.
"""
from isacsim.figures import CoverageFigure
from isacsim.simulation import CoverageMap, Scheme
from isacsim_scenarios._common import K1

FIGURE = CoverageFigure(
    name="coverage",
    title="Coverage: mean $p_D$ around the design area (K = 1, $\\Gamma$ = 25 dB, Scenario I)",
    coverage=CoverageMap(
        config=K1,
        schemes=(Scheme("sdr", "type-ii", True), Scheme("sdr", "type-i", True), Scheme("zf", "type-ii", True)),
        half_width_m=10.0,
        n_per_side=41,
        n_realizations=20,
    ),
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
