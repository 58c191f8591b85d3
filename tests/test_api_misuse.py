"""Misuse of the Python API is a ValueError or TypeError that names the argument, never a
bare MemoryError, AttributeError, IndexError or NumPy's own message; and values in
messages are shown as plain numbers, not NumPy reprs."""
import numpy as np
import pytest

from isacsim import BaseStation, CommUser, DesignProblem, Detector, Network, RadarLink, RayleighFading, ScenarioConfig, TargetGrid, TypeII
from isacsim.designers import ZFDesigner
from isacsim.errors import InputError
from isacsim.evaluation import evaluate
from isacsim.simulation import Scheme, Simulation
from isacsim.testing import small_problem

MODELS = dict(channel=RayleighFading(), radar=RadarLink(), rng=0)


@pytest.fixture(scope="module")
def problem():
    return small_problem(seed=0)


@pytest.fixture(scope="module")
def design(problem):
    return ZFDesigner().design(problem, TypeII(), Detector())


def _raises_naming(call, name, kind=(ValueError, TypeError)):
    with pytest.raises(kind) as caught:
        call()
    assert type(caught.value) not in (MemoryError, AttributeError, IndexError)
    assert str(caught.value).startswith(f"{name}"), str(caught.value)
    return str(caught.value)


def test_a_grid_too_large_for_memory_names_n_per_side():
    message = _raises_naming(lambda: TargetGrid.square(n_per_side=10**5), "n_per_side", ValueError)
    assert "10000000000 points" in message and "estimate" in message


@pytest.mark.parametrize("argument", ["network", "grid", "channel", "radar"])
def test_from_network_names_a_missing_model(argument):
    arguments = dict(network=Network.paper_layout(), grid=TargetGrid.square(n_per_side=2), **MODELS)
    arguments[argument] = None
    _raises_naming(lambda: DesignProblem.from_network(**arguments), argument, TypeError)


def test_evaluating_a_design_on_another_problem_names_the_problem(design):
    other = small_problem(seed=0, n_users_per_cell=3)
    message = _raises_naming(lambda: design.evaluate(other), "problem", ValueError)
    assert "K = 3" in message
    _raises_naming(lambda: evaluate(None, design), "problem", TypeError)


@pytest.mark.parametrize(
    "call",
    [
        lambda p, d: Detector().monte_carlo(p, d.w[:, :, :2], d.R, n_trials=10),
        lambda p, d: Detector().reflected_power(p, d.w[:, :, :2], d.R),
        lambda p, d: Detector().detection_probability(p, d.w[:2], d.R),
        lambda p, d: TypeII().sinr(p, d.w[:, :, :2], d.R),
    ],
    ids=["monte_carlo", "reflected_power", "detection_probability", "sinr"],
)
def test_a_wrongly_shaped_w_is_named(call, problem, design):
    message = _raises_naming(lambda: call(problem, design), "w", ValueError)
    assert "(L, K, Nt)" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda p, d: Detector().monte_carlo(p, d.w, d.R[:2], n_trials=10),
        lambda p, d: Detector().reflected_power(p, d.w, d.R[:, :3]),
        lambda p, d: TypeII().sinr(p, d.w, d.R[0]),
        lambda p, d: Detector().reflected_power(p, d.w, "R"),
    ],
    ids=["monte_carlo", "reflected_power", "sinr", "text"],
)
def test_a_wrongly_shaped_or_typed_r_is_named(call, problem, design):
    _raises_naming(lambda: call(problem, design), "R")


@pytest.mark.parametrize("confidence", [2, 0, 1, -0.5, float("nan")])
def test_monte_carlo_confidence_must_be_a_level(confidence, problem, design):
    _raises_naming(lambda: Detector().monte_carlo(problem, design.w, design.R, n_trials=10, confidence=confidence), "confidence", ValueError)


@pytest.mark.parametrize(
    "arguments, name",
    [
        (("sdr", "type-ii", "no"), "synchronized"),
        (("sdr", "type-ii", 1), "synchronized"),
        ((None, "type-ii", True), "designer"),
        (("sdr", 2, True), "receiver"),
    ],
)
def test_a_scheme_checks_its_fields(arguments, name):
    _raises_naming(lambda: Scheme(*arguments), name, TypeError)


def test_a_simulation_needs_schemes():
    _raises_naming(lambda: Simulation(schemes=()), "schemes", ValueError)
    _raises_naming(lambda: Simulation(schemes=("sdr",)), "schemes", TypeError)


def test_a_user_standing_on_a_bs_is_refused_naming_the_user():
    stations = Network.paper_layout().base_stations
    users = [CommUser(position=(10.0, 10.0), cell=0), CommUser(position=stations[1].position, cell=1), CommUser(position=(0.0, -5.0), cell=2)]
    message = _raises_naming(lambda: Network(base_stations=stations, users=users), "users[1].position", ValueError)
    assert "BS 1" in message


@pytest.mark.parametrize("key", ["file", "allow_pickle"])
def test_any_extras_key_is_saved_and_read_back(key, problem, tmp_path):
    """``numpy.savez`` takes these names as its own arguments: they must be members all the same."""
    with_extra = problem.evolve(extras={key: np.arange(3.0)})
    with_extra.save(tmp_path / "p.npz")
    loaded = DesignProblem.load(tmp_path / "p.npz")
    assert loaded == with_extra and np.array_equal(loaded.extras[key], np.arange(3.0))


def test_an_n_rx_beyond_int64_is_reported_as_it_is(problem, tmp_path):
    arrays = problem.to_arrays()
    arrays["n_rx"] = np.uint64(2**64 - 1)
    np.savez(tmp_path / "p.npz", **arrays)
    with pytest.raises(InputError) as caught:
        DesignProblem.load(tmp_path / "p.npz")
    assert "n_rx" in str(caught.value) and "18446744073709551615" in str(caught.value) and "got -1" not in str(caught.value)


@pytest.mark.parametrize(
    "call, shown",
    [
        (lambda p: p.evolve(gamma=np.full(p.gamma.shape, -31.6)), "-31.6"),
        (lambda p: p.evolve(G=-np.ones(p.G.shape)), "-1.0"),
        (lambda p: TargetGrid.square(side=np.float64(-2.0)), "-2.0"),
        (lambda p: TargetGrid.square(n_per_side=np.int64(0)), "0"),
        (lambda p: BaseStation(position=(0.0, 0.0), p_max=np.float64(-1.5)), "-1.5"),
        (lambda p: BaseStation(position=(0.0, 0.0), n_tx=np.float32(4.0)), "4.0"),
        (lambda p: ScenarioConfig(p_fa=np.float64(1.5)), "1.5"),
        (lambda p: Network.paper_layout().with_users_at_angle(0.1, np.float64(-3.0)), "-3.0"),
        (lambda p: Detector().monte_carlo(p, np.zeros((3, 2, 8)), np.zeros((3, 8, 8)), n_trials=np.int64(0)), "0"),
    ],
)
def test_messages_show_plain_numbers_not_numpy_reprs(call, shown, problem):
    with pytest.raises(ValueError) as caught:
        call(problem)
    message = str(caught.value)
    assert "np." not in message and "float64" not in message and "int64" not in message and shown in message, message
