"""``assembler lint``: every problem in a snippet library and its rules, each with its file and line.

The core parsers (``parse_snippet``, ``load_rules``) stop at the first mistake,
which is right for a build but slow to fix by: lint reads every file, calls the
core parser on each (so it never accepts what a build would refuse), and when a
parser refuses a file, walks that file leniently to find the rest of its
mistakes. Then come the checks only lint makes: variables used but not declared
(or declared and unused), conditions that read unknown names, rules naming
missing snippets and snippets no rule uses, leftover masks such as ``**`` or
``XX``, punctuation, and variants that read different values from the main body.

Errors are what would make ``assembler build`` fail or produce a wrong report;
warnings are what a careful editor would want to look at. Every problem is a
``Problem`` with a file and a 1-based line, printed as ``错误：file:line: …``.

Size: one file because it is a second, lenient reading of the rules and snippet grammar (it collects
every problem instead of stopping at the first); sharing that grammar with ``load/`` is open work
(issue 15), and splitting the copy first would only spread it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError

from ..errors import AssemblerError, InputError
from ..load.rules import ENTRY_KEYS, RESERVED_NAMES, RULES_KEYS, SECTION_KEYS, SUBHEADING_MODES, Rules, load_rules
from ..load.snippet_lines import front_lines, variant_start
from ..load.snippets import (
    SNIPPET_ID,
    SNIPPET_KEYS,
    Snippet,
    iter_snippet_files,
    parse_snippet,
    split_front_matter,
    split_paragraphs,
)
from ..load.yamlio import LineDict, LineList, load_yaml, read_text
from ..style import StyleSettings
from ..template.environment import check_expression, expression_variables, shared_env, template_variables
from .report_checks import MASK
from .snippet_style import FixedLine

ERROR = "错误"
WARNING = "警告"

#: How a body paragraph may end.
FINAL_PUNCTUATION = "。！？；：….!?;:"
CLOSERS = "”’」』）)》〉】"
HEADING_FULL_STOP = ("。", "．", ".")
_JINJA_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TRAILING_TAG = re.compile(r"(?:\{%.*?%\}|\{#.*?#\}|\s)+$", re.DOTALL)
_COMMENT_ONLY = re.compile(r"^(?:\{#.*?#\}\s*)+$", re.DOTALL)
_GUESS_ID = re.compile(r"^id:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """One finding: ``level`` is 错误 or 警告."""

    file: str
    line: int
    level: str
    message: str
    col: int | None = None  # style findings point at their column

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def format(self) -> str:
        col = f":{self.col}" if self.col is not None else ""
        return f"{self.level}：{self.file}:{self.line}{col}: {self.message}"


@dataclass
class LintResult:
    problems: list[Problem]
    rules: Path | None
    library: Path | None
    snippets: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> str:
        checked = f"检查了 {self.snippets} 个片段" + (f"和规则文件 {self.rules}" if self.rules else "")
        if not self.problems:
            return f"{checked}，没有发现问题。"
        return f"{checked}：{len(self.errors)} 个错误，{len(self.warnings)} 个警告。"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, int, str, str]] = set()

    def add(self, level: str, file: str | Path, line: int | None, message: str, col: int | None = None) -> None:
        key = (str(file), line or 1, level, message + f":{col}")
        if key in self._seen:
            return
        self._seen.add(key)
        self.problems.append(Problem(str(file), line or 1, level, message, col))

    def error(self, file: str | Path, line: int | None, message: str) -> None:
        self.add(ERROR, file, line, message)

    def warn(self, file: str | Path, line: int | None, message: str) -> None:
        self.add(WARNING, file, line, message)

    def from_exc(self, exc: AssemblerError, file: str | Path) -> None:
        self.error(exc.file or file, exc.line, exc.message)

    def count(self, file: str | Path) -> int:
        return sum(1 for p in self.problems if p.file == str(file) and p.is_error)

    def has_line(self, file: str | Path, line: int | None) -> bool:
        return any(p.file == str(file) and p.line == (line or 1) and p.is_error for p in self.problems)


# ------------------------------------------------------------------ snippets


@dataclass
class SnippetInfo:
    """What lint knows about one snippet file, whether or not the core parser accepted it."""

    path: Path
    id: str | None = None
    id_line: int = 1
    section: str | None = None
    heading: str | None = None
    heading_line: int = 1
    declared: dict[str, int] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    variants: list[tuple[str, int]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    used_body: set[str] = field(default_factory=set)
    body_ok: bool = True
    variant_names: list[tuple[int, int, set[str]]] = field(default_factory=list)
    snippet: Snippet | None = None


def _from_snippet(snippet: Snippet, text: str) -> SnippetInfo:
    top, names, items = front_lines(text)
    lines = text.split("\n")
    variants: list[tuple[str, int]] = []
    for index, body in enumerate(snippet.variants):
        line = variant_start(lines, items[index]) if index < len(items) else top.get("variants", 1)
        variants.append(("\n\n".join(p.text for p in body), line))
    variables_line = top.get("variables", 2)
    return SnippetInfo(
        path=snippet.path,
        id=snippet.id,
        id_line=snippet.lines.get("id", 2),
        section=snippet.section,
        heading=snippet.heading,
        heading_line=snippet.lines.get("heading", 2),
        declared={name: names.get(name, variables_line) for name in snippet.variables},
        types={name: spec.type for name, spec in snippet.variables.items()},
        labels={name: spec.label for name, spec in snippet.variables.items() if spec.label},
        body=snippet.body,
        body_line=snippet.body_line,
        variants=variants,
        snippet=snippet,
    )


def _lenient_snippet(text: str, path: Path, col: _Collector) -> SnippetInfo | None:
    """Walk a file the core parser refused, collecting every problem it can see."""

    try:
        front_text, body, body_line = split_front_matter(text, file=path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return None
    info = SnippetInfo(path=path, body=body, body_line=body_line, section=path.parent.name)
    try:
        front = load_yaml(front_text, file=path, line_offset=1)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return info
    if not isinstance(front, LineDict):
        col.error(path, 2, "YAML 头信息必须是“键: 值”的映射")
        return info
    for key in front:
        if key not in SNIPPET_KEYS:
            col.error(path, front.line_of(key), f"未知的键“{key}”；可用的键：{'、'.join(SNIPPET_KEYS)}")
    snippet_id = front.get("id")
    info.id_line = front.line_of("id") if "id" in front else 2
    if not isinstance(snippet_id, str) or not SNIPPET_ID.match(snippet_id):
        col.error(path, info.id_line, "缺少 id，或 id 不合法：请写成“栏目.名称”，如 duties.grid")
    else:
        info.id = snippet_id
    section = front.get("section", path.parent.name)
    if not isinstance(section, str) or not section:
        col.error(path, front.line_of("section"), "section（所属栏目）必须是非空文本")
    else:
        info.section = section
    heading = front.get("heading")
    if heading is not None and not isinstance(heading, str):
        col.error(path, front.line_of("heading"), "heading 必须是文本")
    elif isinstance(heading, str) and heading.strip():
        info.heading = heading.strip()
        info.heading_line = front.line_of("heading")
    tags = front.get("tags")
    if tags is not None and not isinstance(tags, (list, str)):
        col.error(path, front.line_of("tags"), "tags 必须是列表，如 [驻村帮扶]")
    _declare_variables(front, info, path, col, reserved=False)
    raw_variants = front.get("variants")
    if raw_variants is not None:
        if not isinstance(raw_variants, list) or not all(isinstance(item, str) for item in raw_variants):
            col.error(path, front.line_of("variants"), "variants 必须是文本列表，每一项是一种备选正文")
        else:
            lines = text.split("\n")
            for index, item in enumerate(raw_variants):
                item_line = raw_variants.line_of(index) if isinstance(raw_variants, LineList) else 1
                info.variants.append((item, variant_start(lines, item_line)))
    if not split_paragraphs(body, body_line):
        col.error(path, body_line, "片段正文为空，请在“---”之后写正文")
    return info


def _declare_variables(owner: LineDict, info: SnippetInfo | RulesInfo, path: Path, col: _Collector, *,
                       reserved: bool) -> None:
    """Read a ``variables:`` mapping (a snippet's or the rules'), noting each problem at its own line."""
    from ..load.values import VarSpec

    raw_vars = owner.get("variables") or {}
    if not isinstance(raw_vars, dict):
        col.error(path, owner.line_of("variables"), "variables 必须是映射：变量名: {type: …, label: …}")
        raw_vars = {}
    for name, spec in raw_vars.items():
        line = raw_vars.line_of(name) if isinstance(raw_vars, LineDict) else owner.line_of("variables")
        info.declared[name] = line
        if reserved and name in RESERVED_NAMES:
            col.error(path, line, f"变量名 {name} 是保留字，请换一个名字")
        try:
            parsed = VarSpec.from_yaml(name, spec, file=path, line=line)
        except AssemblerError as exc:
            col.from_exc(exc, path)
            continue
        info.types[name] = parsed.type
        if parsed.label:
            info.labels[name] = parsed.label


def _analyse(source: str, first_line: int, path: Path, col: _Collector, what: str = "") -> set[str] | None:
    """The names ``source`` reads (as ``environment.template_variables`` counts them), parsed once;
    ``None`` after reporting a Jinja syntax error at its line."""
    if "{" not in source:
        return set()
    from jinja2 import meta

    try:
        ast = shared_env().parse(source)
    except TemplateSyntaxError as exc:
        col.error(path, first_line + (exc.lineno or 1) - 1,
                  f"{what}Jinja 语法错误：{exc.message}，请检查 {{{{ }}}} 与 {{% %}} 是否成对")
        return None
    return set(meta.find_undeclared_variables(ast)) - _PROVIDED


def _names(source: str) -> set[str]:
    return template_variables(source) - _PROVIDED if "{" in source else set()


_PROVIDED = frozenset(RESERVED_NAMES)


def _mask_problems(source: str, first_line: int, path: Path, col: _Collector, what: str = "正文") -> None:
    """Warn about placeholders such as ``**`` or ``XX`` outside Jinja tags, at their own line."""
    if not MASK.search(source):
        return
    plain = _JINJA_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    for offset, line in enumerate(plain.split("\n")):
        for match in MASK.finditer(line):
            col.warn(path, first_line + offset,
                     f"{what}中有占位符“{match.group(0)}”，像是未替换的打码内容；"
                     "请改为变量（如 {{ 次数 }}）或具体文字")


def _ends_properly(text: str) -> bool:
    stripped = _TRAILING_TAG.sub("", text)
    if not stripped or stripped.endswith("}}"):
        return True
    core = stripped.rstrip(CLOSERS)
    if not core:
        return True
    return core[-1] in FINAL_PUNCTUATION


def check_snippet_text(info: SnippetInfo, col: _Collector) -> None:
    """Checks that need only the snippet itself: Jinja, variants, masks, punctuation."""
    path = info.path
    body_names = _analyse(info.body, info.body_line, path, col)
    info.body_ok = body_names is not None
    info.used_body = body_names or set()
    used = set(info.used_body)
    if info.heading:
        used |= _analyse(info.heading, info.heading_line, path, col, "heading 的") or set()
        if info.heading.endswith(HEADING_FULL_STOP):
            col.warn(path, info.heading_line, f"标题“{info.heading}”以句号结尾；标题末尾一般不加句号")
        _mask_problems(info.heading, info.heading_line, path, col, "标题")
    for number, (text, line) in enumerate(info.variants, start=2):
        names = _analyse(text, line, path, col, f"第{number}种正文（variants）的")
        if names is None:
            continue
        used |= names
        info.variant_names.append((number, line, names))
        _mask_problems(text, line, path, col, f"第{number}种正文")
        for para in split_paragraphs(text, line):
            if para.tag is None and not _COMMENT_ONLY.match(para.text) and not _ends_properly(para.text):
                col.warn(path, line, f"第{number}种正文的段落“{_short(para.text)}”末尾缺少标点")
    info.used = used
    _mask_problems(info.body, info.body_line, path, col)
    body_lines = info.body.split("\n")
    for para in split_paragraphs(info.body, info.body_line):
        if para.tag is None and not _COMMENT_ONLY.match(para.text) and not _ends_properly(para.text):
            last = para.line - info.body_line
            while last + 1 < len(body_lines) and body_lines[last + 1].strip():
                last += 1
            col.warn(path, info.body_line + last, f"段落“{_short(para.text)}”末尾缺少标点（句号、分号等）")


def _short(text: str, size: int = 14) -> str:
    text = _JINJA_BLOCK.sub("…", text)
    return text if len(text) <= size else "…" + text[-size:]


def check_snippet_file(path: Path, col: _Collector, style: _StyleRun | None = None) -> SnippetInfo | None:
    """Parse one snippet file (core parser first), collecting its own problems (and, with
    ``style``, its house style findings; see ``snippet_style``)."""
    try:
        text = read_text(path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return None
    try:
        snippet = parse_snippet(text, file=path, default_section=path.parent.name)
    except AssemblerError as exc:
        before = col.count(path)
        info = _lenient_snippet(text, path, col)
        if col.count(path) == before or not col.has_line(path, exc.line):
            col.from_exc(exc, path)
        if info is None:
            info = SnippetInfo(path=path, body_ok=False)
        else:
            check_snippet_text(info, col)
        if info.id is None:
            guessed = _GUESS_ID.search(text)
            info.id = guessed.group(1) if guessed else None
        return info
    info = _from_snippet(snippet, text)
    check_snippet_text(info, col)
    if style is not None:
        style.check(info, text, col)
    return info


@dataclass(frozen=True)
class _StyleRun:
    """The house style checks of one lint run (picklable, for the workers)."""

    settings: StyleSettings
    year: int | None

    def check_rules(self, info: RulesInfo, col: _Collector) -> None:
        """The rules' title, subtitle, signature and section headings (reported; ``--fix`` leaves
        the rules file to its author)."""
        from .snippet_style import shown_findings

        try:
            text = read_text(info.path)
        except AssemblerError:
            return
        level = ERROR if self.settings.severity == "error" else WARNING
        for item in shown_findings(text, info.shown, settings=self.settings, year=self.year):
            col.add(level, info.path, item.line, item.message(), item.col)

    def check(self, info: SnippetInfo, text: str, col: _Collector) -> None:
        from .snippet_style import style_findings

        level = ERROR if self.settings.severity == "error" else WARNING
        for item in style_findings(text, body_line=info.body_line, heading=info.heading,
                                   heading_line=info.heading_line, variants=info.variants,
                                   settings=self.settings, year=self.year):
            col.add(level, info.path, item.line, item.message(), item.col)


# ------------------------------------------------------------------ rules


@dataclass
class _RawEntry:
    id: str
    when: str | None
    line: int
    section: str | None  # rules section id; None for opening/closing


@dataclass
class RulesInfo:
    path: Path
    library: Path
    rules: Rules | None = None
    entries: list[_RawEntry] = field(default_factory=list)
    declared: dict[str, int] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    sources: list[tuple[str, int]] = field(default_factory=list)
    #: What a reader sees of the rules (text, line, is a heading): for the house style checks.
    shown: list[tuple[str, int, bool]] = field(default_factory=list)


def _raw_entries(raw: Any, where: str, section: str | None, line: int, path: Path,
                 col: _Collector) -> list[_RawEntry]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        col.error(path, line, f"{where} 必须是片段 id 的列表")
        return []
    out: list[_RawEntry] = []
    for index, item in enumerate(raw):
        item_line = raw.line_of(index) if isinstance(raw, LineList) else line
        if isinstance(item, str):
            out.append(_RawEntry(item.strip(), None, item_line, section))
            continue
        if not isinstance(item, dict) or "id" not in item:
            col.error(path, item_line, f"{where} 的第{index + 1}项应是片段 id，或 {{id: …, when: …}}")
            continue
        for key in item:
            if key not in ENTRY_KEYS:
                col.error(path, item_line, f"未知的键“{key}”；片段项只能有 id 和 when")
        when = item.get("when")
        when_text = str(when).strip() if when is not None else None
        out.append(_RawEntry(str(item["id"]).strip(), when_text or None, item_line, section))
    return out


def check_rules_file(path: Path, col: _Collector) -> RulesInfo:
    """The rules file: core parser first, then a lenient walk for everything else."""
    info = RulesInfo(path=path, library=path.parent / "snippets")
    core_error: AssemblerError | None = None
    try:
        info.rules = load_rules(path)
        info.library = info.rules.library
    except AssemblerError as exc:
        core_error = exc
    before = col.count(path)
    try:
        data = load_yaml(read_text(path), file=path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return info
    if not isinstance(data, LineDict):
        col.error(path, 1, "规则文件必须是 YAML 映射（title、sections 等键）")
        return info
    if isinstance(data.get("library"), str):
        info.library = path.parent / data["library"]
    for key in data:
        if key not in RULES_KEYS:
            col.error(path, data.line_of(key), f"未知的键“{key}”；可用的键：{'、'.join(RULES_KEYS)}")
    if not data.get("title"):
        col.error(path, 1, "缺少 title（报告标题），如 title: \"{{ year }}年度述职述廉报告\"")
    for key in ("title", "subtitle", "output_name"):
        value = data.get(key)
        if isinstance(value, (str, int)):
            info.sources.append((str(value), data.line_of(key)))
            if key != "output_name":
                info.shown.append((str(value), data.line_of(key), False))
    signature = data.get("signature") or []
    for index, item in enumerate([signature] if isinstance(signature, str) else signature):
        line = signature.line_of(index) if isinstance(signature, LineList) else data.line_of("signature")
        if isinstance(item, (str, int)):
            info.sources.append((str(item), line))
            info.shown.append((str(item), line, False))
    for source, line in info.sources:
        _analyse(source, line, path, col)
        _mask_problems(source, line, path, col, "规则文件")
    if data.get("subheading") is not None and str(data.get("subheading")) not in SUBHEADING_MODES:
        col.error(path, data.line_of("subheading"),
                  "subheading 只能是 separate（二级标题单独成段）或 run-in（标题接正文）")
    _declare_variables(data, info, path, col, reserved=True)
    info.entries += _raw_entries(data.get("opening"), "opening", None, data.line_of("opening"), path, col)
    sections = data.get("sections") or []
    if not isinstance(sections, list):
        col.error(path, data.line_of("sections"), "sections 必须是列表")
        sections = []
    seen_sections: dict[str, int] = {}
    for index, raw in enumerate(sections):
        line = sections.line_of(index) if isinstance(sections, LineList) else 1
        if not isinstance(raw, dict):
            col.error(path, line, "sections 的每一项必须有 id、heading、snippets")
            continue
        for key in raw:
            if key not in SECTION_KEYS:
                col.error(path, raw.line_of(key) if isinstance(raw, LineDict) else line,
                          f"未知的键“{key}”；栏目可用的键：{'、'.join(SECTION_KEYS)}")
        section_id = str(raw.get("id") or f"section{index + 1}")
        if section_id in seen_sections:
            col.error(path, line, f"栏目 id“{section_id}”重复（另一处在第{seen_sections[section_id]}行）")
        seen_sections.setdefault(section_id, line)
        heading = raw.get("heading")
        if not isinstance(heading, str) or not heading.strip():
            col.error(path, line, f"栏目“{section_id}”缺少 heading（一级标题）")
        else:
            heading_line = raw.line_of("heading") if isinstance(raw, LineDict) else line
            info.sources.append((heading, heading_line))
            info.shown.append((heading.strip(), heading_line, True))
            _analyse(heading, heading_line, path, col, "栏目标题的")
            if heading.strip().endswith(HEADING_FULL_STOP):
                col.warn(path, heading_line, f"栏目标题“{heading.strip()}”以句号结尾；标题末尾一般不加句号")
        for key in ("intro", "snippets"):
            key_line = raw.line_of(key) if isinstance(raw, LineDict) else line
            info.entries += _raw_entries(raw.get(key), f"栏目“{section_id}”的 {key}", section_id, key_line,
                                         path, col)
    info.entries += _raw_entries(data.get("closing"), "closing", None, data.line_of("closing"), path, col)
    seen: dict[str, int] = {}
    for entry in info.entries:
        if entry.id in seen:
            col.error(path, entry.line, f"片段“{entry.id}”在规则中出现了两次（另一处在第{seen[entry.id]}行）")
        seen.setdefault(entry.id, entry.line)
        if entry.when:
            reason = check_expression(entry.when)
            if reason:
                col.error(path, entry.line, f"when 条件“{entry.when}”无法解析（{reason}），"
                                            "请写成 Jinja 表达式，如 grid_cells > 0")
    if core_error is not None and (col.count(path) == before or not col.has_line(path, core_error.line)):
        col.from_exc(core_error, path)
    return info


# ------------------------------------------------------------------ across files


def _line_of_name(info: SnippetInfo, name: str) -> int:
    """The body line where ``name`` is first read inside a tag (for pointing at it)."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)")
    for offset, line in enumerate(info.body.split("\n")):
        for block in _JINJA_BLOCK.finditer(line):
            if pattern.search(block.group(0)):
                return info.body_line + offset
    if info.heading and pattern.search(info.heading):
        return info.heading_line
    return info.body_line


