"""The built-in plugin: registers isacsim's own designers, receivers, symbol
alphabets and sensing waveforms through the same hooks as any third-party plugin.

Each hook imports what it registers, so that asking for designers does not
load the frame simulator (and SciPy's optimizers) and the reverse.
"""
from .hookspecs import hookimpl


@hookimpl
def isacsim_register_designers():
    """The paper's optimal SDR design, its two benchmarks, their power-minimizing forms, and the clutter-aware design."""
    from .designers import (
        ClutterAwareDesigner,
        PowerMinDesigner,
        PowerMinSensingOnlyDesigner,
        PowerMinZFDesigner,
        SDRDesigner,
        SensingOnlyDesigner,
        ZFDesigner,
    )

    return [
        SDRDesigner, ZFDesigner, SensingOnlyDesigner, PowerMinDesigner, PowerMinZFDesigner, PowerMinSensingOnlyDesigner, ClutterAwareDesigner,
    ]


@hookimpl
def isacsim_register_receivers():
    """Type-I and Type-II users."""
    from .receivers import TypeI, TypeII

    return [TypeI, TypeII]


@hookimpl
def isacsim_register_symbol_alphabets():
    """Complex Gaussian, QPSK and 16-QAM information symbols."""
    from .framesim.waveforms import GaussianSymbols, QAM16Symbols, QPSKSymbols

    return [GaussianSymbols, QPSKSymbols, QAM16Symbols]


@hookimpl
def isacsim_register_sensing_waveforms():
    """Pseudorandom complex Gaussian and QPSK sensing sequences."""
    from .framesim.waveforms import GaussianSensing, QPSKSensing

    return [GaussianSensing, QPSKSensing]
