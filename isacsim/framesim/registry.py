"""Registries of symbol alphabets and sensing waveforms, built from the plugin hooks.

>>> from isacsim.framesim.registry import get_alphabet
>>> get_alphabet("qpsk")
<class 'isacsim.framesim.waveforms.QPSKSymbols'>

Plugins register through ``isacsim_register_symbol_alphabets`` and
``isacsim_register_sensing_waveforms`` (:mod:`isacsim.hookspecs`), like
designers and receivers.
"""
from __future__ import annotations

__all__ = ["alphabet_registry", "sensing_registry", "get_alphabet", "get_sensing", "resolve"]


def _registries(manager):
    from ..plugins import registries

    return registries(manager)


def alphabet_registry(manager=None):
    """``{name: (class, plugin name)}`` of every registered symbol alphabet.

    Parameters
    ----------
    manager : pluggy.PluginManager or None
        Where to collect the plugins; default
        :func:`isacsim.plugins.get_plugin_manager` (cached).
    """
    return dict(_registries(manager)["alphabet"])


def sensing_registry(manager=None):
    """``{name: (class, plugin name)}`` of every registered sensing waveform (see :func:`alphabet_registry`)."""
    return dict(_registries(manager)["sensing"])


def get_alphabet(name, manager=None):
    """The symbol-alphabet class registered as ``name`` (InputError listing the known ones)."""
    from ..plugins import _lookup

    return _lookup(alphabet_registry(manager), "alphabet", name)


def get_sensing(name, manager=None):
    """The sensing-waveform class registered as ``name`` (InputError listing the known ones)."""
    from ..plugins import _lookup

    return _lookup(sensing_registry(manager), "sensing", name)


def resolve(value, lookup):
    """An alphabet or waveform instance from a registered name, a class or an instance.

    Parameters
    ----------
    value : str or type or object
    lookup : callable
        :func:`get_alphabet` or :func:`get_sensing`.
    """
    if isinstance(value, str):
        return lookup(value)()
    return value() if isinstance(value, type) else value
