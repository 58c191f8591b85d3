"""Value objects: validation and layouts."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isacsim import BaseStation, CommUser, Network, TargetGrid


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"position": (0, 0), "n_tx": 0}, "n_tx"),
        ({"position": (0, 0), "n_rx": -1}, "n_rx"),
        ({"position": (0, 0), "p_max": 0.0}, "p_max"),
        ({"position": (0, 0), "p_max": float("nan")}, "p_max"),
        ({"position": (0, 0, 0)}, "position"),
        ({"position": (np.inf, 0)}, "position"),
        ({"position": (0, 0), "broadside": float("inf")}, "broadside"),
    ],
)
def test_base_station_rejects_bad_fields(kwargs, field):
    with pytest.raises(ValueError, match=field):
        BaseStation(**kwargs)


def test_base_station_rejects_non_integer_antennas():
    with pytest.raises(TypeError, match="n_tx"):
        BaseStation(position=(0, 0), n_tx=2.5)


def test_user_rejects_bad_fields():
    with pytest.raises(ValueError, match="cell"):
        CommUser(position=(0, 0), cell=-1)
    with pytest.raises(ValueError, match="sinr_target_db"):
        CommUser(position=(0, 0), cell=0, sinr_target_db=float("nan"))


def test_network_rejects_unequal_cells_and_unknown_cells():
    bs = [BaseStation(position=(0, 0)), BaseStation(position=(10, 0))]
    with pytest.raises(ValueError, match="users"):
        Network(base_stations=bs, users=[CommUser(position=(1, 1), cell=0)])
    with pytest.raises(ValueError, match=r"users\[0\].cell"):
        Network(base_stations=bs, users=[CommUser(position=(1, 1), cell=5)])
    with pytest.raises(ValueError, match="n_tx"):
        Network(
            base_stations=[BaseStation(position=(0, 0), n_tx=4), BaseStation(position=(10, 0), n_tx=8)],
            users=[CommUser(position=(1, 1), cell=0), CommUser(position=(9, 1), cell=1)],
        )


def test_single_bs_needs_an_orientation():
    with pytest.raises(ValueError, match="broadside"):  # refused when built, not when first used
        Network(base_stations=[BaseStation(position=(0, 0))], users=[CommUser(position=(5, 0), cell=0)])
    oriented = Network(base_stations=[BaseStation(position=(0, 0), broadside=0.0)], users=[CommUser(position=(5, 0), cell=0)])
    assert oriented.broadside(0) == 0.0


def test_paper_layout_matches_section_v():
    network = Network.paper_layout()
    np.testing.assert_allclose(network.bs_positions, [[80, 0], [-40, 40 * np.sqrt(3)], [-40, -40 * np.sqrt(3)]])
    np.testing.assert_allclose(network.user_positions[:, 0], [[38.85, -20.97], [-1.26, 44.13], [-37.58, -23.16]])
    assert (network.n_bs, network.n_users_per_cell, network.n_tx, network.n_rx) == (3, 1, 32, 32)


@given(st.integers(1, 4), st.integers(0, 10_000))
def test_random_users_stay_in_front_within_the_annulus(k, seed):
    network = Network.paper_layout(k, user_seed=seed)
    for m in range(3):
        offsets = network.user_positions[m] - network.bs_positions[m]
        distances = np.hypot(*offsets.T)
        assert np.all((distances >= 20 - 1e-9) & (distances <= 60 + 1e-9))
        assert np.all(np.abs(network.angles_from(m, network.user_positions[m])) <= np.pi / 2 + 1e-9)
    assert Network.paper_layout(k, user_seed=seed) == network  # same seed, same layout


def test_users_at_angle_zero_point_at_the_centre():
    network = Network.paper_layout().with_users_at_angle(0.0, 45.0)
    for m in range(3):
        direction = -network.bs_positions[m] / np.linalg.norm(network.bs_positions[m])
        np.testing.assert_allclose(network.user_positions[m, 0], network.bs_positions[m] + 45 * direction, atol=1e-9)


def test_ring_layout_is_general():
    network = Network.ring(5, radius=100.0, n_users_per_cell=3, n_tx=16)
    assert (network.n_bs, network.n_users_per_cell, network.n_tx) == (5, 3, 16)
    np.testing.assert_allclose(np.hypot(*network.bs_positions.T), 100.0)


def test_target_grid_square():
    grid = TargetGrid.square(center=(1.0, -1.0), side=2.0, n_per_side=3)
    assert grid.n_points == 9
    assert grid.points.min(axis=0) == pytest.approx([0.0, -2.0])
    assert grid.points.max(axis=0) == pytest.approx([2.0, 0.0])
    with pytest.raises(ValueError, match="side"):
        TargetGrid.square(side=0.0)
    with pytest.raises(ValueError, match="points"):
        TargetGrid(points=[[0.0, np.nan]])
