"""Symbol alphabets and sensing waveforms are plugins: built-ins and a third party's, through the hooks."""
import numpy as np
import pluggy
import pytest

from isacsim import Detector, TypeII, builtin, hookimpl, hookspecs
from isacsim.designers.design import Design
from isacsim.errors import InputError
from isacsim.framesim import SensingWaveform, SymbolAlphabet, alphabet_registry, get_alphabet, get_sensing, sensing_registry, simulate_frames
from isacsim.framesim.reference import simulate_samples
from isacsim.testing import small_problem


class Chirp(SensingWaveform):
    """Linear chirps, one rate per waveform, a random start phase per frame; records its calls."""

    name = "test-chirp"
    calls = []

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        Chirp.calls.append((n_trials, n_waveforms, n_symbols))
        n = np.arange(n_symbols)
        rates = (np.arange(n_waveforms) + 1.0) / n_symbols
        phase = rng.uniform(0, 2 * np.pi, (n_trials, n_waveforms, 1))
        return np.exp(1j * (np.pi * rates[None, :, None] * n**2 + phase))


class BPSK(SymbolAlphabet):
    """Real antipodal symbols: not circularly symmetric."""

    name = "test-bpsk"

    def symbols(self, rng, shape):
        return rng.choice([-1.0, 1.0], size=shape).astype(complex)


class BPSKSensing(SensingWaveform):
    """Real antipodal pseudorandom chips."""

    name = "test-bpsk"

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        return BPSK().symbols(rng, (n_trials, n_waveforms, n_symbols))


class _WaveformPlugin:
    @staticmethod
    @hookimpl
    def isacsim_register_symbol_alphabets():
        return [BPSK]

    @staticmethod
    @hookimpl
    def isacsim_register_sensing_waveforms():
        return [Chirp, BPSKSensing]


def _manager(*plugins):
    manager = pluggy.PluginManager("isacsim")
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name="isacsim")
    for name, plugin in plugins:
        manager.register(plugin, name=name)
    return manager


def _sensing_design(problem, synchronized):
    """All power in a rank-one R per BS (w = 0): the echo is the sensing waveform's."""
    rng = np.random.default_rng(0)
    L, K, Nt = problem.n_bs, problem.n_users_per_cell, problem.n_tx
    v = rng.standard_normal((L, Nt, 1)) + 1j * rng.standard_normal((L, Nt, 1))
    return Design(w=np.zeros((L, K, Nt), dtype=complex), R=v @ np.conj(np.swapaxes(v, 1, 2)), status="optimal", designer="random",
                  receiver=TypeII(), detector=Detector(synchronized=synchronized))


def test_isacsim_register_symbol_alphabets_gives_the_builtins_unit_power():
    registry = alphabet_registry()
    assert {name: plugin for name, (_, plugin) in registry.items() if name in ("gaussian", "qpsk", "16qam")} == dict.fromkeys(
        ("gaussian", "qpsk", "16qam"), "isacsim"
    )
    rng = np.random.default_rng(1)
    for name in ("qpsk", "16qam"):
        symbols = get_alphabet(name)().symbols(rng, (1, 1, 200_000)).ravel()
        points = np.unique(symbols)
        assert points.size == {"qpsk": 4, "16qam": 16}[name]
        assert np.mean(np.abs(points) ** 2) == pytest.approx(1.0, rel=1e-12)  # equiprobable points: unit power exactly
        assert abs(symbols.mean()) < 0.01
    with pytest.raises(InputError, match="alphabet.*'8psk'.*qpsk"):
        get_alphabet("8psk")


