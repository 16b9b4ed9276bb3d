"""House style on rendered reports: build, preview and the manifest name the person, the paragraph
and the spot; the bundled sample and docxtpl's own outputs give no finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler import pipeline
from assembler.cli import main
from assembler.library.similarity import report_text
from assembler.style import StyleSettings, parse_wording
from assembler.style.report import check_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PEER = ROOT.parent / "shared" / "peer" / "docxtpl-tests" / "templates"
if not PEER.is_dir():
    PEER = ROOT.parents[1] / "shared" / "peer" / "docxtpl-tests" / "templates"

RULES = """\
title: "{{ year }}年度述职述廉报告"
subtitle: "{{ unit }}{{ post }}  {{ name }}"
output_name: "{{ name }}"
library: snippets
signature: ["{{ name }}", "{{ report_date }}"]
variables:
  year: {type: int, label: 年度}
  name: {label: 姓名}
  unit: {label: 单位}
  post: {label: 职务}
  report_date: {type: date, label: 报告日期}
opening: [opening.hello]
sections:
  - id: duties
    heading: 履职尽责
    snippets: [duties.focus]
"""
HELLO = """\
---
id: opening.hello
section: opening
---
本人任{{ unit }}{{ post }}，现将一年来的工作报告如下：
"""
FOCUS = """\
---
id: duties.focus
section: duties
heading: 抓好重点工作
variables:
  focus: {label: 重点工作}
  meeting: {label: 会议日期}
---
全年重点抓好{{ focus }}等工作，于{{ meeting }}召开专题会议。

