"""Errors of the sla package: bad input located by line and field, no I/O attached."""

from __future__ import annotations


class InvalidInputError(ValueError):
    """Input that breaks the contract's formats, with where it is (line, dotted field).

    The package is pure, so it does not know the file's name: the caller adds it with
    :meth:`located`, e.g. ``events.jsonl:3: end: end is before start``.
    """

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field

    def located(self, source: str) -> str:
        """One line naming the source, the line number and the field, then the message."""
        parts = [source]
        if self.line is not None:
            parts.append(str(self.line))
        where = ":".join(parts)
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
