"""Plugin manager and the registries it builds (designers, receivers, symbol
alphabets, sensing waveforms).

>>> from isacsim.plugins import get_designer
>>> get_designer("sdr")
<class 'isacsim.designers.sdr.SDRDesigner'>

Plugins come from three places, in this order: isacsim's own
(:mod:`isacsim.builtin`), installed packages (the ``isacsim`` entry-point
group), and :func:`register` called from a script or a notebook. A plugin
that fails to import, or whose registration hook raises, returns something
other than a list of valid classes, or reuses a name already registered, is
disabled as a whole with one warning on stderr; every other plugin, and
every command that does not use it, works as before.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import itertools
import os
import sys
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy

from .errors import InputError, InputTypeError, PluginFailure
from .names import resolve_name
from . import builtin, hookspecs

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "PluginError",
    "PluginFailure",
    "plugin_of",
    "blame_plugin",
    "describe_source",
    "get_plugin_manager",
    "registries",
    "designer_registry",
    "receiver_registry",
    "get_designer",
    "get_receiver",
    "register",
    "registered_plugins",
    "adopt",
    "plugin_provenance",
]

#: Entry-point group third-party packages register their plugins under.
ENTRY_POINT_GROUP = "isacsim"
#: Comma-separated entry-point names of external plugins not to load.
DISABLE_ENV = "ISACSIM_DISABLE_PLUGINS"
#: Name under which the built-in plugin registers.
BUILTIN_NAME = "isacsim"


def _has_method(method):
    def check(cls):
        if not callable(getattr(cls, method, None)):
            return f"{cls.__name__} has no {method}() method"
        return ""

    return check


def _check_receiver(cls):
    from .receivers import Receiver

    return "" if issubclass(cls, Receiver) else f"receiver {cls.__name__} must subclass isacsim.Receiver"


#: Every registry: kind -> (hook, what it holds, the check of one class: "" or what is wrong).
KINDS = {
    "designer": ("isacsim_register_designers", "designer", _has_method("design")),
    "receiver": ("isacsim_register_receivers", "receiver", _check_receiver),
    "alphabet": ("isacsim_register_symbol_alphabets", "symbol alphabet", _has_method("symbols")),
    "sensing": ("isacsim_register_sensing_waveforms", "sensing waveform", _has_method("waveforms")),
}


def plugin_of(registry: Mapping[str, Any], name: str) -> str | None:
    """The plugin that registered ``name`` in ``registry`` (``None`` for an unknown name)."""
    entry = registry.get(name)
    return entry[1] if entry else None


def _hint(plugin):
    """How to get rid of an installed plugin's fault ("" for anything else: the built-ins, a script's own code)."""
    if plugin not in _DISTRIBUTIONS:
        return ""
    return f"; report it to the plugin's authors, or disable it with {DISABLE_ENV}={plugin}"


def describe_source(kind: str, name: str, plugin: str | None) -> str:
    """Who provides ``name``, for messages: ``"designer 'sdr'"`` or ``"designer 'rzf' of plugin 'rzf'"``."""
    if plugin in (None, BUILTIN_NAME):
        return f"{kind} {name!r}"
    return f"{kind} {name!r} of plugin {plugin!r}"


def blame_plugin(kind: str, name: str, plugin: str | None, error: BaseException) -> PluginFailure:
    """A :class:`PluginFailure` naming the plugin whose ``kind`` ``name`` raised ``error``."""
    return PluginFailure(
        f"{describe_source(kind, name, plugin)} raised {type(error).__name__}: {' '.join(str(error).split())}{_hint(plugin)}"
    )


class PluginError(InputError):
    """A plugin registered something invalid (message names the plugin)."""


def _plugin_error(plugin, message):
    """A :class:`PluginError` naming ``plugin`` and how to disable it."""
    hint = "" if plugin == BUILTIN_NAME or plugin in _REGISTERED else f" (disable the plugin with {DISABLE_ENV}={plugin})"
    return PluginError(f"plugin {plugin!r}: {' '.join(message.split())}{hint}")


# ------------------------------------------------------------------ managers
def get_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins, the installed plugins and a script's own.

    External plugins are loaded from the ``isacsim`` entry-point group,
    except those named in ``$ISACSIM_DISABLE_PLUGINS``; then the plugins
    registered in this process with :func:`register`.

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
    for name, (_, classes) in _REGISTERED.items():
        if manager.get_plugin(name) is None and not manager.is_blocked(name):
            manager.register(_ScriptPlugin(classes), name=name)
    manager.check_pending()
    return manager


#: External plugins disabled in this process: ``{name: why}`` (import failures and
#: broken registrations), each reported once on stderr.
BROKEN_PLUGINS: dict[str, str] = {}
#: Distribution of each external plugin loaded: ``{name: (distribution, version)}``.
_DISTRIBUTIONS: dict[str, tuple[str | None, str | None]] = {}


def _disable(plugin, why, description=""):
    """Record ``plugin`` as disabled and say so once per process on stderr."""
    if plugin in BROKEN_PLUGINS:
        return
    BROKEN_PLUGINS[plugin] = why
    where = f" ({description})" if description else ""
    print(
        f"isacsim: warning: plugin {plugin!r}{where} is disabled: {why}; to silence this, set {DISABLE_ENV}={plugin} or uninstall it",
        file=sys.stderr,
    )


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
            _disable(name, f"it failed to import ({type(error).__name__}: {' '.join(str(error).split())})", entry_point.value)
            continue
        dist = getattr(entry_point, "dist", None)
        _DISTRIBUTIONS[name] = (dist.name, dist.version) if dist is not None else (None, None)
        try:
            manager.register(plugin, name=name)
        except Exception as error:  # noqa: BLE001 - e.g. a hook that matches no spec
            _disable(name, f"pluggy refused it ({type(error).__name__}: {' '.join(str(error).split())})", entry_point.value)
            if manager.get_plugin(name) is not None:
                manager.unregister(name=name)


# ---------------------------------------------------------------- registries
class _Broken(Exception):
    """A plugin's registration is unusable; the message says why."""


