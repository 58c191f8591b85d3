"""Your own sensing waveform: a chirp, simulated at finite frame length against the closed form."""
import numpy as np

from isacsim import Detector, TypeII, hookimpl
from isacsim.designers import SDRDesigner
from isacsim.framesim import SensingWaveform, simulate_frames
from isacsim.scenario import ScenarioConfig, realization_rng


class Chirp(SensingWaveform):
    """Linear chirps of unit power, one rate per waveform, a random phase per frame."""

    name = "chirp"

    def waveforms(self, rng, n_trials, n_waveforms, n_symbols):
        n = np.arange(n_symbols)
        rate = (np.arange(n_waveforms) + 1.0)[None, :, None] / n_symbols
        phase = rng.uniform(0, 2 * np.pi, (n_trials, n_waveforms, 1))
        return np.exp(1j * (np.pi * rate * n**2 + phase))


@hookimpl
def isacsim_register_sensing_waveforms():
    """In an installed plugin package this registers the name "chirp" (see the page)."""
    return [Chirp]


def main(n_symbols=256, n_trials=4000):
    problem = ScenarioConfig().build(realization_rng(2024, 0))
    design = SDRDesigner().design(problem, TypeII(), Detector(synchronized=True))
    # In a script, pass the class itself; an installed plugin's waveform is found by its name.
    result = simulate_frames(problem, design, n_symbols=n_symbols, n_trials=n_trials, sensing=Chirp, alphabet="qpsk", seed=1)
    gaussian = simulate_frames(problem, design, n_symbols=n_symbols, n_trials=n_trials, sensing="gaussian", alphabet="qpsk", seed=1)
    worst = int(np.argmin(result.p_d_closed))
    print(f"closed form, eq. (26): pD {result.p_d_closed[worst]:.3f} at the worst point")
    for name, frames in (("chirp", result), ("gaussian", gaussian)):
        print(f"{name:>8}: simulated pD {frames.p_d()[worst]:.3f}, pFA {frames.p_fa()[worst]:.4f} "
              f"(paper's threshold; target pFA {problem.p_fa})")
    return result, gaussian, worst


if __name__ == "__main__":
    main()
