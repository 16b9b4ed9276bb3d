"""Plans of the last build kept beside its reports, so a rerun does not type and plan every row again.

Planning a person (typing each cell, evaluating the ``when`` conditions, the file name)
costs about a millisecond; for an unchanged rerun of ten thousand people it is most of
the run. A person's plan depends only on the project's planning inputs (the tool, the
rules, the checklist, the variables the snippets declare and read, the common values,
the people file's columns) and on their own row, so it is cached under a key of both (``row_key``):
an unchanged row of an unchanged project takes its plan from the cache (one unpickle);
anything else is planned afresh. The cache lives in the output folder (``CACHE``):
a header with the project key, then one record per row (sizes, key, pickled summary, pickled
plan, and a keyed hash of each); opening it reads only the record headers, a row reads its
summary, and a report rendered its plan.

The output folder is often shared, and unpickling runs code: so nothing in the cache is unpickled
unless its keyed hash (BLAKE2b under a secret kept in the user's own configuration folder,
``secret``) says this user's build wrote it. A cache written by a colleague, or planted, is only
planned over, like a missing one. It is rewritten after each build, and never
trusted beyond its key: a missing, old or damaged cache only means planning again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import struct
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any

from .. import __version__
from .fingerprint import canonical, file_bytes, text_digest

CACHE = ".assembler-plans"
_MAGIC = b"assembler-plans/6\n"  # 4: summary and plan pickled apart; 5: values digest; 6: keyed hashes
#: a record's header: the sizes of its pickled summary and plan, its row key, and their keyed hashes
_RECORD = struct.Struct("<II32s16s16s")
#: New plans are added at the end of the cache while its records (superseded ones included) stay
#: within this many times the rows of the build; beyond, it is written anew with this build's only.
APPEND_LIMIT = 1.25
#: The secret the cache's records are hashed with: in the user's configuration folder, not the output folder.
SECRET = Path("assembler") / "plan-cache.key"


@functools.cache
def secret() -> bytes | None:
    """This user's secret for the plan cache (made once, readable by them alone); ``None`` when there
    is nowhere to keep it (then no cache is trusted, and every row is planned)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not base:
        try:
            base = str(Path.home() / ".config")  # USERPROFILE on Windows
        except RuntimeError:
            return None
    path = Path(base) / SECRET
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if len(data) == 32:
        return data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another build
        data = path.read_bytes() if path.is_file() else b""
        return data if len(data) == 32 else None
    except OSError:
        return None
    data = os.urandom(32)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return data


