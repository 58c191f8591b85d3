"""Plugin manager and the registries it builds (designers, receivers).

>>> from isacsim.plugins import get_designer
>>> get_designer("sdr")
<class 'isacsim.designers.sdr.SDRDesigner'>
"""
from __future__ import annotations

import functools
import importlib.metadata
import os
import sys

import pluggy

from .errors import InputError, PluginFailure
from .names import resolve_name
from . import builtin, hookspecs

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "PluginError",
    "PluginFailure",
    "plugin_of",
    "blame_plugin",
    "get_plugin_manager",
    "designer_registry",
    "receiver_registry",
    "get_designer",
    "get_receiver",
]

#: Entry-point group third-party packages register their plugins under.
ENTRY_POINT_GROUP = "isacsim"
#: Comma-separated entry-point names of external plugins not to load.
DISABLE_ENV = "ISACSIM_DISABLE_PLUGINS"
#: Name under which the built-in plugin registers.
BUILTIN_NAME = "isacsim"


def plugin_of(registry, name):
    """The plugin that registered ``name`` in ``registry`` (``None`` for an unknown name)."""
    entry = registry.get(name)
    return entry[1] if entry else None


def blame_plugin(kind, name, plugin, error):
    """A :class:`PluginFailure` naming the plugin whose ``kind`` ``name`` raised ``error``."""
    return PluginFailure(
        f"{kind} {name!r} of plugin {plugin!r} raised {type(error).__name__}: {' '.join(str(error).split())}; "
        f"report it to the plugin's authors, or disable it with {DISABLE_ENV}={plugin}"
    )


class PluginError(InputError):
    """A plugin registered something invalid (message names the plugin)."""


def get_plugin_manager():
    """A fresh plugin manager with the built-ins and the installed plugins.

    External plugins are loaded from the ``isacsim`` entry-point group,
    except those named in ``$ISACSIM_DISABLE_PLUGINS``.

    Returns
    -------
    pluggy.PluginManager
    """
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name=BUILTIN_NAME)
    for name in filter(None, (n.strip() for n in os.environ.get(DISABLE_ENV, "").split(","))):
        manager.set_blocked(name)
    _load_entry_points(manager)
    manager.check_pending()
    return manager


#: External plugins that failed to import in this process: ``{name: "Type: message"}``.
BROKEN_PLUGINS = {}


def _load_entry_points(manager):
    """Register every plugin of the entry-point group; skip and report those that fail to import.

    A plugin that fails to import (a missing dependency, a syntax error) must
    not fail runs that do not use it: it is skipped, named once on stderr per
    process with the way to disable it, and named again if one of its
    designers is asked for (:func:`get_designer`).
    """
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        name = entry_point.name
        if manager.get_plugin(name) is not None or manager.is_blocked(name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as error:  # noqa: BLE001 - any import failure of a third-party plugin
            if name not in BROKEN_PLUGINS:
                BROKEN_PLUGINS[name] = f"{type(error).__name__}: {' '.join(str(error).split())}"
                print(
                    f"isacsim: warning: plugin {name!r} ({entry_point.value}) failed to import and is skipped "
                    f"({BROKEN_PLUGINS[name]}); to silence this, set {DISABLE_ENV}={name} or uninstall it",
                    file=sys.stderr,
                )
            continue
        manager.register(plugin, name=name)


def _plugin_error(plugin, message):
    """A :class:`PluginError` naming ``plugin`` and how to disable it."""
    hint = "" if plugin == BUILTIN_NAME else f" (disable the plugin with {DISABLE_ENV}={plugin})"
    return PluginError(f"plugin {plugin!r}: {' '.join(message.split())}{hint}")


def _registry(hook, kind, check):
    entries = {}
    for impl in hook.get_hookimpls():  # registration order: built-ins first
        try:
            provided = impl.function()
        except Exception as error:  # noqa: BLE001 - a plugin's bug, named
            raise _plugin_error(impl.plugin_name, f"{hook.name} raised {type(error).__name__}: {error}") from error
        if not isinstance(provided, (list, tuple)):
            raise _plugin_error(impl.plugin_name, f"{hook.name} must return a list of classes, got {provided!r}")
        for cls in provided:
            name = getattr(cls, "name", None)
            if not (isinstance(cls, type) and isinstance(name, str) and name):
                raise _plugin_error(impl.plugin_name, f"{cls!r} is not a {kind} class with a non-empty 'name'")
            check(cls, impl.plugin_name)
            if name in entries:
                raise _plugin_error(impl.plugin_name, f"{kind} name {name!r} is already registered by plugin {entries[name][1]!r}")
            entries[name] = (cls, impl.plugin_name)
    return entries


def _check_designer(cls, plugin):
    if not callable(getattr(cls, "design", None)):
        raise _plugin_error(plugin, f"designer {cls.__name__} has no design(problem, receiver, detector) method")


def _check_receiver(cls, plugin):
    from .receivers import Receiver

    if not issubclass(cls, Receiver):
        raise _plugin_error(plugin, f"receiver {cls.__name__} must subclass isacsim.Receiver")


@functools.lru_cache(maxsize=None)
def _cached_registries(disabled):
    manager = get_plugin_manager()
    return (
        _registry(manager.hook.isacsim_register_designers, "designer", _check_designer),
        _registry(manager.hook.isacsim_register_receivers, "receiver", _check_receiver),
    )


def designer_registry():
    """``{name: (class, plugin name)}`` of every registered designer."""
    return dict(_cached_registries(os.environ.get(DISABLE_ENV, ""))[0])


def receiver_registry():
    """``{name: (class, plugin name)}`` of every registered receiver."""
    return dict(_cached_registries(os.environ.get(DISABLE_ENV, ""))[1])


def _lookup(registry, kind, name):
    broken = "".join(f"; plugin {plugin!r} failed to import ({error})" for plugin, error in BROKEN_PLUGINS.items())
    return registry[resolve_name(kind, name, registry, extra=broken)][0]


def get_designer(name):
    """The designer class registered as ``name``.

    ``name`` is matched without regard to case (``SDR`` is ``sdr``).

    Raises
    ------
    InputError
        For an unknown name, listing the registered ones and suggesting the
        closest.
    """
    return _lookup(designer_registry(), "designer", name)


def get_receiver(name):
    """The receiver class registered as ``name`` (ValueError if unknown)."""
    return _lookup(receiver_registry(), "receiver", name)