def _provided(impl, hook, what, check):
    """The classes one plugin's hook provides, checked; :class:`_Broken` if they are not valid."""
    try:
        classes = impl.function()
    except Exception as error:  # noqa: BLE001 - a plugin's bug, named
        raise _Broken(f"{hook} raised {type(error).__name__}: {' '.join(str(error).split())}") from None
    if not isinstance(classes, (list, tuple)):
        raise _Broken(f"{hook} must return a list of classes, got {type(classes).__name__}")
    for cls in classes:
        name = getattr(cls, "name", None) if isinstance(cls, type) else None
        if not (isinstance(name, str) and name):
            raise _Broken(f"{hook} returned {cls!r}, which is not a {what} class with a non-empty 'name'")
        problem = check(cls)
        if problem:
            raise _Broken(f"{hook}: {problem}")
    return list(classes)


def build_registries(manager: pluggy.PluginManager) -> dict[str, dict[str, Any]]:
    """Every registry of ``manager``'s plugins: ``{kind: {name: (class, plugin)}}`` (kinds of :data:`KINDS`).

    A plugin with a broken registration (a hook that raises or returns
    anything but valid classes, a name another plugin registered first) is
    left out whole, in every registry, and reported once on stderr.

    Raises
    ------
    PluginError
        If the built-in plugin itself is broken (a bug of isacsim).
    """
    order: list[str] = []
    provided: dict[str, dict[str, Any]] = {}
    broken: dict[str, str] = {}
    for kind, (hook, what, check) in KINDS.items():
        for impl in getattr(manager.hook, hook).get_hookimpls():  # registration order: built-ins first
            plugin = impl.plugin_name
            if plugin not in provided:
                order.append(plugin)
                provided[plugin] = {}
            if plugin in broken:
                continue
            try:
                provided[plugin][kind] = _provided(impl, hook, what, check)
            except _Broken as error:
                broken[plugin] = str(error)
    owners: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for plugin in order:
        if plugin in broken:
            continue
        clash = [(kind, cls.name, owners[kind][cls.name]) for kind, classes in provided[plugin].items() for cls in classes
                 if cls.name in owners[kind]]
        dupes = [(kind, name) for kind, classes in provided[plugin].items()
                 for name, count in _counts(cls.name for cls in classes).items() if count > 1]
        if clash or dupes:
            kind, name, other = clash[0] if clash else (*dupes[0], plugin)
            broken[plugin] = f"its {KINDS[kind][1]} name {name!r} is already registered by plugin {other!r}"
            continue
        for kind, classes in provided[plugin].items():
            for cls in classes:
                owners[kind][cls.name] = plugin
    if BUILTIN_NAME in broken:  # pragma: no cover - isacsim's own bug
        raise _plugin_error(BUILTIN_NAME, broken[BUILTIN_NAME])
    for plugin, why in broken.items():
        _disable(plugin, why)
    registries: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    for plugin in order:
        if plugin not in broken:
            for kind, classes in provided[plugin].items():
                registries[kind].update((cls.name, (cls, plugin)) for cls in classes)
    return registries


