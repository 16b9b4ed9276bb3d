"""What lint checks inside one file: the loaders' reading of it, then what its templates read, masks,
punctuation and house style.

These run once per file (in worker processes for a large library, hence the picklable results);
``lint`` then checks across files with what they return. The grammar itself is the loaders'
(``read_snippet``, ``read_rules`` in collecting mode): nothing here reads the formats again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateSyntaxError

from ..errors import AssemblerError
from ..load.problems import ERROR, WARNING, Problem, Problems
from ..load.rules import RESERVED_NAMES, RulesReading, read_rules
from ..load.snippets import SnippetReading, read_snippet, split_paragraphs
from ..load.yamlio import read_text
from ..style import StyleSettings
from ..template.environment import shared_env, template_variables
from .report_checks import MASK

#: How a body paragraph may end.
FINAL_PUNCTUATION = "。！？；：….!?;:"
CLOSERS = "”’」』）)》〉】"
HEADING_FULL_STOP = ("。", "．", ".")
JINJA_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TRAILING_TAG = re.compile(r"(?:\{%.*?%\}|\{#.*?#\}|\s)+$", re.DOTALL)
_COMMENT_ONLY = re.compile(r"^(?:\{#.*?#\}\s*)+$", re.DOTALL)
_GUESS_ID = re.compile(r"^id:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)


# ------------------------------------------------------------------ snippets


@dataclass
class SnippetInfo:
    """A snippet file as the loader read it, with the names its bodies read (for the checks across files)."""

    reading: SnippetReading
    used: set[str] = field(default_factory=set)
    used_body: set[str] = field(default_factory=set)
    body_ok: bool = True
    variant_names: list[tuple[int, int, set[str]]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.reading.path

    @property
    def id(self) -> str | None:
        return self.reading.id


def _analyse(source: str) -> set[str] | None:
    """The names ``source`` reads (as ``environment.template_variables`` counts them), parsed once;
    ``None`` when it does not parse (the loader has reported that at its line)."""
    if "{" not in source:
        return set()
    from jinja2 import meta

    try:
        ast = shared_env().parse(source)
    except TemplateSyntaxError:
        return None
    return set(meta.find_undeclared_variables(ast)) - PROVIDED


def names_read(source: str) -> set[str]:
    return template_variables(source) - PROVIDED if "{" in source else set()


PROVIDED = frozenset(RESERVED_NAMES)


def _mask_problems(source: str, first_line: int, path: Path, col: Problems, what: str = "正文") -> None:
    """Warn about placeholders such as ``**`` or ``XX`` outside Jinja tags, at their own line."""
    if not MASK.search(source):
        return
    plain = JINJA_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
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


def check_snippet_text(info: SnippetInfo, col: Problems) -> None:
    """Checks that need only the snippet itself: the names it reads, variants, masks, punctuation."""
    snippet, path = info.reading, info.path
    body_names = _analyse(snippet.body)
    info.body_ok = body_names is not None
    info.used_body = body_names or set()
    used = set(info.used_body)
    if snippet.heading:
        used |= _analyse(snippet.heading) or set()
        if snippet.heading.endswith(HEADING_FULL_STOP):
            col.warn(path, snippet.heading_line, f"标题“{snippet.heading}”以句号结尾；标题末尾一般不加句号")
        _mask_problems(snippet.heading, snippet.heading_line, path, col, "标题")
    for number, (text, line) in enumerate(snippet.variants, start=2):
        names = _analyse(text)
        if names is None:
            continue
        used |= names
        info.variant_names.append((number, line, names))
        _mask_problems(text, line, path, col, f"第{number}种正文")
        for para in split_paragraphs(text, line):
            if para.tag is None and not _COMMENT_ONLY.match(para.text) and not _ends_properly(para.text):
                col.warn(path, line, f"第{number}种正文的段落“{_short(para.text)}”末尾缺少标点")
    info.used = used
    _mask_problems(snippet.body, snippet.body_line, path, col)
    body_lines = snippet.body.split("\n")
    for para in split_paragraphs(snippet.body, snippet.body_line):
        if para.tag is None and not _COMMENT_ONLY.match(para.text) and not _ends_properly(para.text):
            last = para.line - snippet.body_line
            while last + 1 < len(body_lines) and body_lines[last + 1].strip():
                last += 1
            col.warn(path, snippet.body_line + last, f"段落“{_short(para.text)}”末尾缺少标点（句号、分号等）")


def _short(text: str, size: int = 14) -> str:
    text = JINJA_BLOCK.sub("…", text)
    return text if len(text) <= size else "…" + text[-size:]


def check_snippet_file(path: Path, col: Problems, style: StyleRun | None = None) -> SnippetInfo | None:
    """Read one snippet file through the loader, collecting its problems, then check its text (and,
    with ``style``, the house style of a file the loader accepted; see ``snippet_style``)."""
    try:
        text = read_text(path)
    except AssemblerError as exc:
        col.from_exc(exc, path)
        return None
    reading = read_snippet(text, file=path, problems=col, default_section=path.parent.name)
    if reading is None:
        info = SnippetInfo(SnippetReading(path=path), body_ok=False)
    else:
        info = SnippetInfo(reading)
        check_snippet_text(info, col)
        if style is not None and reading.snippet is not None:
            style.check(info, text, col)
    if info.reading.id is None:  # guessed, so that the rules naming it do not report it missing too
        guessed = _GUESS_ID.search(text)
        info.reading.id = guessed.group(1) if guessed else None
    return info


@dataclass(frozen=True)
class StyleRun:
    """The house style checks of one lint run (picklable, for the workers)."""

    settings: StyleSettings
    year: int | None

    def check_rules(self, info: RulesReading, col: Problems) -> None:
        """The rules' title, subtitle, signature and section headings (reported; ``--fix`` leaves
        the rules file to its author)."""
        from .snippet_style import shown_findings

        try:
            text = read_text(info.path)
        except AssemblerError:
            return
        level = ERROR if self.settings.severity == "error" else WARNING
        for item in shown_findings(text, _shown(info), settings=self.settings, year=self.year):
            col.add(level, info.path, item.line, item.message(), item.col)

    def check(self, info: SnippetInfo, text: str, col: Problems) -> None:
        from .snippet_style import style_findings

        level = ERROR if self.settings.severity == "error" else WARNING
        for item in style_findings(text, body_line=info.reading.body_line, heading=info.reading.heading,
                                   heading_line=info.reading.heading_line, variants=info.reading.variants,
                                   settings=self.settings, year=self.year):
            col.add(level, info.path, item.line, item.message(), item.col)


# ------------------------------------------------------------------ rules


def _shown(reading: RulesReading) -> list[tuple[str, int, bool]]:
    """What a reader sees of the rules (text, line, is a heading): for the house style checks."""
    return [*((text, line, False) for key, text, line in reading.strings if key != "output_name"),
            *((heading.strip(), line, True) for heading, line in reading.headings)]


def check_rules_file(path: Path, col: Problems) -> RulesReading:
    """The rules file through the loader, collecting its problems, then the style of its strings."""
    reading = read_rules(path, problems=col)
    for _key, source, line in reading.strings:
        _mask_problems(source, line, path, col, "规则文件")
    for heading, line in reading.headings:
        if heading.strip().endswith(HEADING_FULL_STOP):
            col.warn(path, line, f"栏目标题“{heading.strip()}”以句号结尾；标题末尾一般不加句号")
    return reading


def make_style_run(rules_path: Path | None, library: Path | None, rules_info: RulesReading | None, col: Problems,
               year: int | None) -> StyleRun | None:
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
    return StyleRun(StyleSettings(mode, wording) if wording is not None else StyleSettings(mode), year)


#: Below this many files one process is faster than starting workers.
PARALLEL_FROM = 300


def check_chunk(paths: list[Path], style: StyleRun | None = None) -> tuple[list[SnippetInfo], list[Problem]]:
    col = Problems()
    infos = []
    for path in paths:
        info = check_snippet_file(path, col, style)
        if info is not None:
            info.reading.snippet = None  # not needed across files; keeps the pickles small
            infos.append(info)
    return infos, col.problems


def check_snippet_files(paths: list[Path], col: Problems, *, jobs: int | None = None,
                        style: StyleRun | None = None) -> list[SnippetInfo]:
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
                results = list(pool.map(functools.partial(check_chunk, style=style), chunks))
        except (OSError, RuntimeError):
            results = [check_chunk(paths, style)]
    else:
        results = [check_chunk(paths, style)]
    infos: list[SnippetInfo] = []
    for chunk_infos, problems in results:
        infos += chunk_infos
        for problem in problems:
            col.add(problem.level, problem.file, problem.line, problem.message, problem.col)
    return infos


