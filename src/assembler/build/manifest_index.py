"""What a rerun reads of manifest.json, kept beside it in a form read at once (``INDEX``).

A rerun needs of each report's entry only a few fields (its file, fingerprint, digest, size and
mtime, body length and near-copy sketch, what the checks of its text found, library commit,
status and change), and of the rest
of the manifest only its head (``incremental.manifest_head``: the near-copy pairs …). Streaming
the tens of megabytes of a 10,000-report manifest for them was a tenth of an unchanged rerun;
this file holds just them, one JSON line per report, and is read in a few hundredths of a second.

It is a copy, never the record: it is taken only if manifest.json is still the very file it was
written beside (same size, mtime and inode), and anything else about it (missing, old, damaged,
a manifest edited or replaced since) only means reading the manifest itself, as before.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .. import jsonfast

INDEX = ".assembler-index"
_MAGIC = b"assembler-index/2\n"  # 2: text_checks
#: The fields of a manifest entry kept, in this order; the provenance's commit and dirty flag follow.
FIELDS = ("file", "fingerprint", "sha256", "chars", "sketch", "size", "mtime_ns", "status", "change", "text_checks")


def _stamp(manifest: Path) -> list[int] | None:
    try:
        found = manifest.stat()
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def index_row(entry: dict[str, Any]) -> list[Any]:
    """An entry's row: ``FIELDS``, then the provenance's ``library_commit`` and ``library_dirty``."""
    provenance = entry.get("provenance")
    if not isinstance(provenance, dict):
        provenance = {}
    return [*(entry.get(field) for field in FIELDS), provenance.get("library_commit"), provenance.get("library_dirty")]


class IndexWriter:
    """The rows of the entries as manifest.json is written (``tap``), then the file (``save``)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="assembler-index-")
        self._ok = True

    def tap(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The entries, each noted on its way into the manifest."""
        for entry in entries:
            if self._ok:
                try:
                    self._file.write(jsonfast.dumps(index_row(entry)) + b"\n")
                except jsonfast.Refused:
                    self._ok = False  # a value orjson refuses (a lone surrogate): the manifest will do
            yield entry

    def save(self, outdir: Path, manifest: Path, head: dict[str, Any]) -> None:
        """Beside ``manifest`` (just written), or no index at all: never a stale one."""
        from ..output import atomic_write_chunks

        target = Path(outdir) / INDEX
        stamp = _stamp(manifest)
        try:
            header = jsonfast.dumps({"manifest": stamp, "head": head}) if self._ok and stamp else None
        except jsonfast.Refused:
            header = None
        try:
            if header is None:
                target.unlink(missing_ok=True)
                return
            self._file.seek(0)
            atomic_write_chunks(target, [_MAGIC, header, b"\n",
                                         *iter(lambda: self._file.read(1 << 20), b"")])
        except OSError:
            pass  # the next rerun reads the manifest itself

    def close(self) -> None:
        self._file.close()


class BrokenIndex(Exception):
    """A row of the index that is not one (``read_index``'s rows): read the manifest instead."""


def read_index(outdir: Path, manifest: Path) -> tuple[dict[str, Any], Iterator[list[Any]]] | None:
    """The head and rows kept beside ``manifest``, if it is still the file they were taken from.
    The rows are read one at a time (a rerun of ten thousand does not hold them all); a damaged one
    raises ``BrokenIndex``, and whoever reads them starts again from the manifest."""
    try:
        handle = open(Path(outdir) / INDEX, "rb")  # noqa: SIM115 - closed by rows() or below
    except OSError:
        return None
    try:
        if handle.readline() != _MAGIC:
            raise ValueError
        header = jsonfast.loads(handle.readline())
        if not isinstance(header, dict) or header.get("manifest") != _stamp(manifest) \
                or not isinstance(header.get("head"), dict):
            raise ValueError
    except (OSError, TypeError, ValueError):  # ValueError: json's, orjson's JSONDecodeError too
        handle.close()
        return None
    return header["head"], _rows(handle)


def _rows(handle: IO[bytes]) -> Iterator[list[Any]]:
    width = len(FIELDS) + 2
    with handle:
        for line in handle:
            try:
                row = jsonfast.loads(line)
            except (TypeError, ValueError):
                raise BrokenIndex from None
            if not (isinstance(row, list) and len(row) == width):
                raise BrokenIndex
            yield row