def _counts(names):
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts


@functools.lru_cache(maxsize=8)
def _cached_registries(key):
    return build_registries(get_plugin_manager())


def registries(manager: pluggy.PluginManager | None = None) -> dict[str, dict[str, Any]]:
    """``{kind: {name: (class, plugin)}}`` of every plugin (:func:`build_registries`).

    Parameters
    ----------
    manager : pluggy.PluginManager or None
        Where to collect the plugins; default :func:`get_plugin_manager`,
        cached until the environment's blocked plugins or the script's
        registrations change.
    """
    if manager is not None:
        return build_registries(manager)
    return _cached_registries((os.environ.get(DISABLE_ENV, ""), _GENERATION[0]))


def designer_registry() -> dict[str, Any]:
    """``{name: (class, plugin name)}`` of every registered designer."""
    return dict(registries()["designer"])


def receiver_registry() -> dict[str, Any]:
    """``{name: (class, plugin name)}`` of every registered receiver."""
    return dict(registries()["receiver"])


def _lookup(registry, kind, name):
    broken = "".join(f"; plugin {plugin!r} is disabled: {error}" for plugin, error in BROKEN_PLUGINS.items())
    return registry[resolve_name(kind, name, registry, extra=broken)][0]


def get_designer(name: str) -> type[Any]:
    """The designer class registered as ``name``.

    ``name`` is matched without regard to case (``SDR`` is ``sdr``).

    Raises
    ------
    InputError
        For an unknown name, listing the registered ones and suggesting the
        closest.
    """
    return _lookup(designer_registry(), "designer", name)


def get_receiver(name: str) -> type[Any]:
    """The receiver class registered as ``name`` (ValueError if unknown)."""
    return _lookup(receiver_registry(), "receiver", name)


# --------------------------------------------------- registration from a script
#: Plugins registered in this process by :func:`register`:
#: ``{plugin name: (token, {kind: {name: class}})}``; the token changes with every registration.
_REGISTERED: dict[str, tuple[str, dict[str, dict[str, type]]]] = {}
#: Bumped whenever :data:`_REGISTERED` changes (the registries' cache key).
_GENERATION = [0]


class _ScriptPlugin:
    """The pluggy plugin of a script's registrations."""

    def __init__(self, classes):
        self._classes = classes

    def _list(self, kind):
        return list(self._classes.get(kind, {}).values())

    @hookspecs.hookimpl
    def isacsim_register_designers(self):
        return self._list("designer")

    @hookspecs.hookimpl
    def isacsim_register_receivers(self):
        return self._list("receiver")

    @hookspecs.hookimpl
    def isacsim_register_symbol_alphabets(self):
        return self._list("alphabet")

    @hookspecs.hookimpl
    def isacsim_register_sensing_waveforms(self):
        return self._list("sensing")


def _kind_of(cls):
    """The registry a class belongs in, by what it provides."""
    if not isinstance(cls, type):
        raise InputTypeError(f"register: expected classes, got {type(cls).__name__} {cls!r}")
    kinds = [kind for kind, (_, _, check) in KINDS.items() if not check(cls)]
    if len(kinds) != 1:
        found = "none of" if not kinds else "more than one of"
        raise InputTypeError(
            f"register: {cls.__name__} has {found} design(), symbols(), waveforms() or a Receiver base; "
            "expected a designer, receiver, symbol alphabet or sensing waveform class"
        )
    name = getattr(cls, "name", None)
    if not (isinstance(name, str) and name):
        raise InputError(f"register: {cls.__name__} needs a non-empty class attribute 'name'")
    return kinds[0]


