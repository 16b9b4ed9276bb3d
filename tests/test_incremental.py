"""Incremental builds (``incremental``): a rerun renders exactly the reports whose inputs changed,
leaves the rest byte for byte (mtime included), never overwrites a report edited by hand, and the
manifest describes every report in the folder. Two builds into different folders are byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from assembler import pipeline
from assembler.build.fingerprint import file_digest
from assembler.build.incremental import JOURNAL, ReportIndex, journal, new_version_name
from assembler.cli import main
from assembler.ooxml.text import docx_text

MINI = Path(__file__).parent / "fixtures" / "mini"
PREFIX = "2022年度述职述廉报告-"


@pytest.fixture()
def lib(tmp_path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


def people_file(lib: Path, count: int = 12, changes: dict[int, dict] | None = None) -> Path:
    """``count`` people from the fixture's three; every third has 驻村帮扶 (``duties.village``'s ``when``)."""
    base = yaml.safe_load((MINI / "people.yaml").read_text(encoding="utf-8"))
    rows = []
    for n in range(count):
        row = dict(base[n % 3], 姓名=f"人员{n:02d}", 集中学习次数=10 + n, 走访农户数=100 + n)
        row.pop("选稿", None)
        row.update((changes or {}).get(n, {}))
        rows.append(row)
    path = lib / "people.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def build(lib: Path, out: Path, **options) -> pipeline.BatchResult:
    project = pipeline.load_project(lib / "rules.yaml", lib / "checklist.md")
    return pipeline.build(project, lib / "people.json", out, jobs=options.pop("jobs", 2), **options)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every report's bytes and mtime (ns)."""
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(folder.glob("*.docx"))}


def changes(batch: pipeline.BatchResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for report in batch.reports:
        out.setdefault(report.change or report.status, []).append(report.name)
    return out


def test_unchanged_rerun_touches_no_report(lib, tmp_path):
    people_file(lib)
    out = tmp_path / "out"
    first = build(lib, out)
    assert first.changes()["created"] == 12
    before = snapshot(out)
    assert len(before) == 12
    again = build(lib, out)
    assert again.changes() == {"created": 0, "updated": 0, "unchanged": 12, "protected": 0, "kept": 0}
    assert snapshot(out) == before  # same bytes, same mtime: not even rewritten
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["changes"]["unchanged"] == 12
    for entry in manifest["reports"]:  # the manifest still describes every report, with its digest
        assert entry["sha256"] == file_digest((out / entry["file"]).read_bytes())
        assert len(entry["fingerprint"]) == 64 and entry["chars"] > 50
    assert not (out / JOURNAL).exists()


def test_one_changed_value_updates_exactly_that_report(lib, tmp_path):
    people_file(lib)
    out = tmp_path / "out"
    build(lib, out)
    before = snapshot(out)
    people_file(lib, changes={4: {"集中学习次数": 99}})
    batch = build(lib, out)
    assert changes(batch) == {"updated": ["人员04"], "unchanged": [f"人员{n:02d}" for n in range(12) if n != 4]}
    after = snapshot(out)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {f"{PREFIX}人员04.docx"}
    assert "集中学习99次" in docx_text(after[f"{PREFIX}人员04.docx"][0]).replace(" ", "")


def test_a_common_value_reaches_everyone_who_uses_it(lib, tmp_path):
    """--set values are inputs too: 网格村 given to all updates only those without their own."""
    people_file(lib)
    out = tmp_path / "out"
    build(lib, out)
    batch = build(lib, out, common={"网格村": "北村"})
    own = {f"人员{n:02d}" for n in range(12) if n % 3 != 1}  # rows from 甲一 and 丙三 have their own 网格村
    assert set(changes(batch)["updated"]) == {f"人员{n:02d}" for n in range(12)} - own


def test_an_edited_snippet_updates_exactly_the_reports_that_use_it(lib, tmp_path):
    people_file(lib)
    out = tmp_path / "out"
    build(lib, out)
    before = snapshot(out)
    village = lib / "snippets" / "duties" / "village.md"  # when: '驻村帮扶' in duties (甲一, 丙三 rows)
    village.write_text(village.read_text(encoding="utf-8").replace("走访农户{{", "入户走访农户{{"), encoding="utf-8")
    batch = build(lib, out)
    users = [f"人员{n:02d}" for n in range(12) if n % 3 != 1]
    assert changes(batch) == {"updated": users, "unchanged": [f"人员{n:02d}" for n in range(12) if n % 3 == 1]}
    after = snapshot(out)
    for name in users:
        assert after[f"{PREFIX}{name}.docx"] != before[f"{PREFIX}{name}.docx"]
        assert "入户走访农户" in docx_text(after[f"{PREFIX}{name}.docx"][0])
    # a snippet only some people get through the checklist: unticking it changes exactly theirs
    checklist = lib / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] integrity.pledge", "- [ ] integrity.pledge"),
                         encoding="utf-8")
    batch = build(lib, out)
    pledged = [f"人员{n:02d}" for n in range(12) if n % 3 == 0]  # when: '廉政' in duties (甲一 rows)
    assert changes(batch)["updated"] == pledged


