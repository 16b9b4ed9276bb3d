"""build/manifest_index.py: what a rerun reads of manifest.json, kept beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from assembler import pipeline
from assembler.build.incremental import MANIFEST, ReportIndex
from assembler.build.manifest_index import INDEX, read_index


def _state(index: ReportIndex) -> tuple:
    return (sorted((name, index._records[name]) for name in index.names()), index.in_manifest, index.compared,
            index.head)


def _built(mini: Path, out: Path) -> None:
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    pipeline.build(project, mini / "people.yaml", out, jobs=1)  # a rerun: entries of each kind of change


def test_the_index_gives_what_the_manifest_gives(mini, tmp_path):
    """Read from the index or streamed from manifest.json, a rerun knows the same of every report:
    fingerprints, digests, sizes and times, lengths, sketches, commits, which were compared, the head."""
    out = tmp_path / "out"
    _built(mini, out)
    assert (out / INDEX).is_file()
    head, rows = read_index(out, out / MANIFEST)
    rows = list(rows)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert len(rows) == len(manifest["reports"]) == 3
    assert head == {key: value for key, value in manifest.items() if key != "reports"}
    from_index = _state(ReportIndex.load(out))
    (out / INDEX).unlink()
    from_manifest = _state(ReportIndex.load(out))
    assert from_index == from_manifest
    names, _, compared, _ = from_index
    assert len(names) == 3 and len(compared) == 3
    assert all(records[0].stat and records[0].sketch and records[0].chars for _, records in names)


def test_an_index_not_of_this_manifest_is_not_taken(mini, tmp_path):
    """A manifest edited or replaced since (another inode, size or time), or a damaged index: the
    manifest itself is read, and what it says is what counts."""
    out = tmp_path / "out"
    _built(mini, out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["reports"][0]["fingerprint"] = "0" * 64  # as if someone had edited the manifest by hand
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    assert read_index(out, out / MANIFEST) is None
    index = ReportIndex.load(out)
    name = manifest["reports"][0]["file"]
    assert index._records[name][-1].fingerprint == bytes(32)
    data = (out / INDEX).read_bytes()
    (out / INDEX).write_bytes(data[:40])  # cut short in its header
    assert read_index(out, out / MANIFEST) is None


def test_a_damaged_row_sends_the_rerun_back_to_the_manifest(mini, tmp_path):
    """Rows are read one at a time: a damaged one (cut short, the wrong width) is found on the way,
    and the rerun reads the whole manifest instead, knowing all it knew."""
    out = tmp_path / "out"
    _built(mini, out)
    (out / INDEX).rename(out / "kept-index")
    expected = _state(ReportIndex.load(out))
    lines = (out / "kept-index").read_bytes().splitlines(keepends=True)
    for damaged in (b"[1, 2]\n", b'["cut short\n'):
        (out / INDEX).write_bytes(b"".join([*lines[:3], damaged, *lines[4:]]))
        assert read_index(out, out / MANIFEST) is not None  # its header is whole
        assert _state(ReportIndex.load(out)) == expected
    stat = (out / MANIFEST).stat()
    os.utime(out / MANIFEST, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    (out / INDEX).write_bytes(b"".join(lines))
    assert read_index(out, out / MANIFEST) is None