def register(*classes: type[Any], plugin: str | None = None) -> None:
    """Register designers, receivers, symbol alphabets or sensing waveforms from a script or notebook.

    They then serve everything a plugin's do, by name: ``isacsim solve``-like
    single designs, sweeps, and their workers (forked workers inherit them,
    Dask workers receive them with each task). Registering a class of the
    same name again from the same plugin replaces it (re-running a notebook
    cell).

    Parameters
    ----------
    *classes : type
        Each a designer (has ``design()``), a receiver (subclasses
        :class:`isacsim.Receiver`), a symbol alphabet (has ``symbols()``) or a
        sensing waveform (has ``waveforms()``), with a class attribute ``name``.
    plugin : str or None
        The plugin name they are reported under; default: the module of the
        first class (``__main__`` for a script or notebook).

    Raises
    ------
    InputError
        For a class of no recognisable kind, without a name, or with a name
        another plugin already registered.

    Examples
    --------
    >>> import isacsim
    >>> isacsim.register(MRT)                     # doctest: +SKIP
    """
    if not classes:
        raise InputError("register: expected at least one class")
    kinds = [(_kind_of(cls), cls) for cls in classes]
    plugin = plugin or classes[0].__module__
    if not isinstance(plugin, str) or not plugin:
        raise InputError(f"register: plugin must be a non-empty string, got {plugin!r}")
    others = registries()  # also loads the installed plugins, whose names are taken
    if plugin == BUILTIN_NAME or plugin in _DISTRIBUTIONS:
        raise InputError(f"register: plugin name {plugin!r} is taken by an installed plugin; choose another")
    _, current = _REGISTERED.get(plugin, (None, {}))
    merged = {kind: dict(entries) for kind, entries in current.items()}
    for kind, cls in kinds:
        merged.setdefault(kind, {})[cls.name] = cls
    for kind, cls in kinds:
        owner = plugin_of(others[kind], cls.name)
        if owner not in (None, plugin):
            raise InputError(f"register: {KINDS[kind][1]} name {cls.name!r} is already registered by plugin {owner!r}; choose another name")
    _REGISTERED[plugin] = (uuid.uuid4().hex, merged)
    BROKEN_PLUGINS.pop(plugin, None)
    _GENERATION[0] += 1


def registered_plugins() -> tuple[tuple[str, str, dict[str, dict[str, type]]], ...]:
    """This process's :func:`register` calls, to hand to a worker (:func:`adopt`); picklable by value with cloudpickle."""
    return tuple((name, token, classes) for name, (token, classes) in _REGISTERED.items())


def adopt(plugins: Iterable[tuple[str, str, dict[str, dict[str, type]]]]) -> None:
    """Make the registrations of :func:`registered_plugins` (from another process) this process's too.

    Unchanged registrations (same token) are kept as they are, so a worker
    that adopts the same set with every task rebuilds nothing.
    """
    changed = False
    for name, token, classes in plugins:
        if _REGISTERED.get(name, (None,))[0] != token:
            _REGISTERED[name] = (token, classes)
            changed = True
    if changed:
        _GENERATION[0] += 1


# --------------------------------------------------------------- provenance
def _source_digest(classes):
    """SHA-256 of the source code of ``classes`` (None where the source is unavailable)."""
    digest = hashlib.sha256()
    for cls in classes:
        try:
            digest.update(inspect.getsource(cls).encode())
        except (OSError, TypeError):
            return None
    return digest.hexdigest()


def plugin_provenance(plugin: str) -> dict[str, Any]:
    """What identifies the code of ``plugin``, for a run's record.

    Returns
    -------
    dict
        ``{"distribution": name, "version": version}`` for an installed
        plugin (and the built-ins: ``isacsim``), ``{"registered_from":
        module, "source_sha256": digest}`` for a script's registrations.
    """
    if plugin == BUILTIN_NAME:
        return {"distribution": "isacsim", "version": _version("isacsim")}
    if plugin in _REGISTERED:
        classes = [cls for entries in _REGISTERED[plugin][1].values() for cls in entries.values()]
        return {"registered_from": plugin, "source_sha256": _source_digest(sorted(classes, key=lambda c: c.__qualname__))}
    name, version = _DISTRIBUTIONS.get(plugin, (None, None))
    return {"distribution": name, "version": version}


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return None


def installed_plugins() -> dict[str, dict[str, Any]]:
    """Provenance of every plugin loaded in this process, ``{plugin: plugin_provenance(plugin)}``."""
    registries()  # loads them
    names = itertools.chain([BUILTIN_NAME], sorted(_DISTRIBUTIONS), sorted(_REGISTERED))
    return {name: plugin_provenance(name) for name in names if name not in BROKEN_PLUGINS}