def test_a_hand_edited_report_survives_a_rerun_and_force(lib, tmp_path):
    people_file(lib, 3)
    out = tmp_path / "out"
    build(lib, out)
    target = out / f"{PREFIX}人员01.docx"
    edited = _edit(target, "人员01", "人员01（本人修改）")
    for force in (False, True):
        people_file(lib, 3, changes={1: {"集中学习次数": 50 + force}})
        batch = build(lib, out, force=force)
        assert target.read_bytes() == edited
        report = batch.reports[1]
        assert report.change == "protected" and report.edited == target and report.status == "written"
        assert report.file == out / new_version_name(target.name, 1) == out / f"{PREFIX}人员01（新版）.docx"
        assert f"集中学习{50 + force}次" in docx_text(report.file.read_bytes()).replace(" ", "")
        assert any("--overwrite-edited" in warning for warning in report.warnings)
        assert [r.change for r in batch.reports] == (["updated", "protected", "updated"] if force
                                                     else ["unchanged", "protected", "unchanged"])
    batch = build(lib, out)  # nothing new: the new version is left as it is, the edit still protected
    assert batch.changes()["protected"] == 1 and batch.reports[1].status == "skipped"
    batch = build(lib, out, overwrite_edited=True)
    assert batch.reports[1].change == "updated" and batch.reports[1].file == target
    assert "本人修改" not in docx_text(target.read_bytes())
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    kept = [entry for entry in manifest["reports"] if entry.get("change") == "kept"]
    assert [entry["file"] for entry in kept] == [f"{PREFIX}人员01（新版）.docx"]  # still described


