"""The rules file: which snippets, in which sections, in which order, and when.

Rules decide structure only. ``when`` expressions are parsed here (so a typo is
caught before anything is written) but evaluated per person at render time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .grammar import grammar
from .problems import Problems, check_template
from .snippets import read_variables
from .values import VarSpec
from .yamlio import LineDict, LineList, load_yaml_file

RULES_KEYS = (
    "title",
    "subtitle",
    "output_name",
    "library",
    "base_template",
    "variables",
    "opening",
    "sections",
    "closing",
    "signature",
    "subheading",
    "max_chars",
    "min_body_chars",
    "similarity_threshold",
    "style",
    "new_snippets",
)
SECTION_KEYS = ("id", "heading", "intro", "snippets")
ENTRY_KEYS = ("id", "when")
SUBHEADING_MODES = ("separate", "run-in")
#: ``style:``: how the house style checks (``assembler.style``) count.
STYLE_MODES = ("warn", "strict", "off")
#: How ``checklist --merge`` adds snippets the old checklist did not have.
NEW_SNIPPET_MODES = ("unticked", "ticked")
#: Names the pipeline puts in every context; rules and snippets may not declare them.
RESERVED_NAMES = frozenset({"loop", "self", "range", "variants"})


@dataclass(frozen=True)
class Entry:
    """One use of a snippet in the rules, with an optional per-person condition."""

    id: str
    when: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    intro: tuple[Entry, ...]
    snippets: tuple[Entry, ...]
    line: int = 0

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.intro + self.snippets


@dataclass(frozen=True)
class Rules:
    path: Path
    title: str
    subtitle: str | None
    output_name: str
    library: Path
    base_template: Path | None
    variables: dict[str, VarSpec]
    opening: tuple[Entry, ...]
    sections: tuple[Section, ...]
    closing: tuple[Entry, ...]
    signature: tuple[str, ...] = ()
    subheading: str = "separate"
    max_chars: int | None = None
    min_body_chars: int | None = None
    similarity_threshold: float | None = None
    style: str = "warn"  # house style checks (``style``): warn, strict (findings are errors) or off
    lines: dict[str, int] = field(default_factory=dict)
    new_snippets: str = "unticked"  # see NEW_SNIPPET_MODES

    def entries(self) -> Iterator[Entry]:
        """Every snippet use, in document order."""
        yield from self.opening
        for section in self.sections:
            yield from section.entries
        yield from self.closing

    def entry_ids(self) -> list[str]:
        return [entry.id for entry in self.entries()]

    def report_level_sources(self) -> list[str]:
        """The rules' own template strings (title, name, signature) whose variables every report needs."""
        sources = [self.title, self.output_name, *self.signature]
        if self.subtitle:
            sources.append(self.subtitle)
        return sources

    def report_level_variables(self) -> set[str]:
        names: set[str] = set()
        for source in self.report_level_sources():
            names |= grammar().template_variables(source)
        return names


@dataclass
class RulesReading:
    """What a rules file says, as far as it could be read: ``rules`` when it has no error.

    Lint checks the rules against the library and the snippets' variables with what is here,
    whether or not a build would accept the file; a build takes ``rules`` (``load_rules``).
    """

    path: Path
    library: Path
    rules: Rules | None = None
    #: every snippet use read, in document order
    entries: list[Entry] = field(default_factory=list)
    variables: dict[str, VarSpec] = field(default_factory=dict)
    #: every declared name (a bad spec too) -> the line of its declaration
    declared: dict[str, int] = field(default_factory=dict)
    #: the template strings every report renders (title, subtitle, output_name, signature): key, text, line
    strings: list[tuple[str, str, int]] = field(default_factory=list)
    #: section headings, with lines
    headings: list[tuple[str, int]] = field(default_factory=list)


