"""Similarity of reports: within a batch, against last year's, and reports without own figures."""

from pathlib import Path

import docx
from click.testing import CliRunner

from assembler.cli import main
from assembler.library.similarity import body_text, compare, no_own_figures, normalise

FIXTURES = Path(__file__).parent / "fixtures"

REPORT = """{year}年以来，我在镇党委的领导下，认真履行{post}职责，现将个人履职情况报告如下。
一、坚持学习，提升政治素养
坚持把理论学习作为第一要务，全年参加中心组集中学习{a}次，撰写学习心得{b}篇，带头讲专题党课。
二、履职尽责，推动工作落实
围绕乡村振兴中心任务，牵头推进产业项目{c}个，协调解决群众反映的突出问题，全年走访农户{d}户。
坚持问题导向，对照年初目标逐项抓落实，各项工作均按时序进度完成。
三、廉洁自律，守住纪律底线
严格遵守中央八项规定精神，不搞特权，不收受礼品礼金，自觉接受组织和群众监督。
以上是{name}的述职述廉报告，不妥之处，请批评指正。"""

OTHER = """今年以来，本人分管教育卫生和社会保障工作，始终把群众满意作为工作标准。
一、聚焦民生短板
新建幼儿园两所，改扩建村卫生室，城乡居民医保参保率保持稳定，低保动态管理做到应保尽保。
二、加强队伍建设
组织教师和医务人员开展业务培训，选派骨干到县级单位跟班学习，队伍素质明显提升。
三、存在的不足
调查研究还不够深入，个别工作推进偏慢，今后将进一步改进作风，提高工作质效。
特此报告。"""


CLOSING = "以上是{name}的述职述廉报告，不妥之处，请批评指正。"


def report(name: str, year: int, post: str = "副镇长", figures=(12, 3, 4, 300)) -> str:
    a, b, c, d = figures
    return REPORT.format(name=name, year=year, post=post, a=a, b=b, c=c, d=d)


def test_names_and_years_swapped_score_high_and_share_passages():
    pairs = compare({"甲一": report("甲一", 2022), "乙二": report("乙二", 2023, figures=(8, 2, 6, 150))})
    [pair] = pairs
    assert (pair.a, pair.b) == ("甲一", "乙二")
    assert pair.score > 0.9 and pair.containment > 0.9
    assert not pair.last_year
    # worded as in the first report (figures differ but do not break the match)
    assert pair.shared[0] == ("围绕乡村振兴中心任务，牵头推进产业项目4个，协调解决群众反映的突出问题，"
                              "全年走访农户300户。")
    assert len(pair.shared) == 3
    assert [len(p) for p in pair.shared] == sorted((len(p) for p in pair.shared), reverse=True)


def test_different_reports_score_low():
    pairs = compare({"a": report("甲一", 2022), "b": OTHER}, threshold=0.0)
    [pair] = pairs
    assert pair.score < 0.1
    assert compare({"a": report("甲一", 2022), "b": OTHER}) == []


def test_pairs_come_highest_first_and_respect_the_threshold():
    texts = {
        "甲一": report("甲一", 2022),
        "乙二": report("乙二", 2022),
        "丙三": report("丙三", 2022).split("三、廉洁自律")[0] + CLOSING.format(name="丙三"),
        "丁四": OTHER,
    }
    pairs = compare(texts, threshold=0.6)
    assert [(p.a, p.b) for p in pairs] == [("甲一", "乙二"), ("乙二", "丙三"), ("甲一", "丙三")]
    assert pairs[0].score > 0.9 and 0.6 < pairs[1].score == pairs[2].score < 0.8
    # the shorter report is almost wholly inside the longer ones
    assert pairs[1].containment > 0.9
    assert [(p.a, p.b) for p in compare(texts)] == [("甲一", "乙二")]
    everything = compare(texts, threshold=0.0)
    assert len(everything) == 6 and max(p.score for p in everything if "丁四" in (p.a, p.b)) < 0.1