def _check_declarations(infos: list[SnippetInfo], rules: RulesInfo | None, col: _Collector) -> None:
    declared_by: dict[str, list[str]] = {}
    types: dict[str, tuple[str, str]] = {}
    labels: dict[str, tuple[str, str]] = {}

    def record(name: str, type_: str | None, label: str | None, who: str, file: Path, line: int) -> None:
        declared_by.setdefault(name, []).append(who)
        if type_ is not None:
            if name in types and types[name][0] != type_:
                col.error(file, line, f"变量 {name} 在{types[name][1]}中的类型是 {types[name][0]}，"
                                      f"在这里却是 {type_}；"
                                      "同名变量必须声明为同一类型")
            types.setdefault(name, (type_, who))
        if label:
            if label in labels and labels[label][0] != name:
                col.error(file, line, f"标签“{label}”同时用于变量 {labels[label][0]}"
                                      f"（{labels[label][1]}）和 {name}，"
                                      "人员表的列名会混淆；请改用不同的 label")
            labels.setdefault(label, (name, who))

    if rules is not None:
        for name, line in rules.declared.items():
            record(name, rules.types.get(name), rules.labels.get(name), "规则文件", rules.path, line)
    for info in infos:
        for name, line in info.declared.items():
            if name in RESERVED_NAMES:
                col.error(info.path, line, f"变量名 {name} 是保留字，请换一个名字")
            record(name, info.types.get(name), info.labels.get(name), f"片段 {info.id or info.path.name}",
                   info.path, line)
    when_names: set[str] = set()
    if rules is not None:
        for entry in rules.entries:
            if entry.when and check_expression(entry.when) is None:
                names = expression_variables(entry.when) - _PROVIDED
                when_names |= names
                unknown = sorted(name for name in names if name not in declared_by)
                if unknown:
                    col.error(rules.path, entry.line,
                              f"when 条件“{entry.when}”用到未声明的变量 {'、'.join(unknown)}；"
                              "请在规则文件或某个片段的 variables 中声明")
    used_anywhere: set[str] = set(when_names)
    for info in infos:
        used_anywhere |= info.used
    if rules is not None:
        for source, _line in rules.sources:
            try:
                used_anywhere |= _names(source)
            except TemplateSyntaxError:
                pass
    for info in infos:
        for name in sorted(info.used):
            if name in info.declared or (rules is not None and name in rules.declared):
                continue
            line = _line_of_name(info, name)
            others = [who for who in declared_by.get(name, [])]
            if others:
                col.warn(info.path, line, f"变量 {name} 在本片段中没有声明（声明在 {'、'.join(others)}）；"
                                          "建议在本片段的 variables 中也声明，删掉那个片段后才不会出错")
            elif rules is not None:
                col.error(info.path, line, f"变量 {name} 没有声明；请在本片段的 variables 中写上"
                                           f" {name}: {{type: …, label: …}}，或在规则文件的 variables 中声明")
            else:
                col.warn(info.path, line, f"变量 {name} 没有在本片段中声明"
                                          "（未找到规则文件，无法确认是否在规则中声明）")
        _check_variants(info, set(rules.declared) if rules is not None else set(), col)
        for name, line in info.declared.items():
            if info.body_ok and name not in info.used and name not in when_names:
                col.warn(info.path, line, f"变量 {name} 已声明但正文没有用到；"
                                          f"请删除声明，或在正文中使用 {{{{ {name} }}}}")
    if rules is not None:
        for name, line in rules.declared.items():
            if name not in used_anywhere:
                col.warn(rules.path, line,
                         f"变量 {name} 已在规则文件中声明，但标题、落款、条件和片段都没有用到")


