"""The two readings of Fig. 6's LoS channels: every link LoS, or the own CU's link only."""
import numpy as np
import pytest

from isacsim.channels import LineOfSight, OwnCellLineOfSight, RayleighFading
from isacsim.errors import InputError
from isacsim.scenario import CHANNELS, ScenarioConfig, realization_rng

FIG6 = ScenarioConfig(channel="los-own", p_max_w=12.0, sinr_target_db=30.0, user_angle_deg=30.0, user_distance_m=45.0)


def _draw(model, seed):
    return model.draw(FIG6.network(), np.random.default_rng(seed))


def test_own_cell_links_are_line_of_sight_and_cross_cell_links_rayleigh():
    path_loss = dict(kappa_db=-55.0, exponent=3.0)
    own_reading = _draw(OwnCellLineOfSight(**path_loss), 5)
    every_link_los = _draw(LineOfSight(**path_loss), 5)
    rayleigh = _draw(RayleighFading(**path_loss), 5)
    cells = range(own_reading.shape[0])
    for l in cells:
        for m in cells:
            if l == m:
                np.testing.assert_array_equal(own_reading[l, m], every_link_los[l, m])
            else:  # the Rayleigh draw of the same generator: same random numbers as channel="rayleigh"
                np.testing.assert_array_equal(own_reading[l, m], rayleigh[l, m])
                assert not np.allclose(own_reading[l, m], every_link_los[l, m])


def test_cross_cell_links_vary_with_the_realization_and_own_links_do_not():
    model = OwnCellLineOfSight()
    first, second = _draw(model, 1), _draw(model, 2)
    np.testing.assert_array_equal(first[0, 0], second[0, 0])
    assert not np.allclose(first[0, 1], second[0, 1])


def test_cross_cell_links_keep_the_path_loss_on_average():
    """E|h|^2 per antenna is mu for the Rayleigh links, as for the LoS ones (|a_n| = 1)."""
    network = FIG6.network()
    draws = np.stack([OwnCellLineOfSight().draw(network, np.random.default_rng(seed)) for seed in range(400)])
    mean_gain = (np.abs(draws) ** 2).mean(axis=(0, -1))  # (L, L, K)
    los_gain = (np.abs(LineOfSight().draw(network)) ** 2).mean(axis=-1)
    np.testing.assert_allclose(mean_gain, los_gain, rtol=0.05)


def test_scenario_config_offers_both_readings_and_names_a_wrong_channel():
    assert {"los", "los-own"} <= set(CHANNELS)
    problem = FIG6.build(realization_rng(0, 0))
    los_problem = FIG6.evolve(channel="los").build(realization_rng(0, 0))
    np.testing.assert_array_equal(problem.H[1, 1], los_problem.H[1, 1])
    assert not np.allclose(problem.H[1, 2], los_problem.H[1, 2])
    with pytest.raises(InputError, match="^channel: expected one of rayleigh, los, los-own, got 'los_own'$"):
        ScenarioConfig(channel="los_own")
