"""Frame-level simulation (isacsim.framesim) against closed forms and exact laws."""
import numpy as np
import pytest
from scipy import integrate, special, stats

from conftest import random_design
from isacsim import Detector, TypeI, TypeII
from isacsim.designers.design import Design
from isacsim.errors import InputError
from isacsim.framesim import simulate_frames
from isacsim.framesim.grams import bartlett_wishart, wishart_grams
from isacsim.framesim.layout import FrameLayout, design_sensing_beams
from isacsim.framesim.lrt import calibrated_threshold, echo_energies
from isacsim.problem import DesignProblem
from isacsim.scenario import ScenarioConfig, realization_rng
from isacsim.simulation import Scheme
from isacsim.stats import q_function, q_inverse, wilson_interval
from isacsim.testing import small_problem

#: Fig. 3's setting at Gamma = 15 dB (the finite-n study's).
FIG3_15DB = ScenarioConfig(n_users_per_cell=1, p_max_w=15.0, p_fa=1e-3, sinr_target_db=15.0)


def _designed(problem, receiver, synchronized):
    designer, receiver, detector = Scheme("sdr", receiver, synchronized).make()
    design = designer.design(problem, receiver, detector)
    assert design.status == "optimal"
    return design


def _single_cell(problem, rng, *, snr, p_fa):
    """BS 0, user 0 and point 0 of ``problem`` (L = K = Q = 1), a random beam, R = 0, and sigma_d2 with 2E/sigma_d2 = snr."""
    n_tx = problem.n_tx
    w = (rng.standard_normal((1, 1, n_tx)) + 1j * rng.standard_normal((1, 1, n_tx))) * 0.3
    cell = DesignProblem(
        H=problem.H[:1, :1, :1], A=problem.A[:1, :1], G=problem.G[:1, :1, :1], gamma=problem.gamma[:1, :1],
        p_max=problem.p_max[:1], sigma_c2=problem.sigma_c2, sigma_d2=1.0, n_rx=problem.n_rx, p_fa=p_fa,
    )
    energy = Detector().reflected_power(cell, w, np.zeros((1, n_tx, n_tx)))
    design = Design(w=w, R=np.zeros((1, n_tx, n_tx), dtype=complex), status="optimal", designer="random", receiver=TypeI(),
                    detector=Detector())
    return cell.evolve(sigma_d2=float(2.0 * energy[0] / snr)), design


def test_bartlett_draws_have_the_law_of_gaussian_gram_matrices():
    """Against a second method (X X^H of Gaussian samples) and an exact law (trace ~ Gamma(p N))."""
    rng = np.random.default_rng(0)
    for dim, dof in ((3, 5), (4, 2)):  # Bartlett, and the dof < dim fallback
        fast = bartlett_wishart(rng, 20000, dim, dof)
        x = (rng.standard_normal((20000, dim, dof)) + 1j * rng.standard_normal((20000, dim, dof))) / np.sqrt(2)
        slow = x @ np.conj(np.swapaxes(x, 1, 2))
        assert np.allclose(fast, np.conj(np.swapaxes(fast, 1, 2)))
        for statistic in (lambda w: w[:, 0, 1].real, lambda w: np.abs(w[:, dim - 1, 0]), lambda w: w[:, dim - 1, dim - 1].real,
                          lambda w: np.linalg.eigvalsh(w)[:, -1]):
            assert stats.ks_2samp(statistic(fast), statistic(slow)).pvalue > 1e-3
        trace = np.einsum("tii->t", fast).real
        assert stats.kstest(trace, stats.gamma(dim * dof).cdf).pvalue > 1e-3


def _echo_forms(zeta, n_rx, phases):
    """Quadratic forms C0, C1 (2L, 2L) of e0, e1 in the probes y = [references, targets], from the model.

    BS m's matched-filter output is mu_m = b_m^T y and the echo that arrives at it
    c_m^T y; e0 = Nr (1/N) sum_n sum_m |mu_m|^2 and e1 = Nr Re (1/N) sum_n sum_m mu_m^* (c_m^T y),
    so C0 = Nr sum_m conj(b_m) b_m^T and C1 = Nr sum_m conj(b_m) c_m^T. Scenario I (phases None):
    mu_m = sum_l zeta_ml reference_l, echo sum_l zeta_ml target_l. Scenario II: mu_m = zeta_mm
    reference_m, echo sum_l zeta_ml exp(i(psi_l - psi_m)) target_l.
    """
    n_bs = zeta.shape[0]
    c0 = np.zeros((2 * n_bs, 2 * n_bs), dtype=complex)
    c1 = np.zeros_like(c0)
    for m in range(n_bs):
        b, c = np.zeros(2 * n_bs, dtype=complex), np.zeros(2 * n_bs, dtype=complex)
        if phases is None:
            b[:n_bs] = zeta[m]
            c[n_bs:] = zeta[m]
        else:
            b[m] = zeta[m, m]
            c[n_bs:] = zeta[m] * np.exp(1j * (phases - phases[m]))
        c0 += n_rx * np.outer(b.conj(), b)
        c1 += n_rx * np.outer(b.conj(), c)
    return c0, c1