def _edit(path: Path, old: str, new: str) -> bytes:
    """What Word does to a report: same document, different bytes."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(old.encode(), new.encode(), 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path.read_bytes()


def test_a_file_no_build_recorded_is_protected(lib, tmp_path):
    people_file(lib, 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{PREFIX}人员00.docx").write_bytes(b"my own file")
    batch = build(lib, out)
    assert [r.change for r in batch.reports] == ["protected", "created"]
    assert (out / f"{PREFIX}人员00.docx").read_bytes() == b"my own file"
    assert "人员00" in docx_text((out / f"{PREFIX}人员00（新版）.docx").read_bytes())


def test_dry_run_says_what_would_happen_and_writes_nothing(lib, tmp_path):
    people_file(lib, 4)
    out = tmp_path / "out"
    build(lib, out)
    _edit(out / f"{PREFIX}人员02.docx", "人员02", "人员02改")
    (out / f"{PREFIX}人员03.docx").unlink()
    people_file(lib, 5, changes={0: {"集中学习次数": 77}})
    before = sorted((path.name, path.stat().st_mtime_ns, path.read_bytes()) for path in out.iterdir())
    result = CliRunner().invoke(main, ["build", str(lib / "rules.yaml"), "--people", str(lib / "people.json"),
                                       "--checklist", str(lib / "checklist.md"), "-o", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert sorted((path.name, path.stat().st_mtime_ns, path.read_bytes()) for path in out.iterdir()) == before
    assert "试运行（未写入任何文件）：将新建 2 份，已更新 1 份，未变 1 份，手工修改过（新版另存） 1 份" in result.output
    assert f"已更新：{PREFIX}人员00.docx" in result.output
    assert f"新建：{PREFIX}人员03.docx" in result.output and f"新建：{PREFIX}人员04.docx" in result.output
    assert f"人员02：{PREFIX}人员02.docx → {PREFIX}人员02（新版）.docx" in result.output
    empty = tmp_path / "never"
    result = CliRunner().invoke(main, ["build", str(lib / "rules.yaml"), "--people", str(lib / "people.json"),
                                       "--checklist", str(lib / "checklist.md"), "-o", str(empty), "--dry-run"])
    assert result.exit_code == 0 and "将新建 5 份" in result.output and not empty.exists()


def test_the_manifest_describes_reports_of_people_no_longer_in_the_run(lib, tmp_path):
    people_file(lib, 5)
    out = tmp_path / "out"
    build(lib, out)
    people_file(lib, 3)
    batch = build(lib, out)
    assert batch.kept == [f"{PREFIX}人员03.docx", f"{PREFIX}人员04.docx"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [(e["name"], e["change"]) for e in manifest["reports"]] == \
        [("人员00", "unchanged"), ("人员01", "unchanged"), ("人员02", "unchanged"), ("人员03", "kept"), ("人员04", "kept")]
    assert manifest["changes"] == {"created": 0, "updated": 0, "unchanged": 3, "protected": 0, "kept": 2}
    (out / f"{PREFIX}人员04.docx").unlink()  # gone from the folder: gone from the manifest
    build(lib, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in manifest["reports"]] == ["人员00", "人员01", "人员02", "人员03"]


def test_a_killed_run_leaves_its_reports_recognisable(lib, tmp_path):
    """Workers journal a report before renaming it into place; with no manifest (the run was killed)
    the rerun still knows those reports as its own: unchanged, not protected."""
    people_file(lib, 4)
    out = tmp_path / "out"
    build(lib, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (out / "manifest.json").unlink()
    for entry in manifest["reports"][:3]:
        journal(out, entry["file"], entry["fingerprint"], entry["sha256"])
    with open(out / JOURNAL, "a", encoding="utf-8") as handle:
        handle.write('{"file": "cut sh')  # the line a kill interrupted
    batch = build(lib, out)
    assert [r.change for r in batch.reports] == ["unchanged"] * 3 + ["protected"]
    assert not (out / JOURNAL).exists()


def test_the_index_reads_the_manifest_as_a_stream(tmp_path):
    entries = [{"file": f"{n}.docx", "fingerprint": f"{n:064x}", "sha256": f"{n + 1:064x}", "chars": n}
               for n in range(2000)]
    (tmp_path / "manifest.json").write_text(json.dumps({"tool": "assembler", "reports": entries, "similar": []}),
                                            encoding="utf-8")
    index = ReportIndex.load(tmp_path)
    assert len(index) == 2000
    record = index.match("7.docx", f"{8:064x}")
    assert record is not None and record.fingerprint.hex() == f"{7:064x}" and record.chars == 7
    assert index.match("7.docx", f"{9:064x}") is None
    (tmp_path / "manifest.json").write_text('{"reports": [{"file": "a.docx", "fingerprint": "', encoding="utf-8")
    assert len(ReportIndex.load(tmp_path)) == 0  # a broken manifest protects every file instead


# ---------------------------------------------------------------- reproducible


def test_two_builds_into_different_folders_are_byte_identical(lib, tmp_path, monkeypatch):
    people_file(lib, 6)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(lib)
    first = build(lib, tmp_path / "a" / "out", jobs=2)
    other = tmp_path / "another" / "machine" / "库"  # the library checked out elsewhere, too
    shutil.copytree(lib, other)
    monkeypatch.chdir(tmp_path)
    second = build(other, tmp_path / "elsewhere" / "deeper" / "reports", jobs=1)
    names = sorted(path.name for path in (tmp_path / "a" / "out").glob("*.docx"))
    assert len(names) == 6
    for name in names:
        a = (tmp_path / "a" / "out" / name).read_bytes()
        b = (tmp_path / "elsewhere" / "deeper" / "reports" / name).read_bytes()
        assert a == b, name
        with zipfile.ZipFile(tmp_path / "a" / "out" / name) as archive:
            infos = archive.infolist()
            inside = b"".join(archive.read(info) for info in infos)
        # one fixed time for every entry, never the clock: the tool's fixed date, or SOURCE_DATE_EPOCH's
        assert {info.date_time for info in infos} in ({(2020, 1, 1, 0, 0, 0)}, {(2023, 11, 14, 22, 13, 20)})
        assert [info.filename for info in infos][:2] == ["[Content_Types].xml", "_rels/.rels"]
        assert str(tmp_path).encode() not in inside and b"/tmp" not in inside  # no folder of this machine inside
    assert [r.fingerprint for r in first.reports] == [r.fingerprint for r in second.reports]


def test_journal_lines_are_whole_lines(tmp_path):
    for n in range(50):
        journal(tmp_path, f"{n}.docx", "ab" * 32, "cd" * 32)
    lines = (tmp_path / JOURNAL).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 50 and all(json.loads(line)["file"].endswith(".docx") for line in lines)
    assert oct(os.stat(tmp_path / JOURNAL).st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_pdfs_follow_their_docx(lib, tmp_path):
    """A PDF is converted when its .docx was written by this build, or is missing or older than the .docx;
    the conversion itself is the office's (tests/test_office_convert.py), here a converter that records."""
    converted: list[str] = []

    def convert(sources: list[Path]) -> list[tuple[Path | None, str | None]]:
        out = []
        for source in sources:
            converted.append(source.stem[len(PREFIX):])
            pdf = source.with_suffix(".pdf")
            pdf.write_bytes(b"%PDF-1.4 " + source.read_bytes()[:8])
            out.append((pdf, None))
        return out

    def build_with_pdfs() -> pipeline.BatchResult:
        converted.clear()
        batch = build(lib, tmp_path / "out")
        project = pipeline.load_project(lib / "rules.yaml", lib / "checklist.md")
        pipeline.add_pdfs(batch, project=project, people=lib / "people.json", convert=convert)
        return batch

    people_file(lib, 4)
    build_with_pdfs()
    assert converted == ["人员00", "人员01", "人员02", "人员03"]
    pdfs = {path.name: path.stat().st_mtime_ns for path in (tmp_path / "out").glob("*.pdf")}
    batch = build_with_pdfs()
    assert converted == [] and all(report.pdf is not None for report in batch.reports)
    assert {path.name: path.stat().st_mtime_ns for path in (tmp_path / "out").glob("*.pdf")} == pdfs
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["pdf"] for entry in manifest["reports"]] == [f"{PREFIX}人员{n:02d}.pdf" for n in range(4)]
    people_file(lib, 4, changes={2: {"集中学习次数": 40}})
    (tmp_path / "out" / f"{PREFIX}人员00.pdf").unlink()
    stale = tmp_path / "out" / f"{PREFIX}人员03.pdf"
    docx_time = (tmp_path / "out" / f"{PREFIX}人员03.docx").stat().st_mtime_ns
    os.utime(stale, ns=(docx_time - 10**9, docx_time - 10**9))  # older than its .docx
    build_with_pdfs()
    assert converted == ["人员00", "人员02", "人员03"]


