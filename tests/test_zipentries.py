"""zipentries.py: packages written entry by entry, unchanged entries copied as stored."""

from __future__ import annotations

import io
import zipfile

from assembler.ooxml.zipentries import deflate, inflate, read_members, write_members


def _zip(entries: dict[str, bytes], comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in entries.items():
            archive.writestr(name, payload)
        archive.comment = comment
    return buffer.getvalue()


def test_members_are_read_as_stored_and_written_back_readable():
    entries = {"[Content_Types].xml": b"<Types/>", "word/document.xml": "正文".encode() * 500, "目录/名字.xml": b"x"}
    members = read_members(_zip(entries))
    assert members is not None and list(members) == list(entries)
    assert all(inflate(member) == entries[name] for name, member in members.items())
    written = write_members([*members.values(), deflate("docProps/custom.xml", b"<Properties/>", 6)])
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == {**entries, "docProps/custom.xml": b"<Properties/>"}
        assert {info.date_time for info in archive.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    # copied entries keep their compressed bytes; writing twice gives the same bytes
    assert read_members(written)["word/document.xml"].data == members["word/document.xml"].data
    assert write_members(read_members(written).values()) == written


def test_anything_but_a_plain_zip_is_refused():
    assert read_members(b"not a zip") is None
    assert read_members(_zip({"a.xml": b"<a/>"}, comment=b"hello")) is None
