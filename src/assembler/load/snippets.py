"""The snippet file format: YAML front matter, then plain paragraphs.

A snippet is the unit staff keep in Git and tick in a checklist. Its body is
split into paragraphs here, once, so that assembling never has to think about
line breaks; paragraphs that hold only a ``{% … %}`` tag are marked, because
docxtpl needs them as paragraph-level tags (``{%p … %}``) to drop or repeat whole
paragraphs instead of leaving empty ones behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .grammar import grammar
from .problems import Problems, check_template
from .snippet_lines import variant_start
from .values import VarSpec
from .yamlio import LineDict, LineList, load_yaml, read_text

SNIPPET_KEYS = ("id", "section", "heading", "tags", "variables", "variants", "title")
_TAG_ONLY = re.compile(r"^\{%-?\s*(.*?)\s*-?%\}$", re.DOTALL)
SNIPPET_ID = re.compile(r"^[A-Za-z0-9_\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]*$")
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph; ``tag`` is the inside of a paragraph-level ``{% … %}``."""

    text: str
    line: int
    tag: str | None = None


@dataclass(frozen=True)
class Snippet:
    id: str
    section: str
    heading: str | None
    tags: tuple[str, ...]
    variables: Mapping[str, VarSpec]
    paragraphs: tuple[Paragraph, ...]
    path: Path
    body: str
    body_line: int
    variants: tuple[tuple[Paragraph, ...], ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """What a person sees for this snippet in a checklist: its heading or first words."""
        if self.heading:
            return self.heading
        for para in self.paragraphs:
            if para.tag is None:
                text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "…", para.text)
                return text[:16] + ("…" if len(text) > 16 else "")
        return self.id

    def used_variables(self) -> set[str]:
        """Names the body reads (declared or not): lint compares them with the declaration."""
        return grammar().template_variables(self.body)


def split_front_matter(text: str, *, file: Path) -> tuple[str, str, int]:
    """Return (front matter, body, line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise InputError("片段文件必须以一行“---”开始，后接 YAML 头信息，再以“---”结束", file=file, line=1)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, body, index + 2
    raise InputError("YAML 头信息没有结束行“---”，请在正文前补上", file=file, line=1)


def join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines: nothing between CJK text, one space between Latin words."""
    out = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if out and not (CJK.search(out[-1]) or CJK.search(line[0])):
            out += " "
        out += line
    return out


def split_paragraphs(body: str, first_line: int) -> tuple[Paragraph, ...]:
    """Blank lines separate paragraphs; tag-only paragraphs become paragraph-level tags."""
    paragraphs: list[Paragraph] = []
    buffer: list[str] = []
    start = first_line

    def flush() -> None:
        if not buffer:
            return
        text = join_lines(buffer)
        match = _TAG_ONLY.match(text)
        if match and "%}" not in match.group(1) and "{%" not in match.group(1):
            paragraphs.append(Paragraph(text=text, line=start, tag=match.group(1)))
        elif text:
            paragraphs.append(Paragraph(text=text, line=start))
        buffer.clear()

    for offset, line in enumerate(body.split("\n")):
        if line.strip():
            if not buffer:
                start = first_line + offset
            buffer.append(line)
        else:
            flush()
    flush()
    return tuple(paragraphs)


@dataclass
class SnippetReading:
    """What a snippet file says, as far as it could be read: ``snippet`` when it has no error.

    Lint reads every file this way and checks across files with what is here, so it never
    needs a second reading of the format; a build takes ``snippet`` (``parse_snippet``).
    """

    path: Path
    body: str = ""
    body_line: int = 1
    id: str | None = None
    id_line: int = 1
    section: str | None = None
    heading: str | None = None
    heading_line: int = 1
    variables: dict[str, VarSpec] = field(default_factory=dict)
    #: every declared name (a bad spec too) -> the line of its declaration
    declared: dict[str, int] = field(default_factory=dict)
    #: each variant's text and the line its text starts on
    variants: list[tuple[str, int]] = field(default_factory=list)
    snippet: Snippet | None = None


def read_variables(owner: LineDict, *, file: Path, problems: Problems, reserved: frozenset[str] = frozenset()
                   ) -> tuple[dict[str, VarSpec], dict[str, int]]:
    """A ``variables:`` mapping (a snippet's or the rules'): the specs that parse, and every name's line;
    names in ``reserved`` are refused."""
    raw_vars = owner.get("variables") or {}
    if not isinstance(raw_vars, dict):
        problems.error(file, owner.line_of("variables"), "variables 必须是映射：变量名: {type: …, label: …}")
        return {}, {}
    variables: dict[str, VarSpec] = {}
    declared: dict[str, int] = {}
    for name, spec in raw_vars.items():
        line = raw_vars.line_of(name) if isinstance(raw_vars, LineDict) else owner.line_of("variables")
        declared[name] = line
        if name in reserved:
            problems.error(file, line, f"变量名 {name} 是保留字，请换一个名字")
        try:
            variables[name] = VarSpec.from_yaml(name, spec, file=file, line=line)
        except InputError as exc:
            problems.from_exc(exc, file)
    return variables, declared


