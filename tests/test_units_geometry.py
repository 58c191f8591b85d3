"""Units, steering vectors, angles and path-loss identities."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isacsim import Network, RadarLink, TargetGrid
from isacsim.channels import path_gain, steering_matrix
from isacsim.geometry import angle_from_broadside, ula_steering
from isacsim.units import db_to_linear, dbm_to_watt, linear_to_db, watt_to_dbm


def test_decibel_conversions_known_values():
    assert dbm_to_watt(30.0) == pytest.approx(1.0)
    assert dbm_to_watt(-84.0) == pytest.approx(3.981e-12, rel=1e-3)
    assert db_to_linear(20.0) == pytest.approx(100.0)
    assert watt_to_dbm(1e-3) == pytest.approx(0.0)


@given(st.floats(-200, 200))
def test_decibel_round_trip(value):
    assert linear_to_db(db_to_linear(value)) == pytest.approx(value, abs=1e-9)
    assert watt_to_dbm(dbm_to_watt(value)) == pytest.approx(value, abs=1e-9)


@given(st.integers(1, 64), st.floats(-np.pi, np.pi))
def test_steering_norm_is_number_of_antennas(n, theta):
    a = ula_steering(n, theta)
    assert np.vdot(a, a).real == pytest.approx(n)


@given(st.integers(2, 64), st.floats(-1.5, 1.5))
def test_matched_beam_gain_is_n_squared_and_broadside_is_all_ones(n, theta):
    a = ula_steering(n, theta)
    w = np.conj(a)  # matched beam: gain |a^T w|^2 = n^2
    assert abs(a @ w) ** 2 == pytest.approx(n**2)
    np.testing.assert_allclose(ula_steering(n, 0.0), np.ones(n))


def test_half_wavelength_phase_step():
    a = ula_steering(4, np.pi / 6)  # sin = 1/2: step exp(j pi / 2)
    np.testing.assert_allclose(a, [1, 1j, -1, -1j], atol=1e-12)


def test_angles_from_broadside_wrap_and_sign():
    origin = (0.0, 0.0)
    assert angle_from_broadside(origin, 0.0, (1.0, 1.0)) == pytest.approx(np.pi / 4)  # counter-clockwise positive
    assert angle_from_broadside(origin, 0.0, (1.0, -1.0)) == pytest.approx(-np.pi / 4)
    assert angle_from_broadside(origin, np.pi, (1.0, 0.0)) == pytest.approx(np.pi)  # wrapped to (-pi, pi]


def test_path_gain_falls_with_distance():
    assert path_gain(10.0, -30.0, 3.0) == pytest.approx(1e-3 * 10.0**-3)
    assert path_gain(1.0, -30.0, 3.0) == pytest.approx(1e-3)
    assert path_gain(20.0, -30.0, 3.0) < path_gain(10.0, -30.0, 3.0)


def test_radar_gain_formula_by_hand():
    network = Network.paper_layout()
    point = np.array([[10.0, 5.0]])
    G = RadarLink(kappa_db=-50.0, rcs=0.5).gains(network, point)
    d = np.hypot(*(network.bs_positions - point).T)
    kappa = 1e-5  # -50 dB one-way
    for m in range(3):
        for l in range(3):
            assert G[0, m, l] == pytest.approx(0.5**2 * kappa**2 / (d[l] ** 2 * d[m] ** 2))


def test_paper_arrays_face_the_centre_and_users_sit_27_degrees_off():
    network = Network.paper_layout()
    A = steering_matrix(network, TargetGrid(points=[[0.0, 0.0]]).points)
    np.testing.assert_allclose(A[0], np.ones((3, 32)), atol=1e-12)  # the centre is broadside of every BS
    angles = np.degrees([network.angles_from(m, network.user_positions[m, 0]) for m in range(3)])
    np.testing.assert_allclose(angles, 27.0, atol=0.5)
