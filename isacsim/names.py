"""Names typed by a user (designers, receivers, figures): matched without
regard to case, and a close miss answered with a suggestion."""
from __future__ import annotations

import difflib

from .errors import InputError

__all__ = ["resolve_name"]


def resolve_name(field, name, choices, *, extra=""):
    """The entry of ``choices`` that ``name`` means.

    Parameters
    ----------
    field : str
        What is named, for the message (``"--designer"``).
    name : str
        As typed; matched exactly, then case-insensitively.
    choices : iterable of str
        The valid names.
    extra : str
        Appended to the error message (e.g. which plugins failed to load).

    Returns
    -------
    str
        The canonical spelling.

    Raises
    ------
    InputError
        For no match: one line listing the choices and, for a near miss,
        ``did you mean 'sdr'?``.
    """
    choices = list(choices)
    if name in choices:
        return name
    folded = {choice.casefold(): choice for choice in choices}
    if str(name).casefold() in folded:
        return folded[str(name).casefold()]
    close = difflib.get_close_matches(str(name).casefold(), list(folded), n=1, cutoff=0.6)
    hint = f"; did you mean {folded[close[0]]!r}?" if close else ""
    raise InputError(f"{field}: unknown name {name!r}{hint} (choices: {', '.join(sorted(choices))}){extra}")
