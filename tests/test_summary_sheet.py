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
    (out / "2022年度述职述廉报告-丙三.docx").write_bytes((mini / "rules.yaml").read_bytes())  # 丙三 is skipped
    result = build(mini, path, out)
    assert result.exit_code == 1, result.output
    assert "汇总.xlsx" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = sheet_rows(out / "汇总.xlsx")
    assert [row["姓名"] for row in rows] == ["甲一", "乙二", "丙三"]
    assert [row["结果"] for row in rows] == ["已生成", "失败", "已跳过"]
    jia = rows[0]
    first = manifest["reports"][0]
    assert jia["文件"] == first["file"] and jia["正文字数"] == first["chars"] > 0
    assert jia["所用片段"] == "、".join(first["snippets"])
    assert "发展党员数" in rows[1]["错误"] and rows[1]["文件"] in (None, "")
    assert "已存在" in rows[2]["警告"]
    assert not list(out.glob(".*")) and not list(out.glob("*.tmp"))  # written atomically, nothing left over


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
