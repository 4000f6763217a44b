"""Errors a user can act on. Everything else is a bug.

Every error the library raises for bad input, a missing store, a refused request or a full
disk derives from :class:`LineageError` and carries a message that says what to do. The
command line prints these as one line (``Error: ...``); any other exception is a bug in
lineage and is shown with its traceback and a request to report it.

Subclasses also derive from the built-in type that describes them (``ValueError`` for bad
input, ``RuntimeError`` for a failed operation), so ``except ValueError`` keeps working.

>>> try:
...     raise InputError("'2025-13-01' is not a date: use YYYY-MM-DD")
... except ValueError as exc:
...     print(isinstance(exc, LineageError), exc)
True '2025-13-01' is not a date: use YYYY-MM-DD
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["InputError", "LineageError", "UnknownModelError"]

#: Where to report a bug (printed under an unexpected traceback).
ISSUES_URL = "https://github.com/lineage-project/lineage/issues"


class LineageError(Exception):
    """An error the user can fix; the message says how."""


class InputError(LineageError, ValueError):
    """An option, date, id or file given by the user is not usable."""


class UnknownModelError(InputError):
    """Model ids that are not in the store, with the closest ids that are ("did you mean")."""

    def __init__(self, missing: Sequence[str], hints: Sequence[str] = ()) -> None:
        self.missing = list(missing)
        self.hints = list(hints)
        names = ", ".join(repr(m) for m in self.missing)
        text = f"{names} {'is' if len(self.missing) == 1 else 'are'} not in the store"
        if self.hints:
            text += "; did you mean: " + ", ".join(self.hints)
        super().__init__(text)
