"""The sites file (``sites.yaml``): clients and the sites they own, validated as one unit.

Every error names the file, the line, the site (or client) id and the field, e.g.::

    sites.yaml:14: site 'shop-eu': target: 'shop.example.com' must be host:port
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from probes.sites import Client, Site
from slawatch.errors import InputError

_Loc = tuple[str | int, ...]


class SitesFile(BaseModel):
    """Top level of a sites file: ``clients:`` and ``sites:`` lists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clients: list[Client] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)


class SitesFileError(InputError):
    """A sites file that cannot be used; the message lists every problem, one per line."""


def load_sites_file(path: Path) -> SitesFile:
    """Read and validate ``path``; raises :class:`SitesFileError` naming file, line, id, field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SitesFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SitesFileError(f"{where}: not valid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SitesFileError(f"{path}:1: expected a mapping with 'clients' and 'sites'")
    lines = _LineFinder(root)
    try:
        parsed = SitesFile.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(path, data, lines, err["loc"], err["msg"]) for err in exc.errors()]
        raise SitesFileError("\n".join(problems)) from None
    problems = _cross_check(path, parsed, lines)
    if problems:
        raise SitesFileError("\n".join(problems))
    return parsed


def _cross_check(path: Path, parsed: SitesFile, lines: _LineFinder) -> list[str]:
    """Duplicate ids and sites whose client is not in the file."""
    problems: list[str] = []
    client_ids: set[str] = set()
    for i, client in enumerate(parsed.clients):
        if client.id in client_ids:
            line = lines.line(("clients", i, "id"))
            problems.append(f"{path}:{line}: client {client.id!r}: id: duplicate client id")
        client_ids.add(client.id)
    site_ids: set[str] = set()
    for i, site in enumerate(parsed.sites):
        if site.id in site_ids:
            line = lines.line(("sites", i, "id"))
            problems.append(f"{path}:{line}: site {site.id!r}: id: duplicate site id")
        site_ids.add(site.id)
        if site.client not in client_ids:
            line = lines.line(("sites", i, "client"))
            problems.append(
                f"{path}:{line}: site {site.id!r}: client: unknown client {site.client!r} "
                "(not in this file's clients)"
            )
    return problems


def _describe(path: Path, data: dict[str, Any], lines: _LineFinder, loc: _Loc, msg: str) -> str:
    """One problem as ``file:line: site 'id': field.path: message``."""
    clean = _drop_union_tags(data, loc)
    owner = ""
    if len(clean) >= 2 and clean[0] in ("sites", "clients") and isinstance(clean[1], int):
        entries = data.get(str(clean[0]))
        item = entries[clean[1]] if isinstance(entries, list) else None
        ident = item.get("id") if isinstance(item, dict) else None
        noun = "site" if clean[0] == "sites" else "client"
        owner = f"{noun} {ident!r}: " if ident is not None else f"{noun} #{clean[1] + 1}: "
        clean = clean[2:]
    field = ".".join(str(part) for part in clean) or "(entry)"
    return f"{path}:{lines.line(loc)}: {owner}{field}: {msg.removeprefix('Value error, ')}"


def _drop_union_tags(data: Any, loc: _Loc) -> _Loc:
    """Pydantic puts the discriminator's value into ``loc``; the file does not have it."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif isinstance(node, dict) and node.get("kind") == part:
            continue
        kept.append(part)
    return tuple(kept)


class _LineFinder:
    """1-based line numbers of the YAML nodes, looked up by a pydantic ``loc``."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def line(self, loc: _Loc) -> int:
        node = self._root
        best = node.start_mark.line + 1 if node is not None else 1
        for part in loc:
            child = self._child(node, part)
            if child is None:
                continue  # a union tag or a missing field: keep the enclosing node's line
            node, best = child, child.start_mark.line + 1
        return best

    @staticmethod
    def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return value if not isinstance(value, yaml.ScalarNode) else key
            return None
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            return node.value[part] if part < len(node.value) else None
        return None
