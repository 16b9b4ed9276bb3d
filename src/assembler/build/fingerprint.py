"""A report's fingerprint: one hash of everything that shapes it, so a rerun knows what to redo.

A build system rebuilds a target when the hash of its inputs changes. A report's
inputs are: the tool (its version), the base template, the rules file, the text of
each snippet the person's report contains and the body dealt to them, the person's
values (the common ones included: they are part of the context the template sees),
and the file name. The checklist and the rest of the library are not inputs of
*this* report: ticking a snippet, or editing one, changes exactly the reports that
contain it (a ``when`` condition decides that per person, before the fingerprint).

The library's Git commit is deliberately left out: a commit that touches one
snippet must not rebuild the reports that do not use it. (Each report still records
the commit it was built from, in its properties and the manifest.)

``BatchFingerprint`` hashes the batch-wide inputs once; ``person`` adds one person's
in a few microseconds. The encoding is canonical: the same values give the same
digest in any process, on any machine, whatever the order of the people file's
columns.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring as _encode_str
from pathlib import Path
from typing import Any

from .. import __version__
from ..load.values import CnDate, Num, TextList

#: Bumped when the encoding below changes, so that old fingerprints never match new ones.
#: 2: the person's values enter as the SHA-256 of their encoding (``person_values``), not the encoding.
SCHEME = 2


def text_digest(data: bytes) -> str:
    """SHA-256 of a text file's bytes with line endings normalised (a checkout on Windows is the same text)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()


def file_digest(data: bytes) -> str:
    """SHA-256 of a file's exact bytes: what the manifest records for a report written."""
    return hashlib.sha256(data).hexdigest()


def file_bytes(path: Path | None) -> bytes:
    """A file's bytes, or none when there is no such file (an input that is missing hashes as empty)."""
    if path is None:
        return b""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def canonical(value: Any) -> Any:
    """A JSON-able form of a typed value that keeps its type (a date and its text differ)."""
    kind = type(value)
    if kind is str:  # most values: first, and exactly str (a subclass may print otherwise)
        return value
    if kind is int:
        return ["int", str(value)]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Num):
        return ["num", value.text]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, CnDate):
        return ["cndate", value.isoformat()]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, str):
        return value
    if isinstance(value, TextList):
        return ["textlist", [canonical(item) for item in value]]
    if isinstance(value, Mapping):
        return ["map", sorted([str(key), canonical(item)] for key, item in value.items())]
    if isinstance(value, list | tuple):
        return [type(value).__name__, [canonical(item) for item in value]]
    return [type(value).__name__, str(value)]


class BatchFingerprint:
    """The inputs every report of a batch shares, hashed once; ``person`` finishes one report's."""

    def __init__(self, *, base_template: bytes, rules: bytes, snippets: Mapping[str, bytes],
                 version: str = __version__) -> None:
        shared = hashlib.sha256()
        for part in (f"assembler-fingerprint/{SCHEME}", version, hashlib.sha256(base_template).hexdigest(),
                     text_digest(rules)):
            shared.update(part.encode("utf-8", "surrogatepass") + b"\0")
        self._shared = shared
        self.snippets = {snippet_id: text_digest(text) for snippet_id, text in snippets.items()}
        #: (snippet, variant) -> its JSON in a fingerprint: a batch has a few dozen, its people thousands
        self._parts: dict[tuple[str, int | None], str] = {}

    @classmethod
    def for_project(cls, project: Any) -> BatchFingerprint:
        """From a loaded ``pipeline.Project``: the files as they are on disk now."""
        ids = list(dict.fromkeys(project.rules.entry_ids()))
        return cls(base_template=project.base_template, rules=file_bytes(project.rules.path),
                   snippets={snippet_id: file_bytes(project.library[snippet_id].path) for snippet_id in ids
                             if snippet_id in project.library})

    def person(self, included: Iterable[str], variants: Mapping[str, int], context: Mapping[str, Any],
               file_name: str, *, values: str | None = None) -> str:
        """The fingerprint of one report (hex SHA-256): of ``[file name, [[snippet, its text's digest,
        body dealt], …], the values' digest]`` in compact JSON, after the batch's inputs. ``values``:
        ``person_values(context)`` if already known (the plan cache keeps it: ``plancache.PlanSummary``),
        so it is not encoded again."""
        digest = self._shared.copy()
        parts = self._parts
        snippets = []
        for snippet_id in included:
            key = (snippet_id, variants.get(snippet_id))
            part = parts.get(key)
            if part is None:
                part = parts[key] = json.dumps([snippet_id, self.snippets.get(snippet_id, ""), key[1]],
                                               ensure_ascii=False, separators=(",", ":"))
            snippets.append(part)
        if values is None:
            values = person_values(context)
        # the same bytes as json.dumps([file_name, snippets, values], ensure_ascii=False, separators=(",", ":"))
        text = f"[{_encode_str(file_name)},[{','.join(snippets)}],\"{values}\"]"
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def plain_fingerprint(template_digest: str, context: Mapping[str, Any], file_name: str, *,
                      version: str = __version__) -> str:
    """The fingerprint of one report of any docxtpl template (``render``): the tool, the template's
    bytes (``file_digest``, taken once per batch), the person's values (the common ones included) and
    the file name."""
    digest = hashlib.sha256()
    for part in (f"assembler-plain-fingerprint/{SCHEME}", version, template_digest, file_name,
                 person_values(context)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def person_values(context: Mapping[str, Any]) -> str:
    """The digest (hex SHA-256) of a person's values as their fingerprint encodes them: most of its cost
    (~90 typed values per person), and the same for the same plan, so a plan taken from the plan cache
    brings it along; a digest, so that what a rerun keeps and passes per person is 64 characters,
    not the values' kilobytes."""
    values = sorted([str(name), canonical(value)] for name, value in context.items() if name != "variants")
    encoded = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()
