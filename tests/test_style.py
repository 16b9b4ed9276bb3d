"""The pure house style checks (``assembler.style``): each rule, what must not be a finding, fixes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembler.style import Edit, Paragraph, StyleSettings, apply_edits, check_paragraphs, parse_wording, year_of


def found(*texts: str, **kwargs) -> list[tuple[int, str, str, str | None]]:
    pars = [Paragraph.plain(text) for text in texts]
    return [(f.paragraph, f.rule, f.old, f.new) for f in check_paragraphs(pars, **kwargs)]


#: Ordinary text that is not a finding: English, versions, URLs, figures, times, ranges.
CLEAN = [
    "Microsoft Office, LibreOffice 7.4 and WPS 2019 (Kingsoft).",
    "版本 v2.3.1 已上线，补丁 1.2.3-4 同步发布。",
    "详见https://www.example.gov.cn/news/a.b?x=1,2&y=3，或发邮件至 office@example.gov.cn。",
    "累计投入资金3.2万元，完成率98.5%，增长1.5倍，共1,000户。",
    "上午9:30召开会议，比分3:2。",
    "1-3月完成，3～5人一组，2021—2022年度连续达标，第1—3季度。",
    "张三（Zhang San）、O’Brien’s book 和“Smart City”项目。",
    "参加工作22年，工作20年以来，一、二季度完成投资。",
    "1.5亿元项目顺利推进。",
    "特此报告，请予评议。",
    "“三会一课”《中国共产党章程》【重要】（一并办理）‘好’。",
    "——这是经验。……等等。",
    "2022.13.1 不是日期，file-2022-12-05.docx 是文件名。",
    "第1.2.3条，IP 10.0.0.1，英文 and so on...",
    "“百分之百”完成任务。",
    "2022年1—11月完成“十四五”规划中期评估（2022—2025年），依据国办发〔2022〕12号文件。",
    "按1:1000比例尺测绘，建成5G基站3个，GDP增长5.5%，考核得分95.6分，同比下降2.3个百分点。",
    "一是加强学习；二是强化落实。他说：“我们要‘两个维护’。”上午8:30—12:00，电话0571-88888888。",
    "A/B两类，1/3的村，见附件1-2，Windows 10、Office 2016、WPS，第20届亚运会。",
]


@pytest.mark.parametrize("text", CLEAN)
def test_no_false_alarm(text: str):
    assert found(text) == []


def test_halfwidth_marks_beside_chinese():
    assert found("学习,提高;坚持:好?是!") == [
        (0, "punct.halfwidth", ",", "，"), (0, "punct.halfwidth", ";", "；"), (0, "punct.halfwidth", ":", "："),
        (0, "punct.halfwidth", "?", "？"), (0, "punct.halfwidth", "!", "！")]
    assert found("工作, 推进") == [(0, "punct.halfwidth", ", ", "，")]  # the space goes with the mark
    assert found("采用(办公自动化)系统") == [(0, "punct.halfwidth", "(办公自动化)", "（办公自动化）")]


def test_unbalanced_pairs_within_a_paragraph():
    assert found("他说“好。", "书名《章程。", "（一）完成】") == [
        (0, "punct.unbalanced", "“", None), (1, "punct.unbalanced", "《", None), (2, "punct.unbalanced", "】", None)]
    assert found("“甲", "乙”") == [(0, "punct.unbalanced", "“", None), (1, "punct.unbalanced", "”", None)]


def test_ellipsis_dash_doubled_spaces():
    assert found("等等...还有。。。以及…完") == [
        (0, "punct.ellipsis", "...", "……"), (0, "punct.ellipsis", "。。。", "……"), (0, "punct.ellipsis", "…", "……")]
    dashes = check_paragraphs([Paragraph.plain("工作--服务，目标－－任务，坚持—“两个维护”，北京—上海")])
    assert [(f.old, f.fixable) for f in dashes] == [("--", True), ("－－", True), ("—", True), ("—", False)]
    assert found("好，，不。。对、、") == [
        (0, "punct.doubled", "，，", "，"), (0, "punct.doubled", "。。", "。"), (0, "punct.doubled", "、、", "、")]
    assert found("我们 的工作 ，要　落实。") == [
        (0, "punct.space", " ", ""), (0, "punct.space", " ", ""), (0, "punct.space", "　", "")]


def test_numerals():
    assert found("二0二二年，一九九O年，二〇二三年") == [
        (0, "num.zero", "二0二二", "二〇二二"), (0, "num.zero", "一九九O", "一九九〇")]
    assert found("22年12月，22年度，05年起，22年底") == [
        (0, "num.short-year", "22", "2022"), (0, "num.short-year", "22", "2022"),
        (0, "num.short-year", "05", "2005"), (0, "num.short-year", "22", "2022")]
    assert found("2022年完成。", "二〇二一年开始，提高5%和百分之五，3月5日和十二月五日。") == [
        (1, "num.mixed", "二〇二一年", None), (1, "num.mixed", "百分之五", None), (1, "num.mixed", "十二月五日", None)]
    assert found("二〇二一年开始，提高百分之五，十二月五日。") == []  # one style throughout


def test_dates():
    assert found("截至2022.12.31，2022-12-05检查，2022/12/5通报，2022.2.30不是") == [
        (0, "date.format", "2022.12.31", "2022年12月31日"), (0, "date.format", "2022-12-05", "2022年12月5日"),
        (0, "date.format", "2022/12/5", "2022年12月5日")]
    assert found("2022.1.1-2022.12.31") == [
        (0, "date.format", "2022.1.1", "2022年1月1日"), (0, "date.format", "2022.12.31", "2022年12月31日")]


def test_heading_items_and_order():
    assert found("1、建立制度。", "(1)每周学习。", "(一)完善办法。", "一.强化督查。", "（1)及时更新。") == [
        (0, "heading.item", "1、", "1."), (1, "heading.item", "(1)", "（1）"), (2, "heading.item", "(一)", "（一）"),
        (2, "heading.order", "(一)", None), (3, "heading.item", "一.", "一、"), (3, "heading.order", "一.", None),
        (4, "heading.item", "（1)", "（1）")]
    # going down and back up the levels is fine; a higher level inside a lower one is not
    assert found("一、甲", "（一）乙", "1.丙", "（1）丁", "2.戊", "（二）己", "二、庚") == []
    assert found("1.甲", "（一）乙", "2.丙") == [(1, "heading.order", "（一）", None)]
    assert found("（一）甲", base=2) == [(0, "heading.order", "（一）", None)]
    word = [Paragraph.plain("履职", level=1), Paragraph.plain("（一）小标题"), Paragraph.plain("抓好", level=2),
            Paragraph.plain("一、错")]
    assert [(f.paragraph, f.rule) for f in check_paragraphs(word)] == [(3, "heading.order")]


def test_wording_entries_and_year():
    wording = parse_wording("- find: 第(\\d+)届\n  say: 示例\n  replace: 第\\1次\n  from_year: 2023\n"
                            "- find: 旧\n  say: 示例二\n")
    assert not wording.problems
    options = StyleSettings("warn", wording)
    assert found("第5届，旧。", settings=options, year=2024) == [(0, "wording", "第5届", "第5次"), (0, "wording", "旧", None)]
    assert found("第5届，旧。", settings=options, year=2022) == [(0, "wording", "旧", None)]
    assert found("第5届，旧。", settings=StyleSettings("off", wording), year=2024) == []


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- find: \"(\"\n  say: x\n", 1, "不是有效的正则表达式"),
    ("- find: a\n", 1, "缺少 say"),
    ("- say: a\n", 1, "缺少 find"),
    ("- find: a\n  say: b\n  from_year: 2024\n  to_year: 2020\n", 4, "早于"),
    ("- find: a\n  say: b\n  from_year: 二〇二三\n", 3, "四位年份"),
    ("- find: a\n  say: b\n  color: red\n", 3, "未知的键"),
    ("find: a\n", 1, "必须是列表"),
    ("- [a\n", 2, ""),
])
def test_wording_problems_at_their_line(text: str, line: int, message: str):
    wording = parse_wording(text, file="wording.yaml")
    assert wording.problems and wording.problems[0].line == line and message in wording.problems[0].message
    assert wording.entries == ()


def test_empty_wording_file_is_fine():
    assert parse_wording("# 只有注释\n").problems == ()


def test_year_of_takes_the_latest_year():
    assert year_of(["2022年度述职述廉报告", "张三", "2023年1月5日"]) == 2023
    assert year_of(["述职报告"]) is None


def test_apply_edits_skips_overlaps():
    text, applied = apply_edits("abcdef", [Edit(1, 3, "X"), Edit(2, 4, "Y"), Edit(5, 6, "")])
    assert text == "aXde" and [e.new for e in applied] == ["X", ""]


_ALPHABET = list("工作推进学习党建会议") + list(",;:?!()…—-.。，、 “”（）0二〇年月日") + ["2022", "12", "5", "1、", "(1)"]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=30))
def test_fixes_keep_the_words_and_settle(pieces: list[str]):
    """Fixing never adds, drops or reorders a Han character (dates aside: they gain 年月日), and
    checking again after a few rounds of fixes finds nothing more to fix."""
    text = "".join(pieces)
    han = re.sub(r"[^\u4e00-\u9fff]", "", text)
    for _ in range(5):
        findings = check_paragraphs([Paragraph.plain(text)])
        edits = [Edit(f.start, f.end, f.new) for f in findings if f.fixable and f.new is not None]
        if not edits:
            break
        text, _ = apply_edits(text, edits)
    assert not [f for f in check_paragraphs([Paragraph.plain(text)]) if f.fixable]
    assert re.sub(r"[^\u4e00-\u9fff]|[年月日]", "", text) == re.sub(r"[年月日]", "", han)
