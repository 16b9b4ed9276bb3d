"""build/summary_sheet.py: the batch's result as a sheet, 汇总.xlsx beside manifest.json (item 9)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from assembler.cli import main


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def build(mini: Path, people: Path, out: Path, *extra: object):
    return run("build", mini / "rules.yaml", "--people", people, "--checklist", mini / "checklist.md", "-o", out,
               *extra)


def sheet_rows(path: Path) -> list[dict[str, object]]:
    book = load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, (*row, *[None] * len(header)), strict=False)) for row in rows[1:]]


def test_one_row_per_person_with_what_happened(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    del people[1]["发展党员数"]  # 乙二 fails
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    out = mini / "out"
    out.mkdir()
    # a file no build recorded where 丙三's report goes: left alone, 丙三's report written beside it
    (out / "2022年度述职述廉报告-丙三.docx").write_bytes((mini / "rules.yaml").read_bytes())
    result = build(mini, path, out)
    assert result.exit_code == 1, result.output
    assert "汇总.xlsx" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = sheet_rows(out / "汇总.xlsx")
    assert [row["姓名"] for row in rows] == ["甲一", "乙二", "丙三"]
    assert [row["结果"] for row in rows] == ["已生成", "失败", "已生成"]
    jia = rows[0]
    first = manifest["reports"][0]
    assert jia["文件"] == first["file"] and jia["正文字数"] == first["chars"] > 0
    assert jia["所用片段"] == "、".join(first["snippets"])
    assert "发展党员数" in rows[1]["错误"] and rows[1]["文件"] in (None, "")
    assert rows[2]["文件"] == "2022年度述职述廉报告-丙三（新版）.docx" and "未覆盖" in rows[2]["警告"]
    # written atomically, nothing left over (but what the next run reads: build/plancache.py, manifest_index.py)
    assert sorted(p.name for p in out.glob(".*")) == [".assembler-index", ".assembler-plans"]
    assert not list(out.glob("*.tmp"))
    again = build(mini, path, out)  # nothing changed: 甲一's report is left as it is
    assert again.exit_code == 1, again.output
    assert [row["结果"] for row in sheet_rows(out / "汇总.xlsx")] == ["已跳过", "失败", "已跳过"]


def test_same_inputs_same_bytes_under_source_date_epoch(mini, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build(mini, mini / "people.yaml", mini / "a").exit_code == 0
    assert build(mini, mini / "people.yaml", mini / "b").exit_code == 0
    assert (mini / "a" / "汇总.xlsx").read_bytes() == (mini / "b" / "汇总.xlsx").read_bytes()
    book = load_workbook(mini / "a" / "汇总.xlsx")
    assert book.properties.created.year == 2023 and book.properties.modified.year == 2023


def test_render_writes_one_too(tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("{{ name }}")
    template = tmp_path / "t.docx"
    document.save(str(template))
    people = tmp_path / "people.csv"
    people.write_text("name\n张三\n李四\n", encoding="utf-8")
    result = run("render", template, "--people", people, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rows = sheet_rows(tmp_path / "out" / "汇总.xlsx")
    assert [(row["姓名"], row["文件"], row["结果"]) for row in rows] == [("张三", "2.docx", "已生成"),
                                                                         ("李四", "3.docx", "已生成")]


def test_rows_written_here_read_back_as_openpyxl_would_have_written_them():
    """The people's rows are written as XML here (openpyxl's per-cell code was too slow for ten
    thousand); read back, every cell is what openpyxl's own write-only mode gives for the same values:
    markup characters, spaces kept at either end, line breaks, a carriage return, a cell at Excel's
    limit, empty cells, and a name that looks like a formula (kept as text here)."""
    import io
    from types import SimpleNamespace

    from openpyxl import Workbook

    from assembler.build.summary_sheet import CELL_LIMIT, HEADERS, row_values, summary_bytes

    def report(row, name, status, **more):
        fields = {"file": Path(f"{name.strip()}.docx"), "chars": 1234, "warnings": [], "errors": [],
                  "snippets": ["opening.hello", "duties.grid"], **more}
        return SimpleNamespace(row=row, name=name, status=status, **fields)

    reports = [
        report(2, "张三", "written"),
        report(3, " 李四 ", "skipped", warnings=["a < b & c > d", "第二条\r\n第三条"]),
        report(4, "王五", "failed", errors=["缺少“网格数”的值"], chars=None, file=None, snippets=[]),
        report(5, "=1+1", "written", warnings=["x" * (CELL_LIMIT + 10)]),
        report(6, "赵\x07六", "written", snippets=[], chars=0, file=Path("赵六.docx")),
    ]
    ours = load_workbook(io.BytesIO(summary_bytes(reports)), read_only=True)
    reference = Workbook(write_only=True)
    sheet = reference.create_sheet("汇总")
    sheet.append(list(HEADERS))
    for item in reports:
        sheet.append(row_values(item))
    buffer = io.BytesIO()
    reference.save(buffer)
    theirs = load_workbook(buffer, read_only=True)
    got = list(ours.worksheets[0].iter_rows(values_only=True))
    assert got == list(theirs.worksheets[0].iter_rows(values_only=True))
    assert got[2][1] == " 李四 " and got[2][5] == "a < b & c > d\n第二条\r\n第三条"
    assert got[4][1] == "=1+1" and len(got[4][5]) == CELL_LIMIT and got[5][1] == "赵六"
    assert load_workbook(io.BytesIO(summary_bytes(reports))).worksheets[0]["B5"].data_type == "s"


def test_manifest_and_sheet_read_the_spooled_reports_once(mini, monkeypatch):
    """A build's results live on disk; manifest.json and 汇总.xlsx are made in one pass over them
    (each read unpickles a report), and the sheet is the one a separate pass makes."""
    from assembler import pipeline
    from assembler.build.results import ResultList, manifest_data, write_records
    from assembler.build.summary_sheet import summary_bytes

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    batch = pipeline.build(project, mini / "people.yaml", mini / "out", jobs=1)
    assert isinstance(batch.reports, ResultList) and len(batch.reports) == 3
    reads: list[int] = []
    real = ResultList._read
    monkeypatch.setattr(ResultList, "_read", lambda self, offset: reads.append(offset) or real(self, offset))
    write_records(batch, manifest_data(batch, project=project, people=mini / "people.yaml"))
    assert len(reads) == 3
    assert (mini / "out" / "汇总.xlsx").read_bytes() == summary_bytes(batch.reports)
    manifest = json.loads((mini / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in manifest["reports"]] == [row["姓名"] for row in sheet_rows(mini / "out" / "汇总.xlsx")]


def test_the_committed_skeleton_is_what_openpyxl_makes():
    """A build takes the workbook without its rows from a committed file (no openpyxl import per
    build); it must stay what openpyxl makes of it, else run scripts/build_summary_skeleton.py. And a
    sheet made from it opens in openpyxl with its header in bold, its widths and the frozen pane."""
    import datetime as dt
    import io

    from assembler.build.summary_sheet import HEADERS, SKELETON, WIDTHS, openpyxl_skeleton, summary_bytes

    assert SKELETON.read_bytes() == openpyxl_skeleton(), \
        "src/assembler/data/summary-skeleton.xlsx is stale: run .venv/bin/python scripts/build_summary_skeleton.py"
    moment = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    book = load_workbook(io.BytesIO(summary_bytes([], moment=moment)))
    sheet = book.worksheets[0]
    assert sheet.title == "汇总" and [cell.value for cell in sheet[1]] == list(HEADERS)
    assert all(cell.font.bold for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[letter].width for letter in "ABCDEFGH"] == list(WIDTHS)
    assert book.properties.created == book.properties.modified == moment.replace(tzinfo=None)
    assert book.properties.creator == "assembler"
