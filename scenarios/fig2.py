"""Fig. 2: the networked ISAC topology, 3 BSs each serving one CU (Section V)."""
from isacsim.figures import TopologyFigure
from isacsim.scenario import ScenarioConfig

FIGURE = TopologyFigure(
    name="fig2",
    title="Fig. 2: 3 BSs, one CU each, 2 m x 2 m target area (Q = 9)",
    config=ScenarioConfig(n_users_per_cell=1),
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
