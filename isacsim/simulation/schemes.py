"""`Scheme`: one curve of a figure (designer x receiver x scenario)."""
from __future__ import annotations

import attrs

from ..errors import InputError, InputTypeError
from ..validation import shown

__all__ = ["Scheme", "PAPER_SCHEMES", "require_schemes"]


def _name(instance, attribute, value):
    if not isinstance(value, str) or not value:
        raise InputTypeError(f"{attribute.name}: expected a registered name (a non-empty str), got {type(value).__name__} {shown(value)}")


def _boolean(instance, attribute, value):
    if not isinstance(value, bool):
        raise InputTypeError(f"{attribute.name}: expected True (Scenario I) or False (Scenario II), got {type(value).__name__} {shown(value)}")


def require_schemes(schemes):
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
    def scenario(self):
        """``"sync"`` or ``"unsync"``."""
        return "sync" if self.synchronized else "unsync"

    def make(self):
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
