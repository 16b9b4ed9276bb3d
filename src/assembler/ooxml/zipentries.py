"""A .docx's zip entry by entry, as stored: the package writer of a batch.

A batch writes thousands of packages that differ in a few parts. Their other entries are
copied with their compressed bytes as they are (never inflated and deflated again), the
changed ones are deflated once, and the zip is written plain — no zip64, no data
descriptors, no extra fields, one fixed date — so the same input gives the same bytes.
``render`` writes every report this way, and the provenance stamp rewrites them this way.
(Reading and writing whole packages part by part is ``package``.)
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from .names import FIXED_DATE

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
#: ``names.FIXED_DATE`` as a zip entry stores it (the same as ``package`` writes).
DOS_DATE = (FIXED_DATE[0] - 1980) << 9 | FIXED_DATE[1] << 5 | FIXED_DATE[2]
DOS_TIME = FIXED_DATE[3] << 11 | FIXED_DATE[4] << 5 | FIXED_DATE[5] // 2


class PackageTooLarge(ValueError):
    """A package past what a plain zip can hold (4 GB, 65535 entries)."""


@dataclass(frozen=True)
class Member:
    """One zip entry, compressed: written as is into every package that has it."""

    name: bytes  # UTF-8
    method: int
    crc: int
    data: bytes  # compressed
    size: int  # uncompressed
    flags: int

    @property
    def filename(self) -> str:
        return self.name.decode("utf-8")


def deflate(name: str, payload: bytes, level: int) -> Member:
    """A new entry, deflated at ``level`` (1 for what is written per person, 6 for what is cached)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(payload) + compressor.flush()
    encoded = name.encode("utf-8")
    return Member(encoded, zipfile.ZIP_DEFLATED, zlib.crc32(payload), data, len(payload), _flags(encoded))


def inflate(member: Member) -> bytes:
    if member.method == zipfile.ZIP_STORED:
        return member.data
    return zlib.decompress(member.data, -15)


def _flags(encoded: bytes) -> int:
    return 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8


def read_members(package: bytes) -> dict[str, Member] | None:
    """The entries of a zip with their compressed bytes, in order, without inflating them;
    ``None`` for anything but a plain zip (a comment, zip64, encryption, a name twice)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None
    out: dict[str, Member] = {}
    with archive:
        infos = archive.infolist()
        if archive.comment:
            return None
        for info in infos:
            if info.flag_bits & 0x1 or max(info.file_size, info.compress_size, info.header_offset) >= 0xFFFFFFFF:
                return None
            header = package[info.header_offset:info.header_offset + _LOCAL.size]
            if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
                return None
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            start = info.header_offset + _LOCAL.size + name_length + extra_length
            encoded = info.filename.encode("utf-8")
            out[info.filename] = Member(encoded, info.compress_type, info.CRC,
                                        package[start:start + info.compress_size], info.file_size, _flags(encoded))
    if len(out) != len(infos):
        return None
    return out


def write_members(members: Iterable[Member]) -> bytes:
    """A plain zip of already compressed members, in the order given."""
    chunks: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for m in members:
        header = _LOCAL.pack(b"PK\x03\x04", 20, 0, m.flags, m.method, DOS_TIME, DOS_DATE,
                             m.crc, len(m.data), m.size, len(m.name), 0)
        directory.append(_CENTRAL.pack(b"PK\x01\x02", 20, 3, 20, 0, m.flags, m.method,
                                       DOS_TIME, DOS_DATE, m.crc, len(m.data), m.size, len(m.name),
                                       0, 0, 0, 0, 0o600 << 16, offset) + m.name)
        chunks += (header, m.name, m.data)
        offset += len(header) + len(m.name) + len(m.data)
    central = b"".join(directory)
    if offset + len(central) > 0xFFFFFFFF or len(directory) > 0xFFFF:
        raise PackageTooLarge("package too large for a plain zip")
    end = _END.pack(b"PK\x05\x06", 0, 0, len(directory), len(directory), len(central), offset, 0)
    return b"".join(chunks) + central + end
