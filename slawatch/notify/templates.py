"""E-mail templates (``templates/*.txt``): first line ``Subject: ...``, then the body.

``string.Template`` placeholders (``$name``); a missing value is an error, not a blank,
so a template and its caller cannot drift apart silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).with_name("templates")


@cache
def _load(name: str) -> tuple[Template, Template]:
    text = (TEMPLATE_DIR / f"{name}.txt").read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"template {name}.txt must start with a 'Subject: ' line")
    return Template(first.removeprefix("Subject: ")), Template(body)


def render(name: str, values: dict[str, str]) -> tuple[str, str]:
    """The subject and body of template ``name`` filled with ``values``."""
    subject, body = _load(name)
    return subject.substitute(values).strip(), body.substitute(values)
