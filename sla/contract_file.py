"""The contract file (YAML): text in, a validated :class:`~sla.contract.Contract` out.

Pure: the caller reads the file. The first problem raises
:class:`~sla.errors.InvalidInputError` with the line of the offending key and its dotted
path, e.g. ``contract.yaml:3: business_hours.end: expected a time as "HH:MM" ...``.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from sla.contract import Contract
from sla.errors import InvalidInputError


def parse_contract(text: str) -> Contract:
    """The contract written in ``text``; an empty document is the default contract."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInputError(
            f"not valid YAML: {problem}", line=mark.line + 1 if mark is not None else None
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"expected a mapping of settings, got {type(data).__name__}", line=1
        )
    try:
        return Contract.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(error["loc"])
        field = ".".join(str(part) for part in loc) or None
        message = _message(error)
        raise InvalidInputError(message, line=_line_of(root, loc), field=field) from None


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind == "missing":
        return "missing setting"
    return str(error["msg"]).removeprefix("Value error, ")


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest key on ``loc`` found in the YAML tree."""
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next((kv for kv in node.value if kv[0].value == str(part)), None)
        if match is None:
            break
        key, node = match
        line = key.start_mark.line + 1
    return line