def read_snippet(text: str, *, file: Path, problems: Problems, default_section: str | None = None
                 ) -> SnippetReading | None:
    """Read a snippet file, reporting every mistake to ``problems``; ``None`` without front matter."""
    try:
        front_text, body, body_line = split_front_matter(text, file=file)
    except InputError as exc:
        problems.from_exc(exc, file)
        return None
    reading = SnippetReading(path=file, body=body, body_line=body_line, section=default_section)
    before = problems.errors_in(file)
    try:
        front = load_yaml(front_text, file=file, line_offset=1)
    except InputError as exc:
        problems.from_exc(exc, file)
        front = None
    else:
        if not isinstance(front, LineDict):
            problems.error(file, 2, "YAML 头信息必须是“键: 值”的映射")
    if not isinstance(front, LineDict):  # the body can still be checked
        check_template(body, file=file, line=body_line, problems=problems)
        return reading
    for key in front:
        if key not in SNIPPET_KEYS:
            problems.error(file, front.line_of(key), f"未知的键“{key}”；可用的键：{'、'.join(SNIPPET_KEYS)}")
    snippet_id = front.get("id")
    reading.id_line = front.line_of("id") if "id" in front else 2
    if not isinstance(snippet_id, str) or not SNIPPET_ID.match(snippet_id):
        problems.error(file, reading.id_line, "缺少 id，或 id 不合法：请写成“栏目.名称”，如 duties.grid")
    else:
        reading.id = snippet_id
    section = front.get("section", default_section)
    if "section" not in front and not section:
        problems.error(file, 2, "缺少 section（所属栏目）")
    elif not isinstance(section, str) or not section:
        problems.error(file, front.line_of("section"), "section（所属栏目）必须是非空文本")
    else:
        reading.section = section
    heading = front.get("heading")
    if heading is not None and not isinstance(heading, str):
        problems.error(file, front.line_of("heading"), "heading 必须是文本")
    elif isinstance(heading, str) and heading.strip():
        reading.heading = heading.strip()
        reading.heading_line = front.line_of("heading")
    tags = front.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list):
        problems.error(file, front.line_of("tags"), "tags 必须是列表，如 [驻村帮扶]")
        tags = []
    reading.variables, reading.declared = read_variables(front, file=file, problems=problems)
    paragraphs = split_paragraphs(body, body_line)
    if not paragraphs:
        problems.error(file, body_line, "片段正文为空，请在“---”之后写正文")
    check_template(body, file=file, line=body_line, problems=problems)
    if reading.heading:
        check_template(reading.heading, file=file, line=reading.heading_line, problems=problems, what="heading 的")
    raw_variants = front.get("variants")
    if raw_variants is not None:
        if not isinstance(raw_variants, list) or not all(isinstance(item, str) for item in raw_variants):
            problems.error(file, front.line_of("variants"), "variants 必须是文本列表，每一项是一种备选正文")
        else:
            lines = text.split("\n")
            for index, item in enumerate(raw_variants):
                item_line = raw_variants.line_of(index) if isinstance(raw_variants, LineList) else 1
                reading.variants.append((item, variant_start(lines, item_line)))
            for number, (item, line) in enumerate(reading.variants, start=2):
                check_template(item, file=file, line=line, problems=problems,
                               what=f"第{number}种正文（variants）的")
    if problems.errors_in(file) == before and reading.id and reading.section:
        reading.snippet = Snippet(
            id=reading.id,
            section=reading.section,
            heading=reading.heading,
            tags=tuple(str(tag) for tag in tags),
            variables=reading.variables,
            paragraphs=paragraphs,
            path=file,
            body=body,
            body_line=body_line,
            variants=tuple(split_paragraphs(item, line) for item, line in reading.variants),
            lines=dict(front.lines),
        )
    return reading


def parse_snippet(text: str, *, file: Path, default_section: str | None = None) -> Snippet:
    """A snippet, or the first mistake in it as an ``InputError``."""
    reading = read_snippet(text, file=file, problems=Problems(strict=True), default_section=default_section)
    assert reading is not None and reading.snippet is not None  # strict: any error has been raised
    return reading.snippet


def iter_snippet_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.md")):
        if path.name.lower() == "readme.md" or path.name.startswith((".", "_")):
            continue
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        yield path


@dataclass
class Library:
    root: Path
    snippets: dict[str, Snippet]

    def __getitem__(self, snippet_id: str) -> Snippet:
        return self.snippets[snippet_id]

    def __contains__(self, snippet_id: object) -> bool:
        return snippet_id in self.snippets


def load_library(root: Path) -> Library:
    if not root.is_dir():
        raise InputError("片段库文件夹不存在，请检查规则文件中的 library 路径", file=root)
    snippets: dict[str, Snippet] = {}
    for path in iter_snippet_files(root):
        snippet = parse_snippet(read_text(path), file=path, default_section=path.parent.name)
        if snippet.id in snippets:
            other = snippets[snippet.id].path
            raise InputError(
                f"片段 id“{snippet.id}”与 {other} 重复，请改用唯一的 id", file=path, line=snippet.lines.get("id", 2)
            )
        snippets[snippet.id] = snippet
    if not snippets:
        raise InputError("片段库中没有任何 .md 片段文件", file=root)
    return Library(root=root, snippets=snippets)
