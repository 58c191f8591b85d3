"""Waveform-level (symbol-level) simulation of a design at a finite frame length N.

The paper's detection analysis (eqs. (14)-(29)) and SINRs (eqs. (3)-(4))
assume N large enough that the matched-filtered waveforms are orthogonal and
every sample power equals its mean. :func:`simulate_frames` drops that
assumption: it simulates frames of N symbols with the actual waveforms
(selectable, and pluggable through ``isacsim_register_symbol_alphabets`` and
``isacsim_register_sensing_waveforms``), applies the paper's likelihood-ratio
statistic in both scenarios and measures the users' empirical SINR.

>>> from isacsim.framesim import simulate_frames
>>> result = simulate_frames(problem, design, n_symbols=64, seed=1)   # doctest: +SKIP
>>> result.p_d(), result.p_fa()                                       # doctest: +SKIP

Modules: :mod:`.waveforms` (alphabets, sensing generators),
:mod:`.registry` (plugin registries), :mod:`.layout` (streams and probes),
:mod:`.grams` (sufficient statistics: Wishart or materialized frames),
:mod:`.lrt` (statistic and thresholds), :mod:`.sinr` (empirical SINR),
:mod:`.simulate` (the driver), :mod:`.reference` (brute-force sample-level
simulator for checks), :mod:`.study` and :mod:`.figure` (the ``finite-n``
study).
"""
from typing import TYPE_CHECKING

from ..lazy import lazy_exports

#: Public names and their modules, imported on first use: registering the
#: built-in waveforms (:mod:`.waveforms`) does not load the simulator.
_EXPORTS = {
    "FrameLayout": ".layout",
    "THRESHOLDS": ".lrt",
    "alphabet_registry": ".registry",
    "get_alphabet": ".registry",
    "get_sensing": ".registry",
    "sensing_registry": ".registry",
    "METHODS": ".simulate",
    "FrameResult": ".simulate",
    "simulate_frames": ".simulate",
    "SensingWaveform": ".waveforms",
    "SymbolAlphabet": ".waveforms",
}
if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from .layout import FrameLayout
    from .lrt import THRESHOLDS
    from .registry import alphabet_registry, get_alphabet, get_sensing, sensing_registry
    from .simulate import FrameResult, METHODS, simulate_frames
    from .waveforms import SensingWaveform, SymbolAlphabet

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "simulate_frames",
    "FrameResult",
    "FrameLayout",
    "METHODS",
    "THRESHOLDS",
    "SymbolAlphabet",
    "SensingWaveform",
    "alphabet_registry",
    "sensing_registry",
    "get_alphabet",
    "get_sensing",
]