def _quadratic_moments(form, covariance, n_symbols):
    """Mean and variance of Re((1/N) sum_n y[n]^H C y[n]) for i.i.d. y[n] ~ CN(0, Sigma).

    With H = (C + C^H)/2 the summand is y^H H y: mean tr(H Sigma), variance tr((H Sigma)^2) (Isserlis).
    """
    hermitian = (form + form.conj().T) / 2
    product = hermitian @ covariance
    return float(np.trace(product).real), float(np.trace(product @ product).real) / n_symbols


@pytest.mark.parametrize("synchronized", [True, False])
def test_echo_energies_have_the_exact_moments_of_gaussian_frames(synchronized):
    """e0 and e1 of Wishart-drawn frames at N = 8, given the phases, against their exact mean and
    variance from the model. In Scenario II the other BSs' echoes (which BS m does not matched-filter)
    carry most of e1's variance: a fast path that dropped them would miss it by far."""
    n_symbols, n_trials = 8, 40_000
    problem = small_problem(seed=0, n_users_per_cell=2, n_tx=4)
    w, R = random_design(problem, np.random.default_rng(3), rank=2)
    layout = FrameLayout.build(problem, w, R)
    probes = np.concatenate([layout.reference[0], layout.target[0]])  # (2L, streams), y = probes @ s
    covariance = probes @ probes.conj().T
    zeta = np.sqrt(problem.G[0])
    phases = None if synchronized else np.random.default_rng(5).uniform(0, 2 * np.pi, problem.n_bs)
    grams = wishart_grams(np.random.default_rng(6), probes, n_symbols, n_trials)
    tiled = None if phases is None else np.tile(phases, (n_trials, 1))
    forms = _echo_forms(zeta, problem.n_rx, phases)
    for sample, form in zip(echo_energies(grams, zeta, problem.n_rx, tiled), forms):
        mean, variance = _quadratic_moments(form, covariance, n_symbols)
        spread = np.sqrt(np.var((sample - sample.mean()) ** 2) / n_trials)  # standard error of the sample variance
        assert abs(sample.mean() - mean) <= 4.5 * np.sqrt(variance / n_trials)
        assert abs(np.var(sample) - variance) <= 4.5 * spread
    if not synchronized:  # the check has power against dropping the interference
        direct = np.zeros_like(forms[1])
        for m in range(problem.n_bs):
            direct[m, problem.n_bs + m] = forms[1][m, problem.n_bs + m]
        assert _quadratic_moments(direct, covariance, n_symbols)[1] < 0.5 * _quadratic_moments(forms[1], covariance, n_symbols)[1]


@pytest.mark.parametrize("synchronized", [True, False])
def test_at_large_n_pd_and_pfa_agree_with_eqs_26_and_29(synchronized):
    problem = FIG3_15DB.build(realization_rng(2024, 0))
    design = _designed(problem, "type-ii", synchronized)  # information and sensing streams
    result = simulate_frames(problem, design, n_symbols=4096, n_trials=10_000, seed=11)
    closed = Detector(synchronized=synchronized).detection_probability(problem, design.w, design.R)
    assert result.method == "wishart"
    for threshold in ("asymptotic", "calibrated", "per-frame"):
        low, high = result.p_d_interval(threshold, confidence=0.999)
        assert np.all((low <= closed) & (closed <= high)), (threshold, result.p_d(threshold), closed)
        low, high = result.p_fa_interval(threshold, confidence=0.999)
        assert np.all((low <= 1e-3) & (1e-3 <= high)), (threshold, result.p_fa(threshold))
    assert np.allclose(result.p_d_conditional["asymptotic"], closed, atol=2e-3)


