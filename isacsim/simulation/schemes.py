"""`Scheme`: one curve of a figure (designer x receiver x scenario), and what produces its numbers (:func:`describe_schemes`)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import InputError, InputTypeError
from ..validation import shown

if TYPE_CHECKING:
    from ..detection import Detector

__all__ = ["Scheme", "PAPER_SCHEMES", "require_schemes", "with_designers", "describe_schemes", "designer_parameters"]


def _name(instance, attribute, value):
    if not isinstance(value, str) or not value:
        raise InputTypeError(f"{attribute.name}: expected a registered name (a non-empty str), got {type(value).__name__} {shown(value)}")


def _boolean(instance, attribute, value):
    if not isinstance(value, bool):
        raise InputTypeError(f"{attribute.name}: expected True (Scenario I) or False (Scenario II), got {type(value).__name__} {shown(value)}")


def require_schemes(schemes: Sequence[Scheme]) -> None:
    """Check that ``schemes`` is a non-empty sequence of :class:`Scheme`; errors name ``schemes``."""
    if not schemes:
        raise InputError("schemes: expected at least one Scheme, got none")
    for scheme in schemes:
        if not isinstance(scheme, Scheme):
            raise InputTypeError(f"schemes: expected Scheme objects, got {type(scheme).__name__}")


@attrs.frozen
class Scheme:
    """A designer run for one receiver type in one scenario.

    Parameters
    ----------
    designer : str
        Registered designer name (``sdr``, ``zf``, ``sensing-only``, ...).
    receiver : str
        Registered receiver name (``type-i``, ``type-ii``).
    synchronized : bool
        Scenario I (True) or Scenario II (False).
    """

    designer: str = attrs.field(validator=_name)
    receiver: str = attrs.field(validator=_name)
    synchronized: bool = attrs.field(validator=_boolean)

    @property
    def scenario(self) -> str:
        """``"sync"`` or ``"unsync"``."""
        return "sync" if self.synchronized else "unsync"

    def make(self) -> tuple[Any, Any, Detector]:
        """Instantiate ``(designer, receiver, detector)`` from the registries."""
        from ..detection import Detector
        from ..plugins import get_designer, get_receiver

        return get_designer(self.designer)(), get_receiver(self.receiver)(), Detector(synchronized=self.synchronized)


#: The curves the paper compares, in both scenarios: the proposed design, ZF
#: and sensing-only, each for Type-I and Type-II users.
PAPER_SCHEMES = tuple(
    Scheme(designer, receiver, synchronized)
    for synchronized in (True, False)
    for designer in ("sdr", "zf", "sensing-only")
    for receiver in ("type-i", "type-ii")
)


def with_designers(schemes: Iterable[Scheme], names: Iterable[str]) -> tuple[Scheme, ...]:
    """``schemes`` with their designers replaced or extended.

    Parameters
    ----------
    schemes : sequence of Scheme
        A figure's curves.
    names : sequence of str
        Registered designer names, any case. Names written ``+NAME`` are
        added to ``schemes``, each with every (receiver, scenario) pair of
        ``schemes``; plain names replace the designers, each with every pair.

    Returns
    -------
    tuple of Scheme
        Scenario by scenario (in the order of ``schemes``); added designers
        after the figure's own.

    Raises
    ------
    InputError
        For an unknown designer (with the closest name), an empty list, or
        added and plain names mixed.
    """
    from ..names import resolve_name
    from ..plugins import designer_registry

    names = [str(name).strip() for name in names if str(name).strip()]
    added = [name[1:] for name in names if name.startswith("+")]
    if not names or (added and len(added) != len(names)):
        raise InputError(f"--designers: expected NAME,... (replace) or +NAME,... (add), got {','.join(names)!r}")
    registry = designer_registry()
    chosen = list(dict.fromkeys(resolve_name("--designers", name, registry) for name in (added or names)))
    receivers = list(dict.fromkeys(scheme.receiver for scheme in schemes))
    scenarios = list(dict.fromkeys(scheme.synchronized for scheme in schemes))
    kept = [scheme for scheme in schemes if added]
    new = [Scheme(d, r, s) for s in scenarios for d in chosen if not any(k.designer == d for k in kept) for r in receivers]
    return tuple(sorted(kept + new, key=lambda scheme: scenarios.index(scheme.synchronized)))


def designer_parameters(designer: object) -> dict[str, Any]:
    """A designer instance's parameters, JSON-friendly.

    The fields of an ``attrs`` class (``solver``, ``options`` for isacsim's
    designers), else the instance's public attributes.
    """
    if attrs.has(type(designer)):
        return attrs.asdict(designer)  # type: ignore[arg-type]  # attrs.has() above: an attrs instance
    return {key: value for key, value in vars(designer).items() if not key.startswith("_")} if hasattr(designer, "__dict__") else {}


def describe_schemes(schemes: Iterable[Scheme], others: Iterable[Any] = ()) -> dict[str, Any]:
    """What produces a job's numbers, for its description (checked on resume).

    Parameters
    ----------
    schemes : sequence of Scheme
    others : sequence of (str, str)
        Further registered names the job uses, as ``(kind, name)`` with
        ``kind`` one of :data:`isacsim.plugins.KINDS` (e.g. ``("sensing", "chirp")``).

    Returns
    -------
    dict
        ``schemes``: each scheme with its designer's parameters
        (:func:`designer_parameters`); ``plugins``: the distribution and
        version (or, for a script's registrations, the source digest) of every
        plugin other than isacsim's own that provides one of them
        (:func:`isacsim.plugins.plugin_provenance`).
    """
    from ..plugins import BUILTIN_NAME, get_designer, plugin_of, plugin_provenance, registries

    found = registries()
    entries, used = [], [("receiver", s.receiver) for s in schemes] + [("designer", s.designer) for s in schemes] + list(others)
    for scheme in schemes:
        entries.append({**attrs.asdict(scheme), "designer_parameters": designer_parameters(get_designer(scheme.designer)())})
    plugins = {}
    for kind, name in used:
        plugin = plugin_of(found[kind], name)
        if plugin not in (None, BUILTIN_NAME):
            plugins[plugin] = plugin_provenance(plugin)
    return {"schemes": entries, "plugins": dict(sorted(plugins.items()))}
