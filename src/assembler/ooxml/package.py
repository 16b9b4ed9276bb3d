"""A .docx as an ordered mapping of part names to bytes.

Assembling and rendering only ever change a few XML parts; everything else is
copied byte for byte, which keeps output faithful to the base template and cheap
to write.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from ..errors import InputError

DOCUMENT_PART = "word/document.xml"
#: A fixed timestamp so that the same input gives the same bytes.
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
#: Refuse packages that would inflate beyond this (zip bombs).
MAX_UNCOMPRESSED = 200 * 1024 * 1024


def read_parts(data: bytes, *, file: str | None = None) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("不是有效的 .docx 文件（无法作为 zip 打开），请在 Word 或 Writer 中另存为 .docx", file=file) from None
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_UNCOMPRESSED:
            raise InputError("文件解压后过大，拒绝读取（疑似压缩炸弹）", file=file)
        names = archive.namelist()
        if DOCUMENT_PART not in names:
            raise InputError("不是 Word 文档：缺少 word/document.xml", file=file)
        try:
            return {name: archive.read(name) for name in names}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f".docx 文件已损坏（{exc}）", file=file) from None


def write_parts(parts: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return buffer.getvalue()
