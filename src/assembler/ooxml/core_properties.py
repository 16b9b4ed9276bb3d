"""A report's core document properties (File → Properties): its own title, and the time it was made.

The base template carries a fixed title and 2020-01-01 so that it is the same bytes every time;
an assembled template gets the rules' title (a Jinja string, rendered per person like docxtpl
renders every core property) and the build's time, or ``SOURCE_DATE_EPOCH`` when that is set
(the usual convention for reproducible output).
"""

from __future__ import annotations

import datetime as _dt
import os

from lxml import etree

CORE_PART = "docProps/core.xml"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def build_time() -> _dt.datetime:
    """Now (UTC, whole seconds), or ``SOURCE_DATE_EPOCH`` when it is set to a number of seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def w3cdtf(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _child(root: etree._Element, namespace: str, name: str) -> etree._Element:
    node = root.find(f"{{{namespace}}}{name}")
    if node is None:
        node = etree.SubElement(root, f"{{{namespace}}}{name}")
    return node


def with_core_properties(core_xml: bytes, *, title: str, moment: _dt.datetime) -> bytes:
    """``core_xml`` with ``title`` (may hold Jinja tags) and created = modified = ``moment``."""
    root = etree.fromstring(core_xml)
    _child(root, _DC, "title").text = title
    return _dated(root, moment)


def with_dates(core_xml: bytes, moment: _dt.datetime) -> bytes:
    """``core_xml`` with created = modified = ``moment``."""
    return _dated(etree.fromstring(core_xml), moment)


def _dated(root: etree._Element, moment: _dt.datetime) -> bytes:
    for name in ("created", "modified"):
        node = _child(root, _DCTERMS, name)
        node.set(f"{{{_XSI}}}type", "dcterms:W3CDTF")
        node.text = w3cdtf(moment)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
