"""Beamforming designers: the paper's optimal SDR and its benchmarks.

Each designer has a unique ``name`` and ``design(problem, receiver, detector)
-> Design``. They are registered through the plugin hooks
(:mod:`isacsim.plugins`); third-party designers subclass :class:`ClosedFormDesigner` (beams by a
formula; isacsim verifies them), :class:`FixedDirectionDesigner` (beam
directions; powers and R optimized) or :class:`Designer` (the SDR).
"""
from ..lazy import lazy_exports

_EXPORTS = {
    "Designer": ".base",
    "Certificate": ".design",
    "ClosedFormDesigner": ".closed_form",
    "Design": ".design",
    "NoBeamDirection": ".design",
    "FixedDirectionDesigner": ".fixed",
    "SolverMemoryError": "..solvers.memory",
    "SDRDesigner": ".sdr",
    "SensingOnlyDesigner": ".sensing_only",
    "ZFDesigner": ".zf",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "Designer",
    "Design",
    "Certificate",
    "ClosedFormDesigner",
    "NoBeamDirection",
    "FixedDirectionDesigner",
    "SolverMemoryError",
    "SDRDesigner",
    "SensingOnlyDesigner",
    "ZFDesigner",
]
