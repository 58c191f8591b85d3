"""The built-in plugin: registers isacsim's own designers and receivers
through the same hooks as any third-party plugin."""
from .designers import SDRDesigner, SensingOnlyDesigner, ZFDesigner
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
