"""The registry of reproducible figures: the scripts in ``scenarios/``.

Each script is a module of the installed package ``isacsim_scenarios`` that
defines ``FIGURE`` (a :mod:`isacsim.figures` object) and can also be run
directly (``python scenarios/fig3.py --quick``, through :func:`isacsim.cli.script`).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any
from .names import resolve_name

__all__ = ["available", "load", "add"]

_PACKAGE = "isacsim_scenarios"
#: Figures added in this process (:func:`add`): a scenario script of one's own.
_ADDED: dict[str, Any] = {}


def add(figure):
    """Make ``figure`` reproducible by its name in this process.

    A scenario script of one's own calls this (through
    :func:`isacsim.cli.script`) so that ``python my_figure.py --quick`` runs
    it like a shipped figure; an added figure takes precedence over a shipped
    one of the same name.
    """
    _ADDED[figure.name] = figure


def _modules():
    """``{figure name: module name}``; a module's underscores read as hyphens (``finite_n`` is ``finite-n``)."""
    package = importlib.import_module(_PACKAGE)
    return {m.name.replace("_", "-"): m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")}


def available():
    """Names of every reproducible figure, sorted naturally (fig2 < fig10)."""
    names = list(dict.fromkeys([*_modules(), *_ADDED]))
    return sorted(names, key=lambda n: (n.rstrip("0123456789"), int(n[len(n.rstrip("0123456789")):] or 0)))


def load(name):
    """The ``FIGURE`` of scenario ``name``.

    ``name`` is matched without regard to case (``Fig3`` is ``fig3``).

    Raises
    ------
    InputError
        For an unknown name, listing the known ones and suggesting the
        closest.
    """
    name = resolve_name("NAME", name, available())
    if name in _ADDED:
        return _ADDED[name]
    return importlib.import_module(f"{_PACKAGE}.{_modules()[name]}").FIGURE
