"""Errors shown to the user as one line on stderr (never a traceback)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad input, a missing tool, a busy port.

    The message is printed as ``slawatch: <message>``; ``exit_status`` is the
    process exit status (2 for bad input, 1 for an environment problem).
    """

    def __init__(self, message: str, exit_status: int = 1) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class InputError(UserError):
    """Bad input data or configuration: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_status=2)