def _entries(raw: Any, *, file: Path, where: str, line: int, problems: Problems) -> tuple[Entry, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.error(file, line, f"{where} 必须是片段 id 的列表")
        return ()
    entries: list[Entry] = []
    for index, item in enumerate(raw):
        item_line = raw.line_of(index) if isinstance(raw, LineList) else line
        if isinstance(item, str):
            entries.append(Entry(id=item.strip(), line=item_line))
            continue
        if not isinstance(item, dict) or "id" not in item:
            problems.error(file, item_line, f"{where} 的第{index + 1}项应是片段 id，或 {{id: …, when: …}}")
            continue
        for key in item:
            if key not in ENTRY_KEYS:
                problems.error(file, item_line, f"未知的键“{key}”；片段项只能有 id 和 when")
        when = item.get("when")
        when = str(when).strip() if when is not None else None
        entries.append(Entry(id=str(item["id"]).strip(), when=when or None, line=item_line))
    return tuple(entries)


def _template_string(raw: Any, key: str, *, file: Path, line: int, reading: RulesReading,
                     problems: Problems) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, (str, int)):
        problems.error(file, line, f"{key} 必须是文本")
        return None
    text = str(raw)
    reading.strings.append((key, text, line))
    check_template(text, file=file, line=line, problems=problems)
    return text


def _section(raw: Any, index: int, line: int, *, file: Path, seen: dict[str, int], reading: RulesReading,
             problems: Problems) -> Section | None:
    if not isinstance(raw, dict):
        problems.error(file, line, "sections 的每一项必须有 id、heading、snippets")
        return None
    for key in raw:
        if key not in SECTION_KEYS:
            problems.error(file, raw.line_of(key) if isinstance(raw, LineDict) else line,
                           f"未知的键“{key}”；栏目可用的键：{'、'.join(SECTION_KEYS)}")
    section_id = str(raw.get("id") or f"section{index + 1}")
    if section_id in seen:
        problems.error(file, line, f"栏目 id“{section_id}”重复（另一处在第{seen[section_id]}行）")
    seen.setdefault(section_id, line)
    heading = raw.get("heading")
    if not isinstance(heading, str) or not heading.strip():
        problems.error(file, line, f"栏目“{section_id}”缺少 heading（一级标题）")
        heading = ""
    else:
        heading_line = raw.line_of("heading") if isinstance(raw, LineDict) else line
        reading.headings.append((heading, heading_line))
        check_template(heading, file=file, line=heading_line, problems=problems, what="栏目标题的")
    parts = {
        key: _entries(raw.get(key), file=file, where=f"栏目“{section_id}”的 {key}",
                      line=raw.line_of(key) if isinstance(raw, LineDict) else line, problems=problems)
        for key in ("intro", "snippets")
    }
    reading.entries += [*parts["intro"], *parts["snippets"]]
    return Section(id=section_id, heading=heading.strip(), intro=parts["intro"], snippets=parts["snippets"], line=line)


