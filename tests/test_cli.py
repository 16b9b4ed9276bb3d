"""End-to-end tests of the `assembler` command on a small library."""

import json
import re
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from assembler.cli import main
from assembler.ooxml.text import docx_text

GAP_FREE = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def build(mini: Path, people: Path | None = None, *extra: str):
    out = mini / "out"
    result = run("build", mini / "rules.yaml", "--people", people or (mini / "people.yaml"),
                 "--checklist", mini / "checklist.md", "-o", out, *extra)
    return result, out


def report(out: Path, name: str) -> str:
    return docx_text((out / f"2022年度述职述廉报告-{name}.docx").read_bytes())


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if GAP_FREE.match(line)]


def test_build_numbers_follow_each_persons_content(mini):
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "2022年度述职述廉报告-丙三.docx", "2022年度述职述廉报告-乙二.docx", "2022年度述职述廉报告-甲一.docx"]
    first = report(out, "甲一")
    assert headings(first) == [
        "一、强化理论武装", "（一）坚持集中学习", "（二）注重学用结合",
        "二、履行工作职责", "（一）抓实基层党建", "（二）用好驻村帮扶力量", "（三）深化网格治理",
        "三、落实廉洁自律", "（一）严守廉洁底线"]
    lines = first.splitlines()
    assert lines[:3] == ["2022年度述职述廉报告", "青山镇副镇长  甲一", "我于2021年3月1日任青山镇副镇长，现将履职情况报告如下："]
    assert "全年参加理论中心组集中学习12次，做到学有所得。" in lines
    assert "在东村、西村划分网格40个。" in lines and "网格数量居全镇前列。" in lines
    assert "经手项目资金12.5万元，未发生违纪问题。" in lines
    assert lines[-3:] == ["", "甲一", "2022年12月5日"]
    # when removes a subsection and a whole section: numbers close up
    second = report(out, "乙二")
    assert headings(second) == ["一、强化理论武装", "（一）坚持集中学习", "（二）注重学用结合",
                                "二、履行工作职责", "（一）抓实基层党建"]
    assert "三、" not in second and "廉洁" not in second
    assert second.splitlines()[-1] == "2022年12月6日"
    # override -theory.study renumbers 注重学用结合 to (一)
    third = report(out, "丙三")
    assert headings(third) == ["一、强化理论武装", "（一）注重学用结合", "二、履行工作职责", "（一）抓实基层党建",
                               "（二）用好驻村帮扶力量", "（三）深化网格治理"]
    assert "在南村划分网格6个。" in third and "前列" not in third
    for path in out.glob("*.docx"):
        text = docx_text(path.read_bytes())
        assert "{{" not in text and "{%" not in text and "**" not in text
        docx.Document(str(path))  # opens in python-docx
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in manifest["reports"]}
    assert by_name["丙三"]["snippets"][:2] == ["opening.hello", "theory.essay"]
    assert "duties.grid" not in by_name["乙二"]["snippets"]
    assert all(r["status"] == "written" for r in manifest["reports"])


def test_checklist_untick_removes_and_renumbers(mini):
    checklist = mini / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] theory.study", "- [ ] theory.study")
                         .replace("- [x] duties.party", "- [ ] duties.party"), encoding="utf-8")
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    assert headings(report(out, "甲一")) == [
        "一、强化理论武装", "（一）注重学用结合", "二、履行工作职责", "（一）用好驻村帮扶力量", "（二）深化网格治理",
        "三、落实廉洁自律", "（一）严守廉洁底线"]


def test_whole_section_unticked_disappears(mini):
    checklist = mini / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] theory.", "- [ ] theory."),
                         encoding="utf-8")
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    assert headings(report(out, "甲一"))[0:2] == ["一、履行工作职责", "（一）抓实基层党建"]
    assert "强化理论武装" not in report(out, "甲一")


