"""``assembler import``: an existing report (.docx) split into a starter library.

Most offices start from last year's reports, not from an empty folder. This
reads one report paragraph by paragraph (``text.docx_paragraphs`` gives each
paragraph's visible number, text and style, so numbers typed by hand and numbers
from Word's list numbering look the same) and writes:

* ``snippets/``: the paragraphs before the first 一、 heading (after the title and
  subtitle) as the opening; for each 一、 section the paragraphs before its first
  （一） as an ``intro`` snippet and one snippet per （一） subsection (heading and
  body); the tail from "特此报告" (and the like) on as the closing;
* ``rules.yaml``: the same structure, with title, subtitle and signature as Jinja
  strings (year, name, unit, post and report date as variables where they can be
  recognised, else literal text);
* ``people.yaml``: one row with the values found, so that building it again gives
  the same text; ``checklist.md``.

Figures become variables: a number followed by a counting word (次、名、户、个、
万元 …) or a masked one (``**次``), with an ASCII name (``s2_3``), a Chinese label
from the words before it (“走访农户数”) and the number as ``example``. Masked
figures have no value: people.yaml leaves them empty for the user to fill.

Size: one file for one command (``assembler import``): the steps that cut a report into snippets,
rules and people read best in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..numbering import LEVEL1_NUMBER, LEVEL1_TEXT, LEVEL2_NUMBER, LEVEL2_TEXT
from ..ooxml.names import STYLE_DATE, STYLE_SIGNATURE, STYLE_SUBTITLE, STYLE_TITLE
from ..ooxml.text import TextParagraph, docx_paragraphs

#: How the closing usually starts (after the last section's body).
_CLOSING = re.compile(r"^\s*(特此(报告|述职)|以上(报告|是我|述职|就是)|不妥之处"
                      r"|请予(评议|审议|审阅)|请(各位|大家|组织)|恳请)")
_SENTENCE_END = "。！？；：…!?;:"
_SIGNATURE_STYLES = frozenset({STYLE_SIGNATURE, STYLE_DATE})
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff](?:\s*[\u4e00-\u9fff]){1,3}$")
_CN_DATE = re.compile(r"(?<!\d)(\d{4})年([1-9]\d?)月([1-9]\d?)日")
_ANY_CN_DATE = re.compile(r"^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$")
#: Counting words and measures a figure may be followed by (longest first).
UNITS = ("人次", "万元", "亿元", "公里", "千米", "小时", "平方米", "万", "元", "次", "名", "户", "个",
         "篇", "项", "米", "亩", "家", "场", "条", "件", "期", "天", "批", "所", "台", "套", "座", "处",
         "份", "起", "人", "位", "%", "％")
_COUNT_UNITS = frozenset("名户个篇项家场条件期批所台套座处份起人位")
_UNIT_RE = "|".join(re.escape(unit) for unit in UNITS)
_MASK = r"\*{2,}|＊{2,}|[Xx]{2,}|[×✕]{2,}|某某"
_TOKEN = re.compile(
    rf"(?P<date>(?<!\d)\d{{4}}年[1-9]\d?月[1-9]\d?日)"
    rf"|(?P<mask>(?:{_MASK}))(?=(?:余|多)?(?:{_UNIT_RE}))"
    rf"|(?<![\d.．第])(?P<number>(?:0|[1-9]\d*)(?:\.\d+)?)(?=(?:余|多)?(?:{_UNIT_RE}))"
    rf"|(?P<year>(?<!\d)\d{{4}})(?=年)"
)
_CLAUSE_BREAK = re.compile(r"[，。；：、,;:（）()“”‘’《》！？!?\s]")
_LEADING_WORDS = re.compile(r"^(?:全年|今年以来|今年|年内|本年度|本年|全镇|全乡|全县|全区|共计|共|累计"
                            r"|先后|合计|总计|其中|我们|我|带头|主动|亲自|认真|积极|已|均|分别|完成)+")
_TRAILING_WORDS = re.compile(r"(?:共计|共|达到|达|为|了|约|近|超过|超|逾|计|有|到|至|累计|总计|合计)+$")
_PLACE = re.compile(r"^(?:在|对|向|为)?[\u4e00-\u9fff]{0,6}?(?:社区|街道|村|镇|乡|县|区)")
_LIST_NUMBER = re.compile(r"^(?:\d+|[（(]\d+[）)])[.．、]?")
_UNIT_SUFFIXES = ("街道办事处", "委员会", "办公室", "街道", "社区", "镇", "乡", "县", "区", "市", "省", "局",
                  "委", "办", "中心",
                  "公司", "学校", "医院", "所", "站", "院", "厅", "部", "村", "队", "处", "科", "室")
_POSTS = re.compile(r"(书记|镇长|乡长|县长|区长|市长|主任|局长|委员|主席|部长|科长|所长|站长|院长|校长"
                    r"|经理|干事|专员|助理|秘书|调研员|"
                    r"队长|组长|馆长|行长|会长|社长|处长|厅长|常委|代表|成员)$")

REPORT_LEVEL = {
    "year": ("int", "年度"),
    "name": ("text", "姓名"),
    "unit": ("text", "单位"),
    "post": ("text", "职务"),
    "report_date": ("date", "报告日期"),
}


@dataclass
class Variable:
    name: str
    type: str
    label: str
    value: Any  # the figure found (None when masked)
    masked: bool = False


@dataclass
class Part:
    """One snippet to write."""

    id: str
    section: str
    heading: str | None
    paragraphs: list[str]
    variables: list[Variable] = field(default_factory=list)


@dataclass
class Section:
    id: str
    heading: str
    intro: Part | None = None
    parts: list[Part] = field(default_factory=list)


@dataclass
class Structure:
    """The report as the importer understood it (all texts still literal)."""

    title: str | None
    subtitle: str | None
    opening: list[str]
    sections: list[tuple[str, list[str], list[tuple[str, list[str]]]]]  # heading, intro, [(heading, body)]
    closing: list[str]
    signature: list[str]
    run_in: bool


@dataclass
class ImportResult:
    root: Path
    rules: Path
    people: Path
    checklist: Path
    snippets: list[Path]
    variables: list[Variable]
    report_values: dict[str, Any]
    warnings: list[str]

    @property
    def masked(self) -> list[Variable]:
        return [v for v in self.variables if v.masked]


# ------------------------------------------------------------------ structure


def _level(p: TextParagraph) -> tuple[int, str]:
    """(1 or 2, heading text) for a 一、 / （一） heading, else (0, the paragraph's full visible text)."""
    number = p.number.strip()
    if number:
        if LEVEL1_NUMBER.match(number):
            return 1, p.text.strip()
        if LEVEL2_NUMBER.match(number):
            return 2, p.text.strip()
        return 0, (number + p.text).strip()
    text = p.text.strip()
    match = LEVEL1_TEXT.match(text)
    if match:
        return 1, match.group("rest").strip()
    match = LEVEL2_TEXT.match(text)
    if match:
        return 2, match.group("rest").strip()
    return 0, text


def _ends_sentence(text: str) -> bool:
    return bool(text) and text.rstrip("”’」』）)")[-1:] in _SENTENCE_END


def _structural(style: str) -> bool:
    """Title, subtitle and heading styles: never body text, subtitle or signature."""
    return style in (STYLE_TITLE, STYLE_SUBTITLE) or style.startswith("Heading")


def _is_signature(p: TextParagraph, text: str) -> bool:
    if p.style in _SIGNATURE_STYLES:
        return True
    if _structural(p.style) or _CLOSING.match(text) or _ends_sentence(text) or len(text) > 30:
        return False
    return True


def analyse(paragraphs: list[TextParagraph]) -> Structure:
    """Split a report's paragraphs into title, opening, sections, closing and signature."""
    items = [(p, *_level(p)) for p in paragraphs if p.text.strip() or p.number.strip()]
    items = [(p, level, text) for p, level, text in items if text]
    # signature: from the end
    signature: list[str] = []
    while items and len(signature) < 4 and items[-1][1] == 0 and _is_signature(items[-1][0], items[-1][2]):
        signature.insert(0, items.pop()[2])
    # title and subtitle
    title = subtitle = None
    first_heading = next((i for i, (_, level, _) in enumerate(items) if level == 1), len(items))
    front = items[:first_heading]
    rest = items[first_heading:]
    styled_title = [i for i, (p, _, _) in enumerate(front) if p.style == STYLE_TITLE]
    start = 0
    if styled_title:
        title = front[styled_title[0]][2]
        start = styled_title[0] + 1
    elif front and not _ends_sentence(front[0][2]) and len(front[0][2]) <= 50:
        title = front[0][2]
        start = 1
    if start < len(front):
        p, _, text = front[start]
        if p.style == STYLE_SUBTITLE or (not _structural(p.style) and not _ends_sentence(text) and len(text) <= 40
                                     and title):
            subtitle = text
            start += 1
    # anything above a styled title (a date line, a file number) is kept, in the opening
    opening = [text for _, _, text in front[:styled_title[0]]] if styled_title else []
    opening += [text for _, _, text in front[start:]]
    # closing: after the last heading, from the first paragraph that reads like a closing
    closing: list[str] = []
    last_heading = max((i for i, (_, level, _) in enumerate(rest) if level), default=-1)
    for i in range(last_heading + 1, len(rest)):
        if _CLOSING.match(rest[i][2]):
            closing = [text for _, _, text in rest[i:]]
            rest = rest[:i]
            break
    sections: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = []
    for _, level, text in rest:
        if level == 1:
            sections.append((text, [], []))
        elif level == 2:
            sections[-1][2].append((text, []))
        elif sections[-1][2]:
            sections[-1][2][-1][1].append(text)
        else:
            sections[-1][1].append(text)
    subsections = [sub for _, _, subs in sections for sub in subs]
    run_in = bool(subsections) and all(_run_in_split(heading) for heading, _ in subsections)
    if run_in:
        for _, _, subs in sections:
            for index, (heading, body) in enumerate(subs):
                lead, first = _run_in_split(heading)  # type: ignore[misc]
                subs[index] = (lead, [first, *body])
    return Structure(title=title, subtitle=subtitle, opening=opening, sections=sections, closing=closing,
                     signature=signature, run_in=run_in)


def _run_in_split(text: str) -> tuple[str, str] | None:
    """A run-in subsection (“坚持学习。全年参加……”) split into heading and first paragraph.

    The heading keeps a final ！ or ：, and loses a final 。 (the template adds it
    back), exactly as ``assemble`` writes run-in headings.
    """
    match = re.search(r"[。！：]", text)
    if not match or match.end() >= len(text):
        return None
    heading, body = text[:match.end()], text[match.end():].strip()
    if not body or len(heading) > 40:
        return None
    return (heading[:-1] if heading.endswith("。") else heading), body


# ------------------------------------------------------------------ report-level values


def _split_unit_post(text: str) -> tuple[str, str] | None:
    text = text.strip()
    for end in range(1, len(text)):
        unit, post = text[:end], text[end:]
        if unit.endswith(_UNIT_SUFFIXES) and len(unit) >= 2 and _POSTS.search(post):
            return unit, post
    return None


@dataclass
class _ReportValues:
    values: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    subtitle: str | None = None
    signature: list[str] = field(default_factory=list)

    def replacements(self) -> list[tuple[str, str]]:
        """Literal text → ``{{ name }}`` in bodies: longest first, so 青山镇副镇长 goes before 青山镇."""
        pairs = []
        unit, post = self.values.get("unit"), self.values.get("post")
        if unit and post:
            pairs.append((unit + post, "{{ unit }}{{ post }}"))
        for key in ("unit", "post", "name"):
            value = self.values.get(key)
            if isinstance(value, str) and len(value) >= 2:
                pairs.append((value, "{{ " + key + " }}"))
        return sorted(pairs, key=lambda pair: -len(pair[0]))


def _report_values(structure: Structure) -> _ReportValues:
    found = _ReportValues()
    name = None
    for line in structure.signature:
        if _CJK_NAME.match(line):
            name = line
            break
    subtitle_rest = structure.subtitle
    if structure.subtitle:
        tokens = structure.subtitle.split()
        if name is None and len(tokens) > 1 and _CJK_NAME.match(tokens[-1]):
            name = tokens[-1]
        if name and structure.subtitle.rstrip().endswith(name):
            subtitle_rest = structure.subtitle.rstrip()[: -len(name)]
    if name:
        found.values["name"] = name
    if subtitle_rest and subtitle_rest.strip():
        split = _split_unit_post(subtitle_rest)
        if split:
            found.values["unit"], found.values["post"] = split
    if structure.title:
        match = re.search(r"(?<!\d)(\d{4})(?=\s*年)", structure.title)
        if match:
            found.values["year"] = int(match.group(1))
    for line in structure.signature:
        match = _ANY_CN_DATE.match(line)
        if match and not match.group(2).startswith("0") and not match.group(3).startswith("0"):
            found.values["report_date"] = _iso(match)
            break
    # templates
    if structure.title:
        found.title = _escape(structure.title)
        if "year" in found.values:
            year = r"(?<!\d)" + str(found.values["year"]) + r"(?=\s*年)"
            found.title = re.sub(year, "{{ year }}", found.title, count=1)
    if structure.subtitle:
        subtitle = _escape(structure.subtitle)
        if name and subtitle.rstrip().endswith(name):
            subtitle = subtitle.rstrip()[: -len(name)] + "{{ name }}"
        if "unit" in found.values:
            unit_post = found.values["unit"] + found.values["post"]
            subtitle = subtitle.replace(unit_post, "{{ unit }}{{ post }}", 1)
        found.subtitle = subtitle
    for line in structure.signature:
        if name and line == name:
            found.signature.append("{{ name }}")
        elif "report_date" in found.values and _ANY_CN_DATE.match(line):
            found.signature.append("{{ report_date }}")
        else:
            text = _escape(line)
            for literal, variable in found.replacements():
                text = text.replace(literal, variable)
            found.signature.append(text)
    return found


def _iso(match: re.Match[str]) -> str:
    """``2022-03-01`` from a match of year, month and day groups."""
    return f"{match.group(1)}-{int(match.group(2)):02d}-{int(match.group(3)):02d}"


def _escape(text: str) -> str:
    """Literal text as template text: Jinja's own brackets are written out as strings."""
    return text.replace("{", "{{ '{' }}")


# ------------------------------------------------------------------ figures


class _Namer:
    """Variable names, labels (unique in the whole import) and the figures found."""

    def __init__(self) -> None:
        self.labels: set[str] = {label for _, label in REPORT_LEVEL.values()}
        self.names: set[str] = set(REPORT_LEVEL)
        self.counters: dict[str, int] = {}

    def name(self, prefix: str) -> str:
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            candidate = f"{prefix}_{self.counters[prefix]}"
            if candidate not in self.names:
                self.names.add(candidate)
                return candidate

    def label(self, wanted: str) -> str:
        wanted = wanted or "数字"
        candidate, number = wanted, 1
        while candidate in self.labels or candidate in self.names:
            number += 1
            candidate = f"{wanted}{number}"
        self.labels.add(candidate)
        return candidate


def _label_for(before: str, after: str, unit: str | None, kind: str) -> str:
    clause = _CLAUSE_BREAK.split(before)[-1]
    clause = re.sub(r"\{\{.*?\}\}", "", clause)
    clause = _TRAILING_WORDS.sub("", _LEADING_WORDS.sub("", _LIST_NUMBER.sub("", clause)))
    place = _PLACE.match(clause)
    if place and len(clause) - place.end() >= 2:
        clause = _LEADING_WORDS.sub("", clause[place.end():])
    clause = clause[-12:]
    if kind == "date":
        clause = re.sub(r"[于在自从]+$", "", clause)
        following = _CLAUSE_BREAK.split(after)[0]
        if not clause and following.startswith("任"):
            return "任职时间"
        return (clause + "日期") if clause else "日期"
    following = _CLAUSE_BREAK.split(re.sub(r"^[余多]", "", after)[len(unit or ""):])[0]
    noun = re.match(r"^[\u4e00-\u9fff]{1,6}", following)
    if clause and len(clause) <= 2 and noun:
        clause += noun.group(0)  # 划分12个网格 → 划分网格, not 划分 (issue 13)
    if not clause:
        clause = following[:8]
    if not clause:
        return ""
    if unit == "次":
        return clause + "次数"
    if unit == "人次":
        return clause + "人次"
    if unit in _COUNT_UNITS:
        return clause + "数"
    return f"{clause}（{unit}）" if unit else clause


def _unit_after(text: str, position: int) -> str | None:
    rest = text[position:].lstrip("余多")
    for unit in UNITS:
        if rest.startswith(unit):
            return unit
    return None


def templatize(text: str, prefix: str, namer: _Namer, report: _ReportValues,
               variables: list[Variable]) -> str:
    """A paragraph's text as template text: figures, dates and the year become variables."""
    out: list[str] = []
    position = 0

    def literal(chunk: str) -> str:
        chunk = _escape(chunk)
        for value, variable in report.replacements():
            chunk = chunk.replace(value, variable)
        return chunk

    for match in _TOKEN.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        kind = match.lastgroup or ""
        token = match.group(0)
        if kind == "year":
            if report.values.get("year") == int(token):
                out.append(literal(text[position:match.start()]) + "{{ year }}")
                position = match.end()
            continue
        out.append(literal(text[position:match.start()]))
        position = match.end()
        if kind == "date":
            date = _CN_DATE.match(token)
            assert date is not None
            label = namer.label(_label_for(before, after, None, "date"))
            variable = Variable(namer.name(prefix), "date", label, _iso(date))
        else:
            unit = _unit_after(text, match.end())
            masked = kind == "mask"
            value: Any
            if masked:
                value, type_ = None, "int"
            elif "." in token:
                value, type_ = token, "number"
            else:
                value, type_ = int(token), "int"
            label = namer.label(_label_for(before, after, unit, "figure"))
            variable = Variable(namer.name(prefix), type_, label, value, masked)
        variables.append(variable)
        out.append("{{ " + variable.name + " }}")
    out.append(literal(text[position:]))
    return "".join(out)


# ------------------------------------------------------------------ writing


def _q(value: Any) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def example_for(value: Any) -> Any:
    """An example near ``value`` but not it: an example equal to the person's own figure makes a
    rebuild warn that no figure is the person's own (``similarity.no_own_figures``)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        other = round(number) if round(number) != number else number + 1
        return str(int(other)) if float(other).is_integer() else str(other)
    if value < 10:
        return value + 1 if value != 9 else 8
    step = 10 ** (len(str(abs(value))) - 1)
    rounded = round(value / step) * step
    return rounded if rounded != value else value + step


def _spec_line(variable: Variable) -> str:
    parts = [f"type: {variable.type}"] if variable.type != "text" else []
    parts.append(f"label: {_q(variable.label)}")
    if variable.value is not None:
        example = example_for(variable.value) if variable.type in ("int", "number") else variable.value
        parts.append(f"example: {_q(example)}")
    return f"  {variable.name}: {{{', '.join(parts)}}}"


def _snippet_text(part: Part) -> str:
    lines = ["---", f"id: {part.id}", f"section: {part.section}"]
    if part.heading:
        lines.append(f"heading: {_q(part.heading)}")
    if part.variables:
        lines.append("variables:")
        lines += [_spec_line(variable) for variable in part.variables]
    lines.append("---")
    body = "\n\n".join(paragraph for paragraph in part.paragraphs if paragraph.strip()) or "{# 待补充正文 #}"
    return "\n".join(lines) + "\n" + body + "\n"


def _rules_text(structure: Structure, report: _ReportValues, opening: Part | None, sections: list[Section],
                closing: Part | None, source: str) -> str:
    values = report.values
    title = report.title or "述职述廉报告"
    lines = [f"# 由 assembler import 从 {source} 生成：请检查各栏目、片段和变量后再使用。",
             f"title: {_q(title)}"]
    if report.subtitle:
        lines.append(f"subtitle: {_q(report.subtitle)}")
    output_name = _output_name(source, report) or title + ("-{{ name }}" if "name" in values else "")
    lines += [f"output_name: {_q(output_name)}", "library: snippets", "base_template: null"]
    if structure.run_in:
        lines.append("subheading: run-in")
    if report.signature:
        lines.append("signature: [" + ", ".join(_q(line) for line in report.signature) + "]")
    used = set()
    for text in [title, report.subtitle or "", *report.signature]:
        used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", text))
    declared = [key for key in REPORT_LEVEL if key in values or key in used]
    if declared:
        lines.append("variables:")
        for key in declared:
            type_, label = REPORT_LEVEL[key]
            parts = [f"type: {type_}"] if type_ != "text" else []
            parts.append(f"label: {label}")
            if key == "year" and key in values:
                parts.append(f"example: {values[key]}")
            lines.append(f"  {key}: {{{', '.join(parts)}}}")
    if opening:
        lines.append(f"opening: [{opening.id}]")
    if sections:
        lines.append("sections:")
        for section in sections:
            lines += [f"  - id: {section.id}", f"    heading: {_q(section.heading)}"]
            if section.intro:
                lines.append(f"    intro: [{section.intro.id}]")
            if section.parts:
                lines.append("    snippets:")
                lines += [f"      - {part.id}" for part in section.parts]
    if closing:
        lines.append(f"closing: [{closing.id}]")
    return "\n".join(lines) + "\n"


def _output_name(source: str, report: _ReportValues) -> str | None:
    """The imported report's own file name, with the person's name, unit, post and year as tags,
    so that rebuilding it gives the same file; ``None`` without a real file name."""
    stem = Path(source).stem.strip()
    if not stem or Path(source).name == "report.docx":
        return None
    text = _escape(stem)
    for value, tag in report.replacements():
        text = text.replace(value, tag)
    year = report.values.get("year")
    if year is not None:
        text = re.sub(rf"(?<!\d){year}(?!\d)", "{{ year }}", text)
    return text


def _people_text(report: _ReportValues, variables: Iterable[Variable]) -> str:
    rows: list[str] = []
    for key, (_, label) in REPORT_LEVEL.items():
        if key in report.values:
            rows.append(f"{label}: {_q(report.values[key])}")
    for variable in variables:
        if variable.masked:
            rows.append(f"{variable.label}: null  # 原文打码，请填写")
        else:
            rows.append(f"{variable.label}: {_q(variable.value)}")
    if not rows:
        return "- {}\n"
    return "# 由 assembler import 生成：原报告中的值；每人一项，可增加多人。\n- " + "\n  ".join(rows) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def import_report(data: bytes, outdir: Path, *, source: str = "report.docx",
                  force: bool = False) -> ImportResult:
    """Split the report ``data`` into a library in ``outdir`` (see the module docstring)."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("输出位置已存在且不是文件夹", file=outdir)
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise InputError("输出文件夹不是空的；请换一个新文件夹，或加 --force 覆盖同名文件", file=outdir)
    paragraphs = docx_paragraphs(data)
    structure = analyse(paragraphs)
    if not (structure.opening or structure.sections or structure.closing):
        raise InputError("报告中没有找到正文段落", file=source)
    warnings: list[str] = []
    if not structure.sections:
        warnings.append("没有找到“一、”这样的一级标题，全文作为开头片段导入")
    report = _report_values(structure)
    if not structure.title:
        warnings.append("没有找到标题，规则中暂用“述职述廉报告”")
    namer = _Namer()
    variables: list[Variable] = []

    def make(part_id: str, section: str, prefix: str, heading: str | None, texts: list[str]) -> Part:
        found: list[Variable] = []
        heading_template = templatize(heading, prefix, namer, report, found) if heading else None
        body = [templatize(text, prefix, namer, report, found) for text in texts]
        variables.extend(found)
        return Part(part_id, section, heading_template, body, found)

    opening = make("opening.main", "opening", "opening", None, structure.opening) if structure.opening \
        else None
    sections: list[Section] = []
    for number, (heading, intro, subs) in enumerate(structure.sections, start=1):
        sid = f"s{number}"
        section = Section(sid, _escape(heading))
        if intro:
            section.intro = make(f"{sid}.intro", sid, sid, None, intro)
        for sub_number, (sub_heading, body) in enumerate(subs, start=1):
            section.parts.append(make(f"{sid}.p{sub_number}", sid, sid, sub_heading, body))
        if not section.intro and not section.parts:
            section.intro = make(f"{sid}.intro", sid, sid, None, [])
        sections.append(section)
    closing = make("closing.main", "closing", "closing", None, structure.closing) if structure.closing \
        else None
    written: list[Path] = []
    parts: list[Part] = [opening] if opening else []
    for section in sections:
        parts += ([section.intro] if section.intro else []) + section.parts
    parts += [closing] if closing else []
    for part in parts:
        name = part.id.split(".", 1)[1]
        path = outdir / "snippets" / part.section / f"{name}.md"
        _write(path, _snippet_text(part))
        written.append(path)
    rules_path = outdir / "rules.yaml"
    _write(rules_path, _rules_text(structure, report, opening, sections, closing, source))
    people_path = outdir / "people.yaml"
    _write(people_path, _people_text(report, variables))
    from ..load.rules import load_rules
    from ..load.selection import render_checklist
    from ..load.snippets import load_library

    rules = load_rules(rules_path)
    checklist_path = outdir / "checklist.md"
    _write(checklist_path, render_checklist(rules, load_library(rules.library)))
    masked = [v for v in variables if v.masked]
    if masked:
        warnings.append(f"{len(masked)} 处打码的数字已变为变量（{'、'.join(v.label for v in masked[:5])}"
                        f"{'等' if len(masked) > 5 else ''}），请在 people.yaml 中填写")
    return ImportResult(root=outdir, rules=rules_path, people=people_path, checklist=checklist_path,
                        snippets=written, variables=variables, report_values=dict(report.values),
                        warnings=warnings)


def report_lines(data: bytes) -> list[str]:
    """A report as its non-empty paragraphs (visible number + text, surrounding spaces dropped):
    what ``import`` promises to rebuild."""
    return [p.full.strip() for p in docx_paragraphs(data) if p.full.strip()]