def test_isacsim_register_sensing_waveforms_a_plugin_chirp_is_used():
    manager = _manager(("chirps", _WaveformPlugin()))
    assert sensing_registry(manager)["test-chirp"] == (Chirp, "chirps")
    assert alphabet_registry(manager)["test-bpsk"] == (BPSK, "chirps")
    assert "test-chirp" not in sensing_registry()  # only where it is registered
    problem = small_problem(seed=1, n_users_per_cell=1, n_tx=4)
    design = _sensing_design(problem, synchronized=False)
    Chirp.calls.clear()
    chirp = simulate_frames(problem, design, n_symbols=16, n_trials=500, sensing=get_sensing("test-chirp", manager), calibration_trials=0, seed=1)
    assert chirp.method == "streams" and chirp.sensing == "test-chirp"
    assert Chirp.calls and all(call[1:] == (1, 16) for call in Chirp.calls) and sum(c[0] for c in Chirp.calls) == 3 * 500
    # Constant-envelope chirps: in Scenario II each BS's echo energy is E in every frame, so the
    # paper's threshold holds pFA exactly; with Gaussian sensing waveforms it does not.
    assert np.allclose(chirp.p_fa_conditional["asymptotic"], problem.p_fa, rtol=1e-9)
    gaussian = simulate_frames(problem, design, n_symbols=16, n_trials=500, calibration_trials=0, seed=1)
    assert np.all(gaussian.p_fa_conditional["asymptotic"] > 1.1 * problem.p_fa)


def test_non_circular_plugin_waveforms_in_scenario_ii_agree_with_the_brute_force():
    """Real (BPSK) waveforms are not circularly symmetric, so the unknown carrier phases of
    Scenario II change the statistic's law: the fast path must draw them as the brute force does."""
    problem = small_problem(seed=0, n_users_per_cell=1, n_tx=4)
    design = _sensing_design(problem, synchronized=False)
    energy = design.detector.reflected_power(problem, design.w, design.R)[0]
    problem = problem.evolve(sigma_d2=float(energy / 4.0), p_fa=0.05, A=problem.A[:1], G=problem.G[:1] * np.array([1, 30, 30])[:, None])
    n_trials = 12_000
    brute = simulate_samples(problem, design, point=0, n_symbols=4, n_trials=n_trials, alphabet=BPSK(), sensing=BPSKSensing(), seed=1)
    fast = simulate_frames(problem, design, n_symbols=4, n_trials=n_trials, alphabet=BPSK(), sensing=BPSKSensing(), calibration_trials=0, seed=2)
    a, b = np.count_nonzero(brute.statistic_h1 > brute.threshold), fast.detections["asymptotic"][0]
    pooled = (a + b) / (2 * n_trials)
    assert abs(a - b) / n_trials <= 3.29 * np.sqrt(2 * pooled * (1 - pooled) / n_trials)


def test_a_broken_waveform_plugin_is_disabled_and_named(capsys):
    class NoMethod:
        name = "nothing"

    class Duplicate:
        @staticmethod
        @hookimpl
        def isacsim_register_symbol_alphabets():
            return [BPSK, BPSK]

    class Missing:
        @staticmethod
        @hookimpl
        def isacsim_register_sensing_waveforms():
            return [NoMethod]

    from isacsim import plugins

    plugins.BROKEN_PLUGINS.clear()
    try:
        assert "test-bpsk" not in alphabet_registry(_manager(("dup", Duplicate())))
        assert "nothing" not in sensing_registry(_manager(("missing", Missing())))
        assert "qpsk" in alphabet_registry(_manager(("dup", Duplicate())))  # the built-ins stay
    finally:
        plugins.BROKEN_PLUGINS.clear()
    warnings = [line for line in capsys.readouterr().err.splitlines() if "is disabled" in line]
    assert len(warnings) == 2
    assert "'dup'" in warnings[0] and "'test-bpsk'" in warnings[0] and "already registered" in warnings[0]
    assert "'missing'" in warnings[1] and "waveforms" in warnings[1]

    class WrongShape(SensingWaveform):
        name = "wrong-shape"

        def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
            return np.ones((n_symbols,))

    problem = small_problem(seed=1, n_users_per_cell=1, n_tx=4)
    with pytest.raises(InputError, match="wrong-shape.*shape"):
        simulate_frames(problem, _sensing_design(problem, True), n_symbols=8, n_trials=10, sensing=WrongShape, calibration_trials=0)
