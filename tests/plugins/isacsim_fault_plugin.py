"""A third-party isacsim plugin that fails on purpose (fault injection for the tests).

``tests/test_failures.py`` installs it as a real entry point (a ``*.dist-info``
on the path). Its behaviour is chosen by ``$ISACSIM_FAULT``:

``import``
    The module fails to import (as with a missing dependency).
``raise``
    Its designer raises at the point whose SINR target is 15 dB.
``exit``
    Its designer kills its own worker process there (``os._exit``).
``exit-once``
    As ``exit``, but only the first time (a marker file in
    ``$ISACSIM_FAULT_MARKER`` records it), so the retry succeeds.

Otherwise it designs exactly as the SDR designer.
"""
import os

import numpy as np

from isacsim import hookimpl
from isacsim.designers import SDRDesigner

FAULT = os.environ.get("ISACSIM_FAULT", "")
if FAULT == "import":
    raise ImportError("No module named 'a_missing_dependency' (simulated)")

#: The SINR target [dB] at which the designer fails.
FAULT_AT_DB = 15.0


class FaultyDesigner(SDRDesigner):
    """SDR, except at a 15 dB target, where it fails as ``$ISACSIM_FAULT`` says."""

    name = "faulty"

    def design(self, problem, receiver, detector):
        if np.allclose(problem.gamma, 10 ** (FAULT_AT_DB / 10)):
            if FAULT == "raise":
                raise RuntimeError("simulated plugin bug at 15 dB")
            marker = os.environ.get("ISACSIM_FAULT_MARKER", "")
            if FAULT == "exit" or (FAULT == "exit-once" and not os.path.exists(marker)):
                if marker:
                    open(marker, "w").close()
                os._exit(13)
        return super().design(problem, receiver, detector)


@hookimpl
def isacsim_register_designers():
    return [FaultyDesigner]