def _check_variants(info: SnippetInfo, report_level: set[str], col: _Collector) -> None:
    """Every body of a snippet must read the same snippet values (report-level ones are always there)."""
    if not info.body_ok:
        return
    main = info.used_body - report_level
    for number, line, names in info.variant_names:
        names = names - report_level
        if names == main:
            continue
        only_here = sorted(names - main)
        only_main = sorted(main - names)
        detail = "；".join(part for part in (
            f"多了 {'、'.join(only_here)}" if only_here else "",
            f"少了 {'、'.join(only_main)}" if only_main else "",
        ) if part)
        col.error(info.path, line, f"第{number}种正文（variants）使用的变量与主正文不同（{detail}）；"
                                   "各种正文必须用同样的变量，人员表才能通用")


def _check_rules_against_library(rules: RulesInfo, infos: list[SnippetInfo], col: _Collector) -> None:
    by_id = {info.id: info for info in infos if info.id}
    used = {entry.id for entry in rules.entries}
    for entry in rules.entries:
        if entry.id not in by_id:
            close = _close_ids(entry.id, by_id)
            hint = f"；是不是 {'、'.join(close)}？" if close else "；请检查拼写，或先添加该片段文件"
            col.error(rules.path, entry.line, f"片段“{entry.id}”在片段库 {rules.library} 中不存在{hint}")
    for info in infos:
        if info.id and info.id not in used:
            col.warn(info.path, info.id_line, f"片段“{info.id}”没有被规则文件 {rules.path} 使用")