def test_at_large_n_qpsk_frames_agree_with_the_closed_forms_too():
    problem = FIG3_15DB.build(realization_rng(2024, 1))
    design = _designed(problem, "type-ii", False)
    result = simulate_frames(problem, design, n_symbols=4096, n_trials=1500, alphabet="qpsk", sensing="qpsk", calibration_trials=0, seed=3)
    assert result.method == "streams"
    closed = Detector(synchronized=False).detection_probability(problem, design.w, design.R)
    low, high = result.p_d_interval(confidence=0.999)
    assert np.all((low <= closed) & (closed <= high))
    for name, sinr in result.sinr.items():
        assert np.allclose(np.median(sinr, axis=0), result.sinr_closed[name], rtol=0.02)


def test_small_n_rates_match_the_exact_gamma_mixture():
    """L = 1, Gaussian symbols: the frame's echo energy is E X with N X ~ Gamma(N), so by quadrature
    pFA = E[Q(Q^-1(p) / sqrt(X))] and pD = E[Q(Q^-1(p) / sqrt(X) - sqrt(2E/sigma_d2) sqrt(X))]."""
    n_symbols, p_fa, snr, n_trials = 8, 1e-3, 16.0, 40_000
    cell, design = _single_cell(small_problem(seed=2, n_users_per_cell=1, n_tx=6), np.random.default_rng(4), snr=snr, p_fa=p_fa)
    gamma = stats.gamma(n_symbols, scale=1.0 / n_symbols)

    def mixture(integrand):
        return integrate.quad(lambda x: integrand(x) * gamma.pdf(x), 0, np.inf, limit=200)[0]

    expected_fa = mixture(lambda x: q_function(q_inverse(p_fa) / np.sqrt(x)))
    expected_d = mixture(lambda x: q_function(q_inverse(p_fa) / np.sqrt(x) - np.sqrt(snr * x)))
    assert expected_fa > 1.9 * p_fa  # the asymptotic threshold does not hold pFA at N = 8
    result = simulate_frames(cell, design, n_symbols=n_symbols, n_trials=n_trials, seed=5)
    for count, expected in ((result.false_alarms["asymptotic"][0], expected_fa), (result.detections["asymptotic"][0], expected_d)):
        low, high = wilson_interval(count, n_trials, 0.999)
        assert low <= expected <= high
    assert result.p_fa_conditional["asymptotic"][0] == pytest.approx(expected_fa, rel=0.03)
    assert result.p_d_conditional["asymptotic"][0] == pytest.approx(expected_d, rel=0.01)
    # The calibrated threshold holds pFA (checked by quadrature, not by the code's own estimate).
    delta = result.thresholds["calibrated"][0] / np.sqrt(cell.sigma_d2 * result.reflected_power[0] / 2.0)
    assert mixture(lambda x: q_function(delta / np.sqrt(x))) == pytest.approx(p_fa, rel=0.1)
    # The per-frame threshold holds it exactly.
    assert result.p_fa_conditional["per-frame"][0] == pytest.approx(p_fa, rel=1e-9)


def test_constant_envelope_symbols_keep_the_asymptotic_threshold_exact():
    """QPSK, K = 1, R = 0, Scenario II: each BS's echo energy is E exactly in every frame."""
    problem = small_problem(seed=1, n_users_per_cell=1, n_tx=4)
    rng = np.random.default_rng(2)
    w = (rng.standard_normal((3, 1, 4)) + 1j * rng.standard_normal((3, 1, 4))) * 0.5
    design = Design(w=w, R=np.zeros((3, 4, 4), dtype=complex), status="optimal", designer="random", receiver=TypeII(),
                    detector=Detector(synchronized=False))
    qpsk = simulate_frames(problem, design, n_symbols=4, n_trials=2000, alphabet="qpsk", calibration_trials=0, seed=1)
    gauss = simulate_frames(problem, design, n_symbols=4, n_trials=2000, calibration_trials=0, seed=1)
    assert np.allclose(qpsk.p_fa_conditional["asymptotic"], problem.p_fa, rtol=1e-9)
    assert np.all(gauss.p_fa_conditional["asymptotic"] > 1.5 * problem.p_fa)