def _read_at(handle: IO[bytes], offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset``: ``os.pread`` where there is one (not on Windows, where the
    Writer extension also runs), else seek and read (a writer seeks back to its end before it writes)."""
    if hasattr(os, "pread"):
        return os.pread(handle.fileno(), size, offset)
    handle.seek(offset)
    return handle.read(size)


def _mac(key: bytes, row: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(row + data, key=key, digest_size=16).digest()


def planning_signature(project: Any) -> str:
    """What planning reads of the snippets, and no more: every declared variable (``specs``, from
    the rules and the snippets' front matter) and the names each snippet's body reads. Rewording a
    snippet leaves it as it was, so a rerun after a reword plans no row again (the reports that
    contain the snippet are still rendered again: their fingerprint has the snippet's text)."""
    from ..template.needs import body_variables

    specs = [[name, spec.type, spec.label, canonical(spec.default), canonical(spec.example)]
             for name, spec in project.specs.items()]
    reads = [[snippet_id, sorted(body_variables(project.library[snippet_id]))]
             for snippet_id in sorted(set(project.rules.entry_ids())) if snippet_id in project.library]
    return json.dumps([specs, reads], ensure_ascii=False)


def project_key(project: Any, common: Mapping[str, Any], headers: Iterable[str], people: Path) -> bytes:
    """Everything a plan depends on besides the person's own row: the rules and checklist files
    whole, the snippets as far as planning reads them (``planning_signature``)."""
    digest = hashlib.sha256()
    checklist = project.checklist.path if project.checklist is not None else None
    parts = [__version__, text_digest(file_bytes(project.rules.path)), text_digest(file_bytes(checklist)),
             planning_signature(project),
             json.dumps(canonical(dict(common)), ensure_ascii=False), json.dumps(list(headers), ensure_ascii=False),
             str(people)]
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.digest()


def row_key(project: bytes, row: Any) -> bytes:
    """The key of one row of the people file: the project's key, the row's number, kind and cells.

    A row of plain strings (a CSV's, most of a sheet's) is keyed by its cells joined with NUL, in
    the file's column order (the columns are in the project's key): one join instead of a JSON
    encoding, which took a tenth of an unchanged rerun. A row with another value, or a NUL in a
    cell, is keyed by its canonical JSON (``fingerprint.canonical``). The two forms cannot meet:
    the first starts with a byte no JSON text starts with."""
    values = row.values
    try:
        flat = "\0".join(chain.from_iterable(values.items()))
    except TypeError:  # a value (or key) that is not a string
        flat = None
    if flat is not None and values and flat.count("\0") == 2 * len(values) - 1:
        cells = f"\1{row.row}\0{row.kind}\0{flat}"
    else:
        cells = json.dumps([row.row, row.kind, canonical(values)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(project + cells.encode("utf-8", "surrogatepass")).digest()


@dataclass(slots=True)
class PlanSummary:
    """What a build needs of a plan for a report it does not render: all but the typed values and
    the selection, which are most of a plan's pickle. A rerun reads these; the whole plan (kept
    pickled beside it) is unpickled only for a report that is rendered."""

    row: int
    name: str
    included: list[str]
    warnings: list[str]
    errors: list[str]
    output_stem: str | None
    #: ``fingerprint.person_values`` of the plan's context (an ok plan's): the digest, made once as planned
    fingerprint_values: str | None

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def of(cls, plan: Any) -> PlanSummary:
        from .fingerprint import person_values

        return cls(plan.row, plan.name, list(plan.included), list(plan.warnings), list(plan.errors), plan.output_stem,
                   person_values(plan.context) if plan.ok else None)


def planned(plan: Any) -> tuple[PlanSummary, bytes]:
    """A plan just made, as the cache keeps it: its summary, and the plan pickled."""
    return PlanSummary.of(plan), pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)


#: Where a row's whole plan is, pickled: its row key in the last build's cache (``PlanCache.plan_bytes``),
#: or (offset, size) in this build's (``PlanCacheWriter.plan_bytes``)
PlanRef = bytes | tuple[int, int]


class PlanCache:
    """The last build's plans (read side). A record's summary is read and unpickled on its own
    (``summary``); its plan stays in the file until a report is rendered (``plan_bytes``). Neither
    is unpickled unless its keyed hash is this user's (see the module docstring)."""

    def __init__(self, outdir: Path, key: bytes) -> None:
        #: row key -> (offset of the record's header, summary size, plan size, summary hash, plan hash)
        self._offsets: dict[bytes, tuple[int, int, int, bytes, bytes]] = {}
        self._file: IO[bytes] | None = None
        self.records = 0  # records in the file, superseded ones included (``PlanCacheWriter.save``)
        self.end = 0  # where the last whole record ends: a plan added in place goes there
        self._secret = secret()
        if self._secret is None:
            return
        try:
            handle = open(Path(outdir) / CACHE, "rb")  # noqa: SIM115 - closed by close()
        except OSError:
            return
        if handle.read(len(_MAGIC)) != _MAGIC or handle.read(32) != key:
            handle.close()
            return
        size = os.fstat(handle.fileno()).st_size
        position = handle.tell()
        while header := handle.read(_RECORD.size):
            summary_size, plan_size, record, summary_mac, plan_mac = _RECORD.unpack(header) \
                if len(header) == _RECORD.size else (0, 0, b"", b"", b"")
            end = position + _RECORD.size + summary_size + plan_size
            if not record or end > size:
                break  # a record cut short (a run killed while it added to the cache): the rest is lost
            self._offsets[record] = (position, summary_size, plan_size, summary_mac, plan_mac)  # the last one counts
            self.records += 1
            position = handle.seek(end)
        self.end = position
        self._file = handle

    def __len__(self) -> int:
        return len(self._offsets)

    def summary(self, key: bytes) -> PlanSummary | None:
        """The row's plan summary, or ``None`` (not kept, not this user's, or damaged); its whole plan
        is ``plan_bytes(key)``."""
        found = self._offsets.get(key)
        if found is None or self._file is None or self._secret is None:
            return None
        header, summary_size, _, summary_mac, _ = found
        data = _read_at(self._file, header + _RECORD.size, summary_size)
        if len(data) != summary_size or _mac(self._secret, key, data) != summary_mac:
            return None
        try:
            summary = pickle.loads(data)  # this user's build wrote it (the keyed hash)
        except Exception:  # noqa: BLE001 - a damaged record: plan the row again
            return None
        return summary if isinstance(summary, PlanSummary) else None

    def plan_bytes(self, key: bytes) -> bytes:
        """The row's whole plan, pickled, checked against its keyed hash before anyone unpickles it
        (asked for only after ``summary(key)`` found the record)."""
        from ..errors import InputError

        assert self._file is not None and self._secret is not None  # a summary is found only then
        header, summary_size, plan_size, _, plan_mac = self._offsets[key]
        data = _read_at(self._file, header + _RECORD.size + summary_size, plan_size)
        if _mac(self._secret, key, data) != plan_mac:  # written over in place while this build ran
            raise InputError(f"{CACHE} 在生成过程中被改动过；请确认没有别人同时在这个目录生成，然后重新运行",
                             file=Path(self._file.name) if isinstance(self._file.name, str) else None)
        return data

    def record(self, key: bytes) -> bytes:
        """A record whole, header included, for this build's cache to take as it is."""
        header, summary_size, plan_size, _, _ = self._offsets[key]
        assert self._file is not None
        return _read_at(self._file, header, _RECORD.size + summary_size + plan_size)

    def handle(self) -> IO[bytes] | None:
        """The open cache file (``PlanCacheWriter`` adds to it in place), if one was taken."""
        return self._file

    def get(self, key: bytes) -> Any:
        """The plan itself (unpickled), or ``None``."""
        return None if self.summary(key) is None else pickle.loads(self.plan_bytes(key))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class PlanCacheWriter:
    """This build's plans, for the next build. A plan taken from the last cache is only noted; new
    ones go to an unnamed temporary file; ``save`` writes the cache anew only when it changed, so
    an unchanged rerun neither copies nor rewrites the tens of megabytes of ten thousand plans."""

    def __init__(self, key: bytes, last: PlanCache) -> None:
        self._key = key
        self._last = last
        self._secret = secret()
        self._file = tempfile.TemporaryFile(prefix="assembler-plans-")
        self._position = 0
        #: per row in order: the key of a record taken from the last cache, or (offset, size) of a new one
        self._rows: list[bytes | tuple[int, int]] = []
        self._new = 0

    def reused(self, key: bytes) -> None:
        """The row's plan is the last cache's record under ``key``, as it is."""
        self._rows.append(key)

    def add(self, key: bytes, summary: PlanSummary, pickled: bytes) -> PlanRef:
        """A plan made now (``planned``); returns where its whole plan is."""
        head = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
        macs = (_mac(self._secret, key, head), _mac(self._secret, key, pickled)) if self._secret else (b"", b"")
        record = _RECORD.pack(len(head), len(pickled), key, *macs) + head + pickled
        self._file.seek(self._position)  # after a read (``plan_bytes``) where there is no pread
        self._file.write(record)
        self._rows.append((self._position, len(record)))
        self._position += len(record)
        self._new += 1
        return self._position - len(pickled), len(pickled)

    def plan_bytes(self, offset: int, size: int) -> bytes:
        self._file.flush()
        return _read_at(self._file, offset, size)

    def save(self, outdir: Path) -> None:
        """Into ``outdir``: nothing when it would be the last cache again (every row's plan taken from
        it, and all of it taken); the new plans added at its end when they are few (a changed figure:
        the next build takes the last record of a row); else written anew, atomically, with only this
        build's records. A folder that cannot take it only costs the next run its planning."""
        from ..output import atomic_write_chunks

        if self._secret is None:
            return  # nothing it wrote would be trusted
        if not self._new and len(self._rows) == len(self._last) and len(set(self._rows)) == len(self._rows):
            return
        path = Path(outdir) / CACHE
        if self._last.records + self._new <= APPEND_LIMIT * len(self._rows) and self._append(path):
            return

        def chunks() -> Iterable[bytes]:
            yield _MAGIC + self._key
            for row in self._rows:
                yield self._last.record(row) if isinstance(row, bytes) else self.plan_bytes(*row)

        try:
            atomic_write_chunks(path, chunks())
        except OSError:
            pass

    def _append(self, path: Path) -> bool:
        """This build's new records at the end of the last cache, if that is still the file in the folder."""
        last = self._last.handle()
        if last is None:
            return False
        try:
            with open(path, "r+b") as handle:
                if not os.path.samestat(os.fstat(handle.fileno()), os.fstat(last.fileno())):
                    return False
                handle.truncate(self._last.end)  # a record a killed run cut short goes
                handle.seek(self._last.end)
                for row in self._rows:
                    if not isinstance(row, bytes):
                        handle.write(self.plan_bytes(*row))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            return False
        return True

    def close(self) -> None:
        self._file.close()
