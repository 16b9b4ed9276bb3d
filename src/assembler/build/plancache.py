"""Plans of the last build kept beside its reports, so a rerun does not type and plan every row again.

Planning a person (typing each cell, evaluating the ``when`` conditions, the file name)
costs about a millisecond; for an unchanged rerun of ten thousand people it is most of
the run. A person's plan depends only on the project's planning inputs (the tool, the
rules, the checklist, the variables the snippets declare and read, the common values,
the people file's columns) and on their own row, so it is cached under a key of both (``row_key``):
an unchanged row of an unchanged project takes its plan from the cache (one unpickle);
anything else is planned afresh. The cache lives in the output folder (``CACHE``):
a header with the project key, then one record per row (length, key, pickled plan);
opening it reads only the record headers. It is rewritten after each build, and never
trusted beyond its key: a missing, old or damaged cache only means planning again.
"""

from __future__ import annotations

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
from .fingerprint import canonical, text_digest

CACHE = ".assembler-plans"
_MAGIC = b"assembler-plans/3\n"  # 2: each record a (PlanSummary, pickled plan); 3: ``row_key`` of strings
_RECORD = struct.Struct("<I32s")


def _read(path: Path | None) -> bytes:
    if path is None:
        return b""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


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
    parts = [__version__, text_digest(_read(project.rules.path)), text_digest(_read(checklist)),
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
    #: ``fingerprint.person_values`` of the plan's context (an ok plan's), encoded once as planned
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


class PlanCache:
    """The last build's plans (read side): ``get(key)`` gives a fresh copy, or ``None``."""

    def __init__(self, outdir: Path, key: bytes) -> None:
        self._offsets: dict[bytes, tuple[int, int]] = {}
        self._file: IO[bytes] | None = None
        try:
            handle = open(Path(outdir) / CACHE, "rb")  # noqa: SIM115 - closed by close()
        except OSError:
            return
        if handle.read(len(_MAGIC)) != _MAGIC or handle.read(32) != key:
            handle.close()
            return
        position = handle.tell()
        while header := handle.read(_RECORD.size):
            if len(header) < _RECORD.size:
                break
            size, record = _RECORD.unpack(header)
            self._offsets[record] = (position + _RECORD.size, size)
            position = handle.seek(size, 1)
        self._file = handle

    def __len__(self) -> int:
        return len(self._offsets)

    def get(self, key: bytes) -> Any:
        """The plan itself (unpickled), or ``None``."""
        record = self.get_record(key)[0]
        return None if record is None else pickle.loads(record[1])

    def get_record(self, key: bytes) -> tuple[tuple[PlanSummary, bytes] | None, bytes | None]:
        """``(summary, pickled plan)`` and the record's bytes (which the next cache can take as they
        are), or ``(None, None)``."""
        found = self._offsets.get(key)
        if found is None or self._file is None:
            return None, None
        self._file.seek(found[0])
        data = self._file.read(found[1])
        if len(data) != found[1]:
            return None, None
        try:
            record = pickle.loads(data)  # our own file, written by the build before
        except Exception:  # noqa: BLE001 - a damaged record: plan the row again
            return None, None
        if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], PlanSummary)
                and isinstance(record[1], bytes)):
            return None, None
        return record, data

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class PlanCacheWriter:
    """This build's plans, collected in an unnamed temporary file and put in the folder at the end.
    The build reads a rendered report's plan back from here (``pickled_plan``), so that its spool
    between the passes carries where a plan is rather than the plan (most of a rerun's bytes)."""

    def __init__(self, key: bytes) -> None:
        self._file = tempfile.TemporaryFile(prefix="assembler-plans-")
        self._file.write(_MAGIC + key)
        self._position = len(_MAGIC) + len(key)

    def add(self, key: bytes, record: tuple[PlanSummary, bytes], data: bytes | None = None) -> tuple[int, int]:
        """``record``: ``planned(plan)``; ``data``: the record already pickled (taken from the last
        cache), so not pickled again. Returns where the record is (``pickled_plan`` reads it)."""
        if data is None:
            data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(_RECORD.pack(len(data), key) + data)
        self._position += _RECORD.size + len(data)
        return self._position - len(data), len(data)

    def pickled_plan(self, where: tuple[int, int]) -> bytes:
        """The whole plan, pickled, of the record ``add`` put at ``where``."""
        self._file.flush()
        offset, size = where
        summary, pickled = pickle.loads(os.pread(self._file.fileno(), size, offset))  # written by add
        return pickled

    def save(self, outdir: Path) -> None:
        """Into ``outdir`` (atomically); a folder that cannot take it only costs the next run its planning."""
        from ..output import atomic_write_chunks

        self._file.seek(0)
        try:
            atomic_write_chunks(Path(outdir) / CACHE, iter(lambda: self._file.read(1 << 20), b""))
        except OSError:
            pass

    def close(self) -> None:
        self._file.close()
