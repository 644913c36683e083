"""Parsing of a site's ``target`` for its kind: done once at apply time, again by the probers.

* ``http``: an absolute ``http://`` or ``https://`` URL with a host.
* ``tcp``: ``host:port`` (IPv6 literal in brackets: ``[::1]:5432``).
* ``tls``: ``host:port`` or ``host`` (port 443).
* ``dns``: a host name to resolve.

No target may carry credentials (``user:password@``): targets are published on the sites
topic, stored with every result and shown in logs and errors. Such a target is refused,
and the error shows it with the credentials masked (:func:`redact_target`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from yarl import URL

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)"
    r"(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$"
)


class HostPort(NamedTuple):
    """A host (name or IP literal, without brackets) and a port."""

    host: str
    port: int


def check_host(host: str) -> str:
    """``host`` if it is a valid host name or IP literal; ValueError otherwise."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not _HOSTNAME.match(host):
        raise ValueError(f"{host!r} is not a valid host name or IP address")
    return host


def parse_http_target(target: str) -> URL:
    """The URL of an HTTP(S) target."""
    try:
        url = URL(target)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{target!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise ValueError(f"{target!r} must start with http:// or https://")
    if not url.host:
        raise ValueError(f"{target!r} has no host")
    check_host(url.host)
    return url


def parse_host_port(target: str, default_port: int | None = None) -> HostPort:
    """``host:port`` (or ``host`` when a default port is given)."""
    host, sep, port_text = target.rpartition(":")
    if target.startswith("[") and "]" in target:  # [v6]:port or [v6]
        inside, _, rest = target[1:].partition("]")
        host, sep, port_text = inside, rest[:1], rest[1:]
    elif not sep or ":" in host:  # no port, or a bare IPv6 literal
        host, port_text = target, ""
    if not port_text:
        if default_port is None:
            raise ValueError(f"{target!r} must be host:port")
        return HostPort(check_host(host), default_port)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{target!r} has an invalid port {port_text!r}")
    return HostPort(check_host(host), int(port_text))


def parse_dns_target(target: str) -> str:
    """The host name a DNS check resolves."""
    if not target or target != target.strip():
        raise ValueError(f"{target!r} is not a host name")
    return check_host(target)


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^@/?#]*@")


def redact_target(target: str) -> str:
    """``target`` with anything before an ``@`` of its authority masked as ``***``."""
    return _USERINFO.sub(lambda m: f"{m.group(1) or ''}***@", target, count=1)


def check_target(kind: str, target: str) -> None:
    """Raise ValueError when ``target`` cannot be parsed for ``kind`` (or holds credentials)."""
    if redact_target(target) != target:
        raise ValueError(
            f"{redact_target(target)!r} carries credentials (user:password@): targets are "
            "published with every result and shown in logs; check an endpoint that needs no "
            "login (a health URL, or one that allows the probes' addresses)"
        )
    if kind == "http":
        parse_http_target(target)
    elif kind == "tcp":
        parse_host_port(target)
    elif kind == "tls":
        parse_host_port(target, default_port=443)
    elif kind == "dns":
        parse_dns_target(target)
    else:  # pragma: no cover - the model's Literal rejects it first
        raise ValueError(f"unknown kind {kind!r}")
