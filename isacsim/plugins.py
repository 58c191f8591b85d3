"""Plugin manager and the registries it builds (designers, receivers).

>>> from isacsim.plugins import get_designer
>>> get_designer("sdr")
<class 'isacsim.designers.sdr.SDRDesigner'>
"""
from __future__ import annotations

import functools
import os

import pluggy

from .errors import InputError
from . import builtin, hookspecs

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "PluginError",
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
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    manager.check_pending()
    return manager


def _registry(hook, kind, check):
    entries = {}
    for impl in hook.get_hookimpls():  # registration order: built-ins first
        provided = impl.function()
        if not isinstance(provided, (list, tuple)):
            raise PluginError(f"plugin {impl.plugin_name!r}: {hook.name} must return a list of classes, got {provided!r}")
        for cls in provided:
            name = getattr(cls, "name", None)
            if not (isinstance(cls, type) and isinstance(name, str) and name):
                raise PluginError(f"plugin {impl.plugin_name!r}: {cls!r} is not a {kind} class with a non-empty 'name'")
            check(cls, impl.plugin_name)
            if name in entries:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {kind} name {name!r} is already registered by plugin {entries[name][1]!r}"
                )
            entries[name] = (cls, impl.plugin_name)
    return entries


def _check_designer(cls, plugin):
    if not callable(getattr(cls, "design", None)):
        raise PluginError(f"plugin {plugin!r}: designer {cls.__name__} has no design(problem, receiver, detector) method")


def _check_receiver(cls, plugin):
    from .receivers import Receiver

    if not issubclass(cls, Receiver):
        raise PluginError(f"plugin {plugin!r}: receiver {cls.__name__} must subclass isacsim.Receiver")


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
    if name not in registry:
        raise InputError(f"{kind}: unknown name {name!r}; registered: {', '.join(sorted(registry))}")
    return registry[name][0]


def get_designer(name):
    """The designer class registered as ``name``.

    Raises
    ------
    ValueError
        For an unknown name, listing the registered ones.
    """
    return _lookup(designer_registry(), "designer", name)


def get_receiver(name):
    """The receiver class registered as ``name`` (ValueError if unknown)."""
    return _lookup(receiver_registry(), "receiver", name)
