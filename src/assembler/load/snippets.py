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
from .grammar import TemplateSyntaxProblem, grammar
from .values import VarSpec
from .yamlio import LineDict, load_yaml, read_text

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


def _variants(raw: object, *, file: Path, line: int) -> tuple[tuple[Paragraph, ...], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InputError("variants 必须是文本列表，每一项是一种备选正文", file=file, line=line)
    return tuple(split_paragraphs(item, line) for item in raw)


def parse_snippet(text: str, *, file: Path, default_section: str | None = None) -> Snippet:
    front_text, body, body_line = split_front_matter(text, file=file)
    front = load_yaml(front_text, file=file, line_offset=1)
    if not isinstance(front, LineDict):
        raise InputError("YAML 头信息必须是“键: 值”的映射", file=file, line=2)
    unknown = [key for key in front if key not in SNIPPET_KEYS]
    if unknown:
        raise InputError(
            f"未知的键“{unknown[0]}”；可用的键：{'、'.join(SNIPPET_KEYS)}",
            file=file,
            line=front.line_of(unknown[0]),
        )
    snippet_id = front.get("id")
    if not isinstance(snippet_id, str) or not SNIPPET_ID.match(snippet_id):
        raise InputError("缺少 id，或 id 不合法：请写成“栏目.名称”，如 duties.grid", file=file, line=front.line_of("id"))
    section = front.get("section", default_section)
    if not isinstance(section, str) or not section:
        raise InputError("缺少 section（所属栏目）", file=file, line=2)
    heading = front.get("heading")
    if heading is not None and not isinstance(heading, str):
        raise InputError("heading 必须是文本", file=file, line=front.line_of("heading"))
    tags = front.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list):
        raise InputError("tags 必须是列表，如 [驻村帮扶]", file=file, line=front.line_of("tags"))
    raw_vars = front.get("variables") or {}
    if not isinstance(raw_vars, dict):
        raise InputError("variables 必须是映射：变量名: {type: …, label: …}", file=file, line=front.line_of("variables"))
    variables: dict[str, VarSpec] = {}
    for name, spec in raw_vars.items():
        line = raw_vars.line_of(name) if isinstance(raw_vars, LineDict) else front.line_of("variables")
        variables[name] = VarSpec.from_yaml(name, spec, file=file, line=line)
    paragraphs = split_paragraphs(body, body_line)
    if not paragraphs:
        raise InputError("片段正文为空，请在“---”之后写正文", file=file, line=body_line)
    try:
        grammar().check_template(body)
    except TemplateSyntaxProblem as exc:
        raise InputError(
            f"Jinja 语法错误：{exc.message}，请检查 {{{{ }}}} 与 {{% %}} 是否成对",
            file=file,
            line=body_line + exc.line - 1,
        ) from None
    return Snippet(
        id=snippet_id,
        section=section,
        heading=heading.strip() if isinstance(heading, str) and heading.strip() else None,
        tags=tuple(str(tag) for tag in tags),
        variables=variables,
        paragraphs=paragraphs,
        path=file,
        body=body,
        body_line=body_line,
        variants=_variants(front.get("variants"), file=file, line=front.line_of("variants")),
        lines=dict(front.lines),
    )


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
