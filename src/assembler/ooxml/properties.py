"""Custom document properties (``docProps/custom.xml``): written, read, and stamped into a batch cheaply.

What stays with a finished report when it travels by e-mail and gets edited are its custom
document properties (File → Properties → Custom in Word and Writer); ``library.provenance``
decides what goes there. Word caps a text property at 255 characters in places, so longer
values are split over ``name``, ``name#2``, ``name#3`` … and joined again on reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from .names import CP_NS, CT_NS, PKG_REL_NS, REL_TYPE, VT_NS
from .package import read_parts, write_parts
from .zipentries import Member, deflate, inflate, read_members, write_members

CUSTOM_PART = "docProps/custom.xml"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = REL_TYPE + "custom-properties"
REL_NS = PKG_REL_NS
#: The format id every custom property carries (user-defined properties).
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
#: Longest text Word keeps in one property; longer values are split.
CHUNK = 255
_CHUNK_NAME = re.compile(r"^(?P<base>.+)#(?P<n>\d+)$")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELS_PART = "_rels/.rels"
#: zlib level of the few entries a stamp writes (cached, or one small part per report).
STAMP_LEVEL = 6


# ------------------------------------------------------------------ custom.xml


def _clean(value: str) -> str:
    return _XML_BAD.sub("", str(value))


def _split(props: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in props.items():
        value = _clean(value)
        if len(value) <= CHUNK:
            out[name] = value
            continue
        pieces = [value[i:i + CHUNK] for i in range(0, len(value), CHUNK)]
        out[name] = pieces[0]
        for number, piece in enumerate(pieces[1:], start=2):
            out[f"{name}#{number}"] = piece
    return out


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _ensure_content_type(parts: dict[str, bytes]) -> None:
    root = etree.fromstring(parts[CONTENT_TYPES_PART])
    for node in root.findall(f"{{{CT_NS}}}Override"):
        if node.get("PartName") == "/" + CUSTOM_PART:
            return
    etree.SubElement(root, f"{{{CT_NS}}}Override", PartName="/" + CUSTOM_PART, ContentType=CUSTOM_CT)
    parts[CONTENT_TYPES_PART] = _xml(root)


def _ensure_relationship(parts: dict[str, bytes]) -> None:
    name = PACKAGE_RELS_PART
    if name in parts:
        root = etree.fromstring(parts[name])
    else:
        root = etree.Element(f"{{{REL_NS}}}Relationships", nsmap={None: REL_NS})
    ids = set()
    for node in root.findall(f"{{{REL_NS}}}Relationship"):
        ids.add(node.get("Id"))
        if node.get("Type") == CUSTOM_REL:
            return
    number = 1
    while f"rId{number}" in ids:
        number += 1
    etree.SubElement(root, f"{{{REL_NS}}}Relationship", Id=f"rId{number}", Type=CUSTOM_REL,
                     Target=CUSTOM_PART)
    parts[name] = _xml(root)


def with_custom_properties(docx: bytes, props: Mapping[str, str]) -> bytes:
    """``docx`` with ``props`` as custom document properties (text), replacing ones with the same names.

    Other custom properties are kept. Adds docProps/custom.xml, its content type and
    its package relationship when the document has none yet.
    """
    parts = read_parts(docx)
    if CUSTOM_PART in parts:
        root = etree.fromstring(parts[CUSTOM_PART])
    else:
        root = etree.Element(f"{{{CP_NS}}}Properties", nsmap={None: CP_NS, "vt": VT_NS})
    replacing = set(props)
    for node in list(root.findall(f"{{{CP_NS}}}property")):
        name = node.get("name") or ""
        match = _CHUNK_NAME.match(name)
        if name in replacing or (match and match.group("base") in replacing):
            root.remove(node)
    pids = [int(node.get("pid") or 0) for node in root.findall(f"{{{CP_NS}}}property")]
    pid = max([1, *pids]) + 1
    for name, value in _split(props).items():
        node = etree.SubElement(root, f"{{{CP_NS}}}property", fmtid=FMTID, pid=str(pid), name=name)
        etree.SubElement(node, f"{{{VT_NS}}}lpwstr").text = value
        pid += 1
    parts[CUSTOM_PART] = _xml(root)
    _ensure_content_type(parts)
    _ensure_relationship(parts)
    return write_parts(parts)


def custom_properties_xml(props: Mapping[str, str]) -> bytes:
    """docProps/custom.xml holding ``props`` (long values split, see the module docstring)."""
    root = etree.Element(f"{{{CP_NS}}}Properties", nsmap={None: CP_NS, "vt": VT_NS})
    for pid, (name, value) in enumerate(_split(props).items(), start=2):
        node = etree.SubElement(root, f"{{{CP_NS}}}property", fmtid=FMTID, pid=str(pid), name=name)
        etree.SubElement(node, f"{{{VT_NS}}}lpwstr").text = value
    return _xml(root)


class Stamper:
    """Writes custom properties into many rendered reports of one batch, cheaply.

    A report from ``render`` is a plain zip whose package parts are the same for
    everybody; only docProps/custom.xml is new and ``[Content_Types].xml`` and
    ``_rels/.rels`` gain a line. Those two are rewritten once per distinct input
    (cached by CRC) and every other entry is copied as stored (``zipentries``), so a
    report costs a scan of its central directory and the compression of one small part,
    not a re-compression of the whole package. Anything unusual (a package that already
    has custom properties, zip64, a comment) takes the general path,
    ``with_custom_properties``.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], Member] = {}

    def _patched(self, member: Member) -> Member:
        key = (member.filename, member.crc)
        if key not in self._cache:
            parts = {member.filename: inflate(member)}
            if member.filename == CONTENT_TYPES_PART:
                _ensure_content_type(parts)
            else:
                _ensure_relationship(parts)
            self._cache[key] = deflate(member.filename, parts[member.filename], STAMP_LEVEL)
        return self._cache[key]

    def stamp(self, docx: bytes, props: Mapping[str, str]) -> bytes:
        members = read_members(docx)
        if members is None or CUSTOM_PART in members or not {CONTENT_TYPES_PART, PACKAGE_RELS_PART} <= set(members):
            return with_custom_properties(docx, props)
        out = [self._patched(member) if name in (CONTENT_TYPES_PART, PACKAGE_RELS_PART) else member
               for name, member in members.items()]
        out.append(deflate(CUSTOM_PART, custom_properties_xml(props), STAMP_LEVEL))
        return write_members(out)


def read_custom_properties(docx: bytes) -> dict[str, str]:
    """All custom document properties as text (values split by ``with_custom_properties`` joined again)."""
    parts = read_parts(docx)
    if CUSTOM_PART not in parts:
        return {}
    root = etree.fromstring(parts[CUSTOM_PART])
    raw: dict[str, str] = {}
    for node in root.findall(f"{{{CP_NS}}}property"):
        name = node.get("name")
        if not name:
            continue
        value = next(iter(node), None)
        raw[name] = (value.text or "") if value is not None else ""
    out: dict[str, str] = {}
    for name, value in raw.items():
        match = _CHUNK_NAME.match(name)
        if match and match.group("base") in raw:
            continue
        pieces = [value]
        number = 2
        while f"{name}#{number}" in raw:
            pieces.append(raw[f"{name}#{number}"])
            number += 1
        out[name] = "".join(pieces)
    return out
