"""``assembler import``: a report split into a library that rebuilds the same text."""

from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner

from assembler.cli import main
from assembler.library.importer import (
    Variable,
    _Namer,
    _ReportValues,
    analyse,
    import_report,
    report_lines,
    templatize,
)
from assembler.library.lint import lint
from assembler.ooxml.text import TextParagraph

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def mini_reports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mini-out")
    mini = FIXTURES / "mini"
    result = run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist",
                 mini / "checklist.md", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def rebuild(library: Path, out: Path) -> list[str]:
    result = run("build", library / "rules.yaml", "--people", library / "people.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    [report] = sorted(out.glob("*.docx"))
    return report_lines(report.read_bytes())


@pytest.mark.parametrize("person", ["甲一", "乙二", "丙三"])
def test_import_rebuilds_a_built_report(mini_reports, tmp_path, person):
    source = mini_reports / f"2022年度述职述廉报告-{person}.docx"
    result = run("import", source, "-o", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    original = report_lines(source.read_bytes())
    assert rebuild(tmp_path / "lib", tmp_path / "out") == original
    linted = lint(tmp_path / "lib" / "rules.yaml")
    assert linted.errors == [], [p.format() for p in linted.errors]


def test_import_of_a_built_report_in_detail(mini_reports, tmp_path):
    data = (mini_reports / "2022年度述职述廉报告-甲一.docx").read_bytes()
    result = import_report(data, tmp_path / "lib", source="甲一.docx")
    lib = tmp_path / "lib"
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    assert rules["title"] == "{{ year }}年度述职述廉报告"
    assert rules["subtitle"] == "{{ unit }}{{ post }}  {{ name }}"
    assert rules["signature"] == ["{{ name }}", "{{ report_date }}"]
    assert rules["opening"] == ["opening.main"] and rules["closing"] == ["closing.main"]
    assert [s["heading"] for s in rules["sections"]] == ["强化理论武装", "履行工作职责", "落实廉洁自律"]
    assert rules["sections"][1]["intro"] == ["s2.intro"]
    assert rules["sections"][1]["snippets"] == ["s2.p1", "s2.p2", "s2.p3"]
    assert result.report_values == {"name": "甲一", "unit": "青山镇", "post": "副镇长", "year": 2022,
                                    "report_date": "2022-12-05"}
    by_label = {v.label: v for v in result.variables}
    assert by_label["走访农户数"].value == 300 and by_label["走访农户数"].type == "int"
    assert by_label["发展党员数"].name == "s2_1"
    investment = by_label["经手项目资金（万元）"]
    assert investment.type == "number" and investment.value == "12.5"
    assert by_label["任职时间"].type == "date" and by_label["任职时间"].value == "2021-03-01"
    opening = (lib / "snippets" / "opening" / "main.md").read_text(encoding="utf-8")
    assert opening.endswith("---\n我于{{ opening_1 }}任{{ unit }}{{ post }}，现将履职情况报告如下：\n")
    village = (lib / "snippets" / "s2" / "p2.md").read_text(encoding="utf-8")
    assert 'heading: "用好驻村帮扶力量"' in village
    assert 's2_2: {type: int, label: "走访农户数", example: 400}' in village  # not the person's own
    assert village.endswith("走访农户{{ s2_2 }}户。\n")
    grid = (lib / "snippets" / "s2" / "p3.md").read_text(encoding="utf-8")
    assert grid.endswith("在东村、西村划分网格{{ s2_3 }}个。\n\n网格数量居全镇前列。\n")
    people = yaml.safe_load((lib / "people.yaml").read_text(encoding="utf-8"))
    assert people == [{"年度": 2022, "姓名": "甲一", "单位": "青山镇", "职务": "副镇长",
                       "报告日期": "2022-12-05",
                       "任职时间": "2021-03-01", "参加理论中心组集中学习次数": 12, "撰写学习心得数": 3,
                       "发展党员数": 5, "走访农户数": 300, "划分网格数": 40, "经手项目资金（万元）": "12.5"}]
    checklist = (lib / "checklist.md").read_text(encoding="utf-8")
    assert checklist.startswith("# 2022年度述职述廉报告 选稿清单")
    assert "- [x] s2.p2 用好驻村帮扶力量" in checklist


HAND_TYPED = [
    "2023年度述职述廉报告",
    "东山乡党委书记  李四",
    "\u3000\u30002023年以来，我在县委的领导下，团结带领乡党委一班人，较好地完成了各项工作任务。现将履职情况报告如下：",
    "一、加强理论学习",
    "（一）坚持集中学习。全年组织党委理论学习中心组学习18次，撰写心得体会6篇。",
    "（二）抓好专题研讨。围绕乡村振兴开展专题研讨4场。",
    "",
    "二、狠抓工作落实",
    "全年共召开党委会议26次。",
    "（一）推动产业发展。新建蔬菜大棚120个，带动农户增收。",
    "1．完成土地流转3500亩。",
    "2．引进企业2家。",
    "（二）改善人居环境。清理垃圾860吨，改造户厕415户。",
    "三、落实廉洁自律",
    "严格遵守廉洁自律各项规定，人均接受提醒谈话2.5次。",
    "特此报告。",
    "",
    "李四",
    "2023年12月28日",
]


def hand_typed(path: Path, lines: list[str]) -> Path:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def test_hand_typed_numbers_round_trip(tmp_path):
    source = hand_typed(tmp_path / "李四.docx", HAND_TYPED)
    result = run("import", source, "-o", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    lib = tmp_path / "lib"
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    assert rules["subheading"] == "run-in"
    assert rules["title"] == "{{ year }}年度述职述廉报告"
    assert rules["subtitle"] == "{{ unit }}{{ post }}  {{ name }}"
    assert [s["heading"] for s in rules["sections"]] == ["加强理论学习", "狠抓工作落实", "落实廉洁自律"]
    assert rules["sections"][2] == {"id": "s3", "heading": "落实廉洁自律", "intro": ["s3.intro"]}
    people = yaml.safe_load((lib / "people.yaml").read_text(encoding="utf-8"))[0]
    assert people["单位"] == "东山乡" and people["职务"] == "党委书记" and people["姓名"] == "李四"
    assert people["年度"] == 2023 and people["报告日期"] == "2023-12-28"
    assert people["土地流转（亩）"] == 3500 and people["引进企业数"] == 2 and people["改造户厕数"] == 415
    first = (lib / "snippets" / "s1" / "p1.md").read_text(encoding="utf-8")
    assert 'heading: "坚持集中学习"' in first
    assert first.endswith("全年组织党委理论学习中心组学习{{ s1_1 }}次，撰写心得体会{{ s1_2 }}篇。\n")
    opening = (lib / "snippets" / "opening" / "main.md").read_text(encoding="utf-8")
    assert opening.endswith("{{ year }}年以来，我在县委的领导下，团结带领乡党委一班人，"
                            "较好地完成了各项工作任务。现将履职情况报告如下：\n")
    production = (lib / "snippets" / "s2" / "p1.md").read_text(encoding="utf-8")
    assert "1．完成土地流转{{ s2_3 }}亩。\n\n2．引进企业{{ s2_4 }}家。" in production
    original = report_lines(source.read_bytes())
    assert original[2].startswith("2023年以来")  # the hand-typed indent is not part of the text compared
    assert rebuild(lib, tmp_path / "out") == original


def test_masked_figures_become_variables_to_fill(tmp_path):
    lines = [line.replace("26次", "**次").replace("415户", "XX户") for line in HAND_TYPED]
    source = hand_typed(tmp_path / "masked.docx", lines)
    result = run("import", source, "-o", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    assert "2 处打码的数字已变为变量" in result.output
    lib = tmp_path / "lib"
    intro = (lib / "snippets" / "s2" / "intro.md").read_text(encoding="utf-8")
    assert 's2_1: {type: int, label: "召开党委会议次数"}' in intro and "召开党委会议{{ s2_1 }}次" in intro
    people_text = (lib / "people.yaml").read_text(encoding="utf-8")
    assert "召开党委会议次数: null  # 原文打码，请填写" in people_text
    failed = run("build", lib / "rules.yaml", "--people", lib / "people.yaml", "-o", tmp_path / "out")
    assert failed.exit_code == 1 and "召开党委会议次数" in failed.output
    people = yaml.safe_load(people_text)
    people[0].update({"召开党委会议次数": 26, "改造户厕数": 415})
    (lib / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    rebuilt = rebuild(lib, tmp_path / "out2")
    assert rebuilt == report_lines(hand_typed(tmp_path / "plain.docx", HAND_TYPED).read_bytes())


def test_import_refuses_a_folder_with_files(tmp_path, mini_reports):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "keep.md").write_text("x", encoding="utf-8")
    result = run("import", mini_reports / "2022年度述职述廉报告-甲一.docx", "-o", tmp_path / "lib")
    assert result.exit_code == 2 and "不是空的" in result.output
    missing = run("import", tmp_path / "nope.docx", "-o", tmp_path / "lib2")
    assert missing.exit_code == 2 and "nope.docx" in missing.output


def para(text: str, number: str = "", style: str = "") -> TextParagraph:
    return TextParagraph(number=number, text=text, style=style)


def test_analyse_structure_from_list_numbering_and_styles():
    structure = analyse([
        para("报告", style="Title"), para("单位  某人", style="Subtitle"),
        para("开头一段。"), para("开头二段。"),
        para("第一部分", "一、", "Heading1"), para("部分导语。"),
        para("小节甲", "（一）", "Heading2"), para("正文甲。"),
        para("1．细项。"), para("细项列表", "1.", "Heading3"), para("第二部分", "二、", "Heading1"),
        para("小节乙", "（一）", "Heading2"), para("正文乙。"), para("以上报告，请审议。"), para(""),
        para("某人", style="Signature"), para("2024年1月2日", style="Signature"),
    ])
    assert structure.title == "报告" and structure.subtitle == "单位  某人"
    assert structure.opening == ["开头一段。", "开头二段。"]
    assert structure.sections == [
        ("第一部分", ["部分导语。"], [("小节甲", ["正文甲。", "1．细项。", "1.细项列表"])]),
        ("第二部分", [], [("小节乙", ["正文乙。"])]),
    ]
    assert structure.closing == ["以上报告，请审议。"]
    assert structure.signature == ["某人", "2024年1月2日"]
    assert structure.run_in is False


def test_figures_dates_and_labels():
    namer = _Namer()
    found: list[Variable] = []
    report = _ReportValues(values={"year": 2022, "unit": "青山镇", "name": "张三"})
    text = ("2022年，青山镇累计走访农户300户、慰问困难群众50人次，完成投资1.5亿元，"
            "第3次会议于2022年5月6日召开，**名，2021年。")
    template = templatize(text, "s1", namer, report, found)
    assert template == ("{{ year }}年，{{ unit }}累计走访农户{{ s1_1 }}户、慰问困难群众{{ s1_2 }}人次，"
                        "完成投资{{ s1_3 }}亿元，"
                        "第3次会议于{{ s1_4 }}召开，{{ s1_5 }}名，2021年。")
    assert [(v.type, v.label, v.value, v.masked) for v in found] == [
        ("int", "走访农户数", 300, False),
        ("int", "慰问困难群众人次", 50, False),
        ("number", "投资（亿元）", "1.5", False),
        ("date", "第3次会议日期", "2022-05-06", False),
        ("int", "数字", None, True),
    ]
    again: list[Variable] = []
    templatize("走访农户12户。", "s2", namer, report, again)
    assert again[0].label == "走访农户数2" and again[0].name == "s2_1"
    escaped = templatize("写{{ 花括号 }}和{% raw %}", "s3", namer, report, [])
    assert escaped == "写{{ '{' }}{{ '{' }} 花括号 }}和{{ '{' }}% raw %}"
    from assembler.template.environment import make_env

    assert make_env().from_string(escaped).render() == "写{{ 花括号 }}和{% raw %}"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = st.one_of(
    st.sampled_from(list("走访农户党员网格青山镇全年共计完成，。、；：（）“”第于年月日")),
    st.sampled_from(["万元", "人次", "公里", "%"]),
    st.integers(min_value=0, max_value=99999).map(str),
    st.sampled_from(["12.5", "0.75", "2022", "2021年3月1日", "2022年12月05日", "{{", "{%", "}}", "{#"]),
    st.sampled_from(["次", "名", "户", "个", "篇", "项", "亩", "家"]),
)


def render_back(template: str, found: list[Variable], report: _ReportValues) -> str:
    from jinja2 import Environment, StrictUndefined

    values = dict(report.values)
    for variable in found:
        if variable.type == "date":
            year, month, day = (int(part) for part in variable.value.split("-"))
            values[variable.name] = f"{year}年{month}月{day}日"
        else:
            values[variable.name] = str(variable.value)
    return Environment(undefined=StrictUndefined).from_string(template).render(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=30).map("".join))
def test_templatize_loses_nothing(text):
    report = _ReportValues(values={"year": 2022, "unit": "青山镇", "name": "张三"})
    found: list[Variable] = []
    template = templatize(text, "s1", _Namer(), report, found)
    assert render_back(template, found, report) == text
    assert all(not v.masked and v.label for v in found)
    assert len({v.label for v in found}) == len(found)


EXAMPLES = Path(__file__).parent / "fixtures" / "sample-v1" / "examples"


def test_every_report_of_the_sample_batch_imports_and_rebuilds_to_the_same_text(tmp_path):
    """The sample library (with variants, run-in-free headings, `when` and overrides): each built report,
    imported, gives a library that lints clean and rebuilds the same text."""
    out = tmp_path / "sample"
    result = run("build", EXAMPLES / "rules.yaml", "--people", EXAMPLES / "people.xlsx", "--checklist",
                 EXAMPLES / "checklist.md", "--vars", EXAMPLES / "vars.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    reports = sorted(out.glob("*.docx"))
    assert len(reports) == 7
    for number, source in enumerate(reports):
        lib = tmp_path / f"lib{number}"
        imported = run("import", source, "-o", lib)
        assert imported.exit_code == 0, imported.output
        original = report_lines(source.read_bytes())
        assert rebuild(lib, tmp_path / f"out{number}") == original, source.name
        linted = lint(lib / "rules.yaml")
        assert linted.errors == [], [p.format() for p in linted.errors]
        people = yaml.safe_load((lib / "people.yaml").read_text(encoding="utf-8"))[0]
        assert people["姓名"] == source.stem.rsplit("-", 1)[1] and people["年度"] == 2022


def test_import_keeps_the_file_name_labels_from_the_words_and_examples_not_the_persons(tmp_path):
    """Issue 13, item 7: rebuilding an import warned that no figure was the person's own (the
    examples were the person's values), renamed the file and made labels like 划分数."""
    lines = [*HAND_TYPED[:12], "（二）改善人居环境。划分12个网格，改造户厕415户。", *HAND_TYPED[13:]]
    source = hand_typed(tmp_path / "李四2023年述职报告.docx", lines)
    result = run("import", source, "-o", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    lib = tmp_path / "lib"
    rules = yaml.safe_load((lib / "rules.yaml").read_text(encoding="utf-8"))
    assert rules["output_name"] == "{{ name }}{{ year }}年述职报告"
    result = run("build", lib / "rules.yaml", "--people", lib / "people.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "都不是本人的数据" not in result.output
    assert [p.name for p in (tmp_path / "out").glob("*.docx")] == ["李四2023年述职报告.docx"]
    assert report_lines((tmp_path / "out" / "李四2023年述职报告.docx").read_bytes()) == \
        report_lines(source.read_bytes())
    specs = {}
    for path in (lib / "snippets").rglob("*.md"):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        specs.update(front.get("variables") or {})
    labels = {spec["label"] for spec in specs.values()}
    assert "划分网格数" in labels and "划分数" not in labels
    people = yaml.safe_load((lib / "people.yaml").read_text(encoding="utf-8"))[0]
    for spec in specs.values():
        if spec.get("type") in ("int", "number") and spec["label"] in people:
            assert "example" in spec and str(spec["example"]) != str(people[spec["label"]]), spec
