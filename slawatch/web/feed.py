"""The Atom feed of incidents and maintenance (built with ElementTree, so always escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from slawatch.web.service import FeedEntry

ATOM_NS = "http://www.w3.org/2005/Atom"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _stamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def atom_feed(
    entries: Sequence[FeedEntry], *, base_url: str, self_path: str, title: str, now: datetime
) -> bytes:
    """The Atom document for ``entries``; ``base_url`` makes links absolute."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "title", title)
    _text(feed, "id", f"{base_url}{self_path}")
    updated = max((entry.updated for entry in entries), default=now)
    _text(feed, "updated", _stamp(updated))
    ET.SubElement(feed, "link", {"rel": "self", "href": f"{base_url}{self_path}"})
    ET.SubElement(feed, "link", {"rel": "alternate", "href": f"{base_url}/"})
    author = ET.SubElement(feed, "author")
    _text(author, "name", "slawatch")
    for entry in entries:
        item = ET.SubElement(feed, "entry")
        _text(item, "id", f"{base_url}/feed/{entry.id}")
        _text(item, "title", entry.title)
        _text(item, "updated", _stamp(entry.updated))
        _text(item, "published", _stamp(entry.published))
        ET.SubElement(item, "link", {"rel": "alternate", "href": f"{base_url}{entry.path}"})
        _text(item, "summary", entry.summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
