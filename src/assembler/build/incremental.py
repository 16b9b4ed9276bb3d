"""What a rerun of ``build`` does with each report already in the output folder.

The folder's ``manifest.json`` records, per report file, the fingerprint of its inputs
(``fingerprint``) and the SHA-256 of the bytes written (``sha256``). A rerun compares:

* no file yet: **created**;
* the file is as written and its fingerprint is the same: **unchanged**, not touched
  (same bytes, same mtime), unless ``force``;
* the file is as written, its fingerprint differs: **updated** in place;
* the file no longer has the bytes written (edited by hand in Word or Writer), or the
  folder holds a file of that name that no build recorded: **protected**. It is never
  overwritten (unless ``overwrite_edited``); the new version goes beside it,
  ``张三（新版）.docx``, itself tracked like any report from then on.

Workers append each report's record to a journal in the folder (``JOURNAL``) *before*
renaming the report into place, so a run that is killed leaves its finished reports
recognisable as its own; the journal is folded into the manifest and removed at the end.

The manifest of a 10,000-person folder is tens of megabytes; ``ReportIndex.load`` reads
it as a stream (``ijson``), keeping per file only the two digests (32 bytes each) and
the few numbers a rerun reuses.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fingerprint import file_digest

MANIFEST = "manifest.json"
JOURNAL = ".assembler-journal"
#: What the new version of a report edited by hand is called: ``张三（新版）.docx``, then ``（新版2）`` …
NEW_VERSION = "（新版）"

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
PROTECTED = "protected"
KEPT = "kept"  # in the folder, not in this run's people (or not chosen): described, not touched
CHANGES = (CREATED, UPDATED, UNCHANGED, PROTECTED, KEPT)
#: How the CLI and the dialog name each group.
CHANGE_LABELS = {CREATED: "新建", UPDATED: "已更新", UNCHANGED: "未变", PROTECTED: "手工修改过（新版另存）",
                 KEPT: "不在本次人员中（保留）"}


@dataclass(frozen=True, slots=True)
class Recorded:
    """A report file as a build left it: the fingerprint of its inputs and the digest of its bytes."""

    fingerprint: bytes
    sha256: bytes
    chars: int | None = None
    commit: str | None = None
    dirty: bool | None = None
    sketch: bytes | None = None  # the near-copy sketch (``nearcopies.Sketch``: size, then values)
    stat: tuple[int, int] | None = None  # (size, mtime_ns) of the file as written: see ``decide``
    checks: Any = None  # what its text's checks found when written (``results.TextChecks``), if anything


def _raw(hex_digest: Any) -> bytes | None:
    try:
        raw = bytes.fromhex(str(hex_digest))
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


class ReportIndex:
    """file name → what builds recorded for it (the manifest's entry, and any journal lines)."""

    def __init__(self) -> None:
        self._records: dict[str, list[Recorded]] = {}
        self.in_manifest: set[str] = set()
        #: The files the last build compared for near copies (its reports that did not fail, kept ones aside).
        self.compared: set[str] = set()
        #: The manifest's top-level values written before its reports (``manifest_head``).
        self.head: dict[str, Any] = {}
        self._strings: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def names(self) -> Iterator[str]:
        return iter(self._records)

    def add(self, name: str, fingerprint: Any, sha256: Any, *, chars: Any = None, commit: Any = None,
            dirty: Any = None, sketch: Any = None, size: Any = None, mtime_ns: Any = None, checks: Any = None) -> None:
        fp, digest = _raw(fingerprint), _raw(sha256)
        if fp is None or digest is None:
            return
        commit = self._strings.setdefault(commit, commit) if isinstance(commit, str) else None
        stat = (size, mtime_ns) if type(size) is int and type(mtime_ns) is int else None
        from .results import TextChecks

        record = Recorded(fp, digest, chars if isinstance(chars, int) else None, commit,
                          dirty if isinstance(dirty, bool) else None, decode_sketch(sketch), stat,
                          TextChecks.from_manifest(checks) if checks is not None else None)
        self._records.setdefault(name, []).append(record)

    def digest_by_stat(self, name: str, stat: tuple[int, int]) -> str | None:
        """The digest recorded for a file of this size and mtime (ns), if a build recorded one."""
        for record in reversed(self._records.get(name, ())):
            if record.stat == stat:
                return record.sha256.hex()
        return None

    def match(self, name: str, sha256: str) -> Recorded | None:
        """The record whose bytes the file still has (``None``: edited, or never ours)."""
        digest = bytes.fromhex(sha256)
        for record in reversed(self._records.get(name, ())):
            if record.sha256 == digest:
                return record
        return None

    @classmethod
    def load(cls, outdir: Path) -> ReportIndex:
        """The folder's manifest and journal; missing or unreadable ones count as empty. The manifest
        is read from the index kept beside it when that is still its own (``manifest_index``), else
        streamed."""
        from .manifest_index import BrokenIndex, index_row, read_index

        kept = read_index(outdir, outdir / MANIFEST)
        index = None
        if kept is not None:
            try:
                index = cls._from_rows(kept[1])
                index.head = kept[0]
            except BrokenIndex:
                index = None
        if index is None:
            index = cls._from_rows(index_row(entry) for entry in manifest_reports(outdir / MANIFEST))
            index.head = manifest_head(outdir / MANIFEST)
        for line in journal_lines(outdir):
            index.add(str(line.get("file")), line.get("fingerprint"), line.get("sha256"))
        return index

    @classmethod
    def _from_rows(cls, rows: Iterable[list[Any]]) -> ReportIndex:
        index = cls()
        for name, fingerprint, sha256, chars, sketch, size, mtime_ns, status, change, checks, commit, dirty in rows:
            if not isinstance(name, str):
                continue
            index.add(name, fingerprint, sha256, chars=chars, commit=commit, dirty=dirty, sketch=sketch,
                      size=size, mtime_ns=mtime_ns, checks=checks)
            if name in index:
                index.in_manifest.add(name)
            if status != "failed" and change != KEPT:
                index.compared.add(name)
        return index


def encode_sketch(size: int, values: bytes) -> str:
    """A report's near-copy sketch as the manifest keeps it (so a rerun need not read the report)."""
    return base64.b64encode(size.to_bytes(4, "little") + values).decode("ascii")


def decode_sketch(text: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def manifest_reports(path: Path) -> Iterator[dict[str, Any]]:
    """The manifest's ``reports``, one at a time (a broken or old manifest gives what it can)."""
    import ijson

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return
    with handle:
        try:
            for item in ijson.items(handle, "reports.item", use_float=True):
                if isinstance(item, dict):
                    yield item
        except (ijson.JSONError, ValueError, OSError):
            return


def manifest_head(path: Path) -> dict[str, Any]:
    """The manifest's top-level values up to its ``reports`` (the summary, the near-copy pairs …):
    read from the start of the file, which the reports of a large batch are not."""
    import ijson
    from ijson.common import ObjectBuilder

    head: dict[str, Any] = {}
    try:
        with open(path, "rb") as handle:
            key: str | None = None
            builder: ObjectBuilder | None = None
            depth = 0
            for prefix, event, value in ijson.parse(handle, use_float=True):
                if builder is not None:
                    builder.event(event, value)
                    depth += event in ("start_map", "start_array")
                    depth -= event in ("end_map", "end_array")
                    if depth == 0:
                        head[str(key)] = builder.value
                        builder = None
                    continue
                if event == "map_key" and prefix == "":
                    if value == "reports":
                        break
                    key = value
                elif prefix == key and key is not None:
                    if event in ("start_map", "start_array"):
                        builder, depth = ObjectBuilder(), 1
                        builder.event(event, value)
                    else:
                        head[key] = value
    except (ijson.JSONError, ValueError, OSError):
        return head
    return head


def carried_entries(outdir: Path, names: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The manifest entries of report files a run left alone (``KEPT``), as the old manifest had
    them (streamed again), then those only the journal knows (a killed run's)."""
    wanted = set(names)
    for entry in manifest_reports(outdir / MANIFEST):
        name = entry.get("file")
        if name in wanted:
            wanted.discard(name)
            yield {**entry, "status": "skipped", "change": KEPT}
    if wanted:
        last: dict[str, dict[str, Any]] = {}
        for line in journal_lines(outdir):
            if line.get("file") in wanted:
                last[str(line["file"])] = line
        for name, line in last.items():
            yield {"row": None, "name": None, "status": "skipped", "change": KEPT, "file": name,
                   "fingerprint": line.get("fingerprint"), "sha256": line.get("sha256")}


# ---------------------------------------------------------------- the journal


def journal_lines(outdir: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = open(outdir / JOURNAL, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        return
    with handle:
        for line in handle:
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            if isinstance(item, dict):
                yield item


def journal(outdir: Path, name: str, fingerprint: str, sha256: str) -> None:
    """Record a report about to be renamed into place (one short line, appended in one write)."""
    line = json.dumps({"file": name, "fingerprint": fingerprint, "sha256": sha256}, ensure_ascii=False) + "\n"
    try:
        fd = os.open(outdir / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError:
        return  # the report is then taken for a stranger's next time: protected, never lost
    try:
        os.write(fd, line.encode("utf-8"))
    except OSError:
        pass
    finally:
        os.close(fd)


def drop_journal(outdir: Path) -> None:
    """After the manifest holds everything the journal said."""
    try:
        (outdir / JOURNAL).unlink()
    except OSError:
        pass


# ---------------------------------------------------------------- deciding


@dataclass(frozen=True, slots=True)
class Decision:
    change: str  # created | updated | unchanged | protected
    target: str  # the file written, or left as it is
    render: bool
    fingerprint: str  # the inputs the decision was taken on
    edited: str | None = None  # protected: the hand-edited file left alone
    recorded: Recorded | None = None  # unchanged: what the build that wrote it recorded
    sha256: str | None = None  # unchanged: the file's digest
    stat: tuple[int, int] | None = None  # unchanged: the file's (size, mtime_ns)


def new_version_name(name: str, number: int) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    mark = NEW_VERSION if number == 1 else f"{NEW_VERSION[:-1]}{number}{NEW_VERSION[-1]}"
    return f"{stem}{mark}{dot}{suffix}"


def _digest_of(path: Path, index: ReportIndex, name: str) -> tuple[str | None, tuple[int, int] | None]:
    """The file's SHA-256, or ``None`` when there is no file (``""``: there but unreadable), and its
    (size, mtime_ns) as seen before it was read.

    A file whose size and mtime (ns) are those a build recorded for it is taken to have the bytes
    recorded, without reading it: an unchanged rerun of ten thousand reports need not hash them
    all. Word, Writer or any editor saving the file sets a new mtime, so a hand edit is still seen.
    Limitation: an edit that keeps the size and puts the mtime back exactly (``touch -d``, a copy
    keeping times, a filesystem with coarse times written to within the same tick) goes unseen;
    ``--force`` does not trust the times and reads every file.
    """
    try:
        found = path.stat()
    except FileNotFoundError:
        return None, None
    except OSError:
        return "", None
    stat = (found.st_size, found.st_mtime_ns)
    known = index.digest_by_stat(name, stat)
    if known is not None:
        return known, stat
    try:
        return file_digest(path.read_bytes()), stat
    except FileNotFoundError:
        return None, None
    except OSError:
        return "", None  # there but unreadable: not ours to overwrite


def decide(outdir: Path, index: ReportIndex, name: str, fingerprint: str, *, force: bool = False,
           overwrite_edited: bool = False, taken: Collection[str] = frozenset()) -> Decision:
    """What to do with one person's report, whose file would be ``name`` (see the module docstring).

    ``taken``: the file names given out in this batch, case-folded (``NameAllocator.used``),
    which a new version's name must not take.
    """
    edited: str | None = None
    candidate = name
    number = 0
    while True:
        path = outdir / candidate
        digest, stat = _digest_of(path, index if not force else ReportIndex(), candidate)
        if digest is None:
            return Decision(PROTECTED if edited else CREATED, candidate, True, fingerprint, edited)
        record = index.match(candidate, digest) if digest else None
        if record is None and overwrite_edited:
            return Decision(UPDATED, candidate, True, fingerprint)
        if record is not None:
            if record.fingerprint.hex() == fingerprint and not force:
                return Decision(PROTECTED if edited else UNCHANGED, candidate, False, fingerprint, edited, record,
                                digest, stat)
            return Decision(PROTECTED if edited else UPDATED, candidate, True, fingerprint, edited)
        edited = edited or candidate
        number += 1
        candidate = new_version_name(name, number)
        while candidate.casefold() in taken:
            number += 1
            candidate = new_version_name(name, number)