def test_a_rerun_reuses_the_plans_of_unchanged_rows(lib, tmp_path, monkeypatch):
    """Typing and planning a row is most of an unchanged rerun: the last build's plans are reused
    for rows (and a project) that did not change, and only those (``plancache``)."""
    from assembler.build import run
    from assembler.build.plancache import CACHE

    planned: list[int] = []
    real = run.plan_row
    monkeypatch.setattr(run, "plan_row", lambda project, people, row, common:
                        planned.append(row.row) or real(project, people, row, common))
    people_file(lib)
    out = tmp_path / "out"
    first = build(lib, out)
    assert len(planned) == 12 and (out / CACHE).is_file()
    planned.clear()
    again = build(lib, out)
    assert planned == [] and again.changes()["unchanged"] == 12
    assert [(r.name, r.fingerprint, r.warnings) for r in again.reports] == \
        [(r.name, r.fingerprint, r.warnings) for r in first.reports]
    people_file(lib, changes={4: {"集中学习次数": 99}})
    batch = build(lib, out)
    assert planned == [5] and changes(batch)["updated"] == ["人员04"]  # row 5: the fifth item
    planned.clear()
    village = lib / "snippets" / "duties" / "village.md"
    village.write_text(village.read_text(encoding="utf-8") + "\n另一段。\n", encoding="utf-8")
    reworded = build(lib, out)
    # a reword changes no plan (planning reads a snippet's variables, not its words): no row planned
    # again, yet exactly the reports that contain the snippet are rendered again
    assert planned == []
    assert changes(reworded)["updated"] == [f"人员{n:02d}" for n in range(12) if "duties.village" in
                                            next(r for r in first.reports if r.name == f"人员{n:02d}").snippets]
    assert 0 < len(changes(reworded)["updated"]) < 12 and changes(reworded)["unchanged"]
    village.write_text(village.read_text(encoding="utf-8") + "\n{{ year }}年又走访一次。\n", encoding="utf-8")
    build(lib, out)
    assert len(planned) == 12  # the snippet reads another name: every row planned again
    planned.clear()
    build(lib, out, common={"网格村": "北村"})
    assert len(planned) == 12  # the common values changed: every row planned again
    planned.clear()
    (out / CACHE).write_bytes(b"assembler-plans/1\n" + b"\0" * 40)  # damaged: planning again, no harm
    assert build(lib, out, common={"网格村": "北村"}).changes()["unchanged"] == 12 and len(planned) == 12


