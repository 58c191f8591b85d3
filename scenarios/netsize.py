"""Network size (beyond the paper): pD and solve time versus the number of cells L.

L = 3 is the paper's layout; L = 7 and 19 are hexagonal layouts (one and two
rings) on the same lattice (inter-site distance 80 sqrt(3) = 138.6 m), whose
centre site is the paper's BS 1, so the paper's three BSs are among their
sites and the 2 m x 2 m target area is, for every L, at the corner where the
cells of the three nearest BSs meet, 80 m from each (see
``ScenarioConfig.n_cells``). Every array faces the target area. K = 4 users
per cell, drawn once per layout (seed 7) in the front half-annulus 20-60 m
around their BS; Nt = 64 and the paper's Nr = 32 (with Nr = 64 the
synchronized pD sits at 0.9997 already at L = 3); Q = 49 (7 x 7);
Gamma = 15 dB; Pmax = 15 W; pFA = 1e-3. The proposed design, ZF and
sensing-only, Type-I and Type-II, in both scenarios; the second row of panels
is the median solve time per design (also in ``solve_times.csv``).

Zero-forcing needs Nt >= LK: at L = 19 (LK = 76 > 64) it does not exist, so
its points there are recorded as errors and not drawn.

``--quick``: 2 realizations and the Type-II curves only (same L, K, Nt, Q).
"""
from isacsim.figures import CurveFigure
from isacsim.simulation import PAPER_SCHEMES, Simulation
from isacsim_scenarios._common import K3, REALIZATIONS

#: The study's fixed setting: the Figs. 8-10 setting with K = 4, Nt = 64, Q = 49.
NETSIZE = K3.evolve(n_users_per_cell=4, n_tx=64, points_per_side=7)
#: The Type-II curves (the ``--quick`` subset).
TYPE_II_SCHEMES = tuple(scheme for scheme in PAPER_SCHEMES if scheme.receiver == "type-ii")

FIGURE = CurveFigure(
    name="netsize",
    title="Network size: $p_D$ and solve time vs. number of cells L (K = 4, $N_t$ = 64, Q = 49, $\\Gamma$ = 15 dB)",
    simulation=Simulation(
        config=NETSIZE, x_name="n_cells", x_values=(3, 7, 19), schemes=PAPER_SCHEMES, n_realizations=REALIZATIONS
    ),
    x_label="number of cells L (3: the paper's layout; 7, 19: hexagonal)",
    x_scale="log",
    x_ticks=(3, 7, 19),
    solve_times=True,
    quick={"n_realizations": 2, "schemes": TYPE_II_SCHEMES},
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
