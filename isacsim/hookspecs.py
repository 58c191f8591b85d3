"""Plugin hooks of isacsim (pluggy).

A plugin is a module or object with functions marked ``@hookimpl`` and named
like the specs below. Third-party packages register it under the entry-point
group ``isacsim``::

    [options.entry_points]
    isacsim =
        my_plugin = my_package.plugin

Set ``ISACSIM_DISABLE_PLUGINS=my_plugin,other`` to block external plugins by
entry-point name.
"""
from __future__ import annotations
import pluggy

__all__ = [
    "hookspec",
    "hookimpl",
    "isacsim_register_designers",
    "isacsim_register_receivers",
    "isacsim_register_symbol_alphabets",
    "isacsim_register_sensing_waveforms",
]

hookspec = pluggy.HookspecMarker("isacsim")
hookimpl = pluggy.HookimplMarker("isacsim")


@hookspec
def isacsim_register_designers() -> list[type]:  # type: ignore[empty-body]  # a hook specification: only its signature and docstring
    """Designer classes this plugin provides.

    Returns
    -------
    list of type
        Classes with a unique, non-empty class attribute ``name`` (and
        optionally ``label``, their name in legends) and a method
        ``design(problem, receiver, detector) -> Design``; usually
        subclasses of :class:`isacsim.designers.ClosedFormDesigner`,
        :class:`~isacsim.designers.FixedDirectionDesigner` or
        :class:`~isacsim.designers.Designer`. They are created with no
        arguments, or with ``solver=...`` when the user picks one. isacsim
        runs their designs in a child process and audits every one
        (:mod:`isacsim.guard`).
    """


@hookspec
def isacsim_register_receivers() -> list[type]:  # type: ignore[empty-body]  # a hook specification: only its signature and docstring
    """Receiver classes this plugin provides.

    Returns
    -------
    list of type
        Subclasses of :class:`isacsim.Receiver` with a unique ``name`` and a
        ``sensing_leakage`` in [0, 1]; created with no arguments.
    """


@hookspec
def isacsim_register_symbol_alphabets() -> list[type]:  # type: ignore[empty-body]  # a hook specification: only its signature and docstring
    """Information-symbol alphabets this plugin provides (frame simulation).

    Returns
    -------
    list of type
        Classes with a unique, non-empty class attribute ``name`` and a
        method ``symbols(rng, shape) -> complex ndarray`` drawing i.i.d.
        zero-mean unit-power symbols; usually subclasses of
        :class:`isacsim.framesim.SymbolAlphabet`. Created with no arguments.
    """


@hookspec
def isacsim_register_sensing_waveforms() -> list[type]:  # type: ignore[empty-body]  # a hook specification: only its signature and docstring
    """Dedicated sensing-waveform generators this plugin provides (frame simulation).

    Returns
    -------
    list of type
        Classes with a unique, non-empty class attribute ``name`` and a
        method ``waveforms(rng, n_trials, n_waveforms, n_symbols)`` returning
        complex sequences of shape ``(n_trials, n_waveforms, n_symbols)``
        with zero mean and unit average power (e.g. chirps, OFDM symbols);
        usually subclasses of :class:`isacsim.framesim.SensingWaveform`.
        Created with no arguments.
    """