def test_against_last_year_pairs_by_person():
    this_year = {"2023年度述职述廉报告-甲一.docx": report("甲一", 2023),
                 "2023年度述职述廉报告-乙二.docx": OTHER}
    last_year = {"2022年度述职述廉报告-甲一.docx": report("甲一", 2022, figures=(10, 2, 3, 250)),
                 "2022年度述职述廉报告-乙二.docx": report("乙二", 2022)}
    pairs = compare(this_year, against=last_year)
    assert [(p.a, p.b, p.last_year) for p in pairs] == [
        ("2023年度述职述廉报告-甲一.docx", "2022年度述职述廉报告-甲一.docx", True)]
    assert pairs[0].score > 0.9
    # pairing by the name at the end of the stem
    pairs = compare({"x/甲一.docx": report("甲一", 2023)},
                    against={"old/2022-甲一.docx": report("甲一", 2022)})
    assert [(p.a, p.b) for p in pairs] == [("x/甲一.docx", "old/2022-甲一.docx")]


def test_normalise_hides_figures_and_spaces():
    assert normalise("全年 走访 300 户，投资12.5万元") == "全年走访0户，投资0万元"


def build_mini(tmp_path: Path) -> Path:
    mini = FIXTURES / "mini"
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(mini / "rules.yaml"), "--people",
                                       str(mini / "people.yaml"), "--checklist", str(mini / "checklist.md"),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_body_text_leaves_out_title_subtitle_and_signature(tmp_path):
    out = build_mini(tmp_path)
    text = body_text((out / "2022年度述职述廉报告-甲一.docx").read_bytes())
    lines = text.split("\n")
    assert lines[0] == "我于2021年3月1日任青山镇副镇长，现将履职情况报告如下："
    assert lines[1] == "一、强化理论武装" and lines[2] == "（一）坚持集中学习"
    assert lines[-1] == "特此报告，请予评议。"
    assert "2022年度述职述廉报告" not in text and "2022年12月5日" not in text


def write_docx(path: Path, title: str, text: str) -> None:
    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.save(str(path))


