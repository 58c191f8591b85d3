"""Clutter: the scene, its echoes, the detectors' closed forms and the SCNR bound."""
import attrs
import numpy as np
import pytest

from isacsim import Detector
from isacsim.clutter import ClutterEchoes, ClutterScene
from isacsim.clutter.scnr import clutter_statistics
from isacsim.detector_mc import simulate_statistics
from isacsim.errors import InputError
from isacsim.stats import q_function, q_inverse

from conftest import detection_case, inside, simulated, random_design


def _echoes(config, total_power=3.0, coherence="common", side=12.0, n_per_side=4, **kwargs):
    scene = ClutterScene.patch(side=side, n_per_side=n_per_side, total_power=total_power, coherence=coherence)
    return ClutterEchoes.from_config(config, scene, **kwargs)


@pytest.mark.parametrize("synchronized", [True, False])
@pytest.mark.parametrize("information_echoes", [True, False])
@pytest.mark.parametrize("target", ["deterministic", "swerling1"])
def test_zero_clutter_power_gives_the_papers_pd_exactly(synchronized, information_echoes, target):
    config, problem, w, R = detection_case(seed=0)
    silent = _echoes(config).scaled(0.0)
    plain = Detector(synchronized=synchronized, information_echoes=information_echoes, target=target)
    for aware in (True, False):
        cluttered = attrs.evolve(plain, clutter=silent, clutter_aware=aware)
        np.testing.assert_array_equal(cluttered.detection_probability(problem, w, R), plain.detection_probability(problem, w, R))


def test_the_energies_satisfy_the_chain_of_inequalities(rng):
    """E / (sigma^2 + I) <= E^2 / (sigma^2 E + c) <= rho <= E / sigma^2 for any design, coherence and links."""
    config, problem, _, _ = detection_case(seed=1)
    for coherence in ("common", "links"):
        echoes = _echoes(config, total_power=30.0, coherence=coherence)
        for _ in range(4):
            w, R = random_design(problem, rng, rank=int(rng.integers(0, 4)))
            for synchronized in (True, False):
                stats = clutter_statistics(problem, echoes, Detector(synchronized=synchronized), w, R)
                free = stats.energy / problem.sigma_d2
                assert np.all(stats.scnr_bound <= stats.matched_scnr * (1 + 1e-12))
                assert np.all(stats.matched_scnr <= stats.scnr * (1 + 1e-12))
                assert np.all(stats.scnr <= free * (1 + 1e-12)) and np.all(stats.scnr < free)


def test_one_scatterer_on_the_target_is_the_bound():
    """A scatterer on the target point, one link, one stream: every inequality is an equality."""
    config, problem, w, R = detection_case(seed=2, points_per_side=1)
    scene = ClutterScene(points=[[0.0, 0.0]], rcs=[2.0])
    echoes = ClutterEchoes.from_config(config, scene)
    G = np.zeros_like(problem.G)
    G[:, 0, 0] = problem.G[:, 0, 0]
    problem = problem.evolve(G=G)
    echoes = attrs.evolve(echoes, gain=echoes.gain * (np.arange(3)[:, None] == 0) * (np.arange(3)[None, :] == 0))
    w = np.zeros_like(w)
    R = np.einsum("ln,lp->lnp", R[:, :, 0], R[:, :, 0].conj())  # rank one
    stats = clutter_statistics(problem, echoes, Detector(), w, R)
    np.testing.assert_allclose(stats.scnr_bound, stats.matched_scnr, rtol=1e-10)
    np.testing.assert_allclose(stats.matched_scnr, stats.scnr, rtol=1e-10)


CASES = [
    # (coherence, synchronized, information_echoes, target, aware)
    ("common", True, True, "deterministic", True),
    ("common", True, True, "deterministic", False),
    ("common", False, True, "deterministic", True),
    ("common", True, False, "deterministic", True),
    ("common", True, True, "swerling1", True),
    ("common", False, True, "swerling1", False),
    ("links", True, True, "deterministic", True),
    ("links", True, True, "swerling1", False),
]


@pytest.mark.parametrize("coherence, synchronized, information_echoes, target, aware", CASES)
def test_closed_forms_agree_with_monte_carlo(coherence, synchronized, information_echoes, target, aware):
    config, problem, w, R = detection_case(seed=3, snr=12.0, rank=3)
    echoes = _echoes(config, total_power=300.0, coherence=coherence, side=6.0)
    detector = Detector(synchronized=synchronized, information_echoes=information_echoes, target=target, clutter=echoes, clutter_aware=aware)
    law, thresholds, counts = simulated(detector, problem, w, R, np.array([1e-3, 1e-2, 0.1]), rng=5)
    p_d = law.p_detect(thresholds)
    no_clutter = attrs.evolve(detector, clutter=None).detection_probability(problem.evolve(p_fa=1e-2), w, R)
    assert np.all(p_d[:, 1] < no_clutter - 0.01)  # the clutter matters in these cases
    assert inside(counts.p_d_interval(0.999), p_d), (p_d, counts.p_d)
    assert inside(counts.p_fa_interval(0.999), law.p_false_alarm(thresholds))