深入学习贯彻党的十九大精神。
"""
PEOPLE = """\
姓名,年度,单位,职务,报告日期,重点工作,会议日期
张三,2022,青山镇,副镇长,2022-12-20,党建、宣传,2022年6月1日
李四,2022,青山镇,副镇长,2023-01-05,"党建,宣传",2022.6.1
"""


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    (root / "snippets" / "opening").mkdir(parents=True)
    (root / "snippets" / "duties").mkdir(parents=True)
    (root / "rules.yaml").write_text(RULES, encoding="utf-8")
    (root / "snippets" / "opening" / "hello.md").write_text(HELLO, encoding="utf-8")
    (root / "snippets" / "duties" / "focus.md").write_text(FOCUS, encoding="utf-8")
    (root / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (root / "wording.yaml").write_text("- find: 十九大\n  say: 示例条目\n  replace: 二十大\n  from_year: 2023\n",
                                       encoding="utf-8")
    return root


def test_build_names_person_paragraph_and_spot(library: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["build", str(library / "rules.yaml"), "--people", str(library / "people.csv"),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    people = library / "people.csv"
    lines = [line for line in result.output.splitlines() if line.startswith("警告：") and "[" in line]
    # 张三's values are right and his report is dated 2022: no finding. 李四's comma and date are wrong,
    # and his report is dated 2023, when the wording entry applies.
    assert lines == [
        f"警告：{people}:第3行: 李四：第6段“全年重点抓好党建,宣传等工作，于2…”：汉字旁用了半角逗号“,”；"
        "GB/T 15834-2011 规定中文行文用全角标点“，”；建议“,” → “，” [punct.halfwidth]",
        f"警告：{people}:第3行: 李四：第6段“…,宣传等工作，于2022.6.1召开专题会议。”：日期写成了“2022.6.1”；"
        "GB/T 9704-2012 和 GB/T 15835-2011 的写法是“2022年6月1日”（年份写全，月、日不加 0）；"
        "建议“2022.6.1” → “2022年6月1日” [date.format]",
        f"警告：{people}:第3行: 李四：第7段“深入学习贯彻党的十九大精神。”：“十九大”：示例条目"
        "（用语清单 wording.yaml 第1行，适用于 2023 年起的报告）；建议“十九大” → “二十大” [wording]",
    ]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    warnings = {report["name"]: report["warnings"] for report in manifest["reports"]}
    assert warnings["张三"] == [] and len(warnings["李四"]) == 3


def test_preview_lists_the_same_findings(library: Path):
    result = CliRunner().invoke(main, ["preview", str(library / "rules.yaml"), "--people",
                                       str(library / "people.csv"), "--person", "李四"])
    assert result.exit_code == 0, result.output
    assert "警告：第6段“全年重点抓好党建,宣传等工作，于2…”：汉字旁用了半角逗号" in result.output
    assert "[date.format]" in result.output and "[wording]" in result.output


def test_strict_makes_findings_errors_and_exit_1_but_writes_reports(library: Path, tmp_path: Path):
    rules = library / "rules.yaml"
    rules.write_text(RULES + "style: strict\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(rules), "--people", str(library / "people.csv"),
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert sum(1 for line in result.output.splitlines() if line.startswith("错误：") and "李四" in line) == 3
    assert (tmp_path / "out" / "李四.docx").is_file() and (tmp_path / "out" / "张三.docx").is_file()
    rules.write_text(RULES + "style: off\n", encoding="utf-8")
    off = CliRunner().invoke(main, ["build", str(rules), "--people", str(library / "people.csv"),
                                    "-o", str(tmp_path / "off")])
    assert off.exit_code == 0 and "[punct." not in off.output


def test_bad_wording_stops_build_before_writing(library: Path, tmp_path: Path):
    (library / "wording.yaml").write_text("- find: \"[\"\n  say: 坏的\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(library / "rules.yaml"), "--people",
                                       str(library / "people.csv"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{library / 'wording.yaml'}:1:" in result.output and "正则表达式" in result.output
    assert not (tmp_path / "out").exists()


def test_heading_levels_from_word_numbers(library: Path, tmp_path: Path):
    focus = library / "snippets" / "duties" / "focus.md"
    focus.write_text(FOCUS.replace("深入学习贯彻党的十九大精神。", "一、加强学习。\n\n1.每周学习。\n\n（1）集中学习。"),
                     encoding="utf-8")
    project = pipeline.load_project(library / "rules.yaml")
    people = pipeline.load_people(project, library / "people.csv")
    plan = pipeline.find_person(project, people, {}, "张三")
    shown = pipeline.preview(project, plan)
    assert [line.split("：", 1)[0] for line in shown.style] == ["第7段“一、加强学习。”"]
    assert "[heading.order]" in shown.style[0] and "第二层标题" in shown.style[0]


def test_sample_library_reports_have_no_findings(tmp_path: Path):
    project = pipeline.load_project(EXAMPLES / "rules.yaml", EXAMPLES / "checklist.md")
    common = pipeline.common_values(vars_file=EXAMPLES / "vars.yaml")
    batch = pipeline.build(project, EXAMPLES / "people.csv", tmp_path, common=common, check_similarity=False)
    assert batch.written
    found = [w for report in batch.reports for w in report.warnings if w.endswith("]")]
    assert found == []


def _peer_outputs(tmp_path: Path) -> list[Path]:
    templates = sorted(PEER.glob("*_tpl.docx"))
    assert len(templates) == 14, f"docxtpl test templates not found under {PEER}"
    outputs: list[Path] = []
    for template in templates:
        people = template.with_name(template.name.replace("_tpl.docx", ".json"))
        out = tmp_path / template.stem
        result = CliRunner().invoke(main, ["render", str(template), "--people", str(people), "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs += sorted(out.glob("*.docx"))
    return outputs


def test_docxtpl_peer_outputs_give_no_finding(tmp_path: Path):
    outputs = _peer_outputs(tmp_path)
    assert len(outputs) >= 14
    checked = 0
    for docx in outputs:
        text = report_text(docx.read_bytes(), paragraphs=True)
        checked += len(text.paragraphs)
        assert check_report(text.paragraphs, StyleSettings()) == [], docx.name
    assert checked > 100


def test_check_report_counts_paragraphs_from_the_title_and_caps_the_list():
    paragraphs = [("Title", "", "2023年度述职述廉报告"), ("", "", ""), ("Normal", "", "工作,推进。" * 30)]
    found = check_report(paragraphs, StyleSettings())
    assert found[0].startswith("第2段“工作,推进。工作,推进…”")
    assert len(found) == 21 and found[-1].startswith("另有 10 处")
    until_2022 = parse_wording("- find: 推进\n  say: 示例\n  to_year: 2022\n")
    until_2030 = parse_wording("- find: 推进\n  say: 示例\n  to_year: 2030\n")
    # the report is dated 2023 (its title): the first entry no longer applies, the second does
    assert check_report(paragraphs, StyleSettings("warn", until_2022))[-1].startswith("另有 10 处")
    assert check_report(paragraphs, StyleSettings("warn", until_2030))[-1].startswith("另有 40 处")


def test_build_strict_flag_counts_style_findings_as_warnings(library: Path, tmp_path: Path):
    """``build --strict`` fails a report with any warning, house style findings included; the
    configuration check before it is not blocked by style (only structure stops a whole build)."""
    rules = library / "rules.yaml"
    rules.write_text(RULES + "style: strict\n", encoding="utf-8")
    (library / "snippets" / "opening" / "hello.md").write_text(HELLO.replace("，现将", ",现将"), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(rules), "--people", str(library / "people.csv"),
                                       "-o", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "out" / "张三.docx").exists() and not (tmp_path / "out" / "李四.docx").exists()
    assert "按 --strict 不写出这份报告" in result.output and "[punct.halfwidth]" in result.output
