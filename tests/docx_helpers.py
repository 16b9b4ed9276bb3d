"""Test helpers: read what a reader (or docxtpl) would see in a .docx."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")


def all_text_runs(data: bytes | Path) -> list[str]:
    """Every w:t of body, tables, headers, footers and footnotes, part by part in name order."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in sorted(n for n in archive.namelist() if TEXT_PARTS.match(n)):
            root = etree.fromstring(archive.read(name))
            out.append(f"[{name}]")
            out.extend(t.text or "" for t in root.iter(W + "t"))
    return out


def joined_text(data: bytes | Path) -> str:
    return "".join(t for t in all_text_runs(data) if not t.startswith("[word/"))


def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def plain_docx() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("正文。")
    document.save(buffer)
    return buffer.getvalue()