@pytest.mark.parametrize("receiver", [TypeI(), TypeII()])
def test_empirical_sinr_follows_f_2n_2n_and_converges_to_eqs_3_and_4(receiver):
    """Gaussian streams: the frame powers of the desired and residual terms are independent
    Gamma(N)/N multiples of their means, so SINR_emp / SINR(3)/(4) ~ F(2N, 2N) -> 1, and the
    spread of 10 log10 of it is 10/ln(10) sqrt(2 psi'(N))."""
    problem = FIG3_15DB.build(realization_rng(2024, 2))
    design = _designed(problem, "type-ii", True)  # large sensing power: Type-I suffers it, Type-II cancels it
    for n_symbols in (16, 256, 4096):
        result = simulate_frames(problem, design, n_symbols=n_symbols, n_trials=4000, receivers=[receiver], calibration_trials=0, seed=7)
        ratio = result.sinr[receiver.name] / receiver.sinr(problem, design.w, design.R)
        law = stats.f(2 * n_symbols, 2 * n_symbols)
        spread = 10 / np.log(10) * np.sqrt(2 * special.polygamma(1, n_symbols))
        for user in range(problem.n_bs):
            assert stats.kstest(ratio[:, user, 0], law.cdf).pvalue > 1e-3
            assert np.std(10 * np.log10(ratio[:, user, 0])) == pytest.approx(spread, rel=0.06)
    assert np.all(np.abs(10 * np.log10(np.percentile(ratio, [5, 95], axis=0))) < 0.2)  # N = 4096: within 0.2 dB


def test_same_seed_same_numbers_and_inputs_checked():
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=4)
    design = _designed(problem, "type-ii", True)
    first = simulate_frames(problem, design, n_symbols=16, n_trials=500, seed=9)
    again = simulate_frames(problem, design, n_symbols=16, n_trials=500, seed=9)
    other = simulate_frames(problem, design, n_symbols=16, n_trials=500, seed=10)
    assert all(np.array_equal(first.detections[k], again.detections[k]) for k in first.detections)
    assert np.array_equal(first.sinr["type-i"], again.sinr["type-i"])
    assert not np.array_equal(first.sinr["type-i"], other.sinr["type-i"])
    for bad, match in (({"n_symbols": 0}, "n_symbols"), ({"n_symbols": 8, "n_trials": 2.5}, "n_trials"),
                       ({"n_symbols": 8, "method": "fast"}, "method"), ({"n_symbols": 8, "alphabet": "8psk"}, "alphabet"),
                       ({"n_symbols": 8, "alphabet": "qpsk", "method": "wishart"}, "method")):
        with pytest.raises(InputError, match=match):
            simulate_frames(problem, design, **bad)


@pytest.mark.parametrize("p_fa", [1e-3, 0.7])
def test_calibrated_threshold_solves_its_equation_even_for_identical_frames(p_fa):
    sigma_d2, energy = 2.0, 5.0
    alike = energy * (1 + 1e-15 * np.random.default_rng(0).standard_normal(1000))  # constant envelope, up to rounding
    assert calibrated_threshold(alike, sigma_d2, p_fa) == pytest.approx(np.sqrt(sigma_d2 * energy / 2) * stats.norm.isf(p_fa), rel=1e-9)
    mixed = np.repeat([1.0, 9.0], 500)
    delta = calibrated_threshold(mixed, sigma_d2, p_fa)
    assert np.mean(stats.norm.sf(delta / np.sqrt(sigma_d2 * mixed / 2))) == pytest.approx(p_fa, rel=1e-9)


def test_solver_residue_in_r_gets_no_sensing_waveform():
    """An eigen-beam of R under 1e-9 of the largest BS power is dropped, whatever R's own scale
    (isacsim.montecarlo.sensing_beams, relative to R's largest eigenvalue, would keep it here)."""
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=4)
    rng = np.random.default_rng(8)
    w = (rng.standard_normal((3, 1, 4)) + 1j * rng.standard_normal((3, 1, 4))) * 0.5  # ~1 W per BS
    basis = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))[0]
    R = np.zeros((3, 4, 4), dtype=complex)
    R[0] = basis @ np.diag([1e-3, 1e-11, 0, 0]) @ basis.conj().T  # a real beam and a residue
    R[2] = 1e-12 * np.eye(4)  # residue only (a Type-I design's R)
    beams = design_sensing_beams(w, R)
    assert beams.shape == (3, 1, 4)
    assert np.allclose(np.outer(beams[0, 0], beams[0, 0].conj()), 1e-3 * np.outer(basis[:, 0], basis[:, 0].conj()), atol=1e-15)
    assert not np.any(beams[1:])
    assert FrameLayout.build(problem, w, R).sensing_counts().tolist() == [1, 0, 0]
