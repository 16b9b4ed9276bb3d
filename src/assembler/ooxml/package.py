"""A .docx as an ordered mapping of part names to bytes.

Assembling and rendering only ever change a few XML parts; everything else is
copied byte for byte, which keeps output faithful to the base template and cheap
to write.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from lxml import etree

from ..errors import InputError
from .names import DOCUMENT_PART, FIXED_DATE

#: Refuse packages that would inflate beyond this (zip bombs).
MAX_UNCOMPRESSED = 200 * 1024 * 1024


#: Parts lxml checks for well-formedness when a package is read (XML and relationships).
_XML_SUFFIXES = (".xml", ".rels")
#: No DTDs, no entities, no network: an OOXML part never needs them, and they are the
#: door to XXE (reading local files) and "billion laughs" expansions.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read_parts(data: bytes, *, file: str | None = None) -> dict[str, bytes]:
    """The package's parts; every problem (not a zip, a zip bomb, broken XML, a DTD) is an ``InputError``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise InputError("不是有效的 .docx 文件（无法作为 zip 打开），请在 Word 或 Writer 中另存为 .docx",
                         file=file) from None
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_UNCOMPRESSED:
            raise InputError("文件解压后过大，拒绝读取（疑似压缩炸弹）", file=file)
        names = archive.namelist()
        if DOCUMENT_PART not in names:
            raise InputError("不是 Word 文档：缺少 word/document.xml", file=file)
        try:
            parts = {name: archive.read(name) for name in names}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError,
                ValueError) as exc:
            raise InputError(f".docx 文件已损坏（{exc}），请在 Word 或 Writer 中重新另存为 .docx",
                             file=file) from None
    for name, payload in parts.items():
        if name.lower().endswith(_XML_SUFFIXES):
            check_xml_part(name, payload, file=file)
    return parts


def read_some_parts(data: bytes, names: tuple[str, ...], *, file: str | None = None) -> dict[str, bytes]:
    """Only ``names`` (document.xml among them), with the zip checks of ``read_parts``: a batch reads
    every report's text back, and inflating the rest of each package would be a third of the time.
    The XML is not checked here: the reader checks what it parses."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = {info.filename: info for info in archive.infolist() if info.filename in names}
            if DOCUMENT_PART not in infos:
                raise InputError("不是 Word 文档：缺少 word/document.xml", file=file)
            if sum(info.file_size for info in infos.values()) > MAX_UNCOMPRESSED:
                raise InputError("文件解压后过大，拒绝读取（疑似压缩炸弹）", file=file)
            parts = {name: archive.read(info) for name, info in infos.items()}
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError):
        raise InputError("不是有效的 .docx 文件（无法作为 zip 打开或已损坏），请在 Word 或 Writer 中另存为 .docx",
                         file=file) from None
    return parts


def check_xml_part(name: str, payload: bytes, *, file: str | None = None) -> None:
    """Refuse a part that is not well-formed XML or that declares a DTD or entities."""
    try:
        root = etree.fromstring(payload, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"文档的 {name} 不是有效的 XML（{exc}），请在 Word 或 Writer 中重新另存为 .docx",
                         file=file) from None
    if root is None:
        raise InputError(f"文档的 {name} 是空的，请在 Word 或 Writer 中重新另存为 .docx", file=file)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InputError(f"文档的 {name} 中含有 DTD 或实体声明（<!DOCTYPE>），Word 文档不需要它，已拒绝读取",
                         file=file)


def write_parts(parts: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return buffer.getvalue()