def test_missing_value_fails_that_person_only(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    del people[1]["发展党员数"]
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    result, out = build(mini, path)
    assert result.exit_code == 1
    assert "第2行" in result.output and "乙二" in result.output
    assert "“发展党员数”（members）" in result.output and "duties.party" in result.output
    assert sorted(p.name for p in out.glob("*.docx")) == ["2022年度述职述廉报告-丙三.docx", "2022年度述职述廉报告-甲一.docx"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failed = [r for r in manifest["reports"] if r["status"] == "failed"]
    assert [r["name"] for r in failed] == ["乙二"] and "members" in failed[0]["errors"][0]


def test_values_are_escaped(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    people[0]["单位"] = "张三&李四<测试>"
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    result, out = build(mini, path)
    assert result.exit_code == 0, result.output
    target = out / "2022年度述职述廉报告-甲一.docx"
    assert "张三&李四<测试>副镇长  甲一" in docx_text(target.read_bytes())
    assert any("张三&李四<测试>" in p.text for p in docx.Document(str(target)).paragraphs)


def test_edited_reports_are_not_overwritten_even_with_force(mini):
    build(mini)
    target = mini / "out" / "2022年度述职述廉报告-甲一.docx"
    beside = mini / "out" / "2022年度述职述廉报告-甲一（新版）.docx"
    target.write_bytes(b"mine")
    for extra in ((), ("--force",)):
        result, _ = build(mini, None, *extra)
        assert result.exit_code == 0, result.output
        assert target.read_bytes() == b"mine" and "--overwrite-edited" in result.output
        assert "甲一：2022年度述职述廉报告-甲一.docx → 2022年度述职述廉报告-甲一（新版）.docx" in result.output
        assert "甲一" in docx_text(beside.read_bytes())
    result, _ = build(mini, None, "--overwrite-edited")
    assert result.exit_code == 0 and "甲一" in docx_text(target.read_bytes())


def test_bad_rules_exit_2_and_nothing_written(mini):
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("duties.party", "duties.partyy"), encoding="utf-8")
    result, out = build(mini)
    assert result.exit_code == 2
    assert "duties.partyy" in result.output and "rules.yaml:" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_same_name_two_people_two_files(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    people[1]["姓名"] = "甲一"
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    result, out = build(mini, path)
    assert result.exit_code == 0, result.output
    assert (out / "2022年度述职述廉报告-甲一.docx").exists() and (out / "2022年度述职述廉报告-甲一-2.docx").exists()


def test_sandbox_refuses_attribute_tricks_in_snippets(mini):
    snippet = mini / "snippets" / "closing" / "submit.md"
    snippet.write_text(snippet.read_text(encoding="utf-8") + "\n{{ ''.__class__.__mro__ }}\n", encoding="utf-8")
    result, out = build(mini)
    assert result.exit_code == 1
    assert "不安全" in result.output
    assert not list(out.glob("*.docx"))


def test_preview_prints_numbers(mini):
    result = run("preview", mini / "rules.yaml", "--people", mini / "people.yaml", "--person", "丙三",
                 "--checklist", mini / "checklist.md")
    assert result.exit_code == 0, result.output
    assert "一、强化理论武装\n（一）注重学用结合\n" in result.output


def test_template_renders_with_plain_docxtpl_to_same_text(mini, tmp_path):
    from docxtpl import DocxTemplate

    from assembler import pipeline
    from assembler.template.environment import make_env

    template = tmp_path / "assembled.docx"
    assert run("template", mini / "rules.yaml", "--checklist", mini / "checklist.md", "-o", template).exit_code == 0
    raw = template.read_bytes()
    assert "{%p if '驻村帮扶' in duties %}" in docx_text(raw)
    result, out = build(mini)
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    people = pipeline.load_people(project, mini / "people.yaml")
    plan = next(p for p in pipeline.plan_people(project, people, {}) if p.name == "甲一")
    doc = DocxTemplate(str(template))
    doc.render(plan.context, make_env(), autoescape=True)
    rendered = tmp_path / "plain.docx"
    doc.save(str(rendered))
    assert docx_text(rendered.read_bytes()) == report(out, "甲一")


def test_checklist_command_and_merge(mini, tmp_path):
    target = tmp_path / "c.md"
    assert run("checklist", mini / "rules.yaml", "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 2022年度述职述廉报告 选稿清单") and "- [x] duties.grid 深化网格治理" in text
    target.write_text(text.replace("- [x] duties.grid", "- [ ] duties.grid"), encoding="utf-8")
    result = run("checklist", mini / "rules.yaml", "--merge", target)
    assert "- [ ] duties.grid" in result.output and "- [x] duties.party" in result.output


def test_checklist_merge_prints_each_change(mini, tmp_path):
    target = tmp_path / "c.md"
    text = (mini / "checklist.md").read_text(encoding="utf-8")
    text = text.replace("- [x] duties.grid 深化网格治理\n", "").replace("- [ ] x", "")
    target.write_text(text + "- [x] duties.retired 已删除的片段\n", encoding="utf-8")
    result = run("checklist", mini / "rules.yaml", "--merge", target, "-o", target)
    assert result.exit_code == 0, result.output
    assert "新增：duties.grid（未勾选）" in result.output
    assert "删除：duties.retired（原为已勾选，规则中已没有这个片段）" in result.output
    assert "保留：duties.party（已勾选）" in result.output
    assert "- [ ] duties.grid" in target.read_text(encoding="utf-8")


def test_variables_command_writes_workbook(mini, tmp_path):
    from openpyxl import load_workbook

    book = tmp_path / "people.xlsx"
    result = run("variables", mini / "rules.yaml", "--checklist", mini / "checklist.md", "--xlsx", book)
    assert result.exit_code == 0, result.output
    assert "grid_cells" in result.output and "网格数" in result.output
    headers = [c.value for c in load_workbook(book).active[1]]
    assert headers[0] == "年度" and "网格数" in headers and "项目投资（万元）" in headers and headers[-1] == "选稿"


def test_unknown_columns_warn_once(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    for person in people:
        person["备注"] = "x"
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    result, _ = build(mini, path)
    assert result.exit_code == 0
    assert result.output.count("备注") == 1


@pytest.mark.parametrize("bad", ["people.txt", "missing.xlsx"])
def test_bad_people_file_exit_2(mini, bad):
    if bad == "people.txt":
        (mini / bad).write_text("x", encoding="utf-8")
    result, out = build(mini, mini / bad)
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and bad in result.output
    assert not out.exists()


def test_library_upkeep_commands_are_listed_and_refuse_bad_input_cleanly(tmp_path):
    listed = run("--help").output
    for command in ("lint", "init", "import", "explain", "similar"):
        assert f"  {command} " in listed
    bad = tmp_path / "不是报告.docx"
    bad.write_bytes(b"plain text, not a zip")
    for args in (("import", bad, "-o", tmp_path / "lib"), ("import", tmp_path / "无.docx", "-o", tmp_path / "lib"),
                 ("explain", bad), ("similar", tmp_path / "无此目录"), ("lint", tmp_path / "无此文件.yaml")):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("错误：") and "Traceback" not in result.output, result.output
    assert not (tmp_path / "lib").exists()  # nothing half-written


def test_build_lists_each_reports_length(mini):
    result, out = build(mini)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    lines = result.output.splitlines()
    start = lines.index("各报告正文字数：")
    listed = lines[start + 1:start + 4]
    assert listed == [f"  {r['file']}：{r['chars']} 字" for r in manifest["reports"]]
    assert all(r["chars"] > 50 for r in manifest["reports"])


def test_variables_table_columns_line_up_with_chinese_text(mini):
    """Issue 13, item 8: the columns were padded by characters, not by the width a terminal shows."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    result = run("variables", mini / "rules.yaml", "--checklist", mini / "checklist.md")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    header = lines[0]
    starts = [width(header[:header.index(word)]) for word in ("列名", "类型", "用于")]
    for line in lines[1:]:
        kinds = [kind for kind in ("text", "int", "number", "date", "list", "bool") if f" {kind} " in line]
        assert kinds, line
        assert width(line[:line.index(f" {kinds[0]} ") + 1]) == starts[1], line


def test_preview_with_two_people_of_that_name_names_the_rows(mini):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    people[2]["姓名"] = "甲一"
    path = mini / "people2.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    result = run("preview", mini / "rules.yaml", "--people", path, "--person", "甲一",
                 "--checklist", mini / "checklist.md")
    assert result.exit_code == 2
    assert "第1行" in result.output and "第3行" in result.output and "--person 3" in result.output


def test_render_reruns_say_what_changed_and_keep_a_hand_edited_document(mini, tmp_path):
    """``assembler render`` of any docxtpl template: the second run says 未变, an edited document is
    kept (even with --force) and its new version written beside it."""
    template = tmp_path / "plain.docx"
    document = docx.Document()
    document.add_paragraph("{{ 姓名 }}：{{ 单位 }}")
    document.save(str(template))
    out = tmp_path / "out"
    command = ["render", str(template), "--people", str(mini / "people.yaml"), "-o", str(out), "--name", "{{ 姓名 }}"]
    first = CliRunner().invoke(main, command)
    assert first.exit_code == 0, first.output
    assert "新建 3 份" in first.output
    again = CliRunner().invoke(main, command)
    assert again.exit_code == 0 and "未变 3 份" in again.output, again.output
    (out / "甲一.docx").write_bytes(b"mine")
    forced = CliRunner().invoke(main, [*command, "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "甲一.docx").read_bytes() == b"mine" and "甲一：甲一.docx → 甲一（新版）.docx" in forced.output
    assert docx_text((out / "甲一（新版）.docx").read_bytes()).startswith("甲一：青山镇")
