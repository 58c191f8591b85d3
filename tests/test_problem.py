"""DesignProblem: construction, validation, and the .npz format."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isacsim import DesignProblem
from isacsim.problem import ARRAY_KEYS, GEOMETRY_KEYS, KNOWN_KEYS


def test_save_load_round_trip_keeps_everything(problem, tmp_path):
    path = tmp_path / "p.npz"
    problem.save(path)
    loaded = DesignProblem.load(path)
    assert loaded == problem
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(np.asarray(getattr(loaded, key)), np.asarray(getattr(problem, key)))
    assert set(loaded.extras) == {"bs_positions", "user_positions", "points", "broadside"}


def _with_requirements(problem):
    L, K, Nt, Q = problem.n_bs, problem.n_users_per_cell, problem.n_tx, problem.n_points
    return problem.evolve(
        p_antenna=np.full((L, Nt), 0.3), csi_error_var=np.full((L, L, K), 1e-9), pd_target=np.linspace(0.5, 0.9, Q)
    )


def test_optional_fields_round_trip_and_absent_ones_are_not_written(problem, tmp_path):
    path = tmp_path / "p.npz"
    rich = _with_requirements(problem)
    rich.save(path)
    loaded = DesignProblem.load(path)
    assert loaded == rich and loaded != problem
    np.testing.assert_array_equal(loaded.p_antenna, rich.p_antenna)
    np.testing.assert_array_equal(loaded.pd_target, rich.pd_target)
    problem.save(path)
    assert set(np.load(path).files) == set(ARRAY_KEYS) | set(GEOMETRY_KEYS)
    assert DesignProblem.load(path).p_antenna is None


def test_a_scalar_detection_target_applies_to_every_point(problem):
    scalar = problem.evolve(pd_target=0.9)
    assert scalar.pd_target.shape == ()
    np.testing.assert_array_equal(scalar.pd_targets(), np.full(problem.n_points, 0.9))
    assert problem.pd_targets() is None


def test_an_unknown_field_is_refused_naming_it_and_the_known_ones(problem, tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, **problem.to_arrays(), p_antena=np.ones((problem.n_bs, problem.n_tx)))  # a misspelt field
    with pytest.raises(ValueError, match="unknown field 'p_antena'") as error:
        DesignProblem.load(path)
    for key in KNOWN_KEYS:
        assert key in str(error.value)
    with pytest.raises(ValueError, match="^extras: unknown key 'note'"):
        problem.evolve(extras={**problem.extras, "note": np.array("hello")})


def test_shapes_and_units(problem):
    L, K, Nt, Q = problem.n_bs, problem.n_users_per_cell, problem.n_tx, problem.n_points
    assert problem.H.shape == (L, L, K, Nt) and problem.A.shape == (Q, L, Nt) and problem.G.shape == (Q, L, L)
    assert problem.sigma_c2 == pytest.approx(10 ** (-84 / 10) * 1e-3)  # dBm at the API, watts inside
    assert problem.sigma_d2 == pytest.approx(10 ** (-102 / 10) * 1e-3)


# Every invalid input, and the field its error must name.
def _bad_inputs(p):
    L, K, Nt = p.n_bs, p.n_users_per_cell, p.n_tx
    yield "A", dict(H=p.H[:, :, :, :-1])  # an Nt mismatch is reported on A, measured against H
    yield "H", dict(H=p.H[:2])  # not (L, L, K, Nt)
    yield "H", dict(H=np.where(np.arange(Nt) == 0, np.nan, p.H))
    yield "A", dict(A=p.A[:, :, :-1])
    yield "A", dict(A=np.full_like(p.A, np.inf))
    yield "A", dict(A=np.where(np.arange(p.n_points)[:, None, None] == 0, 0.0, p.A))  # a zero steering vector
    yield "G", dict(G=-p.G)
    yield "G", dict(G=p.G[:, :, :-1])
    yield "gamma", dict(gamma=np.zeros((L, K)))
    yield "gamma", dict(gamma=np.ones((L, K + 1)))
    yield "p_max", dict(p_max=np.full(L, -1.0))
    yield "p_max", dict(p_max=np.ones(L + 1))
    yield "sigma_c2", dict(sigma_c2=0.0)
    yield "sigma_d2", dict(sigma_d2=-1e-12)
    yield "sigma_d2", dict(sigma_d2=np.ones(2))
    yield "n_rx", dict(n_rx=0)
    yield "n_rx", dict(n_rx=2.5)
    yield "n_rx", dict(n_rx=1e30)
    yield "p_fa", dict(p_fa=0.0)
    yield "p_fa", dict(p_fa=1.0)
    yield "p_fa", dict(p_fa=float("nan"))
    yield "p_antenna", dict(p_antenna=np.ones((L, Nt + 1)))
    yield "p_antenna", dict(p_antenna=np.zeros((L, Nt)))
    yield "p_antenna", dict(p_antenna=np.full((L, Nt), np.inf))
    yield "csi_error_var", dict(csi_error_var=np.ones((L, K, L)) if K != L else np.ones((L, L)))
    yield "csi_error_var", dict(csi_error_var=np.full((L, L, K), -1e-3))
    yield "pd_target", dict(pd_target=1.0)
    yield "pd_target", dict(pd_target=0.0)
    yield "pd_target", dict(pd_target=np.full(p.n_points + 1, 0.5))
    yield "pd_target", dict(pd_target=np.full((1, p.n_points), 0.5))
    yield "pd_target", dict(pd_target=float("nan"))


def test_every_invalid_input_names_its_field(problem):
    for field, change in _bad_inputs(problem):
        with pytest.raises(ValueError, match=rf"^{field}\b"):
            problem.evolve(**change)


def test_every_invalid_file_names_its_key(problem, tmp_path):
    for field, change in _bad_inputs(problem):
        arrays = problem.to_arrays()
        arrays.update(change)
        path = tmp_path / f"bad_{field}.npz"
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=field):
            DesignProblem.load(path)


def test_missing_key_and_not_an_archive(problem, tmp_path):
    arrays = problem.to_arrays()
    del arrays["gamma"]
    np.savez(tmp_path / "missing.npz", **arrays)
    with pytest.raises(ValueError, match="gamma"):
        DesignProblem.load(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="not an .npz archive"):
        DesignProblem.load(tmp_path / "text.npz")
    with pytest.raises(ValueError, match="no such file"):
        DesignProblem.load(tmp_path / "absent.npz")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_p_fa_validator_property(problem, value):
    if 0 < value < 1:
        assert problem.evolve(p_fa=value).p_fa == value
    else:
        with pytest.raises(ValueError, match="p_fa"):
            problem.evolve(p_fa=value)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.floats(allow_nan=True, allow_infinity=True), field=st.sampled_from(["sigma_c2", "sigma_d2"]))
def test_noise_validator_property(problem, value, field):
    if np.isfinite(value) and value > 1e-250:  # powers of this problem stay far below double precision's limit
        assert getattr(problem.evolve(**{field: value}), field) == value
    elif np.isfinite(value) and value > 0:  # accepted, or refused as beyond double precision, naming the field
        try:
            assert getattr(problem.evolve(**{field: value}), field) == value
        except ValueError as error:
            assert field in str(error) and "double precision" in str(error)
    else:
        with pytest.raises(ValueError, match=field):
            problem.evolve(**{field: value})


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_power_validator_property(problem, data):
    values = np.array(data.draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3)))
    if np.all(np.isfinite(values)) and np.all(values > 0) and values.max() < 1e250:
        np.testing.assert_array_equal(problem.evolve(p_max=values).p_max, values)
    elif np.all(np.isfinite(values)) and np.all(values > 0):  # accepted, or refused as beyond double precision
        try:
            np.testing.assert_array_equal(problem.evolve(p_max=values).p_max, values)
        except ValueError as error:
            assert "p_max" in str(error) and "double precision" in str(error)
    else:
        with pytest.raises(ValueError, match="p_max"):
            problem.evolve(p_max=values)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 9)))
def test_channel_shape_validator_property(problem, shape):
    H = np.ones(shape, dtype=complex)
    consistent = shape == problem.H.shape
    if consistent:
        problem.evolve(H=H)
    else:
        with pytest.raises(ValueError, match=r"^(H|A|G|gamma|p_max)\b"):
            problem.evolve(H=H)
