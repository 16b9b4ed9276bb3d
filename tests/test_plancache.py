"""build/plancache.py: the keys a rerun finds the last build's plans under."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle

from assembler.build.fingerprint import canonical
from assembler.build.plancache import row_key
from assembler.load.people import PersonRow


def canonical_key(project: bytes, row: PersonRow) -> bytes:
    """The key as the cache's format defines it: a row of strings without NUL, its number, kind and
    cells joined with NUL after a byte 1; any other row, its number, kind and canonical cells in JSON."""
    values = row.values
    if values and all(isinstance(k, str) and isinstance(v, str) and "\0" not in k + v for k, v in values.items()):
        cells = "\1" + "\0".join([str(row.row), row.kind, *(part for pair in values.items() for part in pair)])
    else:
        cells = json.dumps([row.row, row.kind, canonical(values)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(project + cells.encode("utf-8", "surrogatepass")).digest()


def test_each_row_gets_the_key_the_format_defines():
    """Rows of strings only (a CSV's) take a shorter path; the key must be the one the format
    defines, and rows that differ in a cell, its type, a NUL or the split between cells must differ."""
    rows = [
        PersonRow(2, {"姓名": "张三", "年度": "2024", "备注": "", "z": "\ud800", "a": "x\ny"}),
        PersonRow(3, {"姓名": "李四", "年度": 2024, "日期": dt.date(2024, 3, 1), "空": None}),
        PersonRow(4, {"b": "1", "a": "2"}, kind="data"),
        PersonRow(5, {}),
        PersonRow(6, {"a": "x\0y"}),  # a NUL in a cell: the JSON form
        PersonRow(6, {"a": "x", "y": ""}),
    ]
    for row in rows:
        assert row_key(b"project", row) == canonical_key(b"project", row)
    assert len({row_key(b"project", row) for row in rows}) == len(rows)
    assert row_key(b"project", rows[0]) != row_key(b"other", rows[0])
    assert row_key(b"project", PersonRow(2, {"a": "1"})) != row_key(b"project", PersonRow(2, {"a": 1}))
    assert row_key(b"project", PersonRow(2, {"a": "b\0c"})) != row_key(b"project", PersonRow(2, {"a": "b", "c": ""}))


def test_the_cache_keeps_each_plan_whole_beside_its_summary(tmp_path):
    """A rerun reads each row's summary (what a report it does not render needs); the whole plan,
    typed values and all, is kept pickled beside it for the reports it renders. A cache of the
    earlier format is not taken for this one."""
    import pickle
    import shutil
    from pathlib import Path

    from assembler import pipeline
    from assembler.build.plan import PersonPlan, stream_people, type_common
    from assembler.build.plancache import CACHE, PlanCache, PlanSummary, project_key

    mini = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", mini)
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    out = tmp_path / "out"
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    people = stream_people(project, mini / "people.yaml")
    key = project_key(project, type_common({}, project.specs, source="-"), people.table.headers,
                      Path(people.table.path).resolve())
    cache = PlanCache(out, key)
    try:
        rows = list(people.table.rows)
        assert len(cache) == len(rows) == 3
        for row in rows:
            summary = cache.summary(row_key(key, row))
            whole = pickle.loads(cache.plan_bytes(row_key(key, row)))
            assert isinstance(summary, PlanSummary) and isinstance(whole, PersonPlan)
            assert (summary.row, summary.name, summary.included, summary.errors, summary.output_stem) == \
                (whole.row, whole.name, whole.included, whole.errors, whole.output_stem)
            assert summary.ok and summary.fingerprint_values
            assert cache.get(row_key(key, row)).context == whole.context
    finally:
        cache.close()
    data = (out / CACHE).read_bytes()
    (out / CACHE).write_bytes(data.replace(b"assembler-plans/6\n", b"assembler-plans/5\n", 1))
    assert len(PlanCache(out, key)) == 0


def test_the_cache_is_left_added_to_or_rewritten_as_little_as_it_can(tmp_path, monkeypatch):
    """An unchanged rerun leaves the cache as it was (same inode, same mtime); one changed row adds its
    new plan at the end (the next build takes it, the old one is superseded); when superseded records
    would pile up past ``APPEND_LIMIT`` the cache is written anew with this build's records only; a
    record cut short by a killed run is dropped before anything is added."""
    import shutil
    from pathlib import Path

    import yaml

    from assembler import pipeline
    from assembler.build import plancache
    from assembler.build.plan import stream_people, type_common
    from assembler.build.plancache import CACHE, PlanCache, project_key

    mini = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", mini)
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    out = tmp_path / "out"

    def build_with(name: str):
        people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
        people[1]["姓名"] = name
        (mini / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
        return pipeline.build(project, mini / "people.yaml", out, jobs=1)

    def cache():
        table = stream_people(project, mini / "people.yaml").table
        key = project_key(project, type_common({}, project.specs, source="-"), table.headers,
                          Path(table.path).resolve())
        found = PlanCache(out, key)
        names = [found.summary(row_key(key, row)).name for row in table.rows]
        records = found.records
        found.close()
        return names, records

    build_with("乙二")
    first = (out / CACHE).stat()
    assert build_with("乙二").changes()["unchanged"] == 3
    second = (out / CACHE).stat()
    assert (second.st_ino, second.st_mtime_ns, second.st_size) == (first.st_ino, first.st_mtime_ns, first.st_size)
    assert cache() == (["甲一", "乙二", "丙三"], 3)

    monkeypatch.setattr(plancache, "APPEND_LIMIT", 1.4)  # 3 rows: room for one superseded record
    assert build_with("乙二乙").changes()["created"] == 1
    added = (out / CACHE).stat()
    assert added.st_ino == first.st_ino and added.st_size > first.st_size  # added in place
    assert cache() == (["甲一", "乙二乙", "丙三"], 4)
    assert oct(added.st_mode & 0o777) == oct(first.st_mode & 0o777)

    with open(out / CACHE, "ab") as handle:  # as a run killed while adding would leave it
        handle.write(b"\0" * 20)
    build_with("乙二丙")  # 4 + 1 records for 3 rows: past the limit, written anew
    rewritten = (out / CACHE).stat()
    assert rewritten.st_ino != first.st_ino and cache() == (["甲一", "乙二丙", "丙三"], 3)

    monkeypatch.setattr(plancache, "APPEND_LIMIT", 10)
    size = (out / CACHE).stat().st_size
    with open(out / CACHE, "ab") as handle:
        handle.write(b"\0" * 20)
    build_with("乙二丁")
    assert cache() == (["甲一", "乙二丁", "丙三"], 4)  # the cut record dropped, the new one after the whole ones
    assert (out / CACHE).stat().st_size > size


def _planted_cache(out, key: bytes, rows: list[bytes], marker) -> None:
    """A plan cache as someone else with write access to the shared folder could leave it: the right
    header and row keys, and records whose pickles would run a command when unpickled."""
    import struct

    from assembler.build.plancache import _MAGIC, CACHE

    class Payload:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    evil = pickle.dumps(Payload())
    records = b"".join(struct.pack("<II32s16s16s", len(evil), len(evil), row, b"\0" * 16, b"\0" * 16) + evil + evil
                       for row in rows)
    (out / CACHE).write_bytes(_MAGIC + key + records)


def test_a_plan_cache_this_user_did_not_write_is_never_unpickled(tmp_path, monkeypatch):
    """The output folder is shared: a cache with the right keys but not this user's keyed hashes (a
    colleague's, or planted) is planned over, and its pickles never run; the reports are as before."""
    import shutil
    from pathlib import Path

    from assembler import pipeline
    from assembler.build import plancache, run
    from assembler.build.plan import stream_people, type_common
    from assembler.build.plancache import project_key

    mini = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", mini)
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    out = tmp_path / "out"
    first = pipeline.build(project, mini / "people.yaml", out, jobs=1)
    table = stream_people(project, mini / "people.yaml").table
    key = project_key(project, type_common({}, project.specs, source="-"), table.headers, Path(table.path).resolve())
    marker = tmp_path / "pwned"
    _planted_cache(out, key, [row_key(key, row) for row in table.rows], marker)
    planned: list[int] = []
    real_plan_row = run.plan_row

    def counting(project, people, row, common):
        planned.append(row.row)
        return real_plan_row(project, people, row, common)

    monkeypatch.setattr(run, "plan_row", counting)
    again = pipeline.build(project, mini / "people.yaml", out, jobs=1)
    assert not marker.exists()
    assert len(planned) == 3  # every row planned again, none taken from the planted cache
    assert again.changes()["unchanged"] == first.changes()["created"] == 3
    # a cache written under another secret (a colleague's build into the same folder) is planned over too
    monkeypatch.setattr(plancache, "secret", lambda: bytes(range(32)))
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    planned.clear()
    monkeypatch.setattr(plancache, "secret", lambda: bytes(range(1, 33)))
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    assert len(planned) == 3
    planned.clear()
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    assert planned == []  # its own cache: taken


def test_the_secret_is_kept_in_the_users_configuration_readable_by_them_alone(tmp_path, monkeypatch):
    from assembler.build import plancache

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    plancache.secret.cache_clear()
    try:
        made = plancache.secret()
        path = tmp_path / "config" / "assembler" / "plan-cache.key"
        assert made is not None and len(made) == 32 and path.read_bytes() == made
        assert path.stat().st_mode & 0o777 == 0o600
        plancache.secret.cache_clear()
        assert plancache.secret() == made  # read again, not made anew
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "file"))
        (tmp_path / "file").write_text("not a folder")
        plancache.secret.cache_clear()
        assert plancache.secret() is None  # nowhere to keep it: no cache is trusted
    finally:
        plancache.secret.cache_clear()


def test_without_pread_as_on_windows_the_cache_reads_and_grows_the_same(tmp_path, monkeypatch):
    """Windows has no ``os.pread`` (the Writer extension runs there too): plans are read by seeking,
    and a plan read back between two new ones does not put the next one in the wrong place."""
    import os
    import shutil
    from pathlib import Path

    import yaml

    from assembler import pipeline

    monkeypatch.delattr(os, "pread")
    mini = tmp_path / "mini"
    shutil.copytree(Path(__file__).parent / "fixtures" / "mini", mini)
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    out = tmp_path / "out"
    first = pipeline.build(project, mini / "people.yaml", out, jobs=1)
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    for person in people:
        person["集中学习次数"] = int(person["集中学习次数"]) + 1  # every plan new, read back while the next is added
    (mini / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    changed = pipeline.build(project, mini / "people.yaml", out, jobs=1)
    assert first.changes()["created"] == 3 and changed.changes()["updated"] == 3
    again = pipeline.build(project, mini / "people.yaml", out, jobs=1)
    assert again.changes()["unchanged"] == 3 and again.counts()["failed"] == 0
