"""The built-in plugin: registers isacsim's own designers, receivers, symbol
alphabets and sensing waveforms through the same hooks as any third-party plugin."""
from .designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
from .framesim.waveforms import GaussianSensing, GaussianSymbols, QAM16Symbols, QPSKSensing, QPSKSymbols
from .hookspecs import hookimpl
from .receivers import TypeI, TypeII


@hookimpl
def isacsim_register_designers():
    """The paper's optimal SDR design and its two benchmarks."""
    return [SDRDesigner, ZFDesigner, SensingOnlyDesigner]


@hookimpl
def isacsim_register_receivers():
    """Type-I and Type-II users."""
    return [TypeI, TypeII]


@hookimpl
def isacsim_register_symbol_alphabets():
    """Complex Gaussian, QPSK and 16-QAM information symbols."""
    return [GaussianSymbols, QPSKSymbols, QAM16Symbols]


@hookimpl
def isacsim_register_sensing_waveforms():
    """Pseudorandom complex Gaussian and QPSK sensing sequences."""
    return [GaussianSensing, QPSKSensing]
