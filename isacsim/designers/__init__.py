"""Beamforming designers: the paper's optimal SDR and its benchmarks.

Each designer has a unique ``name`` and ``design(problem, receiver, detector)
-> Design``. They are registered through the plugin hooks
(:mod:`isacsim.plugins`); third-party designers subclass :class:`Designer` or
:class:`FixedDirectionDesigner`.
"""
from .base import Designer
from .design import Certificate, Design, NoBeamDirection
from .fixed import FixedDirectionDesigner
from .memory import SolverMemoryError
from .sdr import SDRDesigner
from .sensing_only import SensingOnlyDesigner
from .zf import ZFDesigner

__all__ = [
    "Designer",
    "Design",
    "Certificate",
    "NoBeamDirection",
    "FixedDirectionDesigner",
    "SolverMemoryError",
    "SDRDesigner",
    "SensingOnlyDesigner",
    "ZFDesigner",
]