def test_the_papers_threshold_raises_pfa_in_clutter_as_predicted():
    config, problem, w, R = detection_case(seed=3, snr=12.0, rank=3)
    echoes = _echoes(config, total_power=300.0, side=6.0)
    blind = Detector(clutter=echoes, clutter_aware=False)
    stats = clutter_statistics(problem, echoes, blind, w, R)
    # the paper's threshold in units of the statistic's true H0 deviation
    ratio = np.sqrt(problem.sigma_d2 * stats.energy / (problem.sigma_d2 * stats.energy + stats.clutter_at_filter))
    threshold = q_inverse(problem.p_fa) * ratio
    counts = simulate_statistics(blind, problem, w, R, threshold[:, None], n_trials=100_000, rng=6)
    predicted = q_function(threshold)
    assert np.all(predicted > 2 * problem.p_fa)
    assert inside(counts.p_fa_interval(0.999), predicted[:, None])


def test_the_check_can_fail():
    """The clutter-free pD lies outside the simulated intervals in clutter."""
    config, problem, w, R = detection_case(seed=3, snr=12.0, rank=3)
    detector = Detector(clutter=_echoes(config, total_power=300.0, side=6.0))
    law, thresholds, counts = simulated(detector, problem, w, R, np.array([1e-2]), rng=5)
    low, high = counts.p_d_interval(0.999)
    assert np.all(Detector().detection_probability(problem.evolve(p_fa=1e-2), w, R) > high[:, 0])


def test_whitening_removes_clutter_the_receive_arrays_can_separate():
    """Strong sidelobe clutter: the whitened detector loses little, the clutter-blind one much."""
    config, problem, w, R = detection_case(seed=4, snr=10.0, n_tx=8)
    echoes = ClutterEchoes.from_config(config, ClutterScene(points=[[25.0, 30.0]], rcs=[30.0]))
    free = Detector().detection_probability(problem, w, R)
    aware = Detector(clutter=echoes).detection_probability(problem, w, R)
    blind = Detector(clutter=echoes, clutter_aware=False).detection_probability(problem, w, R)
    assert np.all(free - aware < 0.02) and np.all(free - blind > 0.05)


def test_range_gating_removes_scatterers_in_other_range_cells():
    config, problem, w, R = detection_case(seed=5, snr=10.0)
    on_point = problem.extras["points"][0]
    scene = ClutterScene(points=[on_point, [60.0, 0.0]], rcs=[3.0, 3.0])
    ungated = ClutterEchoes.from_config(config, scene)
    gated = ClutterEchoes.from_config(config, scene, symbol_duration=10e-9)  # 100 MHz: 3 m of path per symbol
    assert np.all(np.abs(gated.gating[:, 1]) < 0.1) and np.all(gated.gating[0, 0] == 1.0)
    assert np.all(ungated.gating == 1.0)
    near_only = ClutterEchoes.from_config(config, ClutterScene(points=[on_point], rcs=[3.0]), symbol_duration=10e-9)
    pd_gated = Detector(clutter=gated, clutter_aware=False).detection_probability(problem, w, R)
    pd_near = Detector(clutter=near_only, clutter_aware=False).detection_probability(problem, w, R)
    np.testing.assert_allclose(pd_gated, pd_near, atol=0.01)


def test_scene_and_echoes_check_their_inputs():
    config, problem, _, _ = detection_case(seed=0)
    with pytest.raises(InputError, match="rcs"):
        ClutterScene(points=[[1.0, 2.0]], rcs=[1.0, 2.0])
    with pytest.raises(InputError, match="rcs"):
        ClutterScene(points=[[1.0, 2.0]], rcs=[-1.0])
    with pytest.raises(InputError, match="coherence"):
        ClutterScene(points=[[1.0, 2.0]], rcs=[1.0], coherence="partial")
    with pytest.raises(InputError, match="exclude_side"):
        ClutterScene.patch(side=2.0, n_per_side=3, exclude_side=5.0)
    patch = ClutterScene.patch(side=10.0, n_per_side=5, total_power=8.0, exclude_side=3.0)
    assert patch.n_scatterers == 24 and patch.total_power == pytest.approx(8.0)
    other = ClutterEchoes.from_config(config.evolve(n_tx=8, n_rx=8), patch)
    with pytest.raises(InputError, match="clutter: built for"):
        Detector(clutter=other).detection_probability(problem, *random_design(problem, np.random.default_rng(0)))
    with pytest.raises(InputError, match="clutter"):
        Detector(clutter=other, target="swerling1-links")
