"""`Scheme`: one curve of a figure (designer x receiver x scenario)."""
from __future__ import annotations

import attrs

__all__ = ["Scheme", "PAPER_SCHEMES"]


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

    designer: str
    receiver: str
    synchronized: bool

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