def _close_ids(wanted: str, known: Mapping[str, Any]) -> list[str]:
    import difflib

    return difflib.get_close_matches(wanted, list(known), n=2, cutoff=0.75)


def _check_checklist(path: Path, rules: RulesInfo, col: _Collector) -> None:
    from ..load.selection import checklist_problems, parse_checklist_text

    try:
        text = read_text(path)
        found = parse_checklist_text(text, file=path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return
    for problem in checklist_problems(path, text, found, rules.path, [entry.id for entry in rules.entries]):
        col.from_exc(problem, path)


def _duplicates(infos: list[SnippetInfo], col: _Collector) -> None:
    first: dict[str, SnippetInfo] = {}
    for info in infos:
        if not info.id:
            continue
        if info.id in first:
            col.error(info.path, info.id_line,
                      f"片段 id“{info.id}”与 {first[info.id].path} 重复，请改用唯一的 id")
        else:
            first[info.id] = info


# ------------------------------------------------------------------ entry point


def _style_run(rules_path: Path | None, library: Path | None, rules_info: RulesInfo | None, col: _Collector,
               year: int | None) -> _StyleRun | None:
    """The rules' ``style`` mode and the library's wording list (itself linted), or None when off."""
    from ..style import load_wording
    from .snippet_style import wording_path

    mode = rules_info.rules.style if rules_info is not None and rules_info.rules is not None else "warn"
    if mode == "off":
        return None
    path = wording_path(rules_path, library)
    wording = load_wording(path) if path is not None else None
    if wording is not None:
        for problem in wording.problems:
            col.error(path or "", problem.line, problem.message)
    if year is None:
        import datetime

        year = datetime.date.today().year
    return _StyleRun(StyleSettings(mode, wording) if wording is not None else StyleSettings(mode), year)


def _neighbour_checklist(rules: Path) -> Path | None:
    """``checklist.md`` beside the rules, when it names them: a checklist of another rules file
    in the same folder is not this one's to judge."""
    from ..load.selection import checklist_rules

    path = rules.parent / "checklist.md"
    if not path.is_file():
        return None
    try:
        named = checklist_rules(read_text(path))
    except AssemblerError:
        return None
    return path if named is not None and named == rules.name else None


def resolve_target(target: Path | None) -> tuple[Path | None, Path | None]:
    """(rules file, library folder) for ``assembler lint [TARGET]``."""
    if target is None:
        target = Path("rules.yaml") if Path("rules.yaml").is_file() else Path(".")
    if target.is_file():
        if target.suffix.lower() == ".md":
            return None, None
        return target, None
    if target.is_dir():
        for name in ("rules.yaml", "rules.yml"):
            if (target / name).is_file():
                return target / name, None
        for name in ("rules.yaml", "rules.yml"):
            parent_rules = target.parent / name
            if parent_rules.is_file() and target.resolve() == (target.parent / "snippets").resolve():
                return parent_rules, target
        return None, target
    raise InputError("文件或文件夹不存在；请给出规则文件（rules.yaml）或片段库文件夹", file=target)


#: Below this many files one process is faster than starting workers.
PARALLEL_FROM = 300


def _check_chunk(paths: list[Path], style: _StyleRun | None = None) -> tuple[list[SnippetInfo], list[Problem]]:
    col = _Collector()
    infos = []
    for path in paths:
        info = check_snippet_file(path, col, style)
        if info is not None:
            info.snippet = None  # not needed across files; keeps the pickles small
            infos.append(info)
    return infos, col.problems


def check_snippet_files(paths: list[Path], col: _Collector, *, jobs: int | None = None,
                        style: _StyleRun | None = None) -> list[SnippetInfo]:
    """Every snippet file, in order; large libraries are split over worker processes (fork only)."""
    import functools
    import multiprocessing
    import os

    workers = jobs or os.cpu_count() or 1
    if workers > 1 and len(paths) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor

        size = -(-len(paths) // (workers * 4))
        chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                results = list(pool.map(functools.partial(_check_chunk, style=style), chunks))
        except (OSError, RuntimeError):
            results = [_check_chunk(paths, style)]
    else:
        results = [_check_chunk(paths, style)]
    infos: list[SnippetInfo] = []
    for chunk_infos, problems in results:
        infos += chunk_infos
        for problem in problems:
            col.add(problem.level, problem.file, problem.line, problem.message, problem.col)
    return infos


def lint(target: Path | None = None, *, checklist: Path | None = None, jobs: int | None = None,
         neighbour_checklist: bool = True, year: int | None = None, style: bool = True) -> LintResult:
    """Check a rules file and its library (or a library folder, or one snippet file).

    ``checklist``: check this checklist too; without it, a ``checklist.md`` beside the rules
    is checked only when it names this rules file (``selection.checklist_rules``), and not
    at all with ``neighbour_checklist=False``.

    ``jobs``: worker processes for large libraries (default: one per CPU; pass 1 when
    embedding lint in a process that must not fork, such as an office extension).
    ``year``: the year wording entries with a year range are checked for (default: this
    year); ``style``: whether to run the house style checks at all.
    """
    rules_path, library = resolve_target(target)
    col = _Collector()
    rules_info: RulesInfo | None = None
    files: Iterable[Path]
    if rules_path is not None:
        rules_info = check_rules_file(rules_path, col)
        library = rules_info.library
    if target is not None and target.is_file() and target.suffix.lower() == ".md":
        files = [target]
    elif library is not None and library.is_dir():
        files = list(iter_snippet_files(library))
        if not files:
            col.error(library, 1, "片段库中没有任何 .md 片段文件")
    else:
        files = []
        where = rules_path or library or Path(".")
        col.error(where, rules_info.rules.lines.get("library", 1) if rules_info and rules_info.rules else 1,
                  f"片段库文件夹 {library} 不存在，请检查规则文件中的 library 路径")
    style_run = _style_run(rules_path, library, rules_info, col, year) if style else None
    if style_run is not None and rules_info is not None:
        style_run.check_rules(rules_info, col)
    infos = check_snippet_files(list(files), col, jobs=jobs, style=style_run)
    _duplicates(infos, col)
    _check_declarations(infos, rules_info, col)
    if rules_info is not None and library is not None and library.is_dir():
        _check_rules_against_library(rules_info, infos, col)
    if rules_info is not None:
        checklist_path = checklist
        if checklist_path is None and neighbour_checklist:
            checklist_path = _neighbour_checklist(rules_info.path)
        if checklist_path is not None and checklist_path.is_file():
            _check_checklist(checklist_path, rules_info, col)
    problems = sorted(col.problems, key=lambda p: (p.file != str(rules_path), p.file, p.line))
    return LintResult(problems=problems, rules=rules_path, library=library, snippets=len(infos))


def fix_style(target: Path | None = None, *, year: int | None = None) -> list[FixedLine]:
    """``assembler lint --fix``: write the house style fixes that cannot change meaning into the
    snippet files (``snippet_style.fix_file``); the changes made, for printing. Git is the undo."""
    from .snippet_style import fix_file

    rules_path, library = resolve_target(target)
    col = _Collector()
    rules_info = check_rules_file(rules_path, col) if rules_path is not None else None
    if rules_info is not None:
        library = rules_info.library
    if target is not None and target.is_file() and target.suffix.lower() == ".md":
        files = [target]
    elif library is not None and library.is_dir():
        files = list(iter_snippet_files(library))
    else:
        files = []
    run = _style_run(rules_path, library, rules_info, col, year)
    if run is None:
        return []
    changes: list[FixedLine] = []
    for path in files:
        changes += fix_file(path, run.settings, run.year)
    return changes
