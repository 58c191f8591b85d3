"""Fig. 7: the topology with 3 CUs per BS at random positions (seeded)."""
from isacsim.figures import TopologyFigure
from isacsim.scenario import ScenarioConfig

FIGURE = TopologyFigure(
    name="fig7",
    title="Fig. 7: 3 BSs, three CUs each (random positions, seed 7)",
    config=ScenarioConfig(n_users_per_cell=3),
)

if __name__ == "__main__":
    from isacsim.cli import script

    script(FIGURE)
