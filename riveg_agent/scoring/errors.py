"""The one exception the scoring library raises for bad input."""
from __future__ import annotations


class ScoringError(ValueError):
    """Malformed or inconsistent scoring input; the message names the file
    and, where there is one, the line."""


def where(path: object, line: int | None = None) -> str:
    """'file:line' (or just 'file') for error messages."""
    return f"{path}:{line}" if line is not None else f"{path}"