def read_rules(path: Path, *, problems: Problems) -> RulesReading:
    """Read a rules file, reporting every mistake to ``problems``."""
    path = Path(path)
    reading = RulesReading(path=path, library=path.parent / "snippets")
    try:
        data = load_yaml_file(path)
    except InputError as exc:
        problems.from_exc(exc, path)
        return reading
    if not isinstance(data, LineDict):
        problems.error(path, 1, "规则文件必须是 YAML 映射（title、sections 等键）")
        return reading
    before = problems.errors_in(path)
    for key in data:
        if key not in RULES_KEYS:
            problems.error(path, data.line_of(key), f"未知的键“{key}”；可用的键：{'、'.join(RULES_KEYS)}")
    base = path.parent
    strings = {
        key: _template_string(data.get(key), key, file=path, line=data.line_of(key), reading=reading,
                              problems=problems)
        for key in ("title", "subtitle", "output_name")
    }
    title = strings["title"]
    if not data.get("title"):
        problems.error(path, 1, "缺少 title（报告标题），如 title: \"{{ year }}年度述职述廉报告\"")
    reading.library = base / str(data.get("library") or "snippets")
    base_template_raw = data.get("base_template")
    base_template = base / str(base_template_raw) if base_template_raw else None
    if base_template is not None and not base_template.is_file():
        problems.error(path, data.line_of("base_template"),
                       "base_template 指向的 .docx 不存在；写 null 使用内置的 GB/T 9704 模板")
    reading.variables, reading.declared = read_variables(data, file=path, problems=problems, reserved=RESERVED_NAMES)
    opening = _entries(data.get("opening"), file=path, where="opening", line=data.line_of("opening"),
                       problems=problems)
    reading.entries += opening
    raw_sections = data.get("sections") or []
    if not isinstance(raw_sections, list):
        problems.error(path, data.line_of("sections"), "sections 必须是列表")
        raw_sections = []
    sections: list[Section] = []
    seen_sections: dict[str, int] = {}
    for index, raw in enumerate(raw_sections):
        line = raw_sections.line_of(index) if isinstance(raw_sections, LineList) else 1
        section = _section(raw, index, line, file=path, seen=seen_sections, reading=reading, problems=problems)
        if section is not None:
            sections.append(section)
    closing = _entries(data.get("closing"), file=path, where="closing", line=data.line_of("closing"),
                       problems=problems)
    reading.entries += closing
    signature_raw = data.get("signature") or []
    if isinstance(signature_raw, str):
        signature_raw = [signature_raw]
    signature = tuple(
        _template_string(item, "signature", problems=problems, reading=reading, file=path,
                         line=signature_raw.line_of(index) if isinstance(signature_raw, LineList)
                         else data.line_of("signature")) or ""
        for index, item in enumerate(signature_raw)
    )
    subheading = str(data.get("subheading") or "separate")
    if subheading not in SUBHEADING_MODES:
        problems.error(path, data.line_of("subheading"),
                       "subheading 只能是 separate（二级标题单独成段）或 run-in（标题接正文）")
    max_chars = data.get("max_chars")
    if max_chars is not None and (not isinstance(max_chars, int) or max_chars <= 0):
        problems.error(path, data.line_of("max_chars"), "max_chars 必须是正整数（正文汉字数上限）")
    min_body_chars = data.get("min_body_chars")
    if min_body_chars is not None and (isinstance(min_body_chars, bool) or not isinstance(min_body_chars, int)
                                       or min_body_chars <= 0):
        problems.error(path, data.line_of("min_body_chars"), "min_body_chars 必须是正整数（正文汉字数下限）")
    threshold = data.get("similarity_threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1
    ):
        problems.error(path, data.line_of("similarity_threshold"), "similarity_threshold 必须是 0～1 之间的数，如 0.8")
    raw_style = data.get("style")
    style = "off" if raw_style is False else str(raw_style or "warn")  # YAML reads a bare off as false
    if style not in STYLE_MODES:
        problems.error(path, data.line_of("style"),
                       "style 只能是 warn（文字规范问题作为警告，默认）、strict（作为错误）或 off（不检查）")
    new_snippets = str(data.get("new_snippets") or "unticked")
    if new_snippets not in NEW_SNIPPET_MODES:
        problems.error(path, data.line_of("new_snippets"),
                       "new_snippets 只能是 unticked（刷新清单时新片段不勾选，默认）或 ticked（新片段勾选）")
    seen: dict[str, int] = {}
    for entry in reading.entries:
        if entry.id in seen:
            problems.error(path, entry.line, f"片段“{entry.id}”在规则中出现了两次（另一处在第{seen[entry.id]}行）")
        seen.setdefault(entry.id, entry.line)
        reason = grammar().expression_problem(entry.when) if entry.when else None
        if reason:
            problems.error(path, entry.line, f"when 条件“{entry.when}”无法解析（{reason}），"
                                             "请写成 Jinja 表达式，如 grid_cells > 0")
    if problems.errors_in(path) == before and title:
        reading.rules = Rules(
            path=path,
            title=title,
            subtitle=strings["subtitle"],
            output_name=strings["output_name"] or title,
            library=reading.library,
            base_template=base_template,
            variables=reading.variables,
            opening=opening,
            sections=tuple(sections),
            closing=closing,
            signature=signature,
            subheading=subheading,
            max_chars=max_chars,
            min_body_chars=min_body_chars,
            similarity_threshold=float(threshold) if threshold is not None else None,
            style=style,
            lines=dict(data.lines),
            new_snippets=new_snippets,
        )
    return reading


def load_rules(path: Path) -> Rules:
    """The rules, or the first mistake in them as an ``InputError``."""
    reading = read_rules(path, problems=Problems(strict=True))
    assert reading.rules is not None  # strict: any error has been raised
    return reading.rules
