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


def _entries(raw: Any, *, file: Path, where: str, line: int) -> tuple[Entry, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise InputError(f"{where} 必须是片段 id 的列表", file=file, line=line)
    entries: list[Entry] = []
    for index, item in enumerate(raw):
        item_line = raw.line_of(index) if isinstance(raw, LineList) else line
        if isinstance(item, str):
            entries.append(Entry(id=item.strip(), line=item_line))
            continue
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(
                f"{where} 的第{index + 1}项应是片段 id，或 {{id: …, when: …}}", file=file, line=item_line
            )
        unknown = [key for key in item if key not in ENTRY_KEYS]
        if unknown:
            raise InputError(f"未知的键“{unknown[0]}”；片段项只能有 id 和 when", file=file, line=item_line)
        when = item.get("when")
        if when is not None:
            when = str(when).strip()
            reason = grammar().expression_problem(when)
            if reason:
                raise InputError(
                    f"when 条件“{when}”无法解析（{reason}），请写成 Jinja 表达式，如 grid_cells > 0",
                    file=file,
                    line=item_line,
                )
        entries.append(Entry(id=str(item["id"]).strip(), when=when or None, line=item_line))
    return tuple(entries)


def _template_string(raw: Any, key: str, *, file: Path, line: int, default: str | None) -> str | None:
    if raw is None:
        return default
    if not isinstance(raw, (str, int)):
        raise InputError(f"{key} 必须是文本", file=file, line=line)
    text = str(raw)
    try:
        grammar().template_variables(text)
    except Exception as exc:  # the grammar's syntax error
        raise InputError(f"{key} 的 Jinja 语法错误：{exc}", file=file, line=line) from None
    return text


def load_rules(path: Path) -> Rules:
    path = Path(path)
    data = load_yaml_file(path)
    if not isinstance(data, LineDict):
        raise InputError("规则文件必须是 YAML 映射（title、sections 等键）", file=path, line=1)
    unknown = [key for key in data if key not in RULES_KEYS]
    if unknown:
        raise InputError(
            f"未知的键“{unknown[0]}”；可用的键：{'、'.join(RULES_KEYS)}", file=path, line=data.line_of(unknown[0])
        )
    base = path.parent
    title = _template_string(data.get("title"), "title", file=path, line=data.line_of("title"), default=None)
    if not title:
        raise InputError("缺少 title（报告标题），如 title: \"{{ year }}年度述职述廉报告\"", file=path, line=1)
    subtitle = _template_string(data.get("subtitle"), "subtitle", file=path, line=data.line_of("subtitle"), default=None)
    output_name = _template_string(
        data.get("output_name"), "output_name", file=path, line=data.line_of("output_name"), default=title
    )
    library = base / str(data.get("library") or "snippets")
    base_template_raw = data.get("base_template")
    base_template = base / str(base_template_raw) if base_template_raw else None
    if base_template is not None and not base_template.is_file():
        raise InputError(
            "base_template 指向的 .docx 不存在；写 null 使用内置的 GB/T 9704 模板",
            file=path,
            line=data.line_of("base_template"),
        )
    raw_vars = data.get("variables") or {}
    if not isinstance(raw_vars, dict):
        raise InputError("variables 必须是映射：变量名: {type: …, label: …}", file=path, line=data.line_of("variables"))
    variables = {
        name: VarSpec.from_yaml(name, spec, file=path, line=raw_vars.line_of(name) if isinstance(raw_vars, LineDict) else 1)
        for name, spec in raw_vars.items()
    }
    raw_sections = data.get("sections") or []
    if not isinstance(raw_sections, list):
        raise InputError("sections 必须是列表", file=path, line=data.line_of("sections"))
    sections: list[Section] = []
    seen_sections: set[str] = set()
    for index, raw in enumerate(raw_sections):
        line = raw_sections.line_of(index) if isinstance(raw_sections, LineList) else 1
        if not isinstance(raw, dict):
            raise InputError("sections 的每一项必须有 id、heading、snippets", file=path, line=line)
        unknown = [key for key in raw if key not in SECTION_KEYS]
        if unknown:
            raise InputError(f"未知的键“{unknown[0]}”；栏目可用的键：{'、'.join(SECTION_KEYS)}", file=path, line=line)
        section_id = str(raw.get("id") or f"section{index + 1}")
        if section_id in seen_sections:
            raise InputError(f"栏目 id“{section_id}”重复", file=path, line=line)
        seen_sections.add(section_id)
        heading = raw.get("heading")
        if not isinstance(heading, str) or not heading.strip():
            raise InputError(f"栏目“{section_id}”缺少 heading（一级标题）", file=path, line=line)
        sections.append(
            Section(
                id=section_id,
                heading=heading.strip(),
                intro=_entries(raw.get("intro"), file=path, where=f"栏目“{section_id}”的 intro", line=line),
                snippets=_entries(raw.get("snippets"), file=path, where=f"栏目“{section_id}”的 snippets", line=line),
                line=line,
            )
        )
    signature_raw = data.get("signature") or []
    if isinstance(signature_raw, str):
        signature_raw = [signature_raw]
    signature = tuple(
        _template_string(item, "signature", file=path, line=data.line_of("signature"), default="") or ""
        for item in signature_raw
    )
    subheading = str(data.get("subheading") or "separate")
    if subheading not in SUBHEADING_MODES:
        raise InputError("subheading 只能是 separate（二级标题单独成段）或 run-in（标题接正文）", file=path,
                         line=data.line_of("subheading"))
    max_chars = data.get("max_chars")
    if max_chars is not None and (not isinstance(max_chars, int) or max_chars <= 0):
        raise InputError("max_chars 必须是正整数（正文汉字数上限）", file=path, line=data.line_of("max_chars"))
    min_body_chars = data.get("min_body_chars")
    if min_body_chars is not None and (isinstance(min_body_chars, bool) or not isinstance(min_body_chars, int)
                                       or min_body_chars <= 0):
        raise InputError("min_body_chars 必须是正整数（正文汉字数下限）", file=path,
                         line=data.line_of("min_body_chars"))
    threshold = data.get("similarity_threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1
    ):
        raise InputError("similarity_threshold 必须是 0～1 之间的数，如 0.8", file=path,
                         line=data.line_of("similarity_threshold"))
    raw_style = data.get("style")
    style = "off" if raw_style is False else str(raw_style or "warn")  # YAML reads a bare off as false
    if style not in STYLE_MODES:
        raise InputError("style 只能是 warn（文字规范问题作为警告，默认）、strict（作为错误）或 off（不检查）",
                         file=path, line=data.line_of("style"))
    new_snippets = str(data.get("new_snippets") or "unticked")
    if new_snippets not in NEW_SNIPPET_MODES:
        raise InputError("new_snippets 只能是 unticked（刷新清单时新片段不勾选，默认）或 ticked（新片段勾选）",
                         file=path, line=data.line_of("new_snippets"))
    rules = Rules(
        path=path,
        title=title,
        subtitle=subtitle,
        output_name=output_name or title,
        library=library,
        base_template=base_template,
        variables=variables,
        opening=_entries(data.get("opening"), file=path, where="opening", line=data.line_of("opening")),
        sections=tuple(sections),
        closing=_entries(data.get("closing"), file=path, where="closing", line=data.line_of("closing")),
        signature=signature,
        subheading=subheading,
        max_chars=max_chars,
        min_body_chars=min_body_chars,
        similarity_threshold=float(threshold) if threshold is not None else None,
        style=style,
        lines=dict(data.lines),
        new_snippets=new_snippets,
    )
    seen: dict[str, int] = {}
    for entry in rules.entries():
        if entry.id in seen:
            raise InputError(f"片段“{entry.id}”在规则中出现了两次（另一处在第{seen[entry.id]}行）", file=path, line=entry.line)
        seen[entry.id] = entry.line
    return rules

