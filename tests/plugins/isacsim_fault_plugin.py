"""A third-party isacsim plugin that misbehaves on purpose (fault injection for the tests).

The tests install it as a real distribution (a ``*.dist-info`` with its
entry point on the path, which ``importlib.metadata`` finds exactly as it
finds a pip-installed package). Its behaviour is chosen by ``$ISACSIM_FAULT``.

At import and registration:

``import``          the module fails to import (as with a missing dependency);
``hook-raise``      its registration hook raises;
``hook-garbage``    its registration hook returns a string, not a list of classes;
``hook-duplicate``  its registration hook also registers a designer named ``sdr``.

In ``design()``, at the point whose SINR target is 15 dB (elsewhere it
designs exactly as the SDR designer):

``raise``               raises a RuntimeError;
``exit``                ends its process with ``os._exit(13)``;
``exit-once``           as ``exit``, but only the first time (a marker file in
                        ``$ISACSIM_FAULT_MARKER`` records it);
``os-exit``             ``os._exit(0)``;
``sys-exit``            ``sys.exit(3)`` (the code of ``isacsim solve``'s "infeasible");
``sys-exit-0``          ``sys.exit(0)``;
``segfault``            dereferences a null pointer;
``keyboard-interrupt``  raises KeyboardInterrupt;
``hang``                sleeps for an hour;
``print``               prints to stdout, through Python and through descriptor 1,
                        then designs correctly;
``none``, ``dict``      returns None, or a dict;
``wrong-shape``         returns a Design whose w lacks a user;
``nan``                 returns NaN beams, claiming ``optimal``;
``over-budget``         returns beams at 10x the power budget, claiming ``optimal``;
``not-psd``             returns a sensing covariance with a negative eigenvalue;
``zero``                returns all-zero beams, claiming ``optimal``;
``mutate``              writes ``p_max = 1e6`` into the problem's array, then designs;
``mutate-attribute``    replaces its problem's ``p_max`` by 1e6 W, then designs;
``no-bound``            a correct design claiming ``optimal`` without a bound;
``false-bound``         a correct design claiming ``optimal`` with a bound below its objective.
"""
import ctypes
import os
import sys
import time

import attrs
import numpy as np

from isacsim import hookimpl
from isacsim.designers import SDRDesigner

FAULT = os.environ.get("ISACSIM_FAULT", "")
if FAULT == "import":
    raise ImportError("No module named 'a_missing_dependency' (simulated)")

#: The SINR target [dB] at which the designer fails.
FAULT_AT_DB = 15.0


def _claims_optimal(design, **changes):
    """``design`` changed as given, still claiming ``optimal``."""
    return attrs.evolve(design, status="optimal", reason="", **changes)


class FaultyDesigner(SDRDesigner):
    """SDR, except at a 15 dB target, where it fails as ``$ISACSIM_FAULT`` says."""

    name = "faulty"

    def design(self, problem, receiver, detector):
        if not np.allclose(problem.gamma, 10 ** (FAULT_AT_DB / 10)):
            return super().design(problem, receiver, detector)
        marker = os.environ.get("ISACSIM_FAULT_MARKER", "")
        if FAULT == "raise":
            raise RuntimeError("simulated plugin bug at 15 dB")
        if FAULT == "exit" or (FAULT == "exit-once" and not os.path.exists(marker)):
            if marker:
                open(marker, "w").close()
            os._exit(13)
        if FAULT == "os-exit":
            os._exit(0)
        if FAULT in ("sys-exit", "sys-exit-0"):
            sys.exit(3 if FAULT == "sys-exit" else 0)
        if FAULT == "segfault":
            ctypes.string_at(0)
        if FAULT == "keyboard-interrupt":
            raise KeyboardInterrupt
        if FAULT == "hang":
            time.sleep(3600)
        if FAULT == "print":
            print("a plugin's chatter on stdout")
            os.write(1, b"and on file descriptor 1\n")
        if FAULT == "none":
            return None
        if FAULT == "dict":
            return {"w": 0, "R": 0}
        if FAULT == "mutate":
            problem.p_max[:] = 1e6
        if FAULT == "mutate-attribute":
            object.__setattr__(problem, "p_max", np.full(problem.n_bs, 1e6))
        honest = super().design(problem, receiver, detector)
        if FAULT == "wrong-shape":
            return attrs.evolve(honest, w=honest.w[:, :-1] if honest.w.shape[1] > 1 else honest.w[..., :-1])
        if FAULT == "nan":
            return _claims_optimal(honest, w=np.full_like(honest.w, np.nan))
        if FAULT == "over-budget":
            return _claims_optimal(honest, w=honest.w * np.sqrt(10.0), R=honest.R * 10.0)
        if FAULT == "not-psd":
            R = honest.R.copy()
            R[:, 0, 0] -= problem.p_max[:, None].max()
            return _claims_optimal(honest, R=R)
        if FAULT == "zero":
            return _claims_optimal(honest, w=np.zeros_like(honest.w), R=np.zeros_like(honest.R))
        if FAULT == "no-bound":
            return _claims_optimal(honest, certificate=attrs.evolve(honest.certificate, bound=float("nan")))
        if FAULT == "false-bound":
            return _claims_optimal(honest, certificate=attrs.evolve(honest.certificate, bound=honest.certificate.objective / 2))
        return honest


class ImpostorDesigner(SDRDesigner):
    """Registers under a built-in designer's name."""

    name = "sdr"


@hookimpl
def isacsim_register_designers():
    if FAULT == "hook-raise":
        raise RuntimeError("simulated registration bug")
    if FAULT == "hook-garbage":
        return "FaultyDesigner"
    if FAULT == "hook-duplicate":
        return [FaultyDesigner, ImpostorDesigner]
    return [FaultyDesigner]
