"""ROC curves: closed form against Monte Carlo, and the figure."""
import numpy as np
import pytest

from isacsim import Detector
from isacsim.errors import InputError
from isacsim.roc import monte_carlo_roc, plot_roc, roc_curve
from isacsim.sync_errors import SyncErrors

from conftest import detection_case, inside

GRID = (1e-4, 1e-3, 1e-2, 0.05, 0.2)


@pytest.mark.parametrize("detector", [Detector(), Detector(target="swerling1"), Detector(target="swerling1-links", synchronized=False),
                                      Detector(sync_errors=SyncErrors(phase_spread=0.5))], ids=["paper", "swerling1", "links", "sync-errors"])
def test_monte_carlo_roc_agrees_with_the_closed_form(detector):
    _, problem, w, R = detection_case(seed=0, snr=10.0)
    curve = monte_carlo_roc(detector, problem, w, R, GRID, n_trials=100_000, rng=3)
    assert np.all(np.diff(curve.p_d, axis=1) > 0)  # pD grows with pFA
    assert inside(curve.counts.p_d_interval(0.999), curve.p_d)
    assert inside(curve.counts.p_fa_interval(0.999), np.broadcast_to(curve.p_fa, curve.p_d.shape))
    mc = curve.monte_carlo_at_worst()
    np.testing.assert_array_equal(mc["p_d"], curve.counts.p_d[curve.worst_point, np.arange(len(GRID))])


def test_roc_at_the_detectors_pfa_is_its_detection_probability():
    _, problem, w, R = detection_case(seed=1)
    for detector in (Detector(), Detector(target="swerling1-links"), Detector(synchronized=False, target="swerling1")):
        curve = roc_curve(detector, problem, w, R, [problem.p_fa])
        np.testing.assert_allclose(curve.p_d[:, 0], detector.detection_probability(problem, w, R), rtol=1e-12)
        assert curve.area_p_d[0] == pytest.approx(detector.detection_probability(problem, w, R).min(), rel=1e-12)


def test_plot_and_inputs(tmp_path):
    _, problem, w, R = detection_case(seed=2)
    curves = {"deterministic": monte_carlo_roc(Detector(), problem, w, R, GRID, n_trials=2000, rng=1),
              "Swerling I": roc_curve(Detector(target="swerling1"), problem, w, R)}
    plot_roc(curves, tmp_path / "roc.png", title="ROC")
    assert (tmp_path / "roc.png").stat().st_size > 10_000
    with pytest.raises(InputError, match="p_fa"):
        roc_curve(Detector(), problem, w, R, [0.0, 0.5])
    with pytest.raises(InputError, match="counts"):
        curves["Swerling I"].monte_carlo_at_worst()