def test_a_same_size_edit_is_seen_though_hashes_are_skipped_by_size_and_mtime(lib, tmp_path, monkeypatch):
    """A rerun reads no report whose size and mtime are as recorded, yet an edit of the same size
    (a new mtime) is still protected."""
    people_file(lib)
    out = tmp_path / "out"
    build(lib, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"][1]
    target = out / entry["file"]
    assert (entry["size"], entry["mtime_ns"]) == (target.stat().st_size, target.stat().st_mtime_ns)
    data = bytearray(target.read_bytes())
    data[-30] ^= 0xFF  # same size, other bytes
    target.write_bytes(bytes(data))
    hashed: list[int] = []
    import assembler.build.incremental as incremental

    real = incremental.file_digest
    monkeypatch.setattr(incremental, "file_digest", lambda data: hashed.append(len(data)) or real(data))
    batch = build(lib, out)
    assert changes(batch)["protected"] == ["人员01"] and len(hashed) == 1  # only the edited file was read
    assert target.read_bytes() == bytes(data)


def test_a_report_left_as_it_was_still_says_what_its_text_checks_found(lib, tmp_path):
    """A report's placeholder warning, found in its text when it was written, is said again by a
    rerun that leaves the report alone (kept in the manifest's ``text_checks``), in the results, the
    manifest and 汇总.xlsx; and it goes once the report is written without the placeholder."""
    from openpyxl import load_workbook

    people_file(lib, 3, {0: {"网格村": "某某村"}})
    out = tmp_path / "out"
    first = build(lib, out)
    [marked] = [report for report in first.reports if any("占位符" in w for w in report.warnings)]
    assert marked.name == "人员00"
    again = build(lib, out)
    assert again.changes()["unchanged"] == 3
    report = next(r for r in again.reports if r.name == "人员00")
    assert report.status == "skipped" and [w for w in report.warnings if "占位符" in w] == \
        [w for w in marked.warnings if "占位符" in w]
    assert not any("占位符" in w for r in again.reports if r.name != "人员00" for w in r.warnings)
    entry = next(e for e in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
                 if e["name"] == "人员00")
    assert any("某某" in w for w in entry["text_checks"]["warnings"]) and entry["text_checks"]["style_errors"] is False
    sheet = load_workbook(out / "汇总.xlsx").worksheets[0]
    assert "占位符" in str(next(row for row in sheet.iter_rows(values_only=True) if row[1] == "人员00")[5])
    (out / ".assembler-index").unlink()  # the same from the manifest itself
    third = build(lib, out)
    assert any("占位符" in w for w in next(r for r in third.reports if r.name == "人员00").warnings)
    people_file(lib, 3, {0: {"网格村": "东村"}})
    fixed = build(lib, out)
    report = next(r for r in fixed.reports if r.name == "人员00")
    assert report.change == "updated" and not any("占位符" in w for w in report.warnings)
