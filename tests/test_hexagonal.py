"""Hexagonal layouts, scripted layouts (from_sites), the array-orientation rule,
and ScenarioConfig's choice of layout, checked against plane geometry."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isacsim import BaseStation, CommUser, Network
from isacsim.lattice import hexagonal_rings, hexagonal_site_count, hexagonal_sites
from isacsim.scenario import ScenarioConfig
from isacsim.simulation import Simulation, Topology

ISD = 100.0


def pairwise(points):
    points = np.asarray(points)
    return np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))


def neighbour_pairs(points, distance):
    d = pairwise(points)
    return int(np.sum(np.isclose(d, distance, rtol=1e-9)) // 2)


def wrapped(angle):
    return (angle + math.pi) % (2 * math.pi) - math.pi


# ------------------------------------------------------------------ lattice
@pytest.mark.parametrize("n_rings, n_sites, n_neighbour_pairs", [(1, 7, 12), (2, 19, 42), (3, 37, 90)])
def test_site_counts_and_neighbour_distances(n_rings, n_sites, n_neighbour_pairs):
    # 7 sites: 6 spokes + 6 rim edges; 19: 12 + 18 between rings 1 and 2 + 12 on ring 2;
    # 37: 42 + 30 between rings 2 and 3 + 18 on ring 3.
    sites = hexagonal_sites(n_rings, ISD)
    assert sites.shape == (n_sites, 2)
    d = pairwise(sites) + np.diag(np.full(n_sites, np.inf))
    np.testing.assert_allclose(d.min(axis=1), ISD, rtol=1e-12)  # every site's nearest neighbour is D away
    assert neighbour_pairs(sites, ISD) == n_neighbour_pairs
    assert hexagonal_site_count(n_rings) == n_sites and hexagonal_rings(n_sites) == n_rings


@pytest.mark.parametrize("rotation", [0.0, 0.3, -2.0])
def test_centre_has_six_neighbours_at_sixty_degree_steps(rotation):
    sites = hexagonal_sites(1, ISD, center=(5.0, -7.0), rotation=rotation)
    np.testing.assert_allclose(sites[0], [5.0, -7.0])
    offsets = sites[1:] - sites[0]
    np.testing.assert_allclose(np.hypot(*offsets.T), ISD)
    angles = np.arctan2(offsets[:, 1], offsets[:, 0])
    expected = [wrapped(rotation + k * math.pi / 3) for k in range(6)]
    # counter-clockwise from the neighbour at azimuth `rotation`
    np.testing.assert_allclose([wrapped(a - e) for a, e in zip(angles, expected)], 0.0, atol=1e-12)


def test_second_ring_has_six_corners_and_six_edge_sites():
    sites = hexagonal_sites(2, ISD)
    ring2 = np.hypot(*sites[7:].T)
    assert np.sum(np.isclose(ring2, 2 * ISD)) == 6
    assert np.sum(np.isclose(ring2, math.sqrt(3) * ISD)) == 6
    angles = np.degrees(np.arctan2(sites[7:, 1], sites[7:, 0])) % 360
    np.testing.assert_allclose(np.sort(angles), np.arange(0, 360, 30), atol=1e-9)


@pytest.mark.parametrize("n_rings", [1, 2])
def test_centroid_is_the_centre_site(n_rings):
    np.testing.assert_allclose(hexagonal_sites(n_rings, ISD).mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(hexagonal_sites(n_rings, ISD, center=(30.0, 40.0), rotation=1.0).mean(axis=0), [30.0, 40.0])


# ---------------------------------------------------------- Network.hexagonal
FACING = (ISD / 2, ISD / (2 * math.sqrt(3)))  # a corner of the centre cell


def test_hexagonal_network_sits_on_the_lattice():
    network = Network.hexagonal(2, facing=FACING, inter_site_distance=ISD, n_users_per_cell=3, n_tx=8, n_rx=4, p_max=5.0)
    assert (network.n_bs, network.n_users_per_cell, network.n_tx, network.n_rx) == (19, 3, 8, 4)
    np.testing.assert_array_equal(network.bs_positions, hexagonal_sites(2, ISD))
    np.testing.assert_array_equal(network.p_max, 5.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 5), st.integers(0, 10_000))
def test_users_stay_in_their_own_cell_in_front_of_their_bs(n_rings, k, seed):
    network = Network.hexagonal(n_rings, facing=FACING, inter_site_distance=ISD, n_users_per_cell=k, user_seed=seed)
    users, sites = network.user_positions, network.bs_positions
    for m in range(network.n_bs):
        d = np.hypot(*(users[m][:, None, :] - sites[None, :, :]).transpose(2, 0, 1))  # (K, L)
        assert np.all(d[:, m] < np.delete(d, m, axis=1).min(axis=1))  # nearer own BS than any other
        scale = ISD / (80 * math.sqrt(3))  # the paper's 20-60 m at its D = 80 sqrt(3) m
        assert np.all((d[:, m] >= 20 * scale - 1e-9) & (d[:, m] <= 60 * scale + 1e-9))
        assert np.all(np.abs(network.angles_from(m, users[m])) <= math.pi / 2 + 1e-9)


def test_users_are_reproducible_by_seed():
    a = Network.hexagonal(1, facing=FACING, n_users_per_cell=2, user_seed=3)
    assert a == Network.hexagonal(1, facing=FACING, n_users_per_cell=2, user_seed=3)
    b = Network.hexagonal(1, facing=FACING, n_users_per_cell=2, user_seed=4)
    assert not np.allclose(a.user_positions, b.user_positions)
    np.testing.assert_array_equal(a.bs_positions, b.bs_positions)


def test_every_broadside_faces_the_facing_point():
    network = Network.hexagonal(2, facing=(10.0, 10.0), inter_site_distance=ISD)
    assert network.broadside(0) == pytest.approx(math.pi / 4)  # centre BS at the origin, facing (10, 10)
    assert network.broadside(1) == pytest.approx(math.atan2(10.0, 10.0 - ISD))  # BS 1 at (D, 0)
    for l in range(network.n_bs):
        assert network.angles_from(l, np.array([10.0, 10.0])) == pytest.approx(0.0, abs=1e-12)


def test_users_at_angle_follow_the_facing_rule():
    network = Network.hexagonal(1, facing=(0.0, 50.0), inter_site_distance=ISD).with_users_at_angle(0.0, 20.0)
    np.testing.assert_allclose(network.user_positions[0, 0], [0.0, 20.0], atol=1e-12)  # centre BS: straight at (0, 50)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_rings": 0, "facing": FACING}, "n_rings"),
        ({"n_rings": 1.5, "facing": FACING}, "n_rings"),
        ({"facing": FACING, "inter_site_distance": -1.0}, "inter_site_distance"),
        ({"facing": FACING, "inter_site_distance": float("nan")}, "inter_site_distance"),
        ({"facing": (0.0, 0.0)}, "facing"),  # the centre BS stands there
        ({"facing": (ISD, 0.0), "inter_site_distance": ISD}, "facing"),  # BS 1 stands there
        ({"facing": (np.inf, 0.0)}, "facing"),
        ({"facing": "centre"}, "facing"),
        ({"facing": FACING, "inter_site_distance": ISD, "user_distance": (10.0, 0.6 * ISD)}, "user_distance"),
        ({"facing": FACING, "n_users_per_cell": 0}, "n_users_per_cell"),
        ({"facing": FACING, "center": (0.0, np.nan)}, "center"),
        ({"facing": FACING, "rotation": np.inf}, "rotation"),
    ],
)
def test_hexagonal_rejects_bad_input_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Network.hexagonal(**kwargs)


# ------------------------------------------------------------ scripted layouts
def test_from_sites_with_explicit_users_and_facing():
    sites = [(0.0, 0.0), (100.0, 0.0), (0.0, 100.0)]
    users = [[(10.0, 0.0), (0.0, 10.0)], [(90.0, 0.0), (100.0, 10.0)], [(0.0, 90.0), (10.0, 100.0)]]
    network = Network.from_sites(sites, user_positions=users, facing=(50.0, 50.0), sinr_target_db=7.0)
    assert (network.n_bs, network.n_users_per_cell) == (3, 2)
    np.testing.assert_array_equal(network.user_positions, users)
    np.testing.assert_array_equal(network.sinr_targets_db, 7.0)
    np.testing.assert_allclose([network.broadside(l) for l in range(3)], [math.pi / 4, 3 * math.pi / 4, -math.pi / 4])


def test_from_sites_draws_users_and_defaults_to_the_network_centre():
    network = Network.from_sites([(0.0, 0.0), (200.0, 0.0)], n_users_per_cell=3, user_seed=1)
    assert network.n_users_per_cell == 3
    assert [network.broadside(0), abs(network.broadside(1))] == pytest.approx([0.0, math.pi])  # facing each other


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"sites": [(0.0, 0.0, 0.0)]}, "sites"),
        ({"sites": [(0.0, np.nan), (1.0, 0.0)]}, "sites"),
        ({"sites": [(0.0, 0.0), (10.0, 0.0)], "user_positions": [[(1.0, 1.0)]]}, "user_positions"),
        ({"sites": [(0.0, 0.0), (10.0, 0.0)], "user_positions": [[(1.0, 1.0)], [(9.0, 1.0)]], "n_users_per_cell": 2}, "n_users_per_cell"),
        ({"sites": [(-10.0, 0.0), (0.0, 0.0), (10.0, 0.0)]}, r"base_stations\[1\].broadside"),  # BS 1 at the centre
        ({"sites": [(0.0, 0.0)]}, r"base_stations\[0\].broadside"),  # a single BS, no facing point
        ({"sites": [(0.0, 0.0), (10.0, 0.0)], "facing": (10.0, 0.0)}, "facing"),
    ],
)
def test_from_sites_rejects_bad_input_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Network.from_sites(**kwargs)


def test_a_network_is_never_built_with_an_undefined_broadside():
    with pytest.raises(ValueError, match=r"base_stations\[0\].broadside"):
        Network(base_stations=[BaseStation(position=(0, 0))], users=[CommUser(position=(5, 0), cell=0)])


# ------------------------------------------------------------- ScenarioConfig
PAPER_SITES = [(80.0, 0.0), (-40.0, 40.0 * math.sqrt(3)), (-40.0, -40.0 * math.sqrt(3))]


@pytest.mark.parametrize("n_cells", [7, 19])
def test_scenario_hexagonal_layouts_contain_the_papers_sites_around_the_area(n_cells):
    config = ScenarioConfig(n_cells=n_cells, n_users_per_cell=2, n_tx=8, n_rx=8)
    network = config.network()
    assert network.n_bs == n_cells
    sites = network.bs_positions
    for paper_site in PAPER_SITES:  # the paper's three BSs are sites of the lattice
        assert np.min(np.hypot(*(sites - paper_site).T)) < 1e-9
    d = pairwise(sites) + np.diag(np.full(n_cells, np.inf))
    np.testing.assert_allclose(d.min(axis=1), 80 * math.sqrt(3))
    to_area = np.sort(np.hypot(*sites.T))  # the target area is centred at the origin
    np.testing.assert_allclose(to_area[:3], 80.0)  # three BSs 80 m away, as in the paper
    assert to_area[3] > 150.0
    for l in range(n_cells):  # every array faces the area's centre
        assert network.angles_from(l, np.zeros(2)) == pytest.approx(0.0, abs=1e-12)
    problem = config.build(rng=0)
    assert problem.H.shape == (n_cells, n_cells, 2, 8) and problem.G.shape == (9, n_cells, n_cells)


def test_scenario_inter_site_distance_scales_a_hexagonal_layout():
    network = ScenarioConfig(n_cells=7, inter_site_distance_m=300.0, n_users_per_cell=3).network()
    d = pairwise(network.bs_positions) + np.diag(np.full(7, np.inf))
    np.testing.assert_allclose(d.min(axis=1), 300.0)
    own = np.hypot(*(network.user_positions - network.bs_positions[:, None, :]).transpose(2, 0, 1))
    assert own.max() <= 60.0 * 300.0 / (80 * math.sqrt(3)) + 1e-9


def test_scenario_default_is_the_papers_layout():
    assert ScenarioConfig().n_cells == 3
    assert ScenarioConfig(n_users_per_cell=3).network() == Network.paper_layout(3)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n_cells": 5}, "n_cells"),
        ({"n_cells": 1}, "n_cells"),
        ({"n_cells": 0}, "n_cells"),
        ({"n_cells": 3, "inter_site_distance_m": 100.0}, "inter_site_distance_m"),
        ({"n_cells": 7, "inter_site_distance_m": 0.0}, "inter_site_distance_m"),
    ],
)
def test_scenario_rejects_bad_layouts_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ScenarioConfig(**kwargs)


def test_a_simulation_sweeps_the_number_of_cells():
    sweep = Simulation(config=ScenarioConfig(n_tx=8, n_rx=8), x_name="n_cells", x_values=(3, 7, 19), n_realizations=1)
    assert [sweep.config.evolve(n_cells=x).network().n_bs for x in sweep.x_values] == [3, 7, 19]
    with pytest.raises(ValueError, match="n_cells"):
        Simulation(config=ScenarioConfig(), x_name="n_cells", x_values=(3, 4))


def test_topology_of_a_hexagonal_layout():
    topology = Topology(config=ScenarioConfig(n_cells=7, n_users_per_cell=2, points_per_side=3))
    rows = topology.run_task("layout")
    assert len(rows) == topology.rows_per_task("layout") == 7 + 14 + 9
