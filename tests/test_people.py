"""people.py: reading people files (xlsx, csv, yaml, json) and typing each person's values."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from assembler.errors import InputError
from assembler.load.people import (
    OVERRIDE_HEADERS,
    HeaderMap,
    PeopleTable,
    PersonRow,
    match_headers,
    parse_assignments,
    plain_values,
    read_people,
    read_vars_file,
    type_values,
)
from assembler.load.values import CnDate, Num, TextList, VarSpec

FIXTURES = Path(__file__).parent / "fixtures" / "people"

SPECS = {
    "name": VarSpec("name", label="姓名"),
    "unit": VarSpec("unit", label="单位"),
    "year": VarSpec("year", "int", label="年度"),
    "grid_cells": VarSpec("grid_cells", "int", label="网格数"),
    "investment": VarSpec("investment", "number", label="项目投资（万元）"),
    "report_date": VarSpec("report_date", "date", label="报告日期"),
    "duties": VarSpec("duties", "list", label="分管工作"),
    "has_grid": VarSpec("has_grid", "bool", label="是否网格员"),
}


def xlsx(path: Path, rows: list[list], *, merge: list[str] = (), title: str = "人员",
         more: dict | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merge:
        sheet.merge_cells(ref)
    for name, other_rows in (more or {}).items():
        other = book.create_sheet(name)
        for row in other_rows:
            other.append(row)
    book.save(path)
    return path


def input_error(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_people(path, **kwargs)
    return info.value


def typed(table: PeopleTable, index: int = 0, specs=SPECS):
    hmap = match_headers(table.headers, specs, file=table.path)
    return type_values(table.rows[index], hmap, specs, file=table.path)


# ---------------------------------------------------------------- xlsx


def test_xlsx_with_chinese_headers(tmp_path):
    path = xlsx(tmp_path / "人员.xlsx", [
        ["姓名", "单位", "报告日期", "网格数", "项目投资（万元）", "分管工作"],
        ["张三", "青山镇", dt.datetime(2022, 3, 1), 5.0, 12.5, "党建、驻村帮扶"],
        ["李四", "青山镇", None, 3, 7, "宣传"],
    ])
    table = read_people(path)
    assert table.path == path
    assert table.headers == ["姓名", "单位", "报告日期", "网格数", "项目投资（万元）", "分管工作"]
    assert [row.row for row in table.rows] == [2, 3]
    first = table.rows[0].values
    assert first["姓名"] == "张三"
    assert first["报告日期"] == dt.datetime(2022, 3, 1)
    assert first["网格数"] == 5 and type(first["网格数"]) is int
    assert first["项目投资（万元）"] == 12.5 and type(first["项目投资（万元）"]) is float
    assert table.rows[1].values["报告日期"] is None

    result = typed(table)
    assert result.errors == [] and result.warnings == []
    assert result.values == {
        "name": "张三", "unit": "青山镇", "report_date": dt.date(2022, 3, 1), "grid_cells": 5,
        "investment": 12.5, "duties": ["党建", "驻村帮扶"],
    }
    assert str(result.values["report_date"]) == "2022年3月1日"
    assert type(result.values["report_date"]) is CnDate
    assert str(result.values["investment"]) == "12.5" and type(result.values["investment"]) is Num
    assert str(result.values["duties"]) == "党建、驻村帮扶"
    second = typed(table, 1)
    assert "report_date" not in second.values and str(second.values["investment"]) == "7"


def test_xlsx_float_five_prints_as_five_when_number(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["姓名", "项目投资（万元）", "年度"], ["张三", 5.0, 2022.0]])
    result = typed(read_people(path))
    assert str(result.values["investment"]) == "5" and result.values["year"] == 2022


def test_xlsx_booleans_and_strings_stay(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["姓名", "是否网格员", "年度"], ["张三", True, "2022"]])
    row = read_people(path).rows[0]
    assert row.values == {"姓名": "张三", "是否网格员": True, "年度": "2022"}
    assert typed(read_people(path)).values == {"name": "张三", "has_grid": True, "year": 2022}


def test_xlsx_skips_empty_rows_and_keeps_row_numbers(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [
        [None, None], [], ["姓名", "单位"], ["张三", "青山镇"], [None, "  "], [], ["李四", None],
    ])
    table = read_people(path)
    assert table.headers == ["姓名", "单位"]
    assert [(row.row, row.values["姓名"]) for row in table.rows] == [(4, "张三"), (7, "李四")]


def test_xlsx_sheet_by_name(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["说明"], ["这一页不是人员"]], title="说明",
                more={"二组": [["姓名"], ["王五"]]})
    assert read_people(path).rows[0].values == {"说明": "这一页不是人员"}
    assert read_people(path, sheet="二组").rows[0].values == {"姓名": "王五"}


def test_xlsx_unknown_sheet_lists_names(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["姓名"], ["张三"]], title="一组", more={"二组": [["姓名"], ["王五"]]})
    exc = input_error(path, sheet="三组")
    assert "三组" in exc.message and "一组" in exc.message and "二组" in exc.message
    assert exc.file == str(path)


def test_xlsx_merged_header_cells(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["姓名", "工作情况", None], ["张三", "a", "b"]], merge=["B1:C1"])
    exc = input_error(path)
    assert exc.row == 1 and "第1行有合并单元格" in exc.message
    assert "B1:C1" in exc.message and "取消合并" in exc.message


def test_xlsx_merged_title_row_above_header(tmp_path):
    rows = [["2022年度述职人员名单", None, None], ["姓名", "单位", "职务"], ["张三", "镇", "长"]]
    path = xlsx(tmp_path / "p.xlsx", rows, merge=["A1:C1"])
    exc = input_error(path)
    assert exc.row == 1 and "取消合并" in exc.message and "删除标题行" in exc.message


def test_xlsx_vertically_merged_data_is_filled_down(tmp_path):
    rows = [["姓名", "单位"], ["张三", "青山镇"], ["李四", None], ["王五", "绿水乡"]]
    path = xlsx(tmp_path / "p.xlsx", rows, merge=["B2:B3"])
    table = read_people(path)
    assert [row.values["单位"] for row in table.rows] == ["青山镇", "青山镇", "绿水乡"]


def test_xlsx_merged_across_columns_in_data(tmp_path):
    rows = [["姓名", "单位", "职务"], ["张三", "青山镇副镇长", None]]
    path = xlsx(tmp_path / "p.xlsx", rows, merge=["B2:C2"])
    exc = input_error(path)
    assert exc.row == 2 and "B2:C2" in exc.message and "取消合并" in exc.message


def test_not_a_zip_xlsx(tmp_path):
    path = tmp_path / "people.xlsx"
    path.write_text("姓名,单位\n张三,青山镇\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.file == str(path)
    assert "无法读取 Excel 文件" in exc.message and "另存为 .xlsx" in exc.message
    assert str(exc).startswith(f"错误：{path}:")


def test_zip_but_not_a_workbook(tmp_path):
    path = tmp_path / "people.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    exc = input_error(path)
    assert "无法读取 Excel 文件" in exc.message and "另存为 .xlsx" in exc.message


def test_truncated_xlsx(tmp_path):
    good = xlsx(tmp_path / "good.xlsx", [["姓名"], ["张三"]])
    path = tmp_path / "bad.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    assert "无法读取 Excel 文件" in input_error(path).message


def test_xlsx_empty(tmp_path):
    exc = input_error(xlsx(tmp_path / "p.xlsx", []))
    assert "人员表是空的" in exc.message and "第一行填写列名" in exc.message


def test_xlsx_header_only(tmp_path):
    exc = input_error(xlsx(tmp_path / "p.xlsx", [["姓名", "单位"]]))
    assert exc.row == 1 and "没有人员" in exc.message and "第2行" in exc.message


def test_xlsx_duplicate_headers(tmp_path):
    exc = input_error(xlsx(tmp_path / "p.xlsx", [["姓名", "单位", "职务", "姓名 "], ["a", "b", "c", "d"]]))
    assert exc.row == 1 and "“姓名”重复" in exc.message
    assert "第1列（A）" in exc.message and "第4列（D）" in exc.message


def test_xlsx_data_under_empty_header(tmp_path):
    exc = input_error(xlsx(tmp_path / "p.xlsx", [["姓名", None, "单位"], ["张三", "多余", "镇"]]))
    assert exc.row == 2 and "第2列（B）" in exc.message
    assert "没有列名" in exc.message and "第1行" in exc.message


def test_xlsx_data_beyond_last_header(tmp_path):
    exc = input_error(xlsx(tmp_path / "p.xlsx", [["姓名", "单位"], ["张三", "镇"], ["李四", "镇", "多余"]]))
    assert exc.row == 3 and "第3列（C）" in exc.message and "没有列名" in exc.message


def test_xlsx_empty_header_column_without_data_is_ignored(tmp_path):
    table = read_people(xlsx(tmp_path / "p.xlsx", [["姓名", None, "单位"], ["张三", None, "镇"]]))
    assert table.headers == ["姓名", "单位"] and table.rows[0].values == {"姓名": "张三", "单位": "镇"}


def test_xlsm_is_read(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [["姓名"], ["张三"]])
    macro = tmp_path / "p.xlsm"
    macro.write_bytes(path.read_bytes())
    assert read_people(macro).rows[0].values == {"姓名": "张三"}


def test_xlsx_numeric_header_and_spaces(tmp_path):
    table = read_people(xlsx(tmp_path / "p.xlsx", [[" 姓名 ", 2022], ["张三", "x"]]))
    assert table.headers == ["姓名", "2022"]


# ---------------------------------------------------------------- csv and encodings

GBK_TEXT = "姓名,分管工作\n张三,党建、驻村帮扶\n"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig", "gb18030", "gb2312", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "people.csv"
    path.write_bytes(GBK_TEXT.encode(encoding))
    table = read_people(path)
    assert table.headers == ["姓名", "分管工作"]
    assert table.rows == [PersonRow(row=2, values={"姓名": "张三", "分管工作": "党建、驻村帮扶"})]


def test_csv_gbk_is_typed(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(GBK_TEXT.encode("gbk"))
    assert typed(read_people(path)).values == {"name": "张三", "duties": ["党建", "驻村帮扶"]}


def test_csv_gb18030_only_characters(tmp_path):
    path = tmp_path / "people.csv"
    text = "姓名,单位\n𠮷𡈼,㵘溪镇\n"  # outside GBK
    path.write_bytes(text.encode("gb18030"))
    assert read_people(path).rows[0].values == {"姓名": "𠮷𡈼", "单位": "㵘溪镇"}


def test_csv_utf16_without_bom_tab_delimited(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("姓名\t单位\n张三\t青山镇\n".encode("utf-16-le"))
    assert read_people(path).rows[0].values == {"姓名": "张三", "单位": "青山镇"}


def test_csv_bom_header_is_clean(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("姓名,单位\r\n张三,青山镇\r\n".encode("utf-8-sig"))
    assert read_people(path).headers == ["姓名", "单位"]


def test_csv_undecodable(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"\xff\xfe\xff,\xff\xff\n\x81\xff,\xfe\xff\n"[2:])
    exc = input_error(path)
    assert exc.file == str(path)
    assert "UTF-8" in exc.message and "GB18030" in exc.message
    assert "CSV UTF-8（逗号分隔）" in exc.message


def test_csv_fixture_quotes_blank_lines_and_row_numbers():
    table = read_people(FIXTURES / "people.csv")
    assert table.headers == ["姓名", "单位", "网格数", "项目投资（万元）"]
    assert [row.row for row in table.rows] == [2, 4]
    assert table.rows[0].values["网格数"] == "1,200" and table.rows[0].values["项目投资（万元）"] == "12.50"
    result = typed(table)
    assert result.values["grid_cells"] == 1200 and str(result.values["investment"]) == "12.50"


def test_tab_delimited_fixture():
    table = read_people(FIXTURES / "tabs.csv")
    assert table.headers == ["姓名", "单位", "分管工作"]
    assert table.rows[0].values == {"姓名": "张三", "单位": "青山镇", "分管工作": "党建,驻村帮扶"}
    assert typed(table).values["duties"] == ["党建", "驻村帮扶"]


def test_semicolon_delimited(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名;单位;分管工作\n张三;青山镇;\"党建,宣传\"\n", encoding="utf-8")
    assert read_people(path).rows[0].values == {"姓名": "张三", "单位": "青山镇", "分管工作": "党建,宣传"}


def test_tsv_extension(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("姓名\t分管工作\n张三\t党建,宣传\n", encoding="utf-8")
    assert read_people(path).rows[0].values == {"姓名": "张三", "分管工作": "党建,宣传"}


def test_csv_single_column(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名\n张三\n李四\n", encoding="utf-8")
    assert [row.values for row in read_people(path).rows] == [{"姓名": "张三"}, {"姓名": "李四"}]


def test_csv_multiline_quoted_field_counts_one_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('姓名,工作\n张三,"第一行\n第二行"\n李四,x\n', encoding="utf-8")
    table = read_people(path)
    assert [row.row for row in table.rows] == [2, 3]
    assert table.rows[0].values["工作"] == "第一行\n第二行"


def test_csv_chinese_comma_between_headers(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名，单位\n张三，青山镇\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.row == 1 and "中文逗号" in exc.message and "英文逗号" in exc.message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n", b",,,\n,,\n"])
def test_csv_empty(tmp_path, content):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    exc = input_error(path)
    assert exc.file == str(path) and "人员表是空的" in exc.message


def test_csv_header_only(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名,单位\n,\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.row == 1 and "只有列名" in exc.message and "第2行" in exc.message


def test_csv_duplicate_headers(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名,单位,姓名\n张三,镇,张三\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.row == 1 and "姓名" in exc.message
    assert "第1列（A）" in exc.message and "第3列（C）" in exc.message


def test_csv_row_longer_than_header(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名,单位\n张三,青山镇\n李四,青山镇,党建\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.row == 3 and "比列名多" in exc.message and "党建" in exc.message and "逗号" in exc.message
    assert str(exc).startswith(f"错误：{path}:第3行: ")


def test_csv_trailing_empty_fields_are_fine(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名,单位,,\n张三,青山镇,,\n李四\n", encoding="utf-8")
    table = read_people(path)
    assert table.headers == ["姓名", "单位"]
    assert table.rows[1].values == {"姓名": "李四", "单位": None}


def test_csv_empty_header_over_data(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("姓名,,单位\n张三,x,镇\n", encoding="utf-8")
    exc = input_error(path)
    assert exc.row == 2 and "第2列（B）" in exc.message and "没有列名" in exc.message


header_text = st.text(alphabet="姓名单位职务分管工作网格数年度甲乙丙", min_size=1, max_size=5)
cell_text = st.text(alphabet="张三李四党建、，,\"' ab\n12；;\t", min_size=1, max_size=12).filter(str.strip)


@pytest.mark.parametrize(("header", "cell", "encoding"), [
    ("职", "ab", "gbk"),  # D6 B0 is valid UTF-8 (U+05B0): found by test_csv_round_trip (issue 13)
    ("位", "a", "gbk"),  # CE BB is valid UTF-8 (λ)
    ("职位", "12", "gb18030"),
])
def test_short_gbk_file_whose_bytes_are_valid_utf8(tmp_path, header, cell, encoding):
    path = tmp_path / "p.csv"
    path.write_bytes(f"{header}\r\n{cell}\r\n".encode(encoding))
    table = read_people(path)
    assert table.headers == [header] and table.rows[0].values == {header: cell}


@pytest.mark.parametrize("text", ["name,city\nJosé,Zürich\n", "姓名,单位\n张三,青山镇\n", "name\nabc\n",
                                  "name,note\nO’Neil,2020–2022 “best”…\n", "name\n¥12·5°\n"])
def test_utf8_files_stay_utf8(tmp_path, text):
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("utf-8"))
    lines = [line.split(",") for line in text.strip().split("\n")]
    table = read_people(path)
    assert table.headers == lines[0] and list(table.rows[0].values.values()) == lines[1]


@given(
    headers=st.lists(header_text, min_size=1, max_size=5, unique=True),
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
)
@settings(max_examples=60, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(headers=["职"], data=None, encoding="gbk").via("issue 13: GBK bytes that are valid UTF-8")
def test_csv_round_trip(tmp_path, headers, data, encoding):
    if data is None:  # the pinned example
        rows = [["12"]]
    else:
        rows = data.draw(st.lists(st.lists(cell_text, min_size=len(headers), max_size=len(headers)),
                                  min_size=1, max_size=4))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path / "round.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    table = read_people(path)
    assert table.headers == headers
    assert [list(row.values.values()) for row in table.rows] == rows


# ---------------------------------------------------------------- yaml / json


def test_yaml_list_passthrough():
    table = read_people(FIXTURES / "people.yaml")
    assert table.headers == ["姓名", "年度", "分管工作", "报告日期", "项目投资（万元）", "选稿", "extra"]
    first, second = table.rows
    assert (first.row, second.row) == (1, 2)
    assert first.values["分管工作"] == ["党建", "驻村帮扶"] and type(first.values["分管工作"]) is list
    assert first.values["extra"] == {"a": 1} and type(first.values["extra"]) is dict
    assert first.values["报告日期"] == dt.date(2022, 12, 5) and first.values["年度"] == 2022
    assert "报告日期" not in second.values
    result = typed(table)
    assert result.values["duties"] == ["党建", "驻村帮扶"]
    assert str(result.values["report_date"]) == "2022年12月5日"
    assert result.overrides == ["+duties.grid", "-theory.study"]
    assert typed(table, 1).values["duties"] == ["宣传", "廉政"]


def test_json_list():
    table = read_people(FIXTURES / "people.json")
    assert table.headers == ["姓名", "网格数", "分管工作", "投资", "备注"]
    assert table.rows[0].values == {
        "姓名": "张三", "网格数": 40, "分管工作": ["党建", "驻村帮扶"], "投资": 12.5,
    }
    assert table.rows[1].row == 2 and table.rows[1].values["备注"] is None
    assert typed(table, 1).values == {"name": "李四", "grid_cells": 3}


def test_mini_fixture_people_yaml_types_cleanly():
    table = read_people(Path(__file__).parent / "fixtures" / "mini" / "people.yaml")
    specs = dict(SPECS, start_date=VarSpec("start_date", "date", label="任职时间"),
                 villages=VarSpec("villages", "list", label="网格村"))
    hmap = match_headers(table.headers, specs, file=table.path)
    assert hmap.override_column == "选稿"
    results = [type_values(row, hmap, specs, file=table.path) for row in table.rows]
    assert all(not result.errors for result in results)
    assert str(results[1].values["report_date"]) == "2022年12月6日"
    assert str(results[0].values["start_date"]) == "2021年3月1日"
    assert results[2].overrides == ["-theory.study"]


def test_alias_bomb_refused_quickly():
    started = time.monotonic()
    exc = input_error(FIXTURES / "bomb.yaml")
    assert time.monotonic() - started < 1.0
    assert "锚点" in exc.message and exc.line == 1


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "~\n"])
def test_yaml_empty(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert "人员表是空的" in input_error(path).message


def test_yaml_empty_list(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("[]\n", encoding="utf-8")
    assert "没有人员" in input_error(path).message


@pytest.mark.parametrize("text", ["姓名: 张三\n单位: 镇\n", "张三\n", "42\n"])
def test_yaml_not_a_list(tmp_path, text):
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    exc = input_error(path)
    assert "应是一个列表" in exc.message and "- {姓名: 张三" in exc.message


def test_yaml_item_not_a_mapping(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- 姓名: 张三\n- 李四\n", encoding="utf-8")
    exc = input_error(path)
    assert "第2项" in exc.message and "李四" in exc.message and exc.line == 2


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- 姓名: 张三\n  单位: [青山镇\n- 姓名: 李四\n", encoding="utf-8")
    exc = input_error(path)
    assert "YAML" in exc.message and exc.line is not None and exc.line >= 2


def test_yaml_in_gbk_is_read(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes("- 姓名: 张三\n  分管工作: 党建、宣传\n".encode("gbk"))
    assert read_people(path).rows[0].values == {"姓名": "张三", "分管工作": "党建、宣传"}


def test_json_syntax_error(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[\n {"姓名": "张三",}\n]\n', encoding="utf-8")
    exc = input_error(path)
    assert "JSON 格式错误" in exc.message and exc.line == 2


def test_json_top_level_object(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"姓名": "张三"}', encoding="utf-8")
    exc = input_error(path)
    assert "应是一个列表" in exc.message and '[{"姓名": "张三"' in exc.message


def test_json_duplicate_key(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[{"姓名": "张三", "姓名": "李四"}]', encoding="utf-8")
    assert "重复" in input_error(path).message


def test_json_deep_nesting(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    exc = input_error(path)
    assert "嵌套" in exc.message or "应是" in exc.message or "每项" in exc.message


# ---------------------------------------------------------------- files that are not people files


@pytest.mark.parametrize("name", ["people.txt", "people.docx", "people"])
def test_wrong_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("x", encoding="utf-8")
    exc = input_error(path)
    assert exc.file == str(path) and "不支持" in exc.message
    for suffix in (".xlsx", ".csv", ".yaml", ".json"):
        assert suffix in exc.message


@pytest.mark.parametrize("name", ["people.xls", "people.et"])
def test_old_excel_and_wps(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    exc = input_error(path)
    assert "另存为" in exc.message and ".xlsx" in exc.message


def test_missing_file(tmp_path):
    exc = input_error(tmp_path / "没有.xlsx")
    assert "不存在" in exc.message and exc.file == str(tmp_path / "没有.xlsx")


def test_directory(tmp_path):
    folder = tmp_path / "d.csv"
    folder.mkdir()
    assert "文件夹" in input_error(folder).message


# ---------------------------------------------------------------- headers


def test_match_headers_by_name_label_and_loosely():
    headers = ["姓名", "unit", "项目投资(万元)", "网 格 数", "年度 ", "GRID", "选稿", "备注", "Report_Date"]
    hmap = match_headers(headers, SPECS, file="p.xlsx")
    assert isinstance(hmap, HeaderMap)
    assert hmap.columns == {
        "姓名": "name", "unit": "unit", "项目投资(万元)": "investment", "网 格 数": "grid_cells",
        "年度 ": "year", "Report_Date": "report_date",
    }
    assert hmap.override_column == "选稿"
    assert hmap.unknown == ["GRID", "备注"]


def test_match_headers_full_width_space_and_brackets():
    spec = {"funds": VarSpec("funds", "number", label="争取资金 (万元)")}
    assert match_headers(["争取资金（万元）"], spec, file="p.csv").columns == {"争取资金（万元）": "funds"}
    header = "争取资金\u3000(万元)"
    assert match_headers([header], spec, file="p.csv").columns == {header: "funds"}


@pytest.mark.parametrize("header", OVERRIDE_HEADERS)
def test_override_headers(header):
    assert match_headers([header, "姓名"], SPECS, file="p.csv").override_column == header


def test_two_override_columns(tmp_path):
    with pytest.raises(InputError) as info:
        match_headers(["选稿", "snippets"], SPECS, file="p.csv")
    assert "选稿" in info.value.message and "snippets" in info.value.message


def test_two_headers_for_one_variable():
    with pytest.raises(InputError) as info:
        match_headers(["姓名", "name"], SPECS, file="people.xlsx")
    exc = info.value
    assert exc.file == "people.xlsx"
    assert "姓名" in exc.message and "name" in exc.message and "删除其中一列" in exc.message


def test_name_wins_over_another_variables_label():
    specs = {"a": VarSpec("a", label="b"), "b": VarSpec("b")}
    assert match_headers(["b"], specs, file="x").columns == {"b": "b"}


# ---------------------------------------------------------------- typing one person


def one(values: dict, specs=SPECS, kind="table"):
    headers = list(values)
    hmap = match_headers(headers, specs, file="people.xlsx")
    return type_values(PersonRow(row=5, values=values, kind=kind), hmap, specs, file="people.xlsx")


def test_type_values_errors_name_column_value_and_fix():
    result = one({"姓名": "张三", "网格数": "abc", "报告日期": "明年", "是否网格员": "也许", "年度": "十二"})
    assert result.values == {"name": "张三"}
    assert result.errors[0].startswith("“网格数”（grid_cells）的值“abc”不是整数")
    assert "阿拉伯数字" in result.errors[0]
    assert result.errors[1].startswith("“报告日期”（report_date）的值“明年”不是日期")
    assert "2022年3月1日" in result.errors[1]
    assert "“是否网格员”（has_grid）" in result.errors[2] and "是 或 否" in result.errors[2]
    assert result.errors[3] == "“年度”（year）的值“十二”不是整数，请填写阿拉伯数字，如 12"


def test_type_values_header_is_the_name():
    result = one({"grid_cells": "x"})
    assert result.errors[0].startswith("“grid_cells”的值“x”不是整数")


def test_type_values_skips_blanks():
    result = one({"姓名": "  ", "网格数": None, "单位": "", "分管工作": "\u3000"})
    assert result.values == {} and result.errors == [] and result.warnings == []


def test_type_values_control_characters_are_a_warning():
    result = one({"姓名": "张\x07三", "分管工作": "党建\x00、宣传", "单位": "青\x0b山镇", "年度": "\x0b"})
    assert result.values == {"name": "张三", "duties": ["党建", "宣传"], "unit": "青山镇"}
    assert result.errors == []
    assert len(result.warnings) == 3
    first = result.warnings[0]
    assert "“姓名”（name）" in first and "U+0007" in first and "已删除" in first
    assert "U+0000" in result.warnings[1] and "U+000B" in result.warnings[2]


def test_type_values_excel_error_value():
    result = one({"网格数": "#DIV/0!"})
    assert "Excel 错误值 #DIV/0!" in result.errors[0] and "公式" in result.errors[0]


def test_type_values_unknown_columns_are_ignored():
    result = one({"姓名": "张三", "备注": "随便"})
    assert result.values == {"name": "张三"}


@pytest.mark.parametrize(
    "cell, tokens",
    [
        ("+duties.grid -theory.practice", ["+duties.grid", "-theory.practice"]),
        ("+duties.grid、-theory.practice", ["+duties.grid", "-theory.practice"]),
        ("+a,-b，+c;-d；+e\n-f", ["+a", "-b", "+c", "-d", "+e", "-f"]),
        ("＋duties.grid －theory.study", ["+duties.grid", "-theory.study"]),
        ("+ duties.grid − theory.study", ["+duties.grid", "-theory.study"]),
        ("+履职.网格", ["+履职.网格"]),
        (["+a", "-b"], ["+a", "-b"]),
        ("", []),
        (None, []),
    ],
)
def test_overrides(cell, tokens):
    result = one({"姓名": "张三", "选稿": cell})
    assert result.overrides == tokens and result.errors == []


def test_override_errors():
    result = one({"选稿": "duties.grid +ok -"})
    assert result.overrides == ["+ok"]
    assert len(result.errors) == 2
    first = result.errors[0]
    assert "“duties.grid”" in first and "+duties.grid" in first and "-duties.grid" in first
    assert "缺少片段 id" in result.errors[1]


def test_override_bad_characters():
    result = one({"选稿": "+duties/grid"})
    assert result.overrides == [] and "写法不对" in result.errors[0]


def test_no_override_column():
    assert one({"姓名": "张三"}).overrides == []


# ---------------------------------------------------------------- plain values


def test_plain_values_from_xlsx(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [
        ["name", "count", "money", "day", "note", "flag"],
        [" 张三 ", 5.0, 12.5, dt.datetime(2022, 3, 1), None, True],
    ])
    values = plain_values(read_people(path).rows[0])
    assert values == {
        "name": "张三", "count": 5, "money": 12.5, "day": dt.date(2022, 3, 1), "note": "", "flag": True,
    }
    assert type(values["count"]) is int and str(values["money"]) == "12.5"
    assert str(values["day"]) == "2022年3月1日"


def test_plain_values_from_yaml_pass_through():
    row = read_people(FIXTURES / "people.yaml").rows[0]
    values = plain_values(row)
    assert values["分管工作"] == ["党建", "驻村帮扶"] and values["extra"] == {"a": 1}
    assert values["报告日期"] == dt.date(2022, 12, 5) and values["项目投资（万元）"] == 12.5


def test_plain_values_cleans_nested_yaml_text():
    row = PersonRow(row=1, values={"a": ["x\x01y", {"k": "\x02z"}], "b": None, "c": 5.0}, kind="data")
    assert plain_values(row) == {"a": ["xy", {"k": "z"}], "b": None, "c": 5.0}


def test_plain_values_csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(GBK_TEXT.encode("gbk"))
    assert plain_values(read_people(path).rows[0]) == {"姓名": "张三", "分管工作": "党建、驻村帮扶"}
    path.write_text("姓名,单位\n 张\x07三 ,\n", encoding="utf-8")
    assert plain_values(read_people(path).rows[0]) == {"姓名": "张三", "单位": ""}


# ---------------------------------------------------------------- --set / --vars


def test_parse_assignments():
    assert parse_assignments(["year=2022", " unit = 青山镇 ", "formula=a=b", "empty="]) == {
        "year": "2022", "unit": "青山镇", "formula": "a=b", "empty": "",
    }
    assert parse_assignments([]) == {}


@pytest.mark.parametrize("item", ["year", "=2022"])
def test_parse_assignments_errors(item):
    with pytest.raises(InputError) as info:
        parse_assignments([item])
    assert "名称=值" in info.value.message and "--set year=2022" in info.value.message


def test_read_vars_file_yaml_and_json(tmp_path):
    yml = tmp_path / "vars.yaml"
    yml.write_text("year: 2022\n单位: 青山镇\nduties: [党建, 宣传]\n", encoding="utf-8")
    assert read_vars_file(yml) == {"year": 2022, "单位": "青山镇", "duties": ["党建", "宣传"]}
    assert type(read_vars_file(yml)["duties"]) is list
    js = tmp_path / "vars.json"
    js.write_text('{"year": 2022, "report_date": "2022-12-05"}', encoding="utf-8")
    assert read_vars_file(js) == {"year": 2022, "report_date": "2022-12-05"}


def test_read_vars_file_errors(tmp_path):
    with pytest.raises(InputError) as info:
        read_vars_file(tmp_path / "none.yaml")
    assert "不存在" in info.value.message
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vars_file(listed)
    assert "映射" in info.value.message and info.value.file == str(listed)
    other = tmp_path / "vars.txt"
    other.write_text("year=2022", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vars_file(other)
    assert ".yaml" in info.value.message
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert read_vars_file(empty) == {}


def test_read_vars_file_refuses_aliases(tmp_path):
    path = tmp_path / "vars.yaml"
    path.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vars_file(path)
    assert "锚点" in info.value.message


def test_typed_values_are_text_list_and_num_types(tmp_path):
    result = one({"分管工作": "党建，宣传", "项目投资（万元）": "1,200.50"})
    assert type(result.values["duties"]) is TextList and type(result.values["investment"]) is Num
    assert str(result.values["investment"]) == "1200.50"


# ---- streaming: a batch reads people one at a time


def test_open_people_reads_the_header_at_once_and_rows_lazily(tmp_path):
    from assembler.load.people import open_people

    path = tmp_path / "p.csv"
    lines = ["姓名,单位"] + [f"人员{n},青山镇" for n in range(1, 2000)] + ["张三,青山镇,多出的值"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stream = open_people(path)
    assert stream.headers == ["姓名", "单位"]  # no error yet: the bad row is far down
    first = next(stream.rows)
    assert (first.row, first.values) == (2, {"姓名": "人员1", "单位": "青山镇"})
    with pytest.raises(InputError) as caught:
        for _ in stream.rows:
            pass
    assert caught.value.row == 2001 and "值比列名多" in caught.value.message


def test_open_people_bad_header_fails_before_any_row(tmp_path):
    from assembler.load.people import open_people

    path = tmp_path / "p.csv"
    path.write_text("姓名,单位,姓名\n张三,青山镇,张三\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_people(path)
    assert caught.value.row == 1 and "重复" in caught.value.message


def test_large_gbk_csv_is_detected_and_read_across_pieces(tmp_path):
    """More than one read piece (1 MiB): a two-byte character straddles a piece boundary and must not
    make GBK look invalid, nor the rows come out garbled."""
    path = tmp_path / "p.csv"
    rows = [f"人员{n:05d},{'党建、驻村帮扶、网格化治理' * 3}" for n in range(30000)]
    data = ("姓名,分管工作\n" + "\n".join(rows) + "\n").encode("gbk")
    assert len(data) > 2 * (1 << 20)
    path.write_bytes(data)
    table = read_people(path)
    assert len(table.rows) == 30000
    assert table.rows[-1].values == {"姓名": "人员29999", "分管工作": "党建、驻村帮扶、网格化治理" * 3}
    assert table.rows[-1].row == 30001


def test_detect_encoding_on_bytes_matches_the_file_reader():
    from assembler.load.people import detect_encoding

    assert detect_encoding(GBK_TEXT.encode("gbk"), file="p.csv") == "gb18030"
    assert detect_encoding(GBK_TEXT.encode("utf-8-sig"), file="p.csv") == "utf-8-sig"
    assert detect_encoding(GBK_TEXT.encode("utf-16"), file="p.csv") == "utf-16"


def test_xlsx_streamed_rows_keep_vertical_merges_across_many_rows(tmp_path):
    rows = [["姓名", "单位"]] + [[f"人员{n}", "青山镇" if n == 0 else None] for n in range(300)]
    path = xlsx(tmp_path / "p.xlsx", rows, merge=["B2:B301"])
    table = read_people(path)
    assert [r.values["单位"] for r in table.rows] == ["青山镇"] * 300
