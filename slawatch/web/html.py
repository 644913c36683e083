"""Safe HTML building: every value is escaped unless it is already :class:`Html`.

Pages are built from small Python functions rather than a template engine. The one rule
that keeps them safe: text from configuration, events or the request only ever enters
markup through :func:`html` (or :func:`escape`), which escapes everything that is not
itself the output of :func:`html`. A site named ``<script>`` therefore renders as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as _escape
from string import Formatter


class Html(str):
    """A string that is already safe markup (the output of :func:`html` or :func:`join`)."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as markup: escaped text, or unchanged if it is already :class:`Html`."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(_escape(str(value), quote=True))


class _EscapingFormatter(Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, Html):
            return value
        return escape(super().format_field(value, format_spec))


_FORMATTER = _EscapingFormatter()


def html(template: str, /, **values: object) -> Html:
    """Fill ``template`` (``str.format`` syntax) with ``values``, escaping every one of them."""
    return Html(_FORMATTER.format(template, **values))


def join(parts: Iterable[object], separator: str = "") -> Html:
    """Concatenate parts, escaping any that are not :class:`Html` already."""
    return Html(separator.join(escape(part) for part in parts))