def test_similar_command(tmp_path):
    now, last = tmp_path / "2023", tmp_path / "2022"
    now.mkdir()
    last.mkdir()
    write_docx(now / "甲一.docx", "2023年度述职述廉报告", report("甲一", 2023))
    write_docx(now / "乙二.docx", "2023年度述职述廉报告", report("乙二", 2023, figures=(1, 1, 1, 1)))
    write_docx(now / "丙三.docx", "2023年度述职述廉报告", OTHER)
    write_docx(last / "丙三.docx", "2022年度述职述廉报告", OTHER.replace("今年以来", "2022年以来"))
    (now / "~$甲一.docx").write_bytes(b"lock file")
    result = CliRunner().invoke(main, ["similar", str(now), "--against", str(last)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    numbered = [line for line in lines if line[:1].isdigit()]
    assert [line.split("（")[1].split("，")[0] for line in numbered] == ["去年", "同批"]
    assert numbered[0].startswith("1. 相似度 0.9")
    assert f"{now / '丙三.docx'}  ⇄  {last / '丙三.docx'}" in numbered[0]
    assert numbered[1].startswith("2. 相似度 0.9")
    assert f"{now / '乙二.docx'}  ⇄  {now / '甲一.docx'}" in numbered[1]
    assert any(line.strip().startswith("共同段落：") for line in lines)
    assert lines[-1] == "比较了 3 份报告，另与去年 1 份比较：相似度不低于 0.80 的有 2 对。"
    none = CliRunner().invoke(main, ["similar", str(now), "--threshold", "0.99"])
    assert none.exit_code == 0 and none.output.splitlines()[-1].endswith("的有 0 对。")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(main, ["similar", str(empty)]).exit_code == 2


class Spec:
    def __init__(self, type_: str, default=None, example=None, label=None):
        self.type, self.default, self.example, self.label = type_, default, example, label


def test_no_own_figures():
    specs = {"households": Spec("int", example=300, label="走访农户数"), "grid": Spec("int", default=0),
             "investment": Spec("number", example="12.5"), "name": Spec("text", example="张三")}
    copied = {"households": 300, "grid": 0, "investment": "12.5", "name": "李四"}
    warning = no_own_figures(copied, specs)
    assert warning is not None and "3 个数字" in warning and "走访农户数=300" in warning
    assert no_own_figures({**copied, "households": 120}, specs) is None
    assert no_own_figures({**copied, "households": 120}, specs, names=["grid", "investment"]) is not None
    assert no_own_figures({"name": "李四"}, specs) is None


def test_a_broken_docx_is_named(tmp_path):
    (tmp_path / "坏.docx").write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["similar", str(tmp_path)])
    assert result.exit_code == 2 and "坏.docx" in result.output and result.output.startswith("错误：")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TEXTS = st.text(alphabet="走访农户党员网格青山镇全年共计完成，。\n0123456789", min_size=0, max_size=200)


@settings(max_examples=100, deadline=None)
@given(TEXTS, TEXTS)
def test_scores_are_symmetric_and_bounded(x, y):
    pairs = compare({"a": x, "b": y}, threshold=0.0)
    if not normalise(x) and not normalise(y):
        assert pairs == []  # two empty texts are not "similar"
        return
    [forward] = pairs
    [backward] = compare({"b": y, "a": x}, threshold=0.0)
    assert forward.score == backward.score and 0.0 <= forward.score <= 1.0
    assert forward.containment >= forward.score
    if normalise(x) and len(normalise(x)) >= 5:
        [same] = compare({"a": x, "b": x}, threshold=0.0)
        assert same.score == 1.0


# ------------------------------------------------------------------ in the build: near copies, own figures, length

import datetime as dt  # noqa: E402
import json  # noqa: E402

import yaml  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from assembler.library.similarity import count_chars  # noqa: E402
from assembler.ooxml.text import docx_paragraphs  # noqa: E402

EXAMPLES = Path(__file__).parent / "fixtures" / "sample-v1" / "examples"
FIGURES_FOR_INDUSTRY = {"主导产业": ["富硒茶叶", "中药材种植", "高山蔬菜", "生态养殖", "精品水果", "食用菌", "油茶"],
                        "特色产业基地面积（亩）": [1200, 1550, 1900, 2250, 2600, 2950, 3300],
                        "新培育合作社家数": [1, 2, 3, 4, 1, 2, 3],
                        "村集体经济收入（万元）": [60.5, 73.5, 86.5, 99.5, 112.5, 125.5, 138.5]}


def same_duties_people(path: Path) -> Path:
    """The sample cadres, each with their own figures, but all with the same duties and post:
    one snippet set for the whole batch."""
    sheet = load_workbook(EXAMPLES / "people.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    people = []
    for index, row in enumerate(rows[1:]):
        person = {header: value for header, value in zip(rows[0], row, strict=True)
                  if value is not None and header != "选稿"}
        person.update({"分管工作": "基层党建、乡村振兴", "职务": "副镇长"})
        person.setdefault("任职时间", dt.date(2021, 3, 1 + index))
        person["网格数"] = 0
        for header, values in FIGURES_FOR_INDUSTRY.items():
            person.setdefault(header, values[index])
        people.append({key: value.date() if isinstance(value, dt.datetime) else value
                       for key, value in person.items()})
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    return path


def build_sample(people: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", str(EXAMPLES / "rules.yaml"), "--people", str(people), "--checklist",
                                     str(EXAMPLES / "checklist.md"), "--vars", str(EXAMPLES / "vars.yaml"),
                                     "-o", str(out), *extra])


def test_one_snippet_set_is_flagged_and_variants_with_own_figures_are_not(tmp_path):
    people = same_duties_people(tmp_path / "people.yaml")
    # without variants (everyone gets body 1): every pair is a near copy, whatever the figures
    copies = tmp_path / "copies"
    result = build_sample(people, copies, "--variant", "1")
    assert result.exit_code == 0, result.output
    manifest = json.loads((copies / "manifest.json").read_text(encoding="utf-8"))
    assert {tuple(r["snippets"]) for r in manifest["reports"]} == {tuple(manifest["reports"][0]["snippets"])}
    assert manifest["similar_pairs"] == 21 and min(p["score"] for p in manifest["similar"]) >= 0.8
    warned = [w for w in manifest["warnings"] if "相似度为" in w]
    assert len(warned) == 20 and "另有 1 对" in manifest["warnings"][-1]
    assert "的正文相似度为 0.9" in result.output and "共同段落如“" in result.output
    flagged = CliRunner().invoke(main, ["similar", str(copies)])
    assert flagged.exit_code == 0
    assert flagged.output.splitlines()[-1] == "比较了 7 份报告：相似度不低于 0.80 的有 21 对。"
    # the same batch with the library's variants spread over the people: no pair comes near
    varied = tmp_path / "varied"
    result = build_sample(people, varied)
    assert result.exit_code == 0, result.output
    manifest = json.loads((varied / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["similar_pairs"] == 0 and not any("相似度" in w for w in manifest["warnings"])
    assert len({json.dumps(r["variants"], sort_keys=True) for r in manifest["reports"]}) == 7
    clean = CliRunner().invoke(main, ["similar", str(varied)])
    assert clean.output.splitlines()[-1] == "比较了 7 份报告：相似度不低于 0.80 的有 0 对。"
    highest = compare(read_all(varied), threshold=0.0)[0]
    assert highest.score < 0.6


def read_all(folder: Path) -> dict[str, str]:
    from assembler.library.similarity import read_reports

    return read_reports(folder)


def test_build_threshold_option_and_opting_out(tmp_path):
    people = same_duties_people(tmp_path / "people.yaml")
    result = build_sample(people, tmp_path / "a", "--similar-threshold", "0.3")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["similarity_threshold"] == 0.3 and manifest["similar_pairs"] > 0
    assert all(p["score"] >= 0.3 for p in manifest["similar"])
    result = build_sample(people, tmp_path / "b", "--variant", "1", "--no-similar")
    assert result.exit_code == 0 and "相似度" not in result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert "similar" not in manifest


def test_a_report_without_the_persons_own_figures_is_warned(mini, tmp_path):
    people = yaml.safe_load((mini / "people.yaml").read_text(encoding="utf-8"))
    figures = ["集中学习次数", "心得篇数", "发展党员数", "走访农户数", "网格数", "项目投资（万元）"]
    for key in figures:
        people[1].pop(key, None)  # 乙二: every figure comes from --set, given to everybody
    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
    common = ["--set", "集中学习次数=10", "--set", "心得篇数=2", "--set", "发展党员数=3", "--set", "走访农户数=0",
              "--set", "网格数=0", "--set", "项目投资（万元）=0"]
    result = CliRunner().invoke(main, ["build", str(mini / "rules.yaml"), "--people", str(path), "--checklist",
                                       str(mini / "checklist.md"), "-o", str(tmp_path / "out"), *common])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in manifest["reports"]}
    [warning] = [w for w in by_name["乙二"]["warnings"] if "不是本人的数据" in w]
    assert "集中学习次数=10" in warning and "发展党员数=3" in warning
    assert not any("不是本人的数据" in w for w in by_name["甲一"]["warnings"] + by_name["丙三"]["warnings"])
    assert "第2行: 乙二：报告中的 3 个数字都不是本人的数据" in result.output


def body_chars(data: bytes) -> int:
    return sum(count_chars(p.text) for p in docx_paragraphs(data)
               if p.style not in ("Title", "Subtitle", "Signature", "Date"))


def test_each_reports_length_is_listed_and_checked_against_max_chars(mini, tmp_path):
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "max_chars: 150\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(rules), "--people", str(mini / "people.yaml"), "--checklist",
                                       str(mini / "checklist.md"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["max_chars"] == 150
    lengths = {}
    for entry in manifest["reports"]:
        data = (out / entry["file"]).read_bytes()
        lengths[entry["name"]] = entry["chars"]
        assert entry["chars"] == body_chars(data) > 50
        over = [w for w in entry["warnings"] if "max_chars" in w]
        if entry["chars"] > 150:
            assert over == [f"报告正文 {entry['chars']} 字，超过规则文件 max_chars 规定的 150 字"
                            f"（多 {entry['chars'] - 150} 字）；请在选稿清单中去掉一些片段，或精简片段文字"]
        else:
            assert over == []
    assert max(lengths.values()) > 150 >= min(lengths.values())
    assert "各报告正文字数（上限 150 字）：" in result.output
    for entry in manifest["reports"]:
        line = f"  {entry['file']}：{entry['chars']} 字" + ("  超出上限" if entry["chars"] > 150 else "")
        assert line in result.output.splitlines()
    # preview gives the same count, on stderr (stdout stays the report's text)
    shown = CliRunner().invoke(main, ["preview", str(rules), "--people", str(mini / "people.yaml"),
                                      "--checklist", str(mini / "checklist.md"), "--person", "甲一"])
    assert shown.exit_code == 0, shown.output
    assert f"正文 {lengths['甲一']} 字（只计汉字，含各级标题，不含标题、副标题和落款，上限 150 字）" in shown.stderr
    assert "正文" not in shown.stdout.splitlines()[-1] and shown.stdout.splitlines()[-1] == "2022年12月5日"
    assert ("警告：报告正文" in shown.stderr) == (lengths["甲一"] > 150)


def test_count_chars():
    assert count_chars("一、强化理论武装（2022年）：Party 学习12次。") == 11
    assert count_chars("𠀀㐀") == 2 and count_chars("，。“”！？ abc 123") == 0
